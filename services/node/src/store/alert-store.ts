/**
 * The node's alert store: SQLite (better-sqlite3) in WAL mode, one file in the data directory.
 * Each alert is kept once, keyed on its id (INSERT OR IGNORE: a redelivery or a retried publish
 * changes nothing), with its SignedAlert envelope byte for byte, the verification record, the
 * header fields the inbox filters on and shows in its list, and, for a restricted alert this
 * country could read, its decrypted body (`clear_body`, an AlertBody). The alert's JSON view is
 * built from the envelope (and the clear body) when it is read (alert-view.ts alertJsonOf), not
 * stored: it was half of each row and a third of the CPU of storing one.
 *
 * Indexes, each with the query it serves (list() below: the inbox API `GET /alerts` and the
 * console's inbox, outbox and filters; every one ends in (issued_at, id) so that keyset
 * pagination stays a range scan however many alerts there are):
 * - alerts_by_time     (issued_at, id): the unfiltered list, newest first, and `since`;
 * - alerts_by_box      (box, …): inbox / outbox tabs (`box=`);
 * - alerts_by_kind     (kind, …), alerts_by_network (network, …), alerts_by_origin (origin, …),
 *   alerts_by_handling (handling, …): the list's `kind=`, `network=`, `origin=`, `handling=`;
 * - alerts_by_supersedes, alerts_by_retracts (partial, only rows that retract or supersede):
 *   the insert's look-up of a retraction or replacement that arrived before its original.
 * The primary key (id) serves get(), envelopeOf() and the duplicate check. See README.md.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { openDatabase } from '@enlace/service-kit/sqlite';
import type * as Database from '@enlace/service-kit/sqlite';

import {
  InformationCredibility,
  SourceReliability,
  alertBodyFromJson,
  decodeAlert,
  decodeSignedAlert,
  encodeAlertBody,
} from '@enlace/schema';
import type { Grading } from '@enlace/schema';

import { AlertSearchIndex, SEARCH_CONDITION, ftsQuery, searchableText } from './alert-search.js';

export const STORE_FILE = 'alerts.sqlite';

export type Box = 'inbox' | 'outbox';

/**
 * How commits reach the disk. `normal` (default): WAL without an fsync per commit; a committed
 * alert survives a crash or SIGKILL of the node, and a power cut may lose the last commits, as
 * the broker's own default (no fsync per message) may. `full`: an fsync per commit, for hosts
 * whose nats-server runs with `sync_interval: always`; each insert then blocks the event loop
 * for one fsync, which bounds the inbound rate.
 */
export type StoreSync = 'normal' | 'full';

/** How an alert was checked, as stored and shown with it. */
export interface VerificationRecord {
  readonly verifiedAt: string;
  readonly kid: string;
  /** Registry snapshot revision the alert was judged against. */
  readonly registryRevision: number;
  /** Policy rules that allowed it. */
  readonly rules: readonly string[];
  /** Whether the body could be read here: false for a restricted alert of other recipients. */
  readonly bodyReadable: boolean;
  readonly checks: readonly string[];
  /** The country that passed it on, for an alert received over a direct subject. */
  readonly forwardedBy?: string;
  /** The origin's consent (a verified grant) that came with a forwarded H2/H3 alert. */
  readonly consentId?: string;
}

export interface NewAlertRow {
  readonly id: string;
  readonly box: Box;
  readonly origin: string;
  readonly network: string;
  readonly kind: string;
  readonly handling: string;
  readonly tlp: string;
  /** Admiralty grading of the clear header, e.g. "B2"; '' when the alert has none. */
  readonly grading: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date | undefined;
  readonly title: string;
  readonly recipients: readonly string[];
  readonly supersedesId: string;
  readonly retractsId: string;
  readonly restricted: boolean;
  readonly readable: boolean;
  /**
   * A restricted alert's body as readable here (an encoded AlertBody: body, title and summary in
   * clear), when this country could decrypt it; undefined otherwise (the envelope holds the rest).
   */
  readonly clearBody: Uint8Array | undefined;
  readonly envelope: Uint8Array;
  readonly subject: string;
  readonly streamSeq: number | undefined;
  readonly verification: VerificationRecord;
  /** The words of the alert a search finds it by (alert-search.ts searchableText); not stored. */
  readonly searchText: string;
}

