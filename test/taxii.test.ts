/**
 * The feed service's TAXII 2.1 server and MISP feed, end to end on a real nats-server with the
 * real registry: alerts of every kind, a retraction and a supersession are signed by their origin
 * and published; a Guatemalan FIU's feed delivers them; then a TAXII 2.1 client walk written from
 * the specification (discovery, API root, collections, objects by `next` and by `added_after`,
 * manifest, one object, versions) checks every object against the official STIX 2.1 JSON schemas,
 * each change seen exactly once, headers and envelopes, media types, errors and authorisation
 * (Bearer and Basic; another country's FIU refused). The MISP feed's manifest, hashes and events
 * are checked against what MISP's feed import reads. 10,000 alerts page through with limit=1000.
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { main } from '@enlace/cli';
import { encryptForRecipients, signAlert } from '@enlace/crypto';
import type { PrivateSigningJwk, PublicEncryptionJwk } from '@enlace/crypto';
import { createFeedApp, mispEventUuid, TAXII_MEDIA_TYPE } from '@enlace/feed';
import type { FeedApp, FeedDefinition } from '@enlace/feed';
import {
  alertBodyFromJson,
  alertFromJson,
  encodeAlert,
  encodeAlertBody,
  encodeSignedAlert,
} from '@enlace/schema';
import { issueToken, REGISTRY_PRIVATE_KEY_FILE, SERVICE_AUDIENCES } from '@enlace/trust';
import { alertSubject, ensureEnlaceStreams, publishAlert } from '@enlace/transport';
import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createEnlaceNetwork, uuidv7, waitFor } from './support/enlace-network.js';
import type { EnlaceNetwork } from './support/enlace-network.js';
import { createStixObjectValidator } from './support/stix-schemas.js';

/** Parsed JSON from the API, read field by field in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const COUNTRIES = ['MX', 'GT', 'CR'];
const STIX = 'application/stix+json;version=2.1';

let server: NatsServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;
let net: EnlaceNetwork;
let feed: FeedApp;
let gtToken: string;
let mxToken: string;
let adminToken: string;
let collectionUrl: string;
const ids: Record<string, string> = {};

function header(origin: string, network: string, kind: string, title: string): Record<string, unknown> {
  return {
    origin,
    network,
    kind: `ALERT_KIND_${kind.toUpperCase()}`,
    expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    handling: 'HANDLING_CODE_H1',
    tlp: 'TLP_MARKING_AMBER',
    grading: {
      sourceReliability: 'SOURCE_RELIABILITY_B',
      informationCredibility: 'INFORMATION_CREDIBILITY_2',
    },
    title,
    summary: 'Alerta de prueba del servidor TAXII.',
    language: 'es',
  };
}

const route = {
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
      place: 'Ciudad Hidalgo',
      crossing: 'CROSSING_TYPE_INFORMAL',
      transportMode: 'TRANSPORT_MODE_RIVER_RAFT',
    },
  ],
  estimatedMigrants: 40,
};

function documentBody(series: string): Record<string, unknown> {
  return {
    documentType: 'DOCUMENT_TYPE_PASSPORT',
    issuingCountry: 'CR',
    fraudType: 'FRAUD_TYPE_COUNTERFEIT',
    series,
    numberPatterns: ['A01######'],
    numberDigests: [
      { digest: Buffer.alloc(32, 9).toString('base64'), keyId: 'trafficking-liaison-match-2026-01' },
    ],
    detections: [
      {
        country: 'MX',
        place: 'Aeropuerto de Tapachula',
        detectedAt: new Date(Date.now() - 86_400_000).toISOString(),
        quantity: 2,
        point: 'DETECTION_POINT_AIRPORT',
      },
    ],
  };
}

const networkBody = {
  entities: [
    { pseudonym: 'El Contador', roles: ['ENTITY_ROLE_FINANCIER'], countries: ['GT'] },
    { pseudonym: 'E2', roles: ['ENTITY_ROLE_RECRUITER'], countries: ['GT'] },
  ],
  links: [{ from: 'El Contador', to: 'E2', relation: 'LINK_RELATION_DIRECTS' }],
  countriesOfOperation: ['GT', 'MX'],
  modusOperandi: 'Cobros por remesas fraccionadas.',
  financial: {
    accounts: [
      {
        digest: { digest: Buffer.alloc(32, 3).toString('base64'), keyId: 'fiu-exchange-match-2026-01' },
        country: 'GT',
        type: 'ACCOUNT_TYPE_BANK_ACCOUNT',
        holderPseudonym: 'El Contador',
      },
    ],
  },
};

async function publish(
  origin: string,
  network: string,
  kind: 'route' | 'document' | 'network',
  body: Record<string, unknown> | undefined,
  extra: Record<string, unknown> = {},
  encrypted?: { jwe: string },
): Promise<string> {
  const id = uuidv7();
  const alert = alertFromJson({
    header: {
      ...header(origin, network, kind, `${kind} ${id}`),
      id,
      issuedAt: new Date().toISOString(),
      ...extra,
    },
    ...(body !== undefined && { [kind]: body }),
    ...(encrypted !== undefined && { encrypted }),
  });
  const parts = await signAlert(encodeAlert(alert), net.signingKeys[origin] as PrivateSigningJwk);
  await publishAlert(js, {
    subject: alertSubject({ network, kind, origin }),
    envelope: encodeSignedAlert({
      alert: parts.alert,
      protectedHeader: parts.protectedHeader,
      signature: Uint8Array.from(parts.signature),
    }),
    msgId: id,
  });
  return id;
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Loose;
}

async function get(
  path: string,
  auth: string | undefined,
  accept: string | undefined = TAXII_MEDIA_TYPE,
  method = 'GET',
): Promise<Answer> {
  const response = await fetch(path.startsWith('http') ? path : `${feed.url}${path}`, {
    method,
    headers: {
      ...(auth !== undefined && { authorization: auth }),
      ...(accept !== undefined && { accept }),
    },
  });
  const text = await response.text();
  let json: Loose;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

const bearer = (token: string): string => `Bearer ${token}`;
const basic = (user: string, token: string): string =>
  `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;

/** Every object of the collection, following `next` with `limit`. */
async function walk(query: string, limit: number): Promise<{ objects: Loose[]; pages: Answer[] }> {
  const objects: Loose[] = [];
  const pages: Answer[] = [];
  let next: string | undefined;
  for (;;) {
    const page = await get(
      `${collectionUrl}objects/?limit=${limit}${query}${next === undefined ? '' : `&next=${next}`}`,
      bearer(gtToken),
    );
    expect(page.status).toBe(200);
    pages.push(page);
    objects.push(...(page.json.objects ?? []));
    if (page.json.more !== true) return { objects, pages };
    next = page.json.next;
    expect(typeof next).toBe('string');
  }
}

