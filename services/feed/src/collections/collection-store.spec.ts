import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { alertFromJson } from '@enlace/schema';
import type { Alert } from '@enlace/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { FeedDefinition } from '../feeds/feed-definition.js';
import { mispEventUuid } from '../misp/misp-event.js';
import type { MispEvent } from '../misp/misp-event.js';
import { CollectionStore, formatMicros, parseMicros } from './collection-store.js';
import type { ObjectQuery, StoredObject } from './collection-store.js';

const NOW = new Date('2026-12-01T00:00:00Z');
const FEED: FeedDefinition = {
  id: 'gt-cases',
  name: 'cases',
  country: 'GT',
  description: '',
  filter: { networks: [], kinds: [], origins: [], handling: [], financialOnly: false },
  start: 'beginning',
  sink: { type: 'file', directory: 'cases' } as FeedDefinition['sink'],
  createdAt: NOW.toISOString(),
  createdBy: 'test',
  generation: 1,
};
const LAST: ObjectQuery['versions'] = { all: false, first: false, last: true, at: [] };
const ALL: ObjectQuery['versions'] = { all: true, first: false, last: false, at: [] };

let n = 0;
function alertId(): string {
  n++;
  return `019a9f10-2a00-7b11-8a01-${n.toString(16).padStart(12, '0')}`;
}

function routeAlert(
  fields: { id?: string; origin?: string; issuedAt?: string; retracts?: string; supersedes?: string } = {},
): Alert {
  return alertFromJson(
    {
      header: {
        id: fields.id ?? alertId(),
        origin: fields.origin ?? 'MX',
        network: 'trafficking-liaison',
        kind: 'ALERT_KIND_ROUTE',
        issuedAt: fields.issuedAt ?? '2026-11-20T15:04:05.123Z',
        expiresAt: '2027-05-31T23:59:59Z',
        handling: 'HANDLING_CODE_H1',
        tlp: 'TLP_MARKING_AMBER',
        grading: {
          sourceReliability: 'SOURCE_RELIABILITY_B',
          informationCredibility: 'INFORMATION_CREDIBILITY_2',
        },
        title: 'Ruta Tecún Umán – Tapachula',
        summary: 'Cruce del río Suchiate en balsas.',
        language: 'es',
        ...(fields.retracts !== undefined && { retractsId: fields.retracts }),
        ...(fields.supersedes !== undefined && { supersedesId: fields.supersedes }),
      },
      ...(fields.retracts === undefined && {
        route: {
          waypoints: [
            {
              country: 'GT',
              place: 'Tecún Umán',
              coordinates: { latitude: 14.6747, longitude: -92.1425 },
              crossing: 'CROSSING_TYPE_NONE',
              transportMode: 'TRANSPORT_MODE_BUS',
            },
            {
              country: 'MX',
              place: 'Tapachula',
              crossing: 'CROSSING_TYPE_INFORMAL',
              transportMode: 'TRANSPORT_MODE_RIVER_RAFT',
            },
          ],
          estimatedMigrants: 40,
        },
      }),
    },
    { validate: { now: NOW } },
  );
}

function documentAlert(): Alert {
  return alertFromJson(
    {
      header: {
        id: alertId(),
        origin: 'CR',
        network: 'trafficking-liaison',
        kind: 'ALERT_KIND_DOCUMENT',
        issuedAt: '2026-11-20T15:04:05.123Z',
        expiresAt: '2027-05-31T23:59:59Z',
        handling: 'HANDLING_CODE_H0',
        tlp: 'TLP_MARKING_GREEN',
        grading: {
          sourceReliability: 'SOURCE_RELIABILITY_A',
          informationCredibility: 'INFORMATION_CREDIBILITY_1',
        },
        title: 'Pasaportes falsificados, serie A03',
        language: 'es',
      },
      document: {
        documentType: 'DOCUMENT_TYPE_PASSPORT',
        issuingCountry: 'CR',
        fraudType: 'FRAUD_TYPE_COUNTERFEIT',
        numberPatterns: ['A03######'],
        numberDigests: [{ digest: Buffer.alloc(32, 7).toString('base64'), keyId: 'tl-match-2026-01' }],
        detections: [
          {
            country: 'CR',
            place: 'Aeropuerto Juan Santamaría',
            point: 'DETECTION_POINT_AIRPORT',
            detectedAt: '2026-10-14T06:40:00Z',
            quantity: 3,
          },
        ],
      },
    },
    { validate: { now: NOW } },
  );
}

let dir: string;
let store: CollectionStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'collections-'));
  store = CollectionStore.open(dir);
});

afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function append(alert: Alert, at = new Date()): ReturnType<CollectionStore['append']> {
  return store.append(FEED, { alert, body: undefined }, at);
}