export interface StoredAlert extends Omit<NewAlertRow, 'searchText'> {
  readonly receivedAt: Date;
  readonly retractedBy: string | undefined;
  readonly supersededBy: string | undefined;
}

export interface AlertQuery {
  readonly box?: Box;
  readonly kind?: string;
  readonly network?: string;
  readonly origin?: string;
  readonly handling?: string;
  /** Issued at or after. */
  readonly since?: Date;
  /** Issued before (the end of a date range, exclusive). */
  readonly until?: Date;
  /** Admiralty source reliability, A to F (header.grading, in the clear on every alert). */
  readonly reliability?: string;
  /** Admiralty information credibility, 1 to 6. */
  readonly credibility?: string;
  /** Free text: every word (as a prefix) in the alert's searchable text (alert-search.ts). */
  readonly q?: string;
  /** Only alerts whose expires_at has passed (true) or not (false: none, or later) at `now`. */
  readonly expired?: boolean;
  /** The instant `expired` is judged at (default: the time of the call). */
  readonly now?: Date;
  /** Only alerts this country dismissed (true: the archive) or did not (false: the inbox). */
  readonly dismissed?: boolean;
  /** Opaque cursor from a previous page. */
  readonly cursor?: string;
  /** Default 50, at most 500. */
  readonly limit?: number;
}

export interface AlertPage {
  readonly items: readonly StoredAlert[];
  /** Cursor of the next page (older alerts), absent on the last page. */
  readonly next?: string;
}

/** What the insert's subqueries found: a retraction or replacement that arrived first. */
interface Marks {
  retracted_by: string | null;
  superseded_by: string | null;
}