beforeAll(async () => {
  server = await startNatsServer({ backend: 'binary', name: 'taxii-e2e' });
  nc = await server.connect();
  js = jetstream(nc);
  await ensureEnlaceStreams(await jetstreamManager(nc));
  net = await createEnlaceNetwork({ natsUrl: server.url, countries: COUNTRIES });
  const privateJwk = JSON.parse(
    await readFile(join(net.root, 'registry', REGISTRY_PRIVATE_KEY_FILE), 'utf8'),
  );
  const key = { privateJwk, kid: net.pinned['kid'] as string };
  gtToken = await issueToken(key, {
    subject: 'gt-ive-analyst',
    roles: ['fiu-analyst'],
    country: 'GT',
    audience: SERVICE_AUDIENCES.feed,
    ttlSeconds: 3600,
  });
  adminToken = await issueToken(key, {
    subject: 'admin@secretariat',
    roles: ['administrator'],
    audience: SERVICE_AUDIENCES.feed,
    ttlSeconds: 3600,
  });
  mxToken = await issueToken(key, {
    subject: 'mx-uif-analyst',
    roles: ['fiu-analyst'],
    country: 'MX',
    audience: SERVICE_AUDIENCES.feed,
    ttlSeconds: 3600,
  });

  ids['route'] = await publish('MX', 'trafficking-liaison', 'route', route);
  ids['retracted'] = await publish('MX', 'trafficking-liaison', 'route', route);
  ids['document'] = await publish('CR', 'trafficking-liaison', 'document', documentBody('serie A01'));
  ids['network'] = await publish('GT', 'fiu-exchange', 'network', networkBody);
  ids['retraction'] = await publish('MX', 'trafficking-liaison', 'route', undefined, {
    retractsId: ids['retracted'],
  });
  // Restricted to Guatemala: the body (and title, summary) encrypted to its key; the feed service
  // holds no country's keys, so only the header reaches the collection.
  const keysDir = join(net.root, 'keys', 'GT');
  const encFile = (await readdir(keysDir)).find((f) => f.includes('-enc-'))!;
  const { d: _d, ...gtEncryption } = JSON.parse(
    await readFile(join(keysDir, encFile), 'utf8'),
  ) as PublicEncryptionJwk & { d: string };
  const jwe = await encryptForRecipients(encodeAlertBody(alertBodyFromJson({ route })), [
    { kid: gtEncryption.kid, publicJwk: gtEncryption },
  ]);
  ids['restricted'] = await publish(
    'MX',
    'trafficking-liaison',
    'route',
    undefined,
    {
      title: '',
      summary: '',
      recipients: ['GT'],
    },
    { jwe },
  );
  ids['superseding'] = await publish(
    'CR',
    'trafficking-liaison',
    'document',
    documentBody('serie A01, revisada'),
    {
      supersedesId: ids['document'],
    },
  );

  feed = await createFeedApp({
    natsUrl: server.url,
    dataDir: join(net.root, 'feed'),
    registryPublicJwk: net.pinned,
    logger: false,
    fileRoot: join(net.root, 'files'),
  });
  const created = await fetch(`${feed.url}/v1/feeds`, {
    method: 'POST',
    headers: { authorization: bearer(gtToken), 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'taxii', start: 'beginning', sink: { type: 'file', directory: 'taxii' } }),
  });
  expect(created.status).toBe(201);
  await waitFor(
    'the feed to deliver the seven alerts',
    async () => {
      const status = (await (
        await fetch(`${feed.url}/v1/feeds/gt-taxii`, { headers: { authorization: bearer(gtToken) } })
      ).json()) as Loose;
      return status.counters?.delivered === 7;
    },
    60_000,
  );
  const collections = await get('/taxii2/gt/collections/', bearer(gtToken));
  collectionUrl = `/taxii2/gt/collections/${collections.json.collections[0].id}/`;
}, 120_000);

