/**
 * The durable per-feed collections that the TAXII 2.1 server and the MISP feed serve: every
 * alert a feed delivers is appended here, after its filter, as the STIX 2.1 objects of the export
 * (same deterministic ids and markings), each with `date_added` = when the feed delivered it, in
 * delivery order; and as one MISP event. A retraction or a superseding alert from the same origin
 * appends `revoked: true` versions of the earlier alert's own objects and marks its MISP event.
 *
 * SQLite (better-sqlite3, WAL), one row per object version, so that every page is a keyset query
 * on `seq` and nothing ever holds a whole feed in memory. `date_added` is kept in microseconds
 * and strictly increases within a feed, one step per stored object: a client that pages with
 * `added_after` = the last `date_added` it saw never skips nor repeats an object. Appending is
 * idempotent per (feed, alert): a redelivery or a replay of the feed adds nothing.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { openDatabase } from '@enlace/service-kit/sqlite';
import type * as Database from '@enlace/service-kit/sqlite';

import type { FeedDefinition } from '../feeds/feed-definition.js';
import { mispEventOf, retractedMispEvent } from '../misp/misp-event.js';
import type { MispEvent } from '../misp/misp-event.js';
import { toStixBundle } from '../stix/index.js';
import type { StixSource } from '../stix/index.js';

export const COLLECTION_STORE_FILE = 'collections.sqlite';

/** The STIX media type of every object in a collection. */
export const STIX_MEDIA_TYPE = 'application/stix+json;version=2.1';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS collection_objects (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  feed         TEXT NOT NULL,
  object_id    TEXT NOT NULL,
  type         TEXT NOT NULL,
  -- modified, or created for objects that have no modified (marking definitions)
  version      TEXT NOT NULL,
  spec_version TEXT NOT NULL,
  -- microseconds since the epoch; strictly increasing within a feed
  date_added   INTEGER NOT NULL,
  -- the alert whose own object this is; NULL for objects alerts share (identities, markings)
  alert_id     TEXT,
  object       TEXT NOT NULL,
  UNIQUE (feed, object_id, version)
);
CREATE INDEX IF NOT EXISTS collection_objects_feed_seq ON collection_objects (feed, seq);
CREATE INDEX IF NOT EXISTS collection_objects_feed_added ON collection_objects (feed, date_added);
CREATE INDEX IF NOT EXISTS collection_objects_feed_alert ON collection_objects (feed, alert_id);
CREATE TABLE IF NOT EXISTS collection_alerts (
  pos          INTEGER PRIMARY KEY AUTOINCREMENT,
  feed         TEXT NOT NULL,
  alert_id     TEXT NOT NULL,
  origin       TEXT NOT NULL,
  -- active | retracted | superseded
  state        TEXT NOT NULL,
  delivered_at INTEGER NOT NULL,
  event_uuid   TEXT NOT NULL,
  -- the MISP event, {"Event": {...}}
  event        TEXT NOT NULL,
  UNIQUE (feed, alert_id)
);
CREATE INDEX IF NOT EXISTS collection_alerts_feed_event ON collection_alerts (feed, event_uuid);
`;

/** Which versions of each object to return (TAXII match[version]); default: the last. */
export interface VersionMatch {
  readonly all: boolean;
  readonly first: boolean;
  readonly last: boolean;
  /** Exact versions (STIX timestamps, normalised to milliseconds). */
  readonly at: readonly string[];
}

/** A TAXII object query on one collection. */
export interface ObjectQuery {
  /** Only objects added strictly after this instant (microseconds since the epoch). */
  readonly addedAfter?: number;
  /** Continue after this stored position (the `next` of the previous page). */
  readonly after?: number;
  readonly limit: number;
  readonly ids?: readonly string[];
  readonly types?: readonly string[];
  readonly specVersions?: readonly string[];
  readonly versions: VersionMatch;
}

export interface StoredObject {
  readonly seq: number;
  readonly id: string;
  readonly version: string;
  /** Microseconds since the epoch. */
  readonly dateAdded: number;
  /** The object's JSON text, as stored. */
  readonly json: string;
}

export interface ObjectPage {
  readonly objects: readonly StoredObject[];
  /** More match after the last one: ask again with `after` = its seq. */
  readonly more: boolean;
}

export interface AppendResult {
  /** False when the feed already held the alert (a redelivery or a replay). */
  readonly appended: boolean;
  readonly objects: number;
  readonly revoked: number;
}

export interface StoredEvent {
  readonly uuid: string;
  readonly alertId: string;
  readonly state: 'active' | 'retracted' | 'superseded';
  /** The MISP event's JSON text ({"Event": {...}}). */
  readonly json: string;
}

/** A STIX timestamp with microseconds, e.g. 2026-12-03T12:00:00.123456Z, of microseconds since the epoch. */
export function formatMicros(micros: number): string {
  const ms = Math.floor(micros / 1000);
  return `${new Date(ms).toISOString().slice(0, -1)}${String(micros - ms * 1000).padStart(3, '0')}Z`;
}

/** Microseconds since the epoch of a STIX/RFC 3339 UTC timestamp, or undefined when it is not one. */
export function parseMicros(text: string): number | undefined {
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?Z$/.exec(text);
  if (match === null) return undefined;
  const seconds = Date.parse(`${match[1]}Z`);
  if (Number.isNaN(seconds)) return undefined;
  return seconds * 1000 + Number((match[2] ?? '').padEnd(6, '0').slice(0, 6));
}

interface ObjectRow {
  seq: number;
  object_id: string;
  version: string;
  date_added: number;
  object: string;
}

type StixJson = Record<string, unknown> & { id: string; type: string };

/** Objects alerts share: never revoked with one alert. */
function isShared(type: string): boolean {
  return type === 'identity' || type === 'marking-definition';
}

function versionOf(object: StixJson): string {
  return String(object['modified'] ?? object['created']);
}

/** A later STIX timestamp (milliseconds) than `version`: at least `at`. */
function laterThan(version: string, at: Date): string {
  const after = Date.parse(version) + 1;
  return new Date(Math.max(after, at.getTime())).toISOString();
}

export class CollectionStore {
  readonly #db: Database.Database;
  readonly #lastAdded: Database.Statement<[string], { at: number | null }>;
  readonly #insertObject: Database.Statement;
  readonly #alertRow: Database.Statement<[string, string], { origin: string; state: string; event: string }>;
  readonly #insertAlert: Database.Statement;
  readonly #updateAlert: Database.Statement<[string, string, string, string]>;
  readonly #latestOfAlert: Database.Statement<[string, string], { object: string }>;
  readonly #append: (feed: FeedDefinition, source: StixSource, deliveredAt: Date) => AppendResult;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#lastAdded = db.prepare('SELECT max(date_added) AS at FROM collection_objects WHERE feed = ?');
    this.#insertObject = db.prepare(
      `INSERT OR IGNORE INTO collection_objects (feed, object_id, type, version, spec_version, date_added, alert_id, object)
       VALUES (@feed, @object_id, @type, @version, @spec_version, @date_added, @alert_id, @object)`,
    );
    this.#alertRow = db.prepare(
      'SELECT origin, state, event FROM collection_alerts WHERE feed = ? AND alert_id = ?',
    );
    this.#insertAlert = db.prepare(
      `INSERT INTO collection_alerts (feed, alert_id, origin, state, delivered_at, event_uuid, event)
       VALUES (@feed, @alert_id, @origin, 'active', @delivered_at, @event_uuid, @event)`,
    );
    this.#updateAlert = db.prepare(
      'UPDATE collection_alerts SET state = ?, event = ? WHERE feed = ? AND alert_id = ?',
    );
    // The newest version of each of the alert's own objects.
    this.#latestOfAlert = db.prepare(
      `SELECT object FROM collection_objects o WHERE feed = ? AND alert_id = ?
         AND NOT EXISTS (SELECT 1 FROM collection_objects n
                         WHERE n.feed = o.feed AND n.object_id = o.object_id AND n.version > o.version)
       ORDER BY seq`,
    );
    this.#append = db.transaction((feed, source, deliveredAt) => this.#write(feed, source, deliveredAt));
  }

  /** Opens (creating when missing) the store in `dataDir`. */
  static open(dataDir: string): CollectionStore {
    mkdirSync(dataDir, { recursive: true });
    const db = openDatabase(join(dataDir, COLLECTION_STORE_FILE));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    return new CollectionStore(db);
  }

  /**
   * Appends one delivered alert to the feed's collection, in one transaction: its STIX objects,
   * its MISP event, and — when it retracts or supersedes an alert of the same origin that the
   * collection holds — revoked versions of that alert's own objects.
   */
  append(feed: FeedDefinition, source: StixSource, deliveredAt: Date): AppendResult {
    return this.#append(feed, source, deliveredAt);
  }

  #write(feed: FeedDefinition, source: StixSource, deliveredAt: Date): AppendResult {
    const header = source.alert.header;
    if (header === undefined) throw new RangeError('an alert without a header cannot be collected');
    if (this.#alertRow.get(feed.id, header.id) !== undefined)
      return { appended: false, objects: 0, revoked: 0 };
    const bundle = toStixBundle([source], {
      producer: { name: `Enlace feed ${feed.id}`, country: feed.country },
    });
    let at = Math.max(deliveredAt.getTime() * 1000, (this.#lastAdded.get(feed.id)?.at ?? 0) + 1);
    const insert = (object: StixJson, alertId: string | null): boolean => {
      const added =
        this.#insertObject.run({
          feed: feed.id,
          object_id: object.id,
          type: object.type,
          version: versionOf(object),
          spec_version: String(object['spec_version'] ?? '2.1'),
          date_added: at,
          alert_id: alertId,
          object: JSON.stringify(object),
        }).changes > 0;
      if (added) at++;
      return added;
    };
    let objects = 0;
    for (const object of bundle.objects as unknown as StixJson[])
      if (insert(object, isShared(object.type) ? null : header.id)) objects++;

    let revoked = 0;
    const issued = header.issuedAt ?? deliveredAt;
    const earlier = [
      { id: header.retractsId, state: 'retracted' as const },
      { id: header.supersedesId, state: 'superseded' as const },
    ];
    for (const { id, state } of earlier) {
      if (id === '') continue;
      const row = this.#alertRow.get(feed.id, id);
      // Only the origin of an alert may withdraw it; one already withdrawn stays as it is.
      if (row === undefined || row.origin !== header.origin || row.state !== 'active') continue;
      let revokedAt = issued.toISOString();
      for (const { object } of this.#latestOfAlert.all(feed.id, id)) {
        const current = JSON.parse(object) as StixJson;
        if (current['revoked'] === true) continue;
        const modified = laterThan(versionOf(current), issued);
        if (modified > revokedAt) revokedAt = modified;
        if (insert({ ...current, modified, revoked: true }, id)) revoked++;
      }
      const event = retractedMispEvent(
        JSON.parse(row.event) as MispEvent,
        state,
        header.id,
        new Date(revokedAt),
      );
      this.#updateAlert.run(state, JSON.stringify(event), feed.id, id);
    }

    const event = mispEventOf(bundle.objects);
    this.#insertAlert.run({
      feed: feed.id,
      alert_id: header.id,
      origin: header.origin,
      delivered_at: deliveredAt.getTime() * 1000,
      event_uuid: event.Event.uuid,
      event: JSON.stringify(event),
    });
    return { appended: true, objects, revoked };
  }

  /** A page of the feed's objects, in delivery order. */
  objects(feedId: string, query: ObjectQuery): ObjectPage {
    const where = ['o.feed = ?', 'o.seq > ?'];
    const params: unknown[] = [feedId, query.after ?? 0];
    if (query.addedAfter !== undefined) {
      where.push('o.date_added > ?');
      params.push(query.addedAfter);
    }
    const list = (column: string, values: readonly string[] | undefined): void => {
      if (values === undefined || values.length === 0) return;
      where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    };
    list('o.object_id', query.ids);
    list('o.type', query.types);
    list('o.spec_version', query.specVersions);
    const v = query.versions;
    if (!v.all) {
      const either: string[] = [];
      const newer = (op: '>' | '<'): string =>
        `NOT EXISTS (SELECT 1 FROM collection_objects n WHERE n.feed = o.feed AND n.object_id = o.object_id AND n.version ${op} o.version)`;
      if (v.last) either.push(newer('>'));
      if (v.first) either.push(newer('<'));
      if (v.at.length > 0) {
        either.push(`o.version IN (${v.at.map(() => '?').join(', ')})`);
        params.push(...v.at);
      }
      where.push(either.length === 0 ? '0' : `(${either.join(' OR ')})`);
    }
    params.push(query.limit + 1);
    const rows = this.#db
      .prepare(
        `SELECT o.seq, o.object_id, o.version, o.date_added, o.object FROM collection_objects o
         WHERE ${where.join(' AND ')} ORDER BY o.seq LIMIT ?`,
      )
      .all(...params) as ObjectRow[];
    const more = rows.length > query.limit;
    return { objects: rows.slice(0, query.limit).map(toStored), more };
  }

  /** Whether the feed's collection holds any version of `objectId`. */
  has(feedId: string, objectId: string): boolean {
    return (
      this.#db
        .prepare('SELECT 1 FROM collection_objects WHERE feed = ? AND object_id = ? LIMIT 1')
        .get(feedId, objectId) !== undefined
    );
  }

  /** How many object versions the feed's collection holds. */
  count(feedId: string): number {
    return (
      this.#db.prepare('SELECT count(*) AS n FROM collection_objects WHERE feed = ?').get(feedId) as {
        n: number;
      }
    ).n;
  }

  /**
   * The feed's MISP events in delivery order, read in chunks of `chunk`: no statement stays open
   * between them, so a slow reader never holds the connection that deliveries write on.
   */
  *events(feedId: string, chunk = 256): IterableIterator<StoredEvent> {
    const statement = this.#db.prepare<[string, number, number], EventRow>(
      'SELECT pos, event_uuid, alert_id, state, event FROM collection_alerts WHERE feed = ? AND pos > ? ORDER BY pos LIMIT ?',
    );
    let after = 0;
    for (;;) {
      const rows = statement.all(feedId, after, chunk);
      for (const row of rows) yield toEvent(row);
      const last = rows.at(-1);
      if (last === undefined || rows.length < chunk) return;
      after = last.pos;
    }
  }

  /** One MISP event of the feed, by its uuid. */
  event(feedId: string, uuid: string): StoredEvent | undefined {
    const row = this.#db
      .prepare<[string, string], EventRow>(
        'SELECT pos, event_uuid, alert_id, state, event FROM collection_alerts WHERE feed = ? AND event_uuid = ?',
      )
      .get(feedId, uuid);
    return row === undefined ? undefined : toEvent(row);
  }

  /** Forgets a deleted feed's collection. */
  deleteFeed(feedId: string): void {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM collection_objects WHERE feed = ?').run(feedId);
      this.#db.prepare('DELETE FROM collection_alerts WHERE feed = ?').run(feedId);
    })();
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

interface EventRow {
  pos: number;
  event_uuid: string;
  alert_id: string;
  state: string;
  event: string;
}

function toEvent(row: EventRow): StoredEvent {
  return {
    uuid: row.event_uuid,
    alertId: row.alert_id,
    state: row.state as StoredEvent['state'],
    json: row.event,
  };
}

function toStored(row: ObjectRow): StoredObject {
  return {
    seq: row.seq,
    id: row.object_id,
    version: row.version,
    dateAdded: row.date_added,
    json: row.object,
  };
}
