/**
 * The durable side of hit/no-hit matching: the keyed digests of every indexed alert in SQLite
 * (better-sqlite3, WAL), so that the in-memory MatchIndex is rebuilt at start without replaying
 * the alert stream.
 *
 * One row per (alert, field, matching key) holds that group's digests packed end to end in a
 * BLOB (n × 32 bytes), rather than one row per digest: alerts are immutable and leave as a whole
 * (retraction), nothing ever looks a digest up in SQL (the index does), and loading a million
 * digests then reads tens of thousands of rows instead of a million, each with its own strings.
 * The store and the index stay separate: the service writes here first, then to the index.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { openDatabase } from '@enlace/service-kit/sqlite';
import type * as Database from '@enlace/service-kit/sqlite';

import { DIGEST_LENGTH, MATCH_FIELDS, MatchIndex } from './match-index.js';
import type { AlertRef, KeyedDigestEntry, MatchField, PackedDigests } from './match-index.js';

export const MATCH_STORE_FILE = 'matching.sqlite';

/** `normal` (default): WAL without an fsync per commit; `full`: fsync every commit. */
export type MatchStoreSync = 'normal' | 'full';

/** One alert field with its digests, as add() and addMany() take it. */
export interface IndexedAlertField {
  readonly ref: AlertRef;
  readonly digests: readonly KeyedDigestEntry[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS match_digests (
  alert_id  TEXT NOT NULL,
  field     TEXT NOT NULL,
  key_id    TEXT NOT NULL,
  origin    TEXT NOT NULL,
  network   TEXT NOT NULL,
  kind      TEXT NOT NULL,
  issued_at TEXT NOT NULL,
  handling  TEXT NOT NULL,
  -- the digests made under key_id, 32 bytes each, end to end
  digests   BLOB NOT NULL CHECK (length(digests) > 0 AND length(digests) % 32 = 0),
  PRIMARY KEY (alert_id, field, key_id)
) WITHOUT ROWID;
`;

/**
 * Stores made before handling was kept get the column; their rows' codes are unknown and taken
 * as H3, the most restrictive (the read rule on matching does not depend on it today).
 */
const MIGRATE_HANDLING = `ALTER TABLE match_digests ADD COLUMN handling TEXT NOT NULL DEFAULT 'H3'`;

/** alert_id, field, key_id, origin, network, kind, issued_at, handling, digests */
type RawRow = [string, string, string, string, string, string, string, string, Buffer];

export class MatchStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #has: Database.Statement<[string, string], { n: number }>;
  readonly #remove: Database.Statement<[string]>;
  readonly #all: Database.Statement<[], unknown>;
  readonly #addMany: (fields: readonly IndexedAlertField[]) => number;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#insert = db.prepare(
      `INSERT OR IGNORE INTO match_digests (alert_id, field, key_id, origin, network, kind, issued_at, handling, digests)
       VALUES (@alert_id, @field, @key_id, @origin, @network, @kind, @issued_at, @handling, @digests)`,
    );
    this.#has = db.prepare<[string, string], { n: number }>(
      'SELECT count(*) AS n FROM match_digests WHERE alert_id = ? AND field = ?',
    );
    this.#remove = db.prepare<[string]>('DELETE FROM match_digests WHERE alert_id = ?');
    this.#all = db.prepare<[], unknown>(
      'SELECT alert_id, field, key_id, origin, network, kind, issued_at, handling, digests FROM match_digests ORDER BY alert_id, field, key_id',
    );
    this.#addMany = db.transaction((fields: readonly IndexedAlertField[]): number => {
      let added = 0;
      for (const { ref, digests } of fields) if (this.#write(ref, digests)) added++;
      return added;
    });
  }

  /** Opens (creating when missing) the store in `dataDir`. */
  static open(dataDir: string, options: { sync?: MatchStoreSync } = {}): MatchStore {
    mkdirSync(dataDir, { recursive: true });
    const db = openDatabase(join(dataDir, MATCH_STORE_FILE));
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    const columns = db.prepare<[], { name: string }>('PRAGMA table_info(match_digests)').all();
    if (!columns.some((c) => c.name === 'handling')) db.exec(MIGRATE_HANDLING);
    return new MatchStore(db);
  }

  /**
   * Stores the digests of one alert field, unless that field of that alert is already stored
   * (a redelivery changes nothing) or it has no digests. Returns true when stored. Checks every
   * digest first and throws RangeError, storing nothing, when one is not 32 bytes.
   */
  add(ref: AlertRef, digests: readonly KeyedDigestEntry[]): boolean {
    return this.addMany([{ ref, digests }]) === 1;
  }

  /** Stores many alert fields in one transaction; returns how many were new. */
  addMany(fields: readonly IndexedAlertField[]): number {
    for (const { ref, digests } of fields) check(ref, digests);
    return this.#addMany(fields);
  }

  /** Deletes every digest of an alert (retraction). Returns true when there were any. */
  removeAlert(alertId: string): boolean {
    return this.#remove.run(alertId).changes > 0;
  }

  /** Stored digests (with repeats across alerts) and alerts. */
  count(): { digests: number; alerts: number } {
    const row = this.#db
      .prepare<[], { bytes: number | null; alerts: number }>(
        'SELECT sum(length(digests)) AS bytes, count(DISTINCT alert_id) AS alerts FROM match_digests',
      )
      .get();
    return { digests: (row?.bytes ?? 0) / DIGEST_LENGTH, alerts: row?.alerts ?? 0 };
  }

  /** Fills `index` (default: a new one sized for the store) with every stored digest and returns it. */
  load(index?: MatchIndex): MatchIndex {
    const target = index ?? new MatchIndex({ expectedDigests: this.count().digests });
    let ref: AlertRef | undefined;
    let groups: PackedDigests[] = [];
    // Raw rows (arrays) in key order: the fields of one alert come one after the other.
    for (const row of this.#all.raw().iterate() as IterableIterator<RawRow>) {
      const [alertId, field, keyId, origin, network, kind, issuedAt, handling, digests] = row;
      if (ref === undefined || ref.alertId !== alertId || ref.field !== field) {
        if (ref !== undefined) target.addPacked(ref, groups);
        ref = { alertId, origin, network, kind, issuedAt, handling, field: field as MatchField };
        groups = [];
      }
      groups.push({ keyId, digests });
    }
    if (ref !== undefined) target.addPacked(ref, groups);
    return target;
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /** One row per matching key of the field; false when the field was stored before. */
  #write(ref: AlertRef, digests: readonly KeyedDigestEntry[]): boolean {
    if (digests.length === 0 || this.#has.get(ref.alertId, ref.field)!.n > 0) return false;
    const byKey = new Map<string, Uint8Array[]>();
    for (const { keyId, digest } of digests) {
      const list = byKey.get(keyId);
      if (list === undefined) byKey.set(keyId, [digest]);
      else list.push(digest);
    }
    for (const [keyId, list] of byKey) {
      this.#insert.run({
        alert_id: ref.alertId,
        field: ref.field,
        key_id: keyId,
        origin: ref.origin,
        network: ref.network,
        kind: ref.kind,
        issued_at: ref.issuedAt,
        handling: ref.handling,
        digests: Buffer.concat(list),
      });
    }
    return true;
  }
}

function check(ref: AlertRef, digests: readonly KeyedDigestEntry[]): void {
  if (!MATCH_FIELDS.includes(ref.field))
    throw new RangeError(`unknown match field ${JSON.stringify(ref.field)}`);
  for (const [i, { keyId, digest }] of digests.entries()) {
    if (typeof keyId !== 'string' || keyId === '') throw new RangeError(`digests[${i}]: empty keyId`);
    if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_LENGTH) {
      throw new RangeError(`digests[${i}]: a keyed digest must be ${DIGEST_LENGTH} bytes`);
    }
  }
}