afterAll(async () => {
  await feed?.close();
  await nc?.close();
  await net?.close();
  await server?.stop();
});

describe('TAXII 2.1: discovery, API root, collections', () => {
  it('refuses a request without a token with 401, a challenge and a TAXII error message', async () => {
    const answer = await get('/taxii2/', undefined);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('content-type')).toBe(TAXII_MEDIA_TYPE);
    expect(answer.headers.get('www-authenticate')).toMatch(/^Basic realm="Enlace".*Bearer/);
    expect(answer.json).toMatchObject({
      title: 'Authentication required',
      error_code: 'ERR_UNAUTHENTICATED',
      http_status: '401',
    });
    expect(typeof answer.json.description).toBe('string');
    expect((await get('/taxii2/', basic('fiu', 'not-a-token'))).json.error_code).toBe('ERR_UNAUTHENTICATED');
  });

  it('answers discovery with the FIU country API root only, with Bearer and with Basic', async () => {
    for (const auth of [bearer(gtToken), basic('gt-ive', gtToken)]) {
      const answer = await get('/taxii2/', auth);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe(TAXII_MEDIA_TYPE);
      expect(answer.json.title).toBe('Enlace feeds');
      expect(answer.json.api_roots).toEqual([`${feed.url}/taxii2/gt/`]);
      expect(answer.json.default).toBe(`${feed.url}/taxii2/gt/`);
    }
    expect((await get('/taxii2/', bearer(mxToken))).json.api_roots).toEqual([`${feed.url}/taxii2/mx/`]);
  });

  it('gives an administrator every country, and URLs as a TLS-terminating proxy forwarded them', async () => {
    const answer = await fetch(`${feed.url}/taxii2/`, {
      headers: {
        authorization: bearer(adminToken),
        accept: TAXII_MEDIA_TYPE,
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'feeds.enlace.example',
      },
    });
    const json = (await answer.json()) as Loose;
    expect(json.api_roots).toEqual(
      expect.arrayContaining([
        'https://feeds.enlace.example/taxii2/gt/',
        'https://feeds.enlace.example/taxii2/mx/',
      ]),
    );
    expect(json.default).toBeUndefined();
    expect((await get('/taxii2/gt/collections/', bearer(adminToken))).json.collections).toHaveLength(
      (await get('/taxii2/gt/collections/', bearer(gtToken))).json.collections.length,
    );
  });

  it('negotiates the media type: 406 for what it cannot serve', async () => {
    for (const accept of [
      'application/taxii+json',
      '*/*',
      'application/json, application/taxii+json;version=2.1',
    ])
      expect((await get('/taxii2/gt/', bearer(gtToken), accept)).status).toBe(200);
    for (const accept of [
      'application/json',
      'application/taxii+json;version=2.0',
      'application/taxii+json;q=0',
    ]) {
      const answer = await get('/taxii2/gt/', bearer(gtToken), accept);
      expect(answer.status).toBe(406);
      expect(answer.json).toMatchObject({ error_code: 'ERR_NOT_ACCEPTABLE', http_status: '406' });
    }
  });

  it('describes the API root and lists the country feeds as read-only collections', async () => {
    const root = await get('/taxii2/gt/', bearer(gtToken));
    expect(root.json).toMatchObject({ versions: [TAXII_MEDIA_TYPE] });
    expect(typeof root.json.title).toBe('string');
    expect(Number.isInteger(root.json.max_content_length)).toBe(true);
    const list = await get('/taxii2/gt/collections/', bearer(gtToken));
    expect(list.status).toBe(200);
    expect(list.json.collections).toHaveLength(1);
    const collection = list.json.collections[0];
    expect(collection).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      title: 'gt-taxii',
      description: 'Enlace feed gt-taxii of GT',
      alias: 'gt-taxii',
      can_read: true,
      can_write: false,
      media_types: [STIX],
    });
    expect(collectionUrl).toBe(`/taxii2/gt/collections/${collection.id}/`);
    expect((await get(collectionUrl, bearer(gtToken))).json).toEqual(collection);
    expect((await get('/taxii2/gt/collections/gt-taxii/', basic('x', gtToken))).json.id).toBe(collection.id);
  });

  it('shows another country FIU nothing of Guatemala: 404 for its API root and collection', async () => {
    for (const path of [
      '/taxii2/gt/',
      '/taxii2/gt/collections/',
      collectionUrl,
      `${collectionUrl}objects/`,
    ]) {
      const answer = await get(path, bearer(mxToken));
      expect(answer.status, path).toBe(404);
      expect(answer.json.error_code).toBe('ERR_NOT_FOUND');
    }
    expect((await get('/taxii2/mx/collections/', bearer(mxToken))).json).toEqual({});
    expect((await get('/taxii2/xx/', bearer(gtToken))).status).toBe(404);
  });

  it('has no status resources (404) and refuses writes (403)', async () => {
    const status = await get('/taxii2/gt/status/2d086da7-4bdc-4f91-900e-d77486753710/', bearer(gtToken));
    expect(status.status).toBe(404);
    expect(status.json.http_status).toBe('404');
    const post = await get(`${collectionUrl}objects/`, bearer(gtToken), TAXII_MEDIA_TYPE, 'POST');
    expect(post.status).toBe(403);
    expect(post.json.error_code).toBe('ERR_FORBIDDEN');
  });
});

