import { randomBytes } from 'node:crypto';

import { generateMatchingKey, keyedDigest } from '@enlace/crypto';
import { describe, expect, it } from 'vitest';

import { MatchIndex } from './match-index.js';
import type { AlertRef, MatchField } from './match-index.js';

const KEY = generateMatchingKey('fiu-exchange', 'fiu-exchange-match-2026-01');
const OTHER_KEY_ID = 'trafficking-liaison-match-2026-01';
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function ref(alertId: string, field: MatchField = 'document.number_digests', origin = 'CR'): AlertRef {
  return {
    alertId,
    origin,
    network: 'fiu-exchange',
    kind: field === 'document.number_digests' ? 'document' : 'network',
    issuedAt: `2026-03-${alertId.slice(-2).padStart(2, '0')}T10:00:00.000Z`,
    handling: 'H1',
    field,
  };
}

const keyed = (digest: Uint8Array, keyId = KEY.keyId): { keyId: string; digest: Uint8Array } => ({
  keyId,
  digest,
});

/** `count` random 32-byte digests, as views into one buffer. */
function randomDigests(count: number): Uint8Array[] {
  const pool = randomBytes(count * 32);
  return Array.from({ length: count }, (_, i) => pool.subarray(i * 32, i * 32 + 32));
}

describe('MatchIndex among a million digests', () => {
  it('answers exactly the planted hits, with the alerts they occur in', async () => {
    const index = new MatchIndex({ expectedDigests: 1_000_100 });
    // Background: 1,000,000 random digests in 10,000 alerts of 100.
    const background = randomDigests(1_000_000);
    for (let a = 0; a < 10_000; a++) {
      const digests = background.slice(a * 100, a * 100 + 100).map((d) => keyed(d));
      index.add(ref(`bg-${String(a).padStart(5, '0')}`, 'network.financial.accounts', 'MX'), digests);
    }
    // Planted: 100 passport numbers of CR, digested from clear values, in five alerts of 20; the
    // first five also occur in a second alert, as account-like identifiers would across cases.
    const clear = Array.from({ length: 100 }, (_, i) => `A0${1_000_000 + i * 7919}`);
    const planted = clear.map((value) => keyedDigest(KEY, 'doc', 'cr', value));
    for (let a = 0; a < 5; a++) {
      index.add(
        ref(`planted-0${a + 1}`),
        planted.slice(a * 20, a * 20 + 20).map((d) => keyed(d)),
      );
    }
    index.add(
      ref('planted-09', 'network.financial.accounts', 'PA'),
      planted.slice(0, 5).map((d) => keyed(d)),
    );
    expect(index.size).toBe(1_000_105);
    expect(index.distinctDigests).toBe(1_000_100);
    expect(index.alertCount).toBe(10_006);

    // The FIU's query: 100,000 digests, its own copies of the planted numbers (computed from the
    // clear values again, written differently) among 99,900 it made of other numbers.
    const mine = clear.map((value) => keyedDigest(KEY, 'doc', 'CR', value.replace(/(\d{3})/, '$1-')));
    const query = randomDigests(99_900);
    const positions = new Map<number, number>();
    for (let i = 0; i < mine.length; i++) {
      const at = i * 997 + 13;
      query.splice(at, 0, mine[i]!);
      positions.set(at, i);
    }
    expect(query).toHaveLength(100_000);

    const started = performance.now();
    const result = index.query(KEY.keyId, query);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(1000);

    expect(result.queried).toBe(100_000);
    expect(result.matched).toBe(100);
    expect(result.hits.map((hit) => hex(hit.digest))).toEqual(planted.map(hex));
    for (const [i, hit] of result.hits.entries()) {
      const alerts = hit.alerts.map((a) => a.alertId);
      expect(alerts).toEqual(i < 5 ? ['planted-01', 'planted-09'] : [`planted-0${Math.floor(i / 20) + 1}`]);
    }
    expect(result.hits[0]!.alerts[1]).toEqual(ref('planted-09', 'network.financial.accounts', 'PA'));

    // In slices, yielding between them: the same answer.
    const sliced = await index.queryAsync(KEY.keyId, query, undefined, { sliceSize: 5000 });
    expect(sliced.matched).toBe(100);
    expect(sliced.hits.map((hit) => [hex(hit.digest), hit.alerts])).toEqual(
      result.hits.map((hit) => [hex(hit.digest), hit.alerts]),
    );

    // Under another matching key the same bytes mean nothing.
    expect(index.query(OTHER_KEY_ID, mine).matched).toBe(0);
    // A background digest finds its alert.
    expect(index.query(KEY.keyId, [background[123_456]!]).hits[0]!.alerts.map((a) => a.alertId)).toEqual([
      'bg-01234',
    ]);

    // Single-digest queries stay far under a millisecond.
    const times: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const t = performance.now();
      index.query(KEY.keyId, [i % 2 === 0 ? planted[i % 100]! : query[i]!]);
      times.push(performance.now() - t);
    }
    times.sort((x, y) => x - y);
    expect(times[Math.floor(times.length * 0.99)]!).toBeLessThan(1);
  });
});

