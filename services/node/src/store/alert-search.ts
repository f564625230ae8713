/**
 * Free-text search of the node's alerts: an SQLite FTS5 table beside `alerts`, holding for each
 * alert only the words an officer searches by (title, summary, place names, document series,
 * modus operandi, descriptions), taken from the alert as this country reads it (its decoded
 * message, or its JSON for a store written before), so a restricted body the country cannot read
 * is never indexed, and no digest, number or enum value is either (only the string values of the
 * keys of SEARCHABLE_KEYS). The words are written in the transaction of the alert's insert, from
 * the text toRow took (no decoding), and indexed behind, many alerts at a time (AlertSearchIndex).
 */
import type * as Database from '@enlace/service-kit/sqlite';

/** The keys whose string values are searchable text, wherever they appear in the alert JSON. */
export const SEARCHABLE_KEYS: ReadonlySet<string> = new Set([
  'title',
  'summary',
  'place',
  'series',
  'modusOperandi',
  'description',
  'features',
  'notes',
]);

/** Largest text indexed per alert (the schema bounds each field; this bounds their sum). */
const MAX_TEXT = 16_384;

export const SEARCH_SCHEMA = `
CREATE VIRTUAL TABLE IF NOT EXISTS alerts_search USING fts5(
  id UNINDEXED,
  text,
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS alerts_search_pending (
  seq  INTEGER PRIMARY KEY,
  id   TEXT NOT NULL,
  text TEXT NOT NULL
);
`;

/**
 * The searchable text of an alert, as its ts-proto message or its JSON (the same words: the
 * string values of SEARCHABLE_KEYS, one per line, which both forms hold under the same names).
 */
export function searchableText(alert: unknown): string {
  const out: string[] = [];
  let size = 0;
  const walk = (value: unknown, key: string | undefined): void => {
    if (size > MAX_TEXT) return;
    if (typeof value === 'string') {
      if (key !== undefined && SEARCHABLE_KEYS.has(key) && value.trim() !== '') {
        out.push(value);
        size += value.length;
      }
    } else if (value instanceof Date || ArrayBuffer.isView(value)) {
      // A timestamp or bytes field of the message form: no words.
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item, key);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, k);
    }
  };
  walk(alert, undefined);
  return out.join('\n').slice(0, MAX_TEXT);
}

/**
 * An FTS5 query for what a person typed: each word quoted (so no FTS syntax gets through) and
 * matched as a prefix, all words required. Undefined when nothing searchable is left.
 */
export function ftsQuery(text: string): string | undefined {
  const words = text
    .normalize('NFC')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w !== '')
    .slice(0, 16);
  if (words.length === 0) return undefined;
  return words.map((w) => `"${w}"*`).join(' AND ');
}

/** Alerts written before the search table is brought up to date with them, at most. */
const CATCH_UP_ROWS = 512;
/** How long an alert may wait to be indexed when fewer than CATCH_UP_ROWS do. */
const CATCH_UP_MS = 50;

/**
 * The statements the store runs to keep the search table in step with `alerts`. An alert's words
 * are written, in its own transaction, to `alerts_search_pending` (one small row), and moved into
 * the FTS table behind, many at a time: an FTS5 insert writes a new segment with every
 * transaction (about 80 µs of CPU per commit of one alert, 15 per alert in commits of 8, measured
 * in README.md), so the group commit of the inbound path paid it again with every small batch.
 * Nothing is lost: the pending rows are committed with their alert and moved in one transaction
 * (at most CATCH_UP_MS later, at once when CATCH_UP_ROWS wait, when the store opens after a kill
 * and when it closes), and a search first moves whatever waits, so it always sees every alert.
 */
export class AlertSearchIndex {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[string, string]>;
  readonly #delete: Database.Statement<[string]>;
  readonly #deletePending: Database.Statement<[string]>;
  readonly #move: Database.Statement;
  readonly #clearPending: Database.Statement;
  #pending: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(db: Database.Database) {
    this.#db = db;
    db.exec(SEARCH_SCHEMA);
    this.#insert = db.prepare<[string, string]>('INSERT INTO alerts_search_pending (id, text) VALUES (?, ?)');
    this.#delete = db.prepare<[string]>('DELETE FROM alerts_search WHERE id = ?');
    this.#deletePending = db.prepare<[string]>('DELETE FROM alerts_search_pending WHERE id = ?');
    this.#move = db.prepare(
      'INSERT INTO alerts_search (id, text) SELECT id, text FROM alerts_search_pending ORDER BY seq',
    );
    this.#clearPending = db.prepare('DELETE FROM alerts_search_pending');
    this.#pending = (
      db.prepare<[], { n: number }>('SELECT count(*) AS n FROM alerts_search_pending').get() ?? { n: 0 }
    ).n;
  }

  /** Indexes an alert just inserted (in the caller's transaction). */
  add(id: string, text: string): void {
    if (text === '') return;
    this.#insert.run(id, text);
    this.#pending++;
  }

  /** Indexes an alert stored in place of another copy (in the caller's transaction). */
  replace(id: string, text: string): void {
    this.#delete.run(id);
    this.#pending -= this.#deletePending.run(id).changes;
    this.add(id, text);
  }

  /** After the caller's transaction committed: moves the words behind, or now when many wait. */
  committed(): void {
    if (this.#pending >= CATCH_UP_ROWS) this.catchUp();
    else if (this.#pending > 0 && this.#timer === undefined) {
      this.#timer = setTimeout(() => this.catchUp(), CATCH_UP_MS);
      this.#timer.unref();
    }
  }

  /** Moves every waiting alert's words into the FTS table, in one transaction. */
  catchUp(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending === 0 || !this.#db.open) return;
    this.#db.transaction(() => {
      this.#move.run();
      this.#clearPending.run();
    })();
    this.#pending = 0;
  }

  /** Counts what waits again (after a transaction that rolled back what add() counted). */
  recount(): void {
    this.#pending = (
      this.#db.prepare<[], { n: number }>('SELECT count(*) AS n FROM alerts_search_pending').get() ?? { n: 0 }
    ).n;
  }

  /** Stops the timer (the store closes; what waits is moved on the next open). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/** The SQL condition on `alerts` for a search (parameter @q). */
export const SEARCH_CONDITION = 'id IN (SELECT id FROM alerts_search WHERE alerts_search MATCH @q)';