describe('TAXII 2.1: objects, manifest, versions', () => {
  it('pages every object by next, each valid STIX 2.1, in delivery order with the date headers', async () => {
    const validate = createStixObjectValidator();
    const { objects, pages } = await walk('&match[version]=all', 7);
    expect(pages.length).toBeGreaterThan(3);
    for (const page of pages) {
      expect(page.headers.get('content-type')).toBe(TAXII_MEDIA_TYPE);
      expect(page.json.objects.length).toBeLessThanOrEqual(7);
      expect(page.headers.get('x-taxii-date-added-first')).toMatch(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/,
      );
      expect(
        page.headers.get('x-taxii-date-added-last')! >= page.headers.get('x-taxii-date-added-first')!,
      ).toBe(true);
    }
    expect(pages.at(-1)!.json.more).toBe(false);
    expect(pages.at(-1)!.json.next).toBeUndefined();
    for (const object of objects) expect(validate(object), `${object.id}`).toBeUndefined();
    const keys = objects.map((o) => `${o.id}/${o.modified ?? o.created}`);
    expect(new Set(keys).size).toBe(keys.length);
    // One report per delivered alert, in the order the feed delivered them.
    const reports = objects
      .filter((o) => o.type === 'report' && o.revoked !== true)
      .map((o) => o.x_enlace_alert_id);
    expect(reports).toEqual([
      ids['route'],
      ids['retracted'],
      ids['document'],
      ids['network'],
      ids['retraction'],
      ids['restricted'],
      ids['superseding'],
    ]);
    const restricted = objects.find((o) => o.type === 'report' && o.x_enlace_alert_id === ids['restricted']);
    expect(restricted).toMatchObject({ x_enlace_body_exported: false, x_enlace_recipients: ['GT'] });
    // Same markings as the export: the official TLP 2.0 AMBER definition and a handling statement.
    expect(objects.some((o) => o.id === 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421')).toBe(
      true,
    );
    expect(objects.some((o) => o.type === 'sighting')).toBe(true);
  });

  it('publishes the retracted and the superseded alerts again as revoked versions, added later', async () => {
    const { objects } = await walk('&match[version]=all', 1000);
    for (const gone of [ids['retracted'], ids['document']]) {
      const report = objects.filter((o) => o.type === 'report' && o.x_enlace_alert_id === gone);
      expect(report.map((o) => o.revoked === true)).toEqual([false, true]);
      expect(report[1].modified > report[0].modified).toBe(true);
      expect(report[1].id).toBe(report[0].id);
    }
    const last = await walk('', 1000);
    const retracted = last.objects.find(
      (o) => o.type === 'report' && o.x_enlace_alert_id === ids['retracted'],
    );
    expect(retracted.revoked).toBe(true);
  });

  it('a client following added_after sees every change exactly once, then only what is new', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await get(
        `${collectionUrl}objects/?limit=5&match[version]=all${after === undefined ? '' : `&added_after=${after}`}`,
        bearer(gtToken),
      );
      if (page.json.objects === undefined) {
        expect(page.json.more).toBe(false);
        break;
      }
      seen.push(...page.json.objects.map((o: Loose) => `${o.id}/${o.modified ?? o.created}`));
      after = page.headers.get('x-taxii-date-added-last')!;
    }
    const { objects } = await walk('&match[version]=all', 1000);
    expect(seen).toEqual(objects.map((o) => `${o.id}/${o.modified ?? o.created}`));

    const later = await publish('MX', 'trafficking-liaison', 'route', route);
    await waitFor(
      'the new alert in the collection',
      async () =>
        (await get(`${collectionUrl}objects/?added_after=${after}`, bearer(gtToken))).json.objects !==
        undefined,
      30_000,
    );
    const fresh = await get(
      `${collectionUrl}objects/?added_after=${after}&match[type]=report`,
      bearer(gtToken),
    );
    expect(fresh.json.objects.map((o: Loose) => o.x_enlace_alert_id)).toEqual([later]);
  });

  it('filters by match[id], match[type], match[version] and match[spec_version]', async () => {
    const reports = await get(`${collectionUrl}objects/?match[type]=report,sighting`, bearer(gtToken));
    expect(new Set(reports.json.objects.map((o: Loose) => o.type))).toEqual(new Set(['report', 'sighting']));
    const one = reports.json.objects[0];
    const byId = await get(`${collectionUrl}objects/?match[id]=${one.id}`, bearer(gtToken));
    expect(byId.json.objects.map((o: Loose) => o.id)).toEqual([one.id]);
    expect((await get(`${collectionUrl}objects/?match[spec_version]=2.0`, bearer(gtToken))).json).toEqual({
      more: false,
    });
    const bad = await get(`${collectionUrl}objects/?match[version]=newest&limit=0`, bearer(gtToken));
    expect(bad.status).toBe(400);
    expect(bad.json.error_code).toBe('ERR_VALIDATION');
    expect(bad.json.details.violations.map((v: Loose) => v.path)).toEqual(['limit', 'match[version]']);
  });

  it('lists the manifest as the objects, and one object with its versions', async () => {
    const objects = (await walk('', 1000)).objects;
    const manifest = await get(`${collectionUrl}manifest/?limit=1000`, bearer(gtToken));
    expect(manifest.status).toBe(200);
    expect(manifest.json.objects.map((m: Loose) => `${m.id}/${m.version}`)).toEqual(
      objects.map((o) => `${o.id}/${o.modified ?? o.created}`),
    );
    for (const record of manifest.json.objects) {
      expect(Object.keys(record).sort()).toEqual(['date_added', 'id', 'media_type', 'version']);
      expect(record.media_type).toBe(STIX);
    }

    const report = objects.find((o) => o.type === 'report' && o.x_enlace_alert_id === ids['retracted']);
    const url = `${collectionUrl}objects/${report.id}/`;
    const latest = await get(url, bearer(gtToken));
    expect(latest.json.objects).toHaveLength(1);
    expect(latest.json.objects[0].revoked).toBe(true);
    const first = await get(`${url}?match[version]=first`, bearer(gtToken));
    expect(first.json.objects[0].revoked).toBeUndefined();
    const versions = await get(`${url}versions/`, basic('gt', gtToken));
    expect(versions.status).toBe(200);
    expect(versions.json).toEqual({
      more: false,
      versions: [first.json.objects[0].modified, report.modified],
    });
    expect(versions.headers.get('x-taxii-date-added-first')).toBeTruthy();
    const missing = await get(
      `${collectionUrl}objects/report--2d086da7-4bdc-4f91-900e-d77486753710/`,
      bearer(gtToken),
    );
    expect(missing.status).toBe(404);
  });
});

