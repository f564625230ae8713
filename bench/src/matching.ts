/**
 * Hit/no-hit matching (issue 6): the feed service's index loaded with 1,000,000 keyed digests
 * (4 per alert, as account and document digests come), then single-digest queries answered
 * through the same steps as POST /v1/match — JSON body parsed, request checked
 * (parseMatchRequest), index queried with the caller's access filter, answer serialised — timed
 * one by one for p50/p99, half of them hits. Beside it, the bare limit: a JavaScript Map lookup of
 * the same digests. And one bulk query of 100,000 digests. HTTP itself is left out: it is the
 * same Express stack as every other endpoint and would measure the loopback, not the index.
 */
import { randomBytes } from 'node:crypto';

import { MatchIndex, matchResultToJson, parseMatchRequest } from '@enlace/feed';
import type { AlertRef } from '@enlace/feed';

import { now, percentile, progress, round } from './measure.js';

export interface MatchingSizes {
  readonly digests: number;
  readonly queries: number;
  readonly bulk: number;
}

export interface MatchingResults {
  readonly digests: number;
  readonly load_ms: number;
  readonly index_mb: number;
  readonly single_p50_ms: number;
  readonly single_p99_ms: number;
  readonly single_max_ms: number;
  /** The same lookups in a bare Map<string, ref[]>: the floor of any in-memory index. */
  readonly map_p99_ms: number;
  readonly bulk_digests: number;
  readonly bulk_ms: number;
  readonly target_p99_ms: 1;
}

const KEY_ID = 'fiu-exchange-match-2026-01';
const ORIGINS = ['MX', 'GT', 'HN', 'SV', 'CR', 'PA', 'NI', 'BZ', 'DO', 'US', 'CA'];

export async function measureMatching(sizes: MatchingSizes): Promise<MatchingResults> {
  progress(`matching: loading ${sizes.digests.toLocaleString('en')} digests`);
  const perAlert = 4;
  const pool = randomBytes(sizes.digests * 32);
  const digestAt = (i: number): Uint8Array => pool.subarray(i * 32, i * 32 + 32);
  const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const t0 = now();
  const index = new MatchIndex({ expectedDigests: sizes.digests });
  const map = new Map<string, AlertRef[]>();
  for (let a = 0; a * perAlert < sizes.digests; a++) {
    const ref: AlertRef = {
      alertId: `01a2${a.toString(16).padStart(4, '0')}-0000-7000-8000-${a.toString(16).padStart(12, '0')}`,
      origin: ORIGINS[a % ORIGINS.length]!,
      network: 'fiu-exchange',
      kind: 'network',
      issuedAt: '2026-11-01T00:00:00.000Z',
      handling: 'H1',
      field: 'network.financial.accounts',
    };
    const digests = [];
    for (let j = 0; j < perAlert && a * perAlert + j < sizes.digests; j++)
      digests.push({ keyId: KEY_ID, digest: digestAt(a * perAlert + j) });
    index.add(ref, digests);
  }
  const loadMs = now() - t0;
  const indexMb = (process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers - heapBefore) / 1e6;
  // The bare Map, for the floor (built after measuring the index's memory).
  for (let i = 0; i < sizes.digests; i++) map.set(Buffer.from(digestAt(i)).toString('latin1'), []);

  // A country's FIU sees alerts of the countries it may receive from (here: all but two).
  const allowed = new Set(ORIGINS.slice(0, -2));
  const allow = (ref: AlertRef): boolean => allowed.has(ref.origin);
  const queries: string[] = [];
  for (let q = 0; q < sizes.queries; q++) {
    const digest = q % 2 === 0 ? digestAt(Math.floor(Math.random() * sizes.digests)) : randomBytes(32);
    queries.push(Buffer.from(digest).toString('hex'));
  }
  progress(`matching: ${sizes.queries.toLocaleString('en')} single-digest queries`);
  const single: number[] = [];
  let hits = 0;
  for (const hex of queries) {
    const start = now();
    const body = JSON.stringify({ keyId: KEY_ID, digests: [hex] });
    const request = parseMatchRequest(JSON.parse(body));
    const result = await index.queryAsync(request.keyId, request.digests, allow);
    const answer = JSON.stringify(matchResultToJson(result));
    single.push(now() - start);
    if (result.matched > 0 && answer.length > 0) hits++;
  }
  const mapTimes: number[] = [];
  for (const hex of queries) {
    const start = now();
    map.get(Buffer.from(hex, 'hex').toString('latin1'));
    mapTimes.push(now() - start);
  }
  progress(`matching: one bulk query of ${sizes.bulk.toLocaleString('en')} digests`);
  const bulk = Array.from({ length: sizes.bulk }, (_, i) =>
    Buffer.from(i % 2 === 0 ? digestAt(Math.floor(Math.random() * sizes.digests)) : randomBytes(32)).toString(
      'hex',
    ),
  );
  const b0 = now();
  const bulkRequest = parseMatchRequest(JSON.parse(JSON.stringify({ keyId: KEY_ID, digests: bulk })));
  JSON.stringify(matchResultToJson(await index.queryAsync(bulkRequest.keyId, bulkRequest.digests, allow)));
  const bulkMs = now() - b0;
  if (hits === 0) throw new Error('matching bench: no query hit; the index is not answering');
  return {
    digests: index.size,
    load_ms: round(loadMs),
    index_mb: round(indexMb, 1),
    single_p50_ms: round(percentile(single, 50), 4),
    single_p99_ms: round(percentile(single, 99), 4),
    single_max_ms: round(Math.max(...single), 2),
    map_p99_ms: round(percentile(mapTimes, 99), 4),
    bulk_digests: sizes.bulk,
    bulk_ms: round(bulkMs),
    target_p99_ms: 1,
  };
}
