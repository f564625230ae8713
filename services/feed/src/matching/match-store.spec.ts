import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

import { generateMatchingKey, keyedDigest } from '@enlace/crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { MatchIndex } from './match-index.js';
import type { AlertRef, MatchField, MatchResult } from './match-index.js';
import { openDatabase } from '@enlace/service-kit/sqlite';

import { MATCH_STORE_FILE, MatchStore } from './match-store.js';

const KEY = generateMatchingKey('fiu-exchange', 'fiu-exchange-match-2026-01');
const OLD_KEY = generateMatchingKey('fiu-exchange', 'fiu-exchange-match-2025-01');
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

function ref(alertId: string, field: MatchField, origin = 'CR'): AlertRef {
  return {
    alertId,
    origin,
    network: 'fiu-exchange',
    kind: field === 'document.number_digests' ? 'document' : 'network',
    issuedAt: '2026-03-01T10:00:00.000Z',
    handling: 'H2',
    field,
  };
}

/** The answer without Uint8Array identities, for comparing two indexes. */
function plain(result: MatchResult): unknown {
  return { ...result, hits: result.hits.map((hit) => ({ digest: hex(hit.digest), alerts: hit.alerts })) };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enlace-match-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('MatchStore', () => {
  it('opens a store written before handling codes were kept, taking its rows as H3', () => {
    const old = openDatabase(join(dir, MATCH_STORE_FILE));
    old.exec(`CREATE TABLE match_digests (
      alert_id TEXT NOT NULL, field TEXT NOT NULL, key_id TEXT NOT NULL, origin TEXT NOT NULL,
      network TEXT NOT NULL, kind TEXT NOT NULL, issued_at TEXT NOT NULL, digests BLOB NOT NULL,
      PRIMARY KEY (alert_id, field, key_id)) WITHOUT ROWID`);
    const d = keyedDigest(KEY, 'doc', 'CR', 'A1');
    old
      .prepare('INSERT INTO match_digests VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(
        'alert-old',
        'document.number_digests',
        KEY.keyId,
        'CR',
        'fiu-exchange',
        'document',
        '2026-03-01T10:00:00.000Z',
        Buffer.from(d),
      );
    old.close();
    const store = MatchStore.open(dir);
    try {
      const hit = store.load().query(KEY.keyId, [d]).hits[0]!;
      expect(hit.alerts).toEqual([{ ...ref('alert-old', 'document.number_digests'), handling: 'H3' }]);
      // New rows keep their own code next to the old ones.
      store.add(ref('alert-new', 'document.number_digests'), [{ keyId: KEY.keyId, digest: d }]);
      expect(
        store
          .load()
          .query(KEY.keyId, [d])
          .hits[0]!.alerts.map((a) => a.handling)
          .sort(),
      ).toEqual(['H2', 'H3']);
    } finally {
      store.close();
    }
  });

  it('gives the same answers after a restart as the index it was written alongside', () => {
    const doc = (v: string): Uint8Array => keyedDigest(KEY, 'doc', 'CR', v);
    const acct = (v: string): Uint8Array => keyedDigest(KEY, 'acct', 'MX', v);
    const fields = [
      {
        ref: ref('alert-01', 'document.number_digests'),
        digests: [doc('A1'), doc('A2')].map((d) => ({ keyId: KEY.keyId, digest: d })),
      },
      {
        ref: ref('alert-02', 'network.financial.accounts', 'MX'),
        digests: [
          { keyId: KEY.keyId, digest: acct('0321') },
          { keyId: OLD_KEY.keyId, digest: keyedDigest(OLD_KEY, 'acct', 'MX', '0321') },
          { keyId: KEY.keyId, digest: doc('A2') },
        ],
      },
      {
        ref: ref('alert-03', 'document.number_digests', 'GT'),
        digests: [{ keyId: KEY.keyId, digest: doc('A3') }],
      },
    ];
    // Many more, so that loading crosses many rows.
    const pool = randomBytes(5000 * 32);
    for (let i = 0; i < 500; i++) {
      fields.push({
        ref: ref(`bulk-${String(i).padStart(4, '0')}`, 'network.financial.accounts', 'PA'),
        digests: Array.from({ length: 10 }, (_, j) => ({
          keyId: KEY.keyId,
          digest: pool.subarray((i * 10 + j) * 32, (i * 10 + j + 1) * 32),
        })),
      });
    }

    const live = new MatchIndex();
    const store = MatchStore.open(dir);
    expect(store.addMany(fields)).toBe(fields.length);
    for (const { ref: r, digests } of fields) live.add(r, digests);
    // Redelivered: nothing changes.
    expect(store.add(fields[0]!.ref, fields[0]!.digests)).toBe(false);
    expect(store.count()).toEqual({ digests: 5006, alerts: 503 });
    store.close();

    const reopened = MatchStore.open(dir);
    const loaded = reopened.load();
    expect(loaded.size).toBe(live.size);
    expect(loaded.alertCount).toBe(503);
    const query = [
      doc('A1'),
      doc('A2'),
      doc('A3'),
      doc('A4'),
      acct('0321'),
      pool.subarray(32 * 4321, 32 * 4322),
    ];
    expect(plain(loaded.query(KEY.keyId, query))).toEqual(plain(live.query(KEY.keyId, query)));
    const again = loaded.query(KEY.keyId, query);
    expect(again.hits.map((h) => [hex(h.digest), h.alerts.map((a) => a.alertId)])).toEqual([
      [hex(doc('A1')), ['alert-01']],
      [hex(doc('A2')), ['alert-01', 'alert-02']],
      [hex(doc('A3')), ['alert-03']],
      [hex(acct('0321')), ['alert-02']],
      [hex(pool.subarray(32 * 4321, 32 * 4322)), ['bulk-0432']],
    ]);
    expect(again.hits[3]!.alerts[0]).toEqual(ref('alert-02', 'network.financial.accounts', 'MX'));
    // Digests under an older key stay under it.
    const old = loaded.query(OLD_KEY.keyId, [keyedDigest(OLD_KEY, 'acct', 'MX', '0321')]);
    expect(old.hits.map((h) => h.alerts.map((a) => a.alertId))).toEqual([['alert-02']]);
    reopened.close();
  });

  it('forgets a removed (retracted) alert across restarts', () => {
    const d = keyedDigest(KEY, 'doc', 'CR', 'A01234567');
    const store = MatchStore.open(dir);
    store.add(ref('alert-01', 'document.number_digests'), [{ keyId: KEY.keyId, digest: d }]);
    store.add(ref('alert-01', 'network.financial.accounts'), [{ keyId: KEY.keyId, digest: d }]);
    store.add(ref('alert-02', 'document.number_digests'), [{ keyId: KEY.keyId, digest: d }]);
    expect(store.removeAlert('alert-01')).toBe(true);
    expect(store.removeAlert('alert-01')).toBe(false);
    store.close();
    const reopened = MatchStore.open(dir);
    const index = reopened.load();
    expect(index.query(KEY.keyId, [d]).hits.map((h) => h.alerts.map((a) => a.alertId))).toEqual([
      ['alert-02'],
    ]);
    expect(reopened.count()).toEqual({ digests: 1, alerts: 1 });
    reopened.close();
  });

  it('refuses a malformed digest without storing anything of the batch', () => {
    const store = MatchStore.open(dir);
    const good = {
      ref: ref('alert-01', 'document.number_digests'),
      digests: [{ keyId: KEY.keyId, digest: randomBytes(32) }],
    };
    const bad = {
      ref: ref('alert-02', 'document.number_digests'),
      digests: [{ keyId: KEY.keyId, digest: randomBytes(20) }],
    };
    expect(() => store.addMany([good, bad])).toThrow('digests[0]: a keyed digest must be 32 bytes');
    expect(store.count()).toEqual({ digests: 0, alerts: 0 });
    expect(store.add(ref('alert-03', 'document.number_digests'), [])).toBe(false);
    expect(store.load().size).toBe(0);
    store.close();
  });
});