describe('MISP feed', () => {
  it('serves manifest.json, hashes.csv and one event per alert, in the format MISP reads', async () => {
    const manifest = await get('/misp/gt/taxii/manifest.json', bearer(gtToken), undefined);
    expect(manifest.status).toBe(200);
    const uuids = Object.keys(manifest.json);
    // Seven alerts, and the one the added_after walk publishes when it ran first.
    expect(uuids.length).toBeGreaterThanOrEqual(7);
    const hashes = new Set<string>();
    for (const uuid of uuids) {
      const entry = manifest.json[uuid];
      expect(Object.keys(entry)).toEqual(
        expect.arrayContaining(['info', 'date', 'threat_level_id', 'analysis', 'timestamp', 'Orgc', 'Tag']),
      );
      const event = await get(`/misp/gt/taxii/${uuid}.json`, basic('misp', gtToken), undefined);
      expect(event.status).toBe(200);
      const e = event.json.Event;
      expect(e).toMatchObject({ uuid, info: entry.info, date: entry.date, timestamp: entry.timestamp });
      expect(e.date).toMatch(/^\d{4}-\d\d-\d\d$/);
      expect(['1', '2', '3', '4']).toContain(e.threat_level_id);
      expect(['0', '1', '2']).toContain(e.analysis);
      expect(e.Tag.map((t: Loose) => t.name)).toEqual(
        expect.arrayContaining(['tlp:amber', 'enlace:handling="H1"']),
      );
      expect(Array.isArray(e.Attribute) && Array.isArray(e.Object)).toBe(true);
      for (const a of [...e.Attribute, ...e.Object.flatMap((o: Loose) => o.Attribute)]) {
        expect(Object.keys(a)).toEqual(
          expect.arrayContaining(['uuid', 'type', 'category', 'value', 'to_ids', 'timestamp']),
        );
        if (a.deleted !== true) hashes.add(`${createHash('md5').update(a.value).digest('hex')},${uuid}`);
      }
    }
    const csv = await get('/misp/gt/taxii/hashes.csv', bearer(gtToken), undefined);
    expect(csv.status).toBe(200);
    expect(new Set(csv.text.trim().split('\n'))).toEqual(hashes);

    const retracted = Object.entries(manifest.json).find(([, entry]) =>
      (entry as Loose).Tag.some((t: Loose) => t.name === 'enlace:state="retracted"'),
    );
    expect(retracted).toBeDefined();
    // The restricted alert: its header only, and a word that the body is encrypted.
    const restricted = await get(
      `/misp/gt/taxii/${mispEventUuid(ids['restricted']!)}.json`,
      bearer(gtToken),
      undefined,
    );
    expect(restricted.json.Event.Attribute.map((a: Loose) => a.type)).toEqual(['text', 'comment']);
    expect(restricted.json.Event.Object).toEqual([]);
  });

  it('refuses without a token and hides Guatemala feed from another country', async () => {
    const none = await get('/misp/gt/taxii/manifest.json', undefined, undefined);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(none.json.error.code).toBe('ERR_UNAUTHENTICATED');
    const other = await get('/misp/gt/taxii/manifest.json', bearer(mxToken), undefined);
    expect(other.status).toBe(404);
    expect(other.json.error.code).toBe('ERR_NOT_FOUND');
  });
});