function all(query: Partial<ObjectQuery> = {}): StoredObject[] {
  const out: StoredObject[] = [];
  let after: number | undefined;
  for (;;) {
    const page = store.objects(FEED.id, {
      limit: 1000,
      versions: LAST,
      ...query,
      ...(after !== undefined && { after }),
    });
    out.push(...page.objects);
    if (!page.more) return out;
    after = page.objects.at(-1)!.seq;
  }
}

describe('CollectionStore', () => {
  it('keeps date_added in microseconds, strictly increasing, and formats it as a STIX timestamp', () => {
    expect(parseMicros('2026-12-03T12:00:00.123456Z')).toBe(
      Date.parse('2026-12-03T12:00:00.123Z') * 1000 + 456,
    );
    expect(parseMicros('2026-12-03T12:00:00Z')).toBe(Date.parse('2026-12-03T12:00:00Z') * 1000);
    expect(parseMicros('2026-12-03 12:00:00')).toBeUndefined();
    expect(formatMicros(Date.parse('2026-12-03T12:00:00.123Z') * 1000 + 7)).toBe(
      '2026-12-03T12:00:00.123007Z',
    );

    const at = new Date('2026-12-03T12:00:00Z');
    append(routeAlert(), at);
    append(routeAlert(), at);
    const objects = all({ versions: ALL });
    const added = objects.map((o) => o.dateAdded);
    expect(added.every((t, i) => i === 0 || t > added[i - 1]!)).toBe(true);
    expect(added[0]).toBe(at.getTime() * 1000);
  });

  it('appends the export objects of an alert once: shared objects once per feed, a redelivery adds nothing', () => {
    const first = append(routeAlert());
    expect(first.appended).toBe(true);
    const alert = routeAlert();
    const second = append(alert);
    // Identities and marking definitions are shared: the second alert adds only its own.
    expect(second.objects).toBeLessThan(first.objects);
    expect(append(alert)).toEqual({ appended: false, objects: 0, revoked: 0 });
    const objects = all({ versions: ALL });
    expect(objects).toHaveLength(first.objects + second.objects);
    expect(new Set(objects.map((o) => `${o.id}/${o.version}`)).size).toBe(objects.length);
    expect(objects.at(-1)!.id.startsWith('report--')).toBe(true);
  });

  it('a retraction by the origin appends revoked versions with a later modified and date_added', () => {
    const original = routeAlert();
    append(original);
    const before = all();
    const own = before.filter(
      (o) => !o.id.startsWith('identity--') && !o.id.startsWith('marking-definition--'),
    );
    const retraction = routeAlert({ retracts: original.header!.id, issuedAt: '2026-11-21T10:00:00.000Z' });
    const result = append(retraction);
    expect(result.revoked).toBe(own.length);

    const versions = all({ versions: ALL, ids: [own[0]!.id] });
    expect(versions).toHaveLength(2);
    const [v1, v2] = versions.map((o) => JSON.parse(o.json) as Record<string, unknown>);
    expect(v1!['revoked']).toBeUndefined();
    expect(v2!['revoked']).toBe(true);
    expect(v2!['modified']).toBe('2026-11-21T10:00:00.000Z');
    expect(v2!['created']).toBe(v1!['created']);
    expect(versions[1]!.dateAdded).toBeGreaterThan(versions[0]!.dateAdded);
    // The last version of each is the revoked one; the first the original.
    expect(all({ ids: [own[0]!.id] }).map((o) => o.version)).toEqual(['2026-11-21T10:00:00.000Z']);
    expect(
      all({ ids: [own[0]!.id], versions: { all: false, first: true, last: false, at: [] } }).map(
        (o) => o.version,
      ),
    ).toEqual([v1!['modified']]);

    const event = store.event(FEED.id, mispEventUuid(original.header!.id))!;
    expect(event.state).toBe('retracted');
    const misp = JSON.parse(event.json) as MispEvent;
    expect(misp.Event.Tag.map((t) => t.name)).toContain('enlace:state="retracted"');
    expect(misp.Event.Attribute.every((a) => a.deleted)).toBe(true);
  });

  it('a retraction from another origin revokes nothing; a supersession revokes and adds the new version', () => {
    const original = routeAlert();
    append(original);
    expect(append(routeAlert({ origin: 'GT', retracts: original.header!.id })).revoked).toBe(0);
    const newer = routeAlert({ supersedes: original.header!.id, issuedAt: '2026-11-22T00:00:00.000Z' });
    const result = append(newer);
    expect(result.revoked).toBeGreaterThan(0);
    expect(store.event(FEED.id, mispEventUuid(original.header!.id))!.state).toBe('superseded');
    expect(store.event(FEED.id, mispEventUuid(newer.header!.id))!.state).toBe('active');
    // Revoked once only: a second withdrawal changes nothing.
    expect(append(routeAlert({ retracts: original.header!.id })).revoked).toBe(0);
  });

  it('filters by id, type, version and spec_version', () => {
    append(routeAlert());
    append(documentAlert());
    const objects = all({ versions: ALL });
    const types = new Set(objects.map((o) => o.id.split('--')[0]));
    expect(types).toEqual(
      new Set([
        'identity',
        'marking-definition',
        'location',
        'infrastructure',
        'relationship',
        'report',
        'indicator',
        'sighting',
      ]),
    );
    expect(all({ types: ['indicator', 'sighting'] }).every((o) => /^(indicator|sighting)--/.test(o.id))).toBe(
      true,
    );
    const some = objects.slice(3, 6).map((o) => o.id);
    expect(all({ ids: some }).map((o) => o.id)).toEqual(some);
    expect(all({ specVersions: ['2.0'] })).toEqual([]);
    expect(all({ specVersions: ['2.1'] })).toHaveLength(objects.length);
    const report = objects.find((o) => o.id.startsWith('report--'))!;
    expect(
      all({ versions: { all: false, first: false, last: false, at: [report.version] } }).map((o) => o.id),
    ).toContain(report.id);
  });

  it('pages 10,000 objects with limit 1000 by next and by added_after, each once, in bounded memory', () => {
    const at = new Date('2026-12-03T00:00:00Z');
    while (store.count(FEED.id) < 10_000) append(documentAlert(), at);
    const total = store.count(FEED.id);
    const heapBefore = process.memoryUsage().heapUsed;
    let peak = 0;
    const seen = new Set<string>();
    let after: number | undefined;
    let pages = 0;
    const started = performance.now();
    for (;;) {
      const page = store.objects(FEED.id, {
        limit: 1000,
        versions: ALL,
        ...(after !== undefined && { after }),
      });
      expect(page.objects.length).toBeLessThanOrEqual(1000);
      for (const o of page.objects) seen.add(`${o.id}/${o.version}`);
      pages++;
      peak = Math.max(peak, process.memoryUsage().heapUsed - heapBefore);
      if (!page.more) break;
      after = page.objects.at(-1)!.seq;
    }
    const ms = (performance.now() - started) / pages;
    expect(seen.size).toBe(total);
    expect(pages).toBe(Math.ceil(total / 1000));

    let addedAfter: number | undefined;
    let count = 0;
    for (;;) {
      const page = store.objects(FEED.id, {
        limit: 1000,
        versions: ALL,
        ...(addedAfter !== undefined && { addedAfter }),
      });
      count += page.objects.length;
      if (page.objects.length === 0) break;
      addedAfter = page.objects.at(-1)!.dateAdded;
    }
    expect(count).toBe(total);
    console.info(
      `collection store: ${total} objects in ${pages} pages of 1000, ${ms.toFixed(1)} ms per page, heap growth ${(peak / 1e6).toFixed(1)} MB`,
    );
    // A page is at most 1000 rows of a few KB: far below a whole feed in memory.
    expect(peak).toBeLessThan(64e6);
  }, 60_000);

  it('builds a MISP event per alert: uuid, info, date, levels, tags for TLP and handling, attributes and objects', () => {
    const alert = documentAlert();
    append(alert);
    const [stored] = [...store.events(FEED.id)];
    expect(stored!.uuid).toBe(mispEventUuid(alert.header!.id));
    const { Event: e } = JSON.parse(stored!.json) as MispEvent;
    expect(e).toMatchObject({
      uuid: stored!.uuid,
      info: 'Pasaportes falsificados, serie A03',
      date: '2026-11-20',
      threat_level_id: '4',
      analysis: '2',
      timestamp: String((Date.parse('2026-11-20T15:04:05.123Z') / 1000) | 0),
      Orgc: { name: 'Enlace CR' },
    });
    expect(e.Tag.map((t) => t.name)).toEqual(expect.arrayContaining(['tlp:green', 'enlace:handling="H0"']));
    const types = e.Attribute.map((a) => `${a.category}/${a.type}`);
    expect(types).toEqual(expect.arrayContaining(['Internal reference/text', 'Other/hex', 'Other/text']));
    expect(e.Attribute.find((a) => a.type === 'hex')!.value).toBe('07'.repeat(32));
    expect(e.Attribute.some((a) => a.value === '^A03[0-9]{6}$')).toBe(true);
    expect(e.Object.map((o) => o.name)).toEqual(['geolocation']);
    expect(e.Object[0]!.Attribute.map((a) => a.object_relation)).toEqual(['text', 'country']);
  });

  it('forgets a deleted feed', () => {
    append(routeAlert());
    store.deleteFeed(FEED.id);
    expect(store.count(FEED.id)).toBe(0);
    expect([...store.events(FEED.id)]).toEqual([]);
  });
});
