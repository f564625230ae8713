/**
 * The node's store of requests for information, replies and consents (enlace.rfi.v1): SQLite
 * (better-sqlite3, WAL) in its own file next to the alert store, so that its tables never meet
 * the alert tables or their full-text index. Three tables:
 *
 * - `rfi_messages`: each message once (INSERT OR IGNORE on its id: a redelivery changes nothing),
 *   with its SignedRequest envelope byte for byte and the body as this node can read it;
 * - `rfi_threads`: one row per thread, its state (open → answered → closed, or withdrawn) moved
 *   by the messages stored, in the same transaction; overdue is judged at read time (an open
 *   thread past its due time);
 * - `rfi_consents`: the originator's decisions on onward use, the grant's envelope kept to travel
 *   with a forward;
 * - `rfi_deliveries`: for each message this node sends, one row per addressed country, pending
 *   until JetStream stored its copy: written with the message, before the first publish, so a
 *   send that partly fails (or a node that stops mid-send) leaves what is still owed, retried;
 * - `rfi_search`: FTS5 over the subject and text of the messages this node can read (its own and
 *   those addressed to it, decrypted here), in its own file: never another country's, never a
 *   digest or a reference.
 *
 * A message is acknowledged to JetStream only once its transaction committed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { openDatabase } from '@enlace/service-kit/sqlite';
import type * as Database from '@enlace/service-kit/sqlite';

import { ftsQuery } from './alert-search.js';
import type { StoreSync } from './alert-store.js';

export const REQUEST_STORE_FILE = 'requests.sqlite';

export type RequestBox = 'inbox' | 'outbox';
export type RequestMessageType = 'information' | 'reply' | 'consent' | 'consent_decision';
export type ThreadStatus = 'open' | 'answered' | 'closed' | 'withdrawn';
export type PriorityName = 'routine' | 'urgent' | 'threat_to_life';
export const PRIORITY_NAMES: readonly PriorityName[] = ['routine', 'urgent', 'threat_to_life'];
export const THREAD_STATUSES: readonly ThreadStatus[] = ['open', 'answered', 'closed', 'withdrawn'];

/** What a person wrote, as readable here (the decrypted body). */
export interface RequestText {
  readonly subject: string;
  readonly text: string;
  readonly references: {
    readonly alertIds: readonly string[];
    readonly documentSeries: readonly string[];
    readonly keyedDigests: readonly unknown[];
  };
}

export interface NewRequestMessage {
  readonly id: string;
  readonly threadId: string;
  readonly box: RequestBox;
  readonly type: RequestMessageType;
  readonly from: string;
  readonly to: readonly string[];
  readonly issuedAt: Date;
  readonly inReplyTo: string;
  readonly handling: string;
  readonly tlp: string;
  /** The header and content of the Request in JSON, without the encrypted body. */
  readonly content: Readonly<Record<string, unknown>>;
  /** Undefined when the body could not be opened here. */
  readonly body: RequestText | undefined;
  readonly envelope: Uint8Array;
  readonly kid: string;
  /** For the first message of a thread. */
  readonly priority?: PriorityName;
  readonly dueAt?: Date | undefined;
  readonly expiresAt?: Date | undefined;
  /** A reply that closes the thread; a withdrawal by its opener. */
  readonly closes?: boolean;
  readonly withdraws?: boolean;
}

export interface StoredRequestMessage extends NewRequestMessage {
  readonly receivedAt: Date;
}

export interface StoredThread {
  readonly id: string;
  readonly box: RequestBox;
  readonly type: RequestMessageType;
  readonly from: string;
  readonly to: readonly string[];
  readonly priority: PriorityName;
  readonly dueAt: Date | undefined;
  readonly expiresAt: Date | undefined;
  readonly status: ThreadStatus;
  readonly overdue: boolean;
  readonly openedAt: Date;
  readonly lastAt: Date;
  readonly messages: number;
  /** The subject as readable here; undefined when not. */
  readonly subject: string | undefined;
}

export interface ThreadQuery {
  readonly box?: RequestBox;
  readonly status?: ThreadStatus;
  readonly priority?: PriorityName;
  readonly type?: 'information' | 'consent';
  readonly overdue?: boolean;
  /** Threads this country exchanges with: from or to. */
  readonly country?: string;
  /** Free text: threads with a message whose subject or text has every word (prefix match). */
  readonly q?: string;
  readonly now?: Date;
  readonly cursor?: string;
  /** Default 50, at most 500. */
  readonly limit?: number;
}