describe('enlace feed taxii-url', () => {
  it('prints URLs that a TAXII client and MISP can follow', async () => {
    let out = '';
    const code = await main(['feed', 'taxii-url', 'gt-taxii', '--json'], {
      stdout: { write: (t) => void (out += t) },
      stderr: { write: () => undefined },
      env: { ENLACE_FEED_URL: feed.url, ENLACE_FEED_TOKEN: gtToken },
    });
    expect(code).toBe(0);
    const urls = JSON.parse(out) as Record<string, string>;
    expect(urls).toEqual({
      discovery: `${feed.url}/taxii2/`,
      apiRoot: `${feed.url}/taxii2/gt/`,
      collection: `${feed.url}/taxii2/gt/collections/gt-taxii/`,
      objects: `${feed.url}/taxii2/gt/collections/gt-taxii/objects/`,
      misp: `${feed.url}/misp/gt/taxii/`,
    });
    expect((await get(urls['objects']!, basic('gt', gtToken))).json.objects.length).toBeGreaterThan(0);
    expect((await get(`${urls['misp']}manifest.json`, bearer(gtToken), undefined)).status).toBe(200);
  });
});

describe('a suspended country', () => {
  it('has its collections and MISP feeds refused until it is reinstated', async () => {
    const admin = { actor: { id: 'admin@secretariat', roles: ['administrator' as const] }, reason: 'test' };
    await net.registry.service.suspendCountry({ code: 'GT' }, { ...admin, decision: 'test' });
    try {
      await waitFor(
        'the suspension to reach the feed service',
        async () => (await get(`${collectionUrl}objects/`, bearer(gtToken))).status === 403,
        20_000,
      );
      const refused = await get(`${collectionUrl}objects/`, basic('gt', gtToken));
      expect(refused.json).toMatchObject({ error_code: 'ERR_FORBIDDEN', http_status: '403' });
      expect(refused.json.description).toContain('GT is suspended');
      expect((await get('/misp/gt/taxii/manifest.json', bearer(gtToken), undefined)).json.error.code).toBe(
        'ERR_FORBIDDEN',
      );
      // An administrator still sees the collection, never its objects (the read rule keeps
      // the holder's H2 and H3 from readers of no country).
      expect((await get(collectionUrl, bearer(adminToken))).status).toBe(200);
      const content = await get(`${collectionUrl}objects/`, bearer(adminToken));
      expect(content.status).toBe(403);
      expect(content.json).toMatchObject({ error_code: 'ERR_FORBIDDEN' });
    } finally {
      await net.registry.service.reinstateCountry({ code: 'GT' }, { ...admin, decision: 'test' });
    }
    await waitFor(
      'the reinstatement to reach the feed service',
      async () => (await get(`${collectionUrl}objects/`, bearer(gtToken))).status === 200,
      20_000,
    );
  }, 60_000);
});

