/**
 * Free-text search of the node's alerts: an SQLite FTS5 table beside `alerts`, holding for each
 * alert only the words an officer searches by (title, summary, place names, document series,
 * modus operandi, descriptions), taken from the alert JSON as this country stored it, so a
 * restricted body the country cannot read is never indexed, and no digest, number or enum value
 * is either (only the keys of SEARCHABLE_KEYS). The row is written in the transaction of the
 * alert's insert, from fields already built (no decoding): one extra FTS insert per alert.
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
`;

/** The searchable text of an alert's JSON: the values of SEARCHABLE_KEYS, one per line. */
export function searchableText(alertJson: unknown): string {
  const out: string[] = [];
  let size = 0;
  const walk = (value: unknown, key: string | undefined): void => {
    if (size > MAX_TEXT) return;
    if (typeof value === 'string') {
      if (key !== undefined && SEARCHABLE_KEYS.has(key) && value.trim() !== '') {
        out.push(value);
        size += value.length;
      }
    } else if (Array.isArray(value)) {
      for (const item of value) walk(item, key);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) walk(v, k);
    }
  };
  walk(alertJson, undefined);
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

/** The statements the store runs to keep the search table in step with `alerts`. */
export class AlertSearchIndex {
  readonly #insert: Database.Statement<[string, string]>;
  readonly #delete: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    const existed =
      db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'alerts_search'").get() !== undefined;
    db.exec(SEARCH_SCHEMA);
    this.#insert = db.prepare<[string, string]>('INSERT INTO alerts_search (id, text) VALUES (?, ?)');
    this.#delete = db.prepare<[string]>('DELETE FROM alerts_search WHERE id = ?');
    // A store made before search existed: index what it holds, once.
    if (!existed) {
      const rows = db.prepare<[], { id: string; alert_json: string }>('SELECT id, alert_json FROM alerts');
      db.transaction(() => {
        for (const row of rows.iterate()) this.add(row.id, JSON.parse(row.alert_json) as unknown);
      })();
    }
  }

  /** Indexes an alert just inserted (in the caller's transaction). */
  add(id: string, alertJson: unknown): void {
    const text = searchableText(alertJson);
    if (text !== '') this.#insert.run(id, text);
  }

  /** Indexes an alert stored in place of another copy. */
  replace(id: string, alertJson: unknown): void {
    this.#delete.run(id);
    this.add(id, alertJson);
  }
}

/** The SQL condition on `alerts` for a search (parameter @q). */
export const SEARCH_CONDITION = 'id IN (SELECT id FROM alerts_search WHERE alerts_search MATCH @q)';