describe('MatchIndex', () => {
  const a = keyedDigest(KEY, 'doc', 'CR', 'A01234567');
  const b = keyedDigest(KEY, 'acct', 'MX', '032180000118359719');
  const c = keyedDigest(KEY, 'doc', 'GT', '123456789');

  it('hides alerts the caller may not learn of, and a digest whose alerts are all hidden is a no-hit', () => {
    const index = new MatchIndex();
    index.add(ref('alert-01', 'document.number_digests', 'CR'), [keyed(a), keyed(b)]);
    index.add(ref('alert-02', 'network.financial.accounts', 'US'), [keyed(b)]);
    const calls: string[] = [];
    const allow = (r: AlertRef): boolean => {
      calls.push(r.alertId);
      return r.origin !== 'US';
    };
    const result = index.query(KEY.keyId, [a, b, c, b], allow);
    expect(result.queried).toBe(4);
    expect(result.matched).toBe(2);
    expect(result.hits.map((h) => [hex(h.digest), h.alerts.map((r) => r.alertId)])).toEqual([
      [hex(a), ['alert-01']],
      [hex(b), ['alert-01']],
    ]);
    // Policy is asked once per alert and query.
    expect(calls.sort()).toEqual(['alert-01', 'alert-02']);

    const onlyUs = index.query(KEY.keyId, [a, b], (r) => r.origin === 'US');
    expect(onlyUs.hits.map((h) => [hex(h.digest), h.alerts.map((r) => r.alertId)])).toEqual([
      [hex(b), ['alert-02']],
    ]);
    expect(index.query(KEY.keyId, [a, b], () => false)).toEqual({
      keyId: KEY.keyId,
      queried: 2,
      matched: 0,
      hits: [],
    });
  });

  it('asks policy afresh for an alert that replaced a removed one between two slices', async () => {
    const index = new MatchIndex();
    index.add(ref('alert-01', 'document.number_digests', 'CR'), [keyed(a)]);
    const allow = (r: AlertRef): boolean => r.origin !== 'US';
    // Runs after the first slice and before the second: alert-01 leaves, a US alert takes its place.
    setImmediate(() => {
      index.removeAlert('alert-01');
      index.add(ref('alert-02', 'network.financial.accounts', 'US'), [keyed(b)]);
      index.add(ref('alert-03', 'document.number_digests', 'CR'), [keyed(c)]);
    });
    const result = await index.queryAsync(KEY.keyId, [a, b, c, a], allow, { sliceSize: 1 });
    expect(result.hits.map((h) => [hex(h.digest), h.alerts.map((r) => r.alertId)])).toEqual([
      [hex(a), ['alert-01']],
      [hex(c), ['alert-03']],
    ]);
    expect(result.matched).toBe(2);
  });

  it('stops matching a removed (retracted) alert and keeps the others', () => {
    const index = new MatchIndex();
    index.add(ref('alert-01'), [keyed(a), keyed(b)]);
    index.add(ref('alert-01', 'network.financial.accounts'), [keyed(c)]);
    index.add(ref('alert-02'), [keyed(b)]);
    expect(index.size).toBe(4);
    expect(index.removeAlert('alert-01')).toBe(true);
    expect(index.removeAlert('alert-01')).toBe(false);
    expect(index.hasAlert('alert-01')).toBe(false);
    expect(index.size).toBe(1);
    const result = index.query(KEY.keyId, [a, b, c]);
    expect(result.hits.map((h) => [hex(h.digest), h.alerts.map((r) => r.alertId)])).toEqual([
      [hex(b), ['alert-02']],
    ]);
    index.removeAlert('alert-02');
    expect(index.size).toBe(0);
    expect(index.distinctDigests).toBe(0);
    expect(index.query(KEY.keyId, [a, b, c]).matched).toBe(0);
    // Freed room is reused; the alert may come back (e.g. re-indexed after a restore).
    index.add(ref('alert-01'), [keyed(a)]);
    expect(index.query(KEY.keyId, [a]).hits[0]!.alerts[0]!.alertId).toBe('alert-01');
  });

  it('keeps every digest findable through many removals (no probe stops early)', () => {
    const index = new MatchIndex();
    const digests = randomDigests(20_000);
    for (let i = 0; i < 2000; i++)
      index.add(
        ref(`a-${i}`),
        digests.slice(i * 10, i * 10 + 10).map((d) => keyed(d)),
      );
    for (let i = 0; i < 2000; i += 3) index.removeAlert(`a-${i}`);
    const result = index.query(KEY.keyId, digests);
    const expected = digests.filter((_, j) => Math.floor(j / 10) % 3 !== 0).map(hex);
    expect(result.hits.map((h) => hex(h.digest))).toEqual(expected);
    expect(index.size).toBe(expected.length);
  });

  it('treats a redelivered alert field and a repeated digest as one', () => {
    const index = new MatchIndex();
    expect(index.add(ref('alert-01'), [keyed(a), keyed(a), keyed(b)])).toBe(true);
    expect(index.add(ref('alert-01'), [keyed(c)])).toBe(false);
    expect(index.size).toBe(2);
    expect(index.query(KEY.keyId, [a]).hits[0]!.alerts).toHaveLength(1);
    expect(index.query(KEY.keyId, [c]).matched).toBe(0);
  });

  it('separates matching keys and refuses digests that are not 32 bytes', () => {
    const index = new MatchIndex();
    index.add(ref('alert-01'), [keyed(a, OTHER_KEY_ID)]);
    expect(index.query(KEY.keyId, [a]).matched).toBe(0);
    expect(index.query(OTHER_KEY_ID, [a]).matched).toBe(1);
    expect(() => index.add(ref('alert-02'), [keyed(a), keyed(new Uint8Array(31))])).toThrow(
      'digests[1]: a keyed digest must be 32 bytes',
    );
    expect(index.hasAlert('alert-02')).toBe(false);
    expect(() => index.query(KEY.keyId, [new Uint8Array(33)])).toThrow(RangeError);
  });

  it('finds a digest whatever the byte offset of the array holding it', () => {
    const index = new MatchIndex();
    index.add(ref('alert-01'), [keyed(a)]);
    const shifted = new Uint8Array(40);
    shifted.set(a, 3);
    expect(index.query(KEY.keyId, [shifted.subarray(3, 35)]).matched).toBe(1);
  });
});