interface Row {
  id: string;
  box: Box;
  origin: string;
  network: string;
  kind: string;
  handling: string;
  tlp: string;
  grading: string;
  issued_at: number;
  expires_at: number | null;
  received_at: number;
  title: string;
  recipients: string;
  supersedes_id: string;
  retracts_id: string;
  restricted: number;
  readable: number;
  clear_body: Buffer | null;
  envelope: Buffer;
  subject: string;
  stream_seq: number | null;
  verification: string;
  retracted_by: string | null;
  superseded_by: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alerts (
  id            TEXT PRIMARY KEY,
  box           TEXT NOT NULL CHECK (box IN ('inbox', 'outbox')),
  origin        TEXT NOT NULL,
  network       TEXT NOT NULL,
  kind          TEXT NOT NULL,
  handling      TEXT NOT NULL,
  tlp           TEXT NOT NULL,
  grading       TEXT NOT NULL DEFAULT '',
  issued_at     INTEGER NOT NULL,
  expires_at    INTEGER,
  received_at   INTEGER NOT NULL,
  title         TEXT NOT NULL,
  recipients    TEXT NOT NULL,
  supersedes_id TEXT NOT NULL,
  retracts_id   TEXT NOT NULL,
  restricted    INTEGER NOT NULL,
  readable      INTEGER NOT NULL,
  clear_body    BLOB,
  envelope      BLOB NOT NULL,
  subject       TEXT NOT NULL,
  stream_seq    INTEGER,
  verification  TEXT NOT NULL,
  retracted_by  TEXT,
  superseded_by TEXT
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS alerts_by_time     ON alerts (issued_at, id);
CREATE INDEX IF NOT EXISTS alerts_by_box      ON alerts (box, issued_at, id);
CREATE INDEX IF NOT EXISTS alerts_by_kind     ON alerts (kind, issued_at, id);
CREATE INDEX IF NOT EXISTS alerts_by_network  ON alerts (network, issued_at, id);
CREATE INDEX IF NOT EXISTS alerts_by_origin   ON alerts (origin, issued_at, id);
CREATE INDEX IF NOT EXISTS alerts_by_handling ON alerts (handling, issued_at, id);
CREATE INDEX IF NOT EXISTS alerts_by_supersedes ON alerts (supersedes_id) WHERE supersedes_id <> '';
CREATE INDEX IF NOT EXISTS alerts_by_retracts   ON alerts (retracts_id) WHERE retracts_id <> '';
CREATE TABLE IF NOT EXISTS receipts (
  alert_id     TEXT NOT NULL,
  from_country TEXT NOT NULL,
  status       TEXT NOT NULL,
  at           INTEGER NOT NULL,
  officer      TEXT,
  kid          TEXT NOT NULL,
  PRIMARY KEY (alert_id, from_country, status)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dismissals (
  alert_id TEXT PRIMARY KEY,
  at       INTEGER NOT NULL,
  officer  TEXT NOT NULL
) WITHOUT ROWID;
`;

/** A dismissal: this country's officers put the alert out of their inbox (reversible). */
export interface Dismissal {
  readonly at: Date;
  readonly officer: string;
}

/** A receipt as stored: who received or read which alert, when. */
export interface StoredReceipt {
  readonly alertId: string;
  readonly from: string;
  readonly status: string;
  readonly at: Date;
  readonly officer?: string;
  readonly kid: string;
}

export class AlertStore {
  readonly #db: Database.Database;
  readonly #search: AlertSearchIndex;
  readonly #insert: Database.Statement;
  readonly #replace: Database.Statement;
  readonly #insertReturning: Database.Statement<[Record<string, unknown>], Marks>;
  readonly #get: Database.Statement<[string], Row>;
  readonly #envelope: Database.Statement<[string], { box: Box; envelope: Buffer }>;
  readonly #markRetracted: Database.Statement;
  readonly #markSuperseded: Database.Statement;
  readonly #count: Database.Statement<[], { box: Box; n: number }>;
  readonly #dismiss: Database.Statement;
  readonly #undismiss: Database.Statement<[string]>;
  readonly #dismissal: Database.Statement<[string], { at: number; officer: string }>;
  readonly #insertReceipt: Database.Statement;
  readonly #receipts: Database.Statement<
    [string],
    { from_country: string; status: string; at: number; officer: string | null; kid: string }
  >;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#search = new AlertSearchIndex(db);
    // What a killed node left waiting to be indexed.
    this.#search.catchUp();
    const insertSql = (verb: string): string => `${verb} INTO alerts (
      id, box, origin, network, kind, handling, tlp, grading, issued_at, expires_at, received_at, title,
      recipients, supersedes_id, retracts_id, restricted, readable, clear_body, envelope, subject,
      stream_seq, verification, retracted_by, superseded_by
    ) VALUES (
      @id, @box, @origin, @network, @kind, @handling, @tlp, @grading, @issued_at, @expires_at, @received_at,
      @title, @recipients, @supersedes_id, @retracts_id, @restricted, @readable, @clear_body,
      @envelope, @subject, @stream_seq, @verification,
      (SELECT id FROM alerts WHERE retracts_id = @id AND retracts_id <> '' AND origin = @origin LIMIT 1),
      (SELECT id FROM alerts WHERE supersedes_id = @id AND supersedes_id <> '' AND origin = @origin LIMIT 1)
    )`;
    const insert = (verb: string): Database.Statement => db.prepare(insertSql(verb));
    this.#insert = insert('INSERT OR IGNORE');
    this.#replace = insert('INSERT OR REPLACE');
    // The same insert, answering with what the subqueries found (no read back of the row).
    this.#insertReturning = db.prepare<[Record<string, unknown>], Marks>(
      `${insertSql('INSERT OR IGNORE')} RETURNING retracted_by, superseded_by`,
    );
    this.#get = db.prepare<[string], Row>('SELECT * FROM alerts WHERE id = ?');
    this.#envelope = db.prepare<[string], { box: Box; envelope: Buffer }>(
      'SELECT box, envelope FROM alerts WHERE id = ?',
    );
    // Only an alert of the same origin may retract or supersede another.
    this.#markRetracted = db.prepare(
      'UPDATE alerts SET retracted_by = @by WHERE id = @id AND origin = @origin AND retracted_by IS NULL',
    );
    this.#markSuperseded = db.prepare(
      'UPDATE alerts SET superseded_by = @by WHERE id = @id AND origin = @origin AND superseded_by IS NULL',
    );
    this.#insertReceipt = db.prepare(
      `INSERT OR IGNORE INTO receipts (alert_id, from_country, status, at, officer, kid)
       VALUES (@alertId, @from, @status, @at, @officer, @kid)`,
    );
    this.#receipts = db.prepare(
      'SELECT from_country, status, at, officer, kid FROM receipts WHERE alert_id = ? ORDER BY at, from_country',
    );
    this.#dismiss = db.prepare(
      'INSERT OR IGNORE INTO dismissals (alert_id, at, officer) VALUES (@id, @at, @officer)',
    );
    this.#undismiss = db.prepare<[string]>('DELETE FROM dismissals WHERE alert_id = ?');
    this.#dismissal = db.prepare<[string], { at: number; officer: string }>(
      'SELECT at, officer FROM dismissals WHERE alert_id = ?',
    );
    this.#count = db.prepare<[], { box: Box; n: number }>(
      'SELECT box, count(*) AS n FROM alerts GROUP BY box',
    );
  }

  /** Opens (creating when missing) the store in `dataDir`. */
  static open(dataDir: string, options: { sync?: StoreSync } = {}): AlertStore {
    mkdirSync(dataDir, { recursive: true });
    const db = openDatabase(join(dataDir, STORE_FILE));
    // 16 KiB pages (a new store only; an existing one keeps its size): a row (a 1 KiB envelope
    // and its columns) fits in its B-tree page, where with 4 KiB pages each spilled into an
    // overflow page, written again with every commit; the commit took half the CPU (README).
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    // A checkpoint when the WAL holds about 4 MiB, as SQLite's default of 1,000 pages did at
    // 4 KiB, so that one checkpoint (a pause of the event loop) stays as long as it was.
    db.pragma(
      `wal_autocheckpoint = ${Math.ceil(4_096_000 / (db.pragma('page_size', { simple: true }) as number))}`,
    );
    db.exec(SCHEMA);
    migrateGrading(db);
    migrateAlertJson(db);
    return new AlertStore(db);
  }

  /**
   * Stores `row` unless an alert with its id is already there. Returns true when it was stored.
   * A retraction or supersession marks the earlier alert of the same origin, in one transaction.
   */
  insert(row: NewAlertRow, receivedAt = new Date()): boolean {
    return this.#write(this.#insert, row, receivedAt, false);
  }

  /**
   * Stores `row` in place of any alert with its id: for the origin's own copy, which holds the
   * clear body of a restricted alert that its own consumer may have stored header-only first.
   */
  replace(row: NewAlertRow, receivedAt = new Date()): void {
    this.#write(this.#replace, row, receivedAt, true);
  }

  /**
   * Stores each row unless an alert with its id is already there (or came earlier in `rows`), in
   * one transaction: one commit for all, which is what bounds a store that commits per alert.
   * Returns, for each row, the alert as stored, or undefined when its id was already there.
   * Throws when any row fails, and then stores none of them.
   */
  insertMany(rows: readonly NewAlertRow[], receivedAt = new Date()): Array<StoredAlert | undefined> {
    let results: Array<StoredAlert | undefined>;
    try {
      results = this.#db.transaction(() =>
        rows.map((row): StoredAlert | undefined => {
          const marks = this.#insertReturning.get(this.#params(row, receivedAt));
          if (marks === undefined) return undefined;
          this.#mark(row);
          this.#search.add(row.id, row.searchText);
          return stored(row, receivedAt, marks);
        }),
      )();
    } catch (error) {
      this.#search.recount();
      throw error;
    }
    this.#search.committed();
    return results;
  }

  #params(row: NewAlertRow, receivedAt: Date): Record<string, unknown> {
    return {
      id: row.id,
      box: row.box,
      origin: row.origin,
      network: row.network,
      kind: row.kind,
      handling: row.handling,
      tlp: row.tlp,
      grading: row.grading,
      issued_at: row.issuedAt.getTime(),
      expires_at: row.expiresAt?.getTime() ?? null,
      received_at: receivedAt.getTime(),
      title: row.title,
      recipients: JSON.stringify(row.recipients),
      supersedes_id: row.supersedesId,
      retracts_id: row.retractsId,
      restricted: row.restricted ? 1 : 0,
      readable: row.readable ? 1 : 0,
      clear_body: row.clearBody === undefined ? null : bufferOf(row.clearBody),
      envelope: bufferOf(row.envelope),
      subject: row.subject,
      stream_seq: row.streamSeq ?? null,
      verification: JSON.stringify(row.verification),
    };
  }

  /** A retraction or supersession marks the earlier alert of the same origin. */
  #mark(row: NewAlertRow): void {
    if (row.retractsId !== '')
      this.#markRetracted.run({ id: row.retractsId, origin: row.origin, by: row.id });
    if (row.supersedesId !== '')
      this.#markSuperseded.run({ id: row.supersedesId, origin: row.origin, by: row.id });
  }

  #write(statement: Database.Statement, row: NewAlertRow, receivedAt: Date, replace: boolean): boolean {
    let written: boolean;
    try {
      written = this.#db.transaction(() => {
        const result = statement.run(this.#params(row, receivedAt));
        if (result.changes === 0) return false;
        this.#mark(row);
        if (replace) this.#search.replace(row.id, row.searchText);
        else this.#search.add(row.id, row.searchText);
        return true;
      })();
    } catch (error) {
      this.#search.recount();
      throw error;
    }
    this.#search.committed();
    return written;
  }

  get(id: string): StoredAlert | undefined {
    const row = this.#get.get(id);
    return row === undefined ? undefined : fromRow(row);
  }

  /** The box and SignedAlert envelope of an alert, without reading the rest of it. */
  envelopeOf(id: string): { readonly box: Box; readonly envelope: Uint8Array } | undefined {
    return this.#envelope.get(id);
  }

  has(id: string): boolean {
    return this.#get.get(id) !== undefined;
  }

  /** Alerts newest first (by issued_at, then id), filtered, one page at a time. */
  list(query: AlertQuery): AlertPage {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: limit + 1 };
    for (const field of ['box', 'kind', 'network', 'origin', 'handling'] as const) {
      const value = query[field];
      if (value !== undefined) {
        where.push(`${field} = @${field}`);
        params[field] = value;
      }
    }
    if (query.since !== undefined) {
      where.push('issued_at >= @since');
      params['since'] = query.since.getTime();
    }
    if (query.until !== undefined) {
      where.push('issued_at < @until');
      params['until'] = query.until.getTime();
    }
    // The grading is in the clear header of every alert (restricted ones too), so a reader who
    // sees only the header may filter by it.
    if (query.reliability !== undefined) {
      where.push('substr(grading, 1, 1) = @reliability');
      params['reliability'] = query.reliability;
    }
    if (query.credibility !== undefined) {
      where.push('substr(grading, 2, 1) = @credibility');
      params['credibility'] = query.credibility;
    }
    if (query.q !== undefined) {
      // Every alert stored so far is found: what waits to be indexed is indexed first.
      this.#search.catchUp();
      // Nothing searchable typed (only punctuation): no alert matches.
      where.push(SEARCH_CONDITION);
      params['q'] = ftsQuery(query.q) ?? '""';
    }
    if (query.expired !== undefined) {
      where.push(
        query.expired
          ? '(expires_at IS NOT NULL AND expires_at <= @now)'
          : '(expires_at IS NULL OR expires_at > @now)',
      );
      params['now'] = (query.now ?? new Date()).getTime();
    }
    if (query.dismissed !== undefined)
      where.push(
        `${query.dismissed ? '' : 'NOT '}EXISTS (SELECT 1 FROM dismissals WHERE dismissals.alert_id = alerts.id)`,
      );
    if (query.cursor !== undefined) {
      const { issuedAt, id } = decodeCursor(query.cursor);
      where.push('(issued_at < @c_at OR (issued_at = @c_at AND id < @c_id))');
      params['c_at'] = issuedAt;
      params['c_id'] = id;
    }
    const sql =
      `SELECT * FROM alerts ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ` +
      'ORDER BY issued_at DESC, id DESC LIMIT @limit';
    const rows = this.#db.prepare<[Record<string, unknown>], Row>(sql).all(params);
    const items = rows.slice(0, limit).map(fromRow);
    const last = items[items.length - 1];
    return rows.length > limit && last !== undefined
      ? { items, next: encodeCursor(last.issuedAt.getTime(), last.id) }
      : { items };
  }

  /** Stores a receipt unless the same (alert, country, status) is there; true when stored. */
  insertReceipt(receipt: StoredReceipt): boolean {
    return (
      this.#insertReceipt.run({
        alertId: receipt.alertId,
        from: receipt.from,
        status: receipt.status,
        at: receipt.at.getTime(),
        officer: receipt.officer ?? null,
        kid: receipt.kid,
      }).changes > 0
    );
  }

  /**
   * Stores receipts in one transaction (one commit), each unless the same (alert, country,
   * status) is there; answers how many were stored. All or none: an error rolls them all back.
   */
  insertReceipts(receipts: readonly StoredReceipt[]): number {
    if (receipts.length === 0) return 0;
    if (receipts.length === 1) return this.insertReceipt(receipts[0]!) ? 1 : 0;
    return this.#db.transaction(() => {
      let stored = 0;
      for (const receipt of receipts) if (this.insertReceipt(receipt)) stored++;
      return stored;
    })();
  }

  receipts(alertId: string): StoredReceipt[] {
    return this.#receipts.all(alertId).map((r) => ({
      alertId,
      from: r.from_country,
      status: r.status,
      at: new Date(r.at),
      ...(r.officer !== null && { officer: r.officer }),
      kid: r.kid,
    }));
  }

  /**
   * Dismisses a stored alert for this country (kept, searchable in the archive); false when it
   * was dismissed already (the first dismissal stands) or is not stored.
   */
  dismiss(id: string, officer: string, at = new Date()): boolean {
    if (!this.has(id)) return false;
    return this.#dismiss.run({ id, at: at.getTime(), officer }).changes > 0;
  }

  /** Undoes a dismissal; false when the alert was not dismissed. */
  undismiss(id: string): boolean {
    return this.#undismiss.run(id).changes > 0;
  }

  dismissal(id: string): Dismissal | undefined {
    const row = this.#dismissal.get(id);
    return row === undefined ? undefined : { at: new Date(row.at), officer: row.officer };
  }

  counts(): Record<Box, number> {
    const out: Record<Box, number> = { inbox: 0, outbox: 0 };
    for (const { box, n } of this.#count.all()) out[box] = n;
    return out;
  }

  /** Indexes for search, now, what waits to be (it is otherwise done behind the commits). */
  indexPending(): void {
    this.#search.catchUp();
  }

  close(): void {
    if (!this.#db.open) return;
    this.#search.catchUp();
    this.#search.stop();
    this.#db.close();
  }
}

/** Thrown by list() for a cursor it did not make. */
export class InvalidCursorError extends Error {
  constructor() {
    super('the cursor is not one this node returned');
    this.name = 'InvalidCursorError';
  }
}

function encodeCursor(issuedAt: number, id: string): string {
  return Buffer.from(`${issuedAt}:${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { issuedAt: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(-?\d{1,16}):([0-9a-f-]{36})$/.exec(text);
  if (match === null) throw new InvalidCursorError();
  return { issuedAt: Number(match[1]), id: match[2]! };
}

function fromRow(row: Row): StoredAlert {
  return {
    id: row.id,
    box: row.box,
    origin: row.origin,
    network: row.network,
    kind: row.kind,
    handling: row.handling,
    tlp: row.tlp,
    grading: row.grading,
    issuedAt: new Date(row.issued_at),
    expiresAt: row.expires_at === null ? undefined : new Date(row.expires_at),
    receivedAt: new Date(row.received_at),
    title: row.title,
    recipients: JSON.parse(row.recipients) as string[],
    supersedesId: row.supersedes_id,
    retractsId: row.retracts_id,
    restricted: row.restricted === 1,
    readable: row.readable === 1,
    clearBody: row.clear_body === null ? undefined : new Uint8Array(row.clear_body),
    envelope: new Uint8Array(row.envelope),
    subject: row.subject,
    streamSeq: row.stream_seq ?? undefined,
    verification: JSON.parse(row.verification) as VerificationRecord,
    retractedBy: row.retracted_by ?? undefined,
    supersededBy: row.superseded_by ?? undefined,
  };
}

/** A view of `bytes` as a Buffer (what better-sqlite3 binds as a BLOB), without a copy. */
function bufferOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** The alert as stored, from the row just inserted: nothing read back. */
function stored(row: NewAlertRow, receivedAt: Date, marks: Marks): StoredAlert {
  return {
    id: row.id,
    box: row.box,
    origin: row.origin,
    network: row.network,
    kind: row.kind,
    handling: row.handling,
    tlp: row.tlp,
    grading: row.grading,
    issuedAt: row.issuedAt,
    expiresAt: row.expiresAt,
    receivedAt,
    title: row.title,
    recipients: row.recipients,
    supersedesId: row.supersedesId,
    retractsId: row.retractsId,
    restricted: row.restricted,
    readable: row.readable,
    clearBody: row.clearBody,
    envelope: row.envelope,
    subject: row.subject,
    streamSeq: row.streamSeq,
    verification: row.verification,
    retractedBy: marks.retracted_by ?? undefined,
    supersededBy: marks.superseded_by ?? undefined,
  };
}

/**
 * A store written before alerts kept their grading in a column gets it, filled from the stored
 * JSON view when the store still has one (migrateAlertJson then drops it), else from each
 * envelope's clear header; in one transaction.
 */
function migrateGrading(db: Database.Database): void {
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(alerts)').all();
  if (columns.some((c) => c.name === 'grading')) return;
  db.transaction(() => {
    db.exec("ALTER TABLE alerts ADD COLUMN grading TEXT NOT NULL DEFAULT ''");
    const set = db.prepare<[string, string]>('UPDATE alerts SET grading = ? WHERE id = ?');
    if (columns.some((c) => c.name === 'alert_json')) {
      const rows = db
        .prepare<[], { id: string; alert_json: string }>('SELECT id, alert_json FROM alerts')
        .all();
      for (const row of rows) {
        const header = (JSON.parse(row.alert_json) as { header?: { grading?: Record<string, unknown> } })
          .header;
        const source = /_([A-F])$/.exec(String(header?.grading?.['sourceReliability'] ?? ''))?.[1];
        const info = /_([1-6])$/.exec(String(header?.grading?.['informationCredibility'] ?? ''))?.[1];
        if (source !== undefined && info !== undefined) set.run(`${source}${info}`, row.id);
      }
      return;
    }
    const rows = db.prepare<[], { id: string; envelope: Buffer }>('SELECT id, envelope FROM alerts').all();
    for (const row of rows) {
      const grading = gradingCode(
        decodeAlert(decodeSignedAlert(new Uint8Array(row.envelope)).alert).header?.grading,
      );
      if (grading !== '') set.run(grading, row.id);
    }
  })();
}

/** "B2" from a header's Admiralty grading; '' when either half is missing. */
export function gradingCode(grading: Grading | undefined): string {
  const source = SourceReliability[grading?.sourceReliability ?? 0]?.replace(/^SOURCE_RELIABILITY_/, '');
  const info = InformationCredibility[grading?.informationCredibility ?? 0]?.replace(
    /^INFORMATION_CREDIBILITY_/,
    '',
  );
  return source !== undefined && /^[A-F]$/.test(source) && info !== undefined && /^[1-6]$/.test(info)
    ? `${source}${info}`
    : '';
}

/**
 * A store written before the JSON view was built at read time kept it in `alert_json`: the
 * searchable text is taken from it for a store that had no search table yet, a restricted
 * alert's clear body (body, title and summary, which the envelope holds encrypted) is moved to
 * `clear_body`, and the column is dropped, in one transaction. Every other part of the view is
 * the envelope's.
 */
function migrateAlertJson(db: Database.Database): void {
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(alerts)').all();
  if (!columns.some((c) => c.name === 'alert_json')) return;
  db.transaction(() => {
    if (!columns.some((c) => c.name === 'clear_body'))
      db.exec('ALTER TABLE alerts ADD COLUMN clear_body BLOB');
    const searchExisted =
      db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'alerts_search'").get() !== undefined;
    const search = new AlertSearchIndex(db);
    const rows = db
      .prepare<[], { id: string; restricted: number; readable: number; alert_json: string }>(
        'SELECT id, restricted, readable, alert_json FROM alerts',
      )
      .all();
    const setClear = db.prepare<[Buffer, string]>('UPDATE alerts SET clear_body = ? WHERE id = ?');
    for (const row of rows) {
      const json = JSON.parse(row.alert_json) as Record<string, unknown>;
      if (!searchExisted) search.add(row.id, searchableText(json));
      if (row.restricted === 1 && row.readable === 1) {
        const { header, ...body } = json as { header?: { title?: unknown; summary?: unknown } };
        const clear = alertBodyFromJson({
          ...body,
          ...(header?.title !== undefined && { title: header.title }),
          ...(header?.summary !== undefined && { summary: header.summary }),
        });
        setClear.run(bufferOf(encodeAlertBody(clear)), row.id);
      }
    }
    db.exec('ALTER TABLE alerts DROP COLUMN alert_json');
  })();
}
