// Measures the alert store: N inserts (one transaction each, as the inbound path does), then the
// time per page of the inbox filters, paging five pages deep with the cursor. Build first (tsc -b).
//   node services/node/scripts/bench-store.mjs [N=200000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { v7 } from 'uuid';

import { AlertStore } from '../dist/store/alert-store.js';

const N = Number(process.argv[2] ?? 200_000);
const dir = mkdtempSync(join(tmpdir(), 'enlace-bench-'));
const store = AlertStore.open(dir);
const kinds = ['route', 'document', 'network'];
const origins = ['MX', 'GT', 'HN', 'SV', 'CR', 'PA', 'NI', 'BZ', 'DO', 'US', 'CA'];
const handlings = ['H0', 'H1', 'H2', 'H3'];
const t0 = Date.parse('2026-01-01T00:00:00Z');
const year = 365 * 86_400_000;
const envelope = new Uint8Array(700).fill(7);
const alertJson = { header: { title: 'x'.repeat(100), summary: 'y'.repeat(400) }, route: { waypoints: [] } };
const verification = {
  verifiedAt: '',
  kid: 'MX-sig-2026-01',
  registryRevision: 1,
  rules: [],
  bodyReadable: true,
  checks: [],
};

let start = Date.now();
for (let i = 0; i < N; i++) {
  const at = t0 + Math.floor((i * year) / N);
  store.insert({
    id: v7({ msecs: at }),
    box: 'inbox',
    origin: origins[i % origins.length],
    network: 'trafficking-liaison',
    kind: kinds[i % kinds.length],
    handling: handlings[i % handlings.length],
    tlp: 'amber',
    issuedAt: new Date(at),
    expiresAt: undefined,
    title: 't',
    recipients: [],
    supersedesId: '',
    retractsId: '',
    restricted: false,
    readable: true,
    alertJson,
    envelope,
    subject: 'enlace.v1.alert.trafficking-liaison.route.MX',
    streamSeq: i,
    verification,
  });
}
console.log(`inserted ${N} alerts in ${Date.now() - start} ms`);

function measure(name, query) {
  start = process.hrtime.bigint();
  let page = store.list(query);
  let pages = 1;
  while (page.next !== undefined && pages < 5) {
    page = store.list({ ...query, cursor: page.next });
    pages++;
  }
  console.log(
    `${name}: ${(Number(process.hrtime.bigint() - start) / 1e6 / pages).toFixed(2)} ms per page of 50`,
  );
}
measure('newest', { limit: 50 });
measure('origin=HN', { origin: 'HN', limit: 50 });
measure('kind=document, since mid-year', { kind: 'document', since: new Date(t0 + year / 2), limit: 50 });
measure('handling=H2, origin=GT', { handling: 'H2', origin: 'GT', limit: 50 });
store.close();
rmSync(dir, { recursive: true, force: true });