describe('TAXII 2.1 at volume', () => {
  it('pages 10,000 alerts with limit=1000 in bounded memory', async () => {
    const created = await fetch(`${feed.url}/v1/feeds`, {
      method: 'POST',
      headers: { authorization: bearer(gtToken), 'content-type': 'application/json' },
      // A feed that nothing published matches: its collection is filled here directly.
      body: JSON.stringify({
        name: 'bulk',
        filter: { origins: ['CR'], kinds: ['network'] },
        sink: { type: 'file', directory: 'bulk' },
      }),
    });
    expect(created.status).toBe(201);
    const definition = ((await created.json()) as Loose).feed as FeedDefinition;
    const at = new Date();
    for (let i = 0; i < 10_000; i++) {
      const id = uuidv7(at.getTime() + i);
      const alert = alertFromJson({
        header: {
          ...header('CR', 'trafficking-liaison', 'document', `document ${i}`),
          id,
          issuedAt: at.toISOString(),
        },
        document: documentBody(`serie ${i}`),
      });
      feed.collections.append(definition, { alert, body: undefined }, at);
      // The service runs in this process: let it breathe (keep-alive timers, the runners).
      if (i % 500 === 499) await new Promise((r) => setTimeout(r, 1));
    }
    const list = await get('/taxii2/gt/collections/', bearer(gtToken));
    const bulk = list.json.collections.find((c: Loose) => c.alias === 'gt-bulk');
    const url = `/taxii2/gt/collections/${bulk.id}/objects/?limit=1000&match[type]=report`;
    const heapBefore = process.memoryUsage().heapUsed;
    let peak = 0;
    let next: string | undefined;
    let reports = 0;
    const times: number[] = [];
    for (;;) {
      const started = performance.now();
      const page = await get(`${url}${next === undefined ? '' : `&next=${next}`}`, bearer(gtToken));
      times.push(performance.now() - started);
      expect(page.status).toBe(200);
      expect(page.json.objects.length).toBeLessThanOrEqual(1000);
      reports += page.json.objects.length;
      peak = Math.max(peak, process.memoryUsage().heapUsed - heapBefore);
      if (!page.json.more) break;
      next = page.json.next;
    }
    expect(reports).toBe(10_000);
    expect(times).toHaveLength(10);
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    console.info(
      `TAXII: 10,000 reports in ${times.length} pages of 1000, ${mean.toFixed(0)} ms per page (max ${Math.max(...times).toFixed(0)}), heap growth ${(peak / 1e6).toFixed(1)} MB`,
    );
    expect(peak).toBeLessThan(256e6);
  }, 180_000);
});