export interface ConsentRecord {
  readonly id: string;
  readonly consentRequestId: string;
  readonly alertId: string;
  readonly grantedBy: string;
  readonly holder: string;
  readonly toCountry: string;
  readonly purpose: string;
  readonly granted: boolean;
  readonly issuedAt: Date;
  /** After it the grant no longer holds (receivers refuse it too). */
  readonly expiresAt?: Date | undefined;
  readonly envelope: Uint8Array;
}

export type DeliveryStatus = 'pending' | 'stored';

/** One addressed country's copy of a message this node sent. */
export interface Delivery {
  readonly messageId: string;
  readonly to: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** Why the last attempt failed (a transport error: subjects and ids, never the text). */
  readonly lastError?: string;
  readonly storedAt?: Date;
}

export class InvalidThreadCursorError extends Error {
  constructor() {
    super('the cursor is not one this node gave');
    this.name = 'InvalidThreadCursorError';
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS rfi_messages (
  id TEXT PRIMARY KEY,
  thread_id TEXT NOT NULL,
  box TEXT NOT NULL,
  type TEXT NOT NULL,
  from_country TEXT NOT NULL,
  to_countries TEXT NOT NULL,
  issued_at INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  in_reply_to TEXT NOT NULL,
  handling TEXT NOT NULL,
  tlp TEXT NOT NULL,
  content_json TEXT NOT NULL,
  body_json TEXT,
  envelope BLOB NOT NULL,
  kid TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS rfi_messages_thread ON rfi_messages (thread_id, issued_at, id);
CREATE TABLE IF NOT EXISTS rfi_threads (
  id TEXT PRIMARY KEY,
  box TEXT NOT NULL,
  type TEXT NOT NULL,
  from_country TEXT NOT NULL,
  to_countries TEXT NOT NULL,
  priority TEXT NOT NULL,
  due_at INTEGER,
  expires_at INTEGER,
  status TEXT NOT NULL,
  opened_at INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  messages INTEGER NOT NULL,
  subject TEXT
);
CREATE INDEX IF NOT EXISTS rfi_threads_opened ON rfi_threads (opened_at, id);
CREATE TABLE IF NOT EXISTS rfi_consents (
  id TEXT PRIMARY KEY,
  consent_request_id TEXT NOT NULL,
  alert_id TEXT NOT NULL,
  granted_by TEXT NOT NULL,
  holder TEXT NOT NULL,
  to_country TEXT NOT NULL,
  purpose TEXT NOT NULL,
  granted INTEGER NOT NULL,
  issued_at INTEGER NOT NULL,
  expires_at INTEGER,
  envelope BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS rfi_consents_alert ON rfi_consents (alert_id, holder, to_country, issued_at);
CREATE TABLE IF NOT EXISTS rfi_deliveries (
  message_id TEXT NOT NULL,
  dest TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  last_error TEXT,
  stored_at INTEGER,
  PRIMARY KEY (message_id, dest)
);
CREATE INDEX IF NOT EXISTS rfi_deliveries_pending ON rfi_deliveries (status, message_id);
CREATE VIRTUAL TABLE IF NOT EXISTS rfi_search USING fts5(
  message_id UNINDEXED,
  thread_id UNINDEXED,
  text,
  tokenize = 'unicode61 remove_diacritics 2'
);
`;

interface DeliveryRow {
  message_id: string;
  dest: string;
  status: DeliveryStatus;
  attempts: number;
  last_error: string | null;
  stored_at: number | null;
}

interface MessageRow {
  id: string;
  thread_id: string;
  box: RequestBox;
  type: RequestMessageType;
  from_country: string;
  to_countries: string;
  issued_at: number;
  received_at: number;
  in_reply_to: string;
  handling: string;
  tlp: string;
  content_json: string;
  body_json: string | null;
  envelope: Buffer;
  kid: string;
}

interface ThreadRow {
  id: string;
  box: RequestBox;
  type: RequestMessageType;
  from_country: string;
  to_countries: string;
  priority: PriorityName;
  due_at: number | null;
  expires_at: number | null;
  status: ThreadStatus;
  opened_at: number;
  last_at: number;
  messages: number;
  subject: string | null;
}

interface ConsentRow {
  id: string;
  consent_request_id: string;
  alert_id: string;
  granted_by: string;
  holder: string;
  to_country: string;
  purpose: string;
  granted: number;
  issued_at: number;
  expires_at: number | null;
  envelope: Buffer;
}

export class RequestStore {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Opens (creating when missing) the store in `dataDir`. */
  static open(dataDir: string, options: { sync?: StoreSync } = {}): RequestStore {
    mkdirSync(dataDir, { recursive: true });
    const db = openDatabase(join(dataDir, REQUEST_STORE_FILE));
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
    db.pragma('busy_timeout = 5000');
    const searched = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'rfi_search'").get() !== undefined;
    db.exec(SCHEMA);
    // A store made before search existed: index the readable messages it holds, once.
    if (!searched)
      db.exec(`INSERT INTO rfi_search (message_id, thread_id, text)
        SELECT id, thread_id, trim(coalesce(json_extract(body_json, '$.subject'), '') || char(10) ||
          coalesce(json_extract(body_json, '$.text'), ''))
        FROM rfi_messages WHERE body_json IS NOT NULL`);
    return new RequestStore(db);
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /**
   * Stores a message and moves its thread, in one transaction; with `consent`, the decision too.
   * Returns false (and changes nothing) when a message with its id is there already.
   */
  insert(
    message: NewRequestMessage,
    consent?: ConsentRecord,
    receivedAt = new Date(),
    deliveries: readonly string[] = [],
  ): boolean {
    return this.#db.transaction(() => {
      const inserted = this.#db
        .prepare(
          `INSERT OR IGNORE INTO rfi_messages (id, thread_id, box, type, from_country, to_countries, issued_at,
             received_at, in_reply_to, handling, tlp, content_json, body_json, envelope, kid)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          message.id,
          message.threadId,
          message.box,
          message.type,
          message.from,
          JSON.stringify(message.to),
          message.issuedAt.getTime(),
          receivedAt.getTime(),
          message.inReplyTo,
          message.handling,
          message.tlp,
          JSON.stringify(message.content),
          message.body === undefined ? null : JSON.stringify(message.body),
          Buffer.from(message.envelope),
          message.kid,
        );
      if (inserted.changes === 0) return false;
      this.#moveThread(message);
      const searchable = [message.body?.subject ?? '', message.body?.text ?? '']
        .filter((t) => t.trim() !== '')
        .join('\n');
      if (searchable !== '')
        this.#db
          .prepare('INSERT INTO rfi_search (message_id, thread_id, text) VALUES (?, ?, ?)')
          .run(message.id, message.threadId, searchable);
      for (const dest of deliveries)
        this.#db
          .prepare(
            "INSERT OR IGNORE INTO rfi_deliveries (message_id, dest, status, attempts) VALUES (?, ?, 'pending', 0)",
          )
          .run(message.id, dest);
      if (consent !== undefined)
        this.#db
          .prepare(
            `INSERT OR IGNORE INTO rfi_consents (id, consent_request_id, alert_id, granted_by, holder, to_country,
               purpose, granted, issued_at, expires_at, envelope) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            consent.id,
            consent.consentRequestId,
            consent.alertId,
            consent.grantedBy,
            consent.holder,
            consent.toCountry,
            consent.purpose,
            consent.granted ? 1 : 0,
            consent.issuedAt.getTime(),
            consent.expiresAt?.getTime() ?? null,
            Buffer.from(consent.envelope),
          );
      return true;
    })();
  }

  #moveThread(m: NewRequestMessage): void {
    const thread = this.#db
      .prepare<[string], ThreadRow>('SELECT * FROM rfi_threads WHERE id = ?')
      .get(m.threadId);
    const at = m.issuedAt.getTime();
    if (thread === undefined) {
      // The opener, or (a reply whose thread this node never saw) a thread begun by the reply.
      const opener = m.type === 'information' || m.type === 'consent';
      this.#db
        .prepare(
          `INSERT INTO rfi_threads (id, box, type, from_country, to_countries, priority, due_at, expires_at,
             status, opened_at, last_at, messages, subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`,
        )
        .run(
          m.threadId,
          m.box,
          opener ? m.type : 'information',
          m.from,
          JSON.stringify(m.to),
          m.priority ?? 'routine',
          m.dueAt?.getTime() ?? null,
          m.expiresAt?.getTime() ?? null,
          opener ? 'open' : m.closes === true ? 'closed' : 'answered',
          at,
          at,
          m.body?.subject ?? null,
        );
      return;
    }
    let status = thread.status;
    if (status !== 'withdrawn' && status !== 'closed') {
      if (m.withdraws === true && m.from === thread.from_country) status = 'withdrawn';
      else if (m.closes === true) status = 'closed';
      else if (m.from !== thread.from_country) status = 'answered';
    }
    this.#db
      .prepare(
        'UPDATE rfi_threads SET status = ?, last_at = MAX(last_at, ?), messages = messages + 1 WHERE id = ?',
      )
      .run(status, at, m.threadId);
  }

  /** Records one attempt to publish `messageId` to `dest`: stored, or failed with `error`. */
  recordDelivery(
    messageId: string,
    dest: string,
    outcome: { stored: true; at: Date } | { stored: false; error: string },
  ): void {
    if (outcome.stored)
      this.#db
        .prepare(
          "UPDATE rfi_deliveries SET status = 'stored', attempts = attempts + 1, last_error = NULL, stored_at = ? WHERE message_id = ? AND dest = ?",
        )
        .run(outcome.at.getTime(), messageId, dest);
    else
      this.#db
        .prepare(
          'UPDATE rfi_deliveries SET attempts = attempts + 1, last_error = ? WHERE message_id = ? AND dest = ?',
        )
        .run(outcome.error.slice(0, 500), messageId, dest);
  }

  /** The addressed countries' copies of a message this node sent, by country. */
  deliveries(messageId: string): Delivery[] {
    return this.#db
      .prepare<[string], DeliveryRow>('SELECT * FROM rfi_deliveries WHERE message_id = ? ORDER BY dest')
      .all(messageId)
      .map(deliveryOf);
  }

  /** Copies JetStream has not stored yet, oldest message first. */
  pendingDeliveries(limit = 500): Delivery[] {
    return this.#db
      .prepare<[number], DeliveryRow>(
        "SELECT * FROM rfi_deliveries WHERE status = 'pending' ORDER BY message_id, dest LIMIT ?",
      )
      .all(limit)
      .map(deliveryOf);
  }

  thread(id: string, now = new Date()): StoredThread | undefined {
    const row = this.#db.prepare<[string], ThreadRow>('SELECT * FROM rfi_threads WHERE id = ?').get(id);
    return row === undefined ? undefined : threadOf(row, now);
  }

  /** The messages of a thread, oldest first. */
  messages(threadId: string): StoredRequestMessage[] {
    return this.#db
      .prepare<[string], MessageRow>('SELECT * FROM rfi_messages WHERE thread_id = ? ORDER BY issued_at, id')
      .all(threadId)
      .map(messageOf);
  }

  message(id: string): StoredRequestMessage | undefined {
    const row = this.#db.prepare<[string], MessageRow>('SELECT * FROM rfi_messages WHERE id = ?').get(id);
    return row === undefined ? undefined : messageOf(row);
  }

  /** Threads, newest opened first, one page at a time (keyset on opened_at, id). */
  list(query: ThreadQuery = {}): { items: StoredThread[]; next?: string } {
    const now = (query.now ?? new Date()).getTime();
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const where: string[] = [];
    const params: Record<string, unknown> = { now, limit: limit + 1 };
    if (query.box !== undefined) {
      where.push('box = @box');
      params['box'] = query.box;
    }
    if (query.status !== undefined) {
      where.push('status = @status');
      params['status'] = query.status;
    }
    if (query.priority !== undefined) {
      where.push('priority = @priority');
      params['priority'] = query.priority;
    }
    if (query.type !== undefined) {
      where.push('type = @type');
      params['type'] = query.type;
    }
    if (query.overdue !== undefined)
      where.push(
        query.overdue
          ? "(status = 'open' AND due_at IS NOT NULL AND due_at < @now)"
          : "NOT (status = 'open' AND due_at IS NOT NULL AND due_at < @now)",
      );
    if (query.country !== undefined) {
      where.push("(from_country = @country OR instr(to_countries, '\"' || @country || '\"') > 0)");
      params['country'] = query.country;
    }
    if (query.q !== undefined) {
      const match = ftsQuery(query.q);
      // Nothing searchable typed (only punctuation): nothing matches.
      if (match === undefined) return { items: [] };
      where.push('id IN (SELECT thread_id FROM rfi_search WHERE rfi_search MATCH @q)');
      params['q'] = match;
    }
    if (query.cursor !== undefined) {
      const [opened, id] = decodeCursor(query.cursor);
      where.push('(opened_at < @cOpened OR (opened_at = @cOpened AND id < @cId))');
      params['cOpened'] = opened;
      params['cId'] = id;
    }
    const sql = `SELECT * FROM rfi_threads ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY opened_at DESC, id DESC LIMIT @limit`;
    const rows = this.#db.prepare<[Record<string, unknown>], ThreadRow>(sql).all(params);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      items: page.map((r) => threadOf(r, new Date(now))),
      ...(rows.length > limit && last !== undefined && { next: encodeCursor(last.opened_at, last.id) }),
    };
  }

  /** The newest decision, not expired at `now`, on onward use of `alertId` by `holder` to `toCountry`. */
  consentFor(
    alertId: string,
    holder: string,
    toCountry: string,
    now = new Date(),
  ): ConsentRecord | undefined {
    const row = this.#db
      .prepare<[string, string, string, number], ConsentRow>(
        `SELECT * FROM rfi_consents WHERE alert_id = ? AND holder = ? AND to_country = ?
           AND (expires_at IS NULL OR expires_at > ?)
         ORDER BY issued_at DESC, id DESC LIMIT 1`,
      )
      .get(alertId, holder, toCountry, now.getTime());
    return row === undefined ? undefined : consentOf(row);
  }

  /** The decision answering consent request `consentRequestId`, if any. */
  decisionOf(consentRequestId: string): ConsentRecord | undefined {
    const row = this.#db
      .prepare<[string], ConsentRow>(
        'SELECT * FROM rfi_consents WHERE consent_request_id = ? ORDER BY issued_at DESC LIMIT 1',
      )
      .get(consentRequestId);
    return row === undefined ? undefined : consentOf(row);
  }

  /** Open threads past their due time, for the gauge. */
  overdueCount(now = new Date()): number {
    return (
      this.#db
        .prepare<[number], { n: number }>(
          "SELECT COUNT(*) AS n FROM rfi_threads WHERE status = 'open' AND due_at IS NOT NULL AND due_at < ?",
        )
        .get(now.getTime())?.n ?? 0
    );
  }

  /** Messages by box, for the gauges. */
  counts(): Record<RequestBox, number> {
    const rows = this.#db
      .prepare<[], { box: RequestBox; n: number }>('SELECT box, COUNT(*) AS n FROM rfi_messages GROUP BY box')
      .all();
    const counts: Record<RequestBox, number> = { inbox: 0, outbox: 0 };
    for (const r of rows) counts[r.box] = r.n;
    return counts;
  }
}

function encodeCursor(opened: number, id: string): string {
  return Buffer.from(JSON.stringify([opened, id])).toString('base64url');
}

function decodeCursor(cursor: string): [number, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && Number.isSafeInteger(value[0]) && typeof value[1] === 'string')
      return [value[0] as number, value[1] as string];
  } catch {
    // Below.
  }
  throw new InvalidThreadCursorError();
}

function threadOf(row: ThreadRow, now: Date): StoredThread {
  return {
    id: row.id,
    box: row.box,
    type: row.type,
    from: row.from_country,
    to: JSON.parse(row.to_countries) as string[],
    priority: row.priority,
    dueAt: row.due_at === null ? undefined : new Date(row.due_at),
    expiresAt: row.expires_at === null ? undefined : new Date(row.expires_at),
    status: row.status,
    overdue: row.status === 'open' && row.due_at !== null && row.due_at < now.getTime(),
    openedAt: new Date(row.opened_at),
    lastAt: new Date(row.last_at),
    messages: row.messages,
    subject: row.subject ?? undefined,
  };
}

function messageOf(row: MessageRow): StoredRequestMessage {
  return {
    id: row.id,
    threadId: row.thread_id,
    box: row.box,
    type: row.type,
    from: row.from_country,
    to: JSON.parse(row.to_countries) as string[],
    issuedAt: new Date(row.issued_at),
    receivedAt: new Date(row.received_at),
    inReplyTo: row.in_reply_to,
    handling: row.handling,
    tlp: row.tlp,
    content: JSON.parse(row.content_json) as Record<string, unknown>,
    body: row.body_json === null ? undefined : (JSON.parse(row.body_json) as RequestText),
    envelope: new Uint8Array(row.envelope),
    kid: row.kid,
  };
}

function deliveryOf(row: DeliveryRow): Delivery {
  return {
    messageId: row.message_id,
    to: row.dest,
    status: row.status,
    attempts: row.attempts,
    ...(row.last_error !== null && { lastError: row.last_error }),
    ...(row.stored_at !== null && { storedAt: new Date(row.stored_at) }),
  };
}

function consentOf(row: ConsentRow): ConsentRecord {
  return {
    id: row.id,
    consentRequestId: row.consent_request_id,
    alertId: row.alert_id,
    grantedBy: row.granted_by,
    holder: row.holder,
    toCountry: row.to_country,
    purpose: row.purpose,
    granted: row.granted === 1,
    issuedAt: new Date(row.issued_at),
    ...(row.expires_at !== null && { expiresAt: new Date(row.expires_at) }),
    envelope: new Uint8Array(row.envelope),
  };
}
