/**
 * FIU feeds end to end, on a real nats-server with the real registry: alerts of several
 * countries and kinds are signed with their origin's key and published on ENLACE_ALERTS (some
 * forged, some H2), and the feed service delivers what each feed may have — in order, each
 * record carrying the original SignedAlert, re-verified here with nothing but the registry's
 * JWKS, protobufjs and node:crypto. A webhook that fails for a while then recovers gets
 * everything; a restart of the feed service loses nothing; a malformed definition creates
 * nothing; matching finds exactly the planted digests.
 */
import { createHmac, createPublicKey, randomBytes, verify } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

import { main } from '@enlace/cli';
import { createFeedClient, EnlaceHttpError } from '@enlace/client';
import { signAlert } from '@enlace/crypto';
import type { PrivateSigningJwk } from '@enlace/crypto';
import { createFeedApp } from '@enlace/feed';
import type { FeedApp } from '@enlace/feed';
import { createToken, issueToken, REGISTRY_PRIVATE_KEY_FILE, SERVICE_AUDIENCES } from '@enlace/trust';
import { alertFromJson, encodeAlert, encodeSignedAlert } from '@enlace/schema';
import { ALERTS_STREAM, alertSubject, ensureEnlaceStreams, publishAlert } from '@enlace/transport';
import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createEnlaceNetwork, uuidv7, waitFor } from './support/enlace-network.js';
import type { EnlaceNetwork } from './support/enlace-network.js';

/** Parsed JSON from the API, read field by field in assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const protoDir = resolve(import.meta.dirname, '../proto');
const COUNTRIES = ['MX', 'GT', 'HN', 'CR'];
const MATCH_KEY = { keyId: 'fiu-exchange-match-2026-01', secret: randomBytes(32) };

let server: NatsServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;
let net: EnlaceNetwork;
let feed: FeedApp;
let gtToken: string;
let mxToken: string;
let adminToken: string;

interface Published {
  readonly id: string;
  readonly origin: string;
  readonly kind: string;
  readonly network: string;
  readonly handling: string;
  readonly forged: boolean;
}
const published: Published[] = [];

function digest(canonical: string): string {
  return createHmac('sha256', MATCH_KEY.secret).update(canonical, 'utf8').digest('base64');
}

function header(
  origin: string,
  network: string,
  kind: string,
  handling: string,
  title: string,
): Record<string, unknown> {
  return {
    origin,
    network,
    kind,
    expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    handling: `HANDLING_CODE_${handling}`,
    tlp: 'TLP_MARKING_AMBER',
    grading: {
      sourceReliability: 'SOURCE_RELIABILITY_B',
      informationCredibility: 'INFORMATION_CREDIBILITY_2',
    },
    title,
    summary: 'Alerta de prueba de los feeds.',
    language: 'es',
  };
}

const route = {
  waypoints: [
    {
      country: 'GT',
      place: 'Tecún Umán',
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

function documentBody(numbers: readonly string[]): Record<string, unknown> {
  return {
    documentType: 'DOCUMENT_TYPE_PASSPORT',
    issuingCountry: 'CR',
    fraudType: 'FRAUD_TYPE_COUNTERFEIT',
    numberPatterns: ['A01######'],
    numberDigests: numbers.map((n) => ({ digest: digest(`doc:CR:${n}`), keyId: MATCH_KEY.keyId })),
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

function networkBody(accounts: readonly string[]): Record<string, unknown> {
  return {
    entities: [
      { pseudonym: 'El Contador', roles: ['ENTITY_ROLE_FINANCIER'], countries: ['GT'] },
      { pseudonym: 'E2', roles: ['ENTITY_ROLE_RECRUITER'], countries: ['GT'] },
    ],
    links: [{ from: 'El Contador', to: 'E2', relation: 'LINK_RELATION_DIRECTS' }],
    countriesOfOperation: ['GT', 'MX'],
    modusOperandi: 'Cobros por remesas fraccionadas a cuentas de terceros.',
    financial: {
      accounts: accounts.map((a) => ({
        digest: { digest: digest(`acct:GT:${a}`), keyId: MATCH_KEY.keyId },
        country: 'GT',
        type: 'ACCOUNT_TYPE_BANK_ACCOUNT',
        holderPseudonym: 'El Contador',
      })),
      estimatedProceeds: { currency: 'USD', min: '50000', max: '90000' },
    },
  };
}

/** Signs and publishes an alert as its origin's node would (or with a forged signature). */
async function publish(
  origin: string,
  network: string,
  kind: 'route' | 'document' | 'network',
  handling: string,
  body: Record<string, unknown>,
  options: { forged?: boolean; expiresAt?: string } = {},
): Promise<Published> {
  const id = uuidv7();
  const alert = alertFromJson({
    header: {
      ...header(origin, network, `ALERT_KIND_${kind.toUpperCase()}`, handling, `${kind} ${published.length}`),
      id,
      issuedAt: new Date().toISOString(),
      ...(options.expiresAt !== undefined && { expiresAt: options.expiresAt }),
    },
    [kind]: body,
  });
  const parts = await signAlert(encodeAlert(alert), net.signingKeys[origin] as PrivateSigningJwk);
  const signature = Uint8Array.from(parts.signature);
  if (options.forged === true) signature[0] = (signature[0]! + 1) % 256;
  await publishAlert(js, {
    subject: alertSubject({ network, kind, origin }),
    envelope: encodeSignedAlert({ alert: parts.alert, protectedHeader: parts.protectedHeader, signature }),
    msgId: id,
  });
  const entry = { id, origin, kind, network, handling, forged: options.forged === true };
  published.push(entry);
  return entry;
}

async function api(
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; json: Loose }> {
  const response = await fetch(`${feed.url}${path}`, {
    method,
    headers: {
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    json: text === '' ? undefined : (JSON.parse(text.split('\n')[0]!) as unknown),
  };
}

async function startFeed(): Promise<FeedApp> {
  return createFeedApp({
    natsUrl: server.url,
    dataDir: join(net.root, 'feed'),
    registryPublicJwk: net.pinned,
    logger: false,
    // Feeds' files under <files>/<CC>/; the spec's own webhook receiver listens on loopback.
    fileRoot: files(),
    webhookAllow: ['127.0.0.1'],
    limits: { matchDigestsPerMinute: 1_000 },
  });
}

/** The feed service's file root. */
function files(): string {
  return join(net.root, 'files');
}

/**
 * What a country's feeds get of the published alerts: everything not forged (every test country
 * receives trafficking-liaison routes/documents and fiu-exchange networks), H2 of others
 * included: a feed of the country holding an alert is not onward dissemination (evaluateRead).
 */
function expectedFor(_country: string, filter: (p: Published) => boolean = () => true): string[] {
  return published.filter((p) => !p.forged && filter(p)).map((p) => p.id);
}

async function readJsonl(dir: string): Promise<Array<Record<string, Loose>>> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.jsonl')).sort();
  const lines: Array<Record<string, Loose>> = [];
  // Rotated files carry a timestamp after the feed id; the current file is the newest.
  const current = files.filter((f) => /^[a-z]+-[a-z0-9-]+\.jsonl$/.test(f) && !/-\d{8}T/.test(f));
  const rotated = files.filter((f) => !current.includes(f));
  for (const file of [...rotated, ...current])
    for (const line of (await readFile(join(dir, file), 'utf8')).split('\n'))
      if (line.trim() !== '') lines.push(JSON.parse(line));
  return lines;
}

beforeAll(async () => {
  server = await startNatsServer({ backend: 'binary', name: 'feeds-e2e' });
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
  mxToken = await issueToken(key, {
    subject: 'mx-uif-analyst',
    roles: ['fiu-analyst'],
    country: 'MX',
    audience: SERVICE_AUDIENCES.feed,
    ttlSeconds: 3600,
  });
  adminToken = await issueToken(key, {
    subject: 'admin@secretariat',
    roles: ['administrator'],
    audience: SERVICE_AUDIENCES.feed,
    ttlSeconds: 3600,
  });

  // 24 alerts before any feed exists: routes, documents with digests, networks with accounts,
  // two forged, two H2 of HN.
  for (let i = 0; i < 6; i++) await publish('MX', 'trafficking-liaison', 'route', 'H1', route);
  await publish('HN', 'trafficking-liaison', 'route', 'H2', route);
  await publish('MX', 'trafficking-liaison', 'route', 'H1', route, { forged: true });
  for (let i = 0; i < 5; i++)
    await publish('CR', 'trafficking-liaison', 'document', 'H0', documentBody([`A0123456${i}`, `B99${i}`]));
  for (let i = 0; i < 5; i++)
    await publish(
      'GT',
      'fiu-exchange',
      'network',
      i === 0 ? 'H2' : 'H1',
      networkBody([`0321800001183597${i}`]),
    );
  await publish('CR', 'fiu-exchange', 'network', 'H1', networkBody(['99999']), { forged: true });
  for (let i = 0; i < 4; i++) await publish('MX', 'trafficking-liaison', 'route', 'H0', route);
  await publish('HN', 'trafficking-liaison', 'route', 'H2', route);
  feed = await startFeed();
}, 120_000);

afterAll(async () => {
  await feed?.close();
  await nc?.close();
  await net?.close();
  await server?.stop();
});

describe('feed definitions', () => {
  it('a malformed definition gets every bad field named and creates nothing', async () => {
    const before = await api('GET', '/v1/feeds', gtToken);
    const bad = await api('POST', '/v1/feeds', gtToken, {
      name: 'Bad Name!',
      filter: { networks: ['no-such-network'], kinds: ['passport'], minGrading: 'Z9', colour: 'red' },
      start: 'yesterday',
      sink: { type: 'webhook', url: 'http://fiu.example/hook', secret: 'short' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('ERR_VALIDATION');
    const paths = bad.json.error.violations.map((v: { path: string }) => v.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'name',
        'filter.networks[0]',
        'filter.kinds[0]',
        'filter.minGrading',
        'filter.colour',
        'start',
        'sink.url',
        'sink.secret',
      ]),
    );
    const codes = bad.json.error.violations.map((v: { code: string }) => v.code);
    expect(codes).toEqual(
      expect.arrayContaining([
        'invalid_name',
        'unknown_network',
        'invalid_grading',
        'unknown_field',
        'invalid_start',
      ]),
    );
    expect((await api('POST', '/v1/feeds', gtToken, '{"name": ')).json.error.code).toBe('ERR_VALIDATION');
    expect((await api('POST', '/v1/feeds', gtToken, [])).json.error.violations[0].code).toBe('invalid_type');
    const after = await api('GET', '/v1/feeds', gtToken);
    expect(after.json.feeds).toEqual(before.json.feeds);
    const consumers = [];
    for await (const c of (await jetstreamManager(nc)).consumers.list('ENLACE_ALERTS'))
      consumers.push(c.name);
    expect(consumers.filter((c) => c.startsWith('feed-gt-'))).toEqual([]);
  });

  it('refuses requests without a registry token, and hides other countries’ feeds', async () => {
    expect((await api('GET', '/v1/feeds', undefined)).json.error.code).toBe('ERR_UNAUTHENTICATED');
    expect((await api('GET', '/v1/feeds', 'not-a-token')).json.error.code).toBe('ERR_UNAUTHENTICATED');
    const dir = join(files(), 'MX', 'mx-private');
    const created = await api('POST', '/v1/feeds', mxToken, {
      name: 'private',
      sink: { type: 'file', directory: dir },
    });
    expect(created.status).toBe(201);
    expect((await api('GET', '/v1/feeds/mx-private', gtToken)).json.error.code).toBe('ERR_NOT_FOUND');
    expect((await api('GET', '/v1/feeds', gtToken)).json.feeds.map((f: Loose) => f.feed.id)).not.toContain(
      'mx-private',
    );
    expect(
      (await api('POST', '/v1/feeds', mxToken, { name: 'private', sink: { type: 'file', directory: dir } }))
        .json.error.code,
    ).toBe('ERR_CONFLICT');
    // An administrator sees every country's feeds.
    const all = await api('GET', '/v1/feeds', adminToken);
    expect(all.json.feeds.map((f: Loose) => f.feed.id)).toContain('mx-private');
    expect((await api('DELETE', '/v1/feeds/mx-private', mxToken)).status).toBe(204);
  });
});

describe('tokens', () => {
  async function registryKey(): Promise<{ privateJwk: Record<string, unknown>; kid: string }> {
    const privateJwk = JSON.parse(
      await readFile(join(net.root, 'registry', REGISTRY_PRIVATE_KEY_FILE), 'utf8'),
    ) as Record<string, unknown>;
    return { privateJwk, kid: net.pinned['kid'] as string };
  }

  it("refuses a node's token, saying which audience it expected", async () => {
    const nodeToken = await issueToken(await registryKey(), {
      subject: 'gt-igm-liaison-1',
      roles: ['focal-point'],
      country: 'GT',
      audience: SERVICE_AUDIENCES.node,
    });
    const refused = await api('GET', '/v1/feeds', nodeToken);
    expect(refused.status).toBe(401);
    expect(refused.json.error.code).toBe('ERR_UNAUTHENTICATED');
    expect(refused.json.error.message).toBe(
      'the bearer token is not for this service: it expected the audience "enlace-feed", the token has "enlace-node"',
    );
  });

  it('refuses a revoked token within seconds of the revocation (through the change event)', async () => {
    const issued = await createToken(await registryKey(), {
      subject: 'gt-ive-analyst',
      roles: ['fiu-analyst'],
      country: 'GT',
      audience: SERVICE_AUDIENCES.feed,
    });
    expect((await api('GET', '/v1/feeds', issued.token)).status).toBe(200);
    const at = Date.now();
    await net.registry.service.revokeToken(
      { jti: issued.jti },
      { actor: { id: 'admin@secretariat', roles: ['administrator'] }, reason: 'analyst left' },
    );
    let refused = await api('GET', '/v1/feeds', issued.token);
    while (refused.status !== 401 && Date.now() - at < 5_000) {
      await new Promise((r) => setTimeout(r, 20));
      refused = await api('GET', '/v1/feeds', issued.token);
    }
    expect(Date.now() - at).toBeLessThan(3_000);
    expect(refused.status).toBe(401);
    expect(refused.json.error.code).toBe('ERR_UNAUTHENTICATED');
    expect(refused.json.error.message).toMatch(
      new RegExp(`^token revoked: token ${issued.jti} was revoked at `),
    );
    // The analyst's other token still works.
    expect((await api('GET', '/v1/feeds', gtToken)).status).toBe(200);
  });
});

describe('sink confinement (file roots, webhook addresses)', () => {
  it('keeps file sinks inside the country root and webhooks off internal addresses, naming the field', async () => {
    const secret = randomBytes(32).toString('hex');
    const refused = async (sink: Record<string, unknown>): Promise<Array<{ path: string; code: string }>> => {
      const answer = await api('POST', '/v1/feeds', gtToken, { name: 'escape', sink });
      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe('ERR_VALIDATION');
      return answer.json.error.violations.map(({ path, code }: { path: string; code: string }) => ({
        path,
        code,
      }));
    };
    expect(await refused({ type: 'file', directory: join(files(), 'MX', 'theirs') })).toEqual([
      { path: 'sink.directory', code: 'outside_file_root' },
    ]);
    expect(await refused({ type: 'file', directory: '/etc' })).toEqual([
      { path: 'sink.directory', code: 'outside_file_root' },
    ]);
    expect(await refused({ type: 'file', directory: '../MX' })).toEqual([
      { path: 'sink.directory', code: 'invalid_path' },
    ]);
    expect(await refused({ type: 'file', directory: 'big', maxBytes: 2 ** 40 })).toEqual([
      { path: 'sink.maxBytes', code: 'too_big' },
    ]);
    for (const url of [
      'https://169.254.169.254/latest/meta-data',
      'https://[fd00:ec2::254]/',
      'https://10.0.0.1/',
    ]) {
      expect(await refused({ type: 'webhook', url, secret }), url).toEqual([
        { path: 'sink.url', code: 'blocked_address' },
      ]);
    }
    expect(await refused({ type: 'webhook', url: 'http://[::1]:9/hook', secret })).toEqual([
      { path: 'sink.url', code: 'insecure_url' },
    ]);
    // A relative directory lands under <root>/GT/.
    const created = await api('POST', '/v1/feeds', gtToken, {
      name: 'relative',
      start: 'beginning',
      sink: { type: 'file', directory: 'fiu-gt' },
    });
    expect(created.status).toBe(201);
    expect(created.json.feed.sink.directory).toBe('fiu-gt');
    await waitFor(
      'the relative feed to write',
      async () => (await readJsonl(join(files(), 'GT', 'fiu-gt')).catch(() => [])).length > 0,
      30_000,
    );
    expect((await api('DELETE', '/v1/feeds/gt-relative', gtToken)).status).toBe(204);
  }, 60_000);
});

describe('delivery', () => {
  it('replaying from the beginning yields every accepted alert in order, each re-verifiable with only the JWKS', async () => {
    const dir = join(files(), 'GT', 'gt-all');
    const created = await api('POST', '/v1/feeds', gtToken, {
      name: 'all',
      start: 'beginning',
      sink: { type: 'file', directory: dir },
    });
    expect(created.status).toBe(201);
    expect(created.json.feed.id).toBe('gt-all');
    const expected = expectedFor('GT');
    await waitFor(
      'gt-all to deliver',
      async () => (await readJsonl(dir).catch(() => [])).length >= expected.length,
      30_000,
    );
    const records = await readJsonl(dir);
    expect(records.map((r) => r.alert.header.id)).toEqual(expected);
    const seqs = records.map((r) => r.seq as number);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    const status = await api('GET', '/v1/feeds/gt-all', gtToken);
    expect(status.json.counters.rejected.bad_signature).toBe(2);
    // HN's two H2 alerts, which GT received, reach GT's feed (they were left out before).
    const h2 = records.filter(
      (r) => r.alert.header.handling === 'HANDLING_CODE_H2' && r.alert.header.origin === 'HN',
    );
    expect(h2).toHaveLength(2);
    expect(status.json.counters.readRefused).toBe(0);
    // The same counts on /metrics (prom-client, the feed service's own registry), with the process's.
    const metrics = await (await fetch(`${feed.url}/metrics`)).text();
    expect(metrics).toMatch(/^enlace_feed_records_delivered_total\{feed="gt-all"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^enlace_feed_alerts_rejected_total\{feed="gt-all",reason="bad_signature"\} 2$/m);
    expect(metrics).toMatch(/^enlace_feed_state\{feed="gt-all",state="running"\} 1$/m);
    expect(metrics).toMatch(/^enlace_feed_indexed_digests \d+$/m);
    expect(metrics).toMatch(/^process_resident_memory_bytes \d+$/m);
    const ready = (await (await fetch(`${feed.url}/health/ready`)).json()) as { status: string };
    expect(ready.status).toBe('ok');

    // Independent re-verification: JWKS over HTTP, protobufjs reading proto/, node:crypto.
    const jwks = (await (await fetch(`${net.registry.url}/.well-known/jwks.json`)).json()) as {
      keys: Array<Record<string, string>>;
    };
    const root = new protobuf.Root();
    root.resolvePath = (_o, target) => (target.startsWith(protoDir) ? target : join(protoDir, target));
    await root.load(
      (await readdir(protoDir, { recursive: true })).filter((f) => f.endsWith('.proto')),
      { keepCase: false },
    );
    const SignedAlert = root.lookupType('enlace.alert.v1.SignedAlert');
    const Alert = root.lookupType('enlace.alert.v1.Alert');
    for (const record of records) {
      const signed = SignedAlert.decode(Buffer.from(record.signedAlert, 'base64')) as unknown as {
        alert: Uint8Array;
        protectedHeader: string;
        signature: Uint8Array;
      };
      const kid = JSON.parse(Buffer.from(signed.protectedHeader, 'base64url').toString('utf8')).kid as string;
      const jwk = jwks.keys.find((k) => k['kid'] === kid)!;
      expect(jwk, `JWKS holds ${kid}`).toBeDefined();
      const input = Buffer.concat([Buffer.from(`${signed.protectedHeader}.`, 'ascii'), signed.alert]);
      expect(verify(null, input, createPublicKey({ key: jwk, format: 'jwk' }), signed.signature)).toBe(true);
      const alert = Alert.toObject(Alert.decode(signed.alert)) as { header: { id: string; origin: string } };
      expect(alert.header.id).toBe(record.alert.header.id);
      expect(jwk['kid']).toMatch(new RegExp(`^${alert.header.origin}-sig-`));
    }
  }, 60_000);

  it('filters by network, kind, origin, handling, grading and financial indicators; H2 reaches every holder', async () => {
    const fin = join(files(), 'MX', 'mx-fin');
    await api('POST', '/v1/feeds', mxToken, {
      name: 'fin',
      start: 'beginning',
      filter: { networks: ['fiu-exchange'], financialOnly: true, minGrading: 'C3', handling: ['H1', 'H2'] },
      sink: { type: 'file', directory: fin },
    });
    const gtOwn = join(files(), 'GT', 'gt-own');
    await api('POST', '/v1/feeds', gtToken, {
      name: 'own',
      start: 'beginning',
      filter: { origins: ['GT'], kinds: ['network'] },
      sink: { type: 'file', directory: gtOwn },
    });
    const mxExpected = expectedFor('MX', (p) => p.network === 'fiu-exchange');
    const gtExpected = expectedFor('GT', (p) => p.origin === 'GT');
    await waitFor(
      'filtered feeds',
      async () => {
        const a = await readJsonl(fin).catch(() => []);
        const b = await readJsonl(gtOwn).catch(() => []);
        return a.length >= mxExpected.length && b.length >= gtExpected.length;
      },
      30_000,
    );
    const mx = await readJsonl(fin);
    expect(mx.map((r) => r.alert.header.id)).toEqual(mxExpected);
    expect(mx.every((r) => r.financial === true)).toBe(true);
    // GT's H2 network alert reaches GT's feed and, MX having received it, MX's.
    expect(mx.some((r) => r.alert.header.handling === 'HANDLING_CODE_H2')).toBe(true);
    const gt = await readJsonl(gtOwn);
    expect(gt.map((r) => r.alert.header.id)).toEqual(gtExpected);
    expect(gt.some((r) => r.alert.header.handling === 'HANDLING_CODE_H2')).toBe(true);
  }, 60_000);

  it('a webhook receiver that fails for a while then recovers receives everything, signed, in order', async () => {
    const secret = randomBytes(32).toString('hex');
    const received: Array<{ id: string; seq: number }> = [];
    let failures = 0;
    const failUntil = Date.now() + 3_000;
    const receiver: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (Date.now() < failUntil) {
          failures++;
          res.statusCode = 503;
          res.end();
          return;
        }
        const body = Buffer.concat(chunks).toString('utf8');
        const timestamp = String(req.headers['enlace-timestamp']);
        const expected = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
        if (req.headers['enlace-signature'] !== `v1=${expected}`) {
          res.statusCode = 401;
          res.end();
          return;
        }
        const record = JSON.parse(body) as { id: string; seq: number };
        expect(req.headers['enlace-record-id']).toBe(record.id);
        if (!received.some((r) => r.id === record.id)) received.push({ id: record.id, seq: record.seq });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as AddressInfo).port;
    try {
      const created = await api('POST', '/v1/feeds', gtToken, {
        name: 'hook',
        start: 'beginning',
        filter: { networks: ['trafficking-liaison'] },
        sink: { type: 'webhook', url: `http://127.0.0.1:${port}/enlace`, secret },
      });
      expect(created.status).toBe(201);
      expect(JSON.stringify(created.json)).not.toContain(secret);
      // More alerts while the receiver is failing.
      for (let i = 0; i < 3; i++) await publish('MX', 'trafficking-liaison', 'route', 'H1', route);
      const expected = expectedFor('GT', (p) => p.network === 'trafficking-liaison');
      await waitFor('the webhook to receive everything', () => received.length >= expected.length, 60_000);
      expect(failures).toBeGreaterThan(0);
      expect(received.map((r) => r.id)).toEqual(expected.map((id) => `gt-hook:${id}`));
      expect(received.map((r) => r.seq)).toEqual([...received.map((r) => r.seq)].sort((a, b) => a - b));
    } finally {
      await api('DELETE', '/v1/feeds/gt-hook', gtToken);
      await new Promise((r) => receiver.close(r));
    }
  }, 90_000);

  it('a restart of the feed service loses nothing and repeats nothing', async () => {
    const dir = join(files(), 'GT', 'gt-restart');
    await api('POST', '/v1/feeds', gtToken, {
      name: 'restart',
      start: 'now',
      sink: { type: 'file', directory: dir },
    });
    for (let i = 0; i < 5; i++) await publish('MX', 'trafficking-liaison', 'route', 'H0', route);
    await waitFor('first five', async () => (await readJsonl(dir).catch(() => [])).length >= 5, 30_000);
    await feed.close();
    // Published while the feed service is down.
    for (let i = 0; i < 5; i++)
      await publish('CR', 'trafficking-liaison', 'document', 'H0', documentBody([`C7700${i}`]));
    feed = await startFeed();
    const expected = published.slice(-10).map((p) => p.id);
    await waitFor('all ten after the restart', async () => (await readJsonl(dir)).length >= 10, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    const records = await readJsonl(dir);
    expect(records.map((r) => r.alert.header.id)).toEqual(expected);
  }, 60_000);

  it('a feed whose consumer an operator removed creates it again and keeps delivering', async () => {
    const dir = join(files(), 'GT', 'gt-consumer-removed');
    const created = await api('POST', '/v1/feeds', gtToken, {
      name: 'consumer-removed',
      start: 'now',
      sink: { type: 'file', directory: dir },
    });
    expect(created.status).toBe(201);
    const durable = created.json.consumer as string;
    expect(durable).toMatch(/^feed-gt-consumer-removed-\d+$/);
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.info(ALERTS_STREAM, durable);
    await publish('MX', 'trafficking-liaison', 'route', 'H0', route);
    await waitFor('the first record', async () => (await readJsonl(dir).catch(() => [])).length >= 1, 30_000);
    await jsm.consumers.delete(ALERTS_STREAM, durable);
    await waitFor(
      'the consumer again',
      async () =>
        await jsm.consumers
          .info(ALERTS_STREAM, durable)
          .then(() => true)
          .catch(() => false),
      30_000,
    );
    await publish('CR', 'trafficking-liaison', 'document', 'H0', documentBody(['D55001']));
    const expected = published.slice(-2).map((p) => p.id);
    await waitFor('the record after', async () => (await readJsonl(dir)).length >= 2, 30_000);
    expect((await readJsonl(dir)).map((r) => r.alert.header.id)).toEqual(expected);
  }, 60_000);
});

describe('tail, replay, export', () => {
  it('streams records as NDJSON with the number to look at, and exports a STIX bundle', async () => {
    const gt = createFeedClient({ baseUrl: feed.url, token: gtToken });
    const records = await gt.feeds.records('gt-all', { from: 'beginning' });
    expect(records.pending).toBeGreaterThan(0);
    const ids: string[] = [];
    for await (const record of records) ids.push((record.alert as { header: { id: string } }).header.id);
    expect(ids).toEqual(expectedFor('GT'));

    const stix = await gt.feeds.export('gt-all', { format: 'stix' });
    expect(stix.contentType).toContain('application/stix+json');
    expect(stix.filename).toBe('gt-all.stix.json');
    let text = '';
    for await (const chunk of stix) text += chunk;
    const bundle = JSON.parse(text) as { type: string; objects: Array<{ type: string; id: string }> };
    expect(bundle.type).toBe('bundle');
    const types = new Set(bundle.objects.map((o) => o.type));
    for (const t of ['location', 'threat-actor', 'indicator', 'relationship', 'marking-definition'])
      expect(types).toContain(t);
    expect(new Set(bundle.objects.map((o) => o.id)).size).toBe(bundle.objects.length);
    const reports = (bundle.objects as Array<{ type: string; x_enlace_handling?: string }>).filter(
      (o) => o.type === 'report',
    );
    // GT's FIU exports what GT holds, H2 included; for the process's administrator, H2 stays out.
    expect(reports.filter((r) => r.x_enlace_handling === 'H2')).toHaveLength(3);
    const forAdmin = await createFeedClient({ baseUrl: feed.url, token: adminToken }).feeds.export('gt-all', {
      format: 'jsonl',
    });
    let jsonl = '';
    for await (const chunk of forAdmin) jsonl += chunk;
    const adminIds = jsonl
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line).alert.header.id as string);
    expect(adminIds).toEqual(expectedFor('GT', (p) => p.handling !== 'H2' && p.handling !== 'H3'));

    const bad = await gt.feeds.export('gt-all', { format: 'pdf' as 'stix' }).catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(EnlaceHttpError);
    expect(bad).toMatchObject({ status: 400, code: 'ERR_VALIDATION' });
    expect((bad as EnlaceHttpError).violations[0]?.path).toBe('format');
  }, 60_000);
});

describe('hit/no-hit matching', () => {
  it('answers exactly the planted hits, only in alerts the country may receive', async () => {
    const hex = (canonical: string): string => Buffer.from(digest(canonical), 'base64').toString('hex');
    const query = [
      hex('doc:CR:A01234562'),
      hex('acct:GT:03218000011835971'),
      hex('doc:CR:NOPE'),
      hex('acct:GT:nothing'),
    ];
    await waitFor(
      'the indexer',
      async () => (await api('GET', '/health', undefined)).json.indexedDigests >= 10,
      30_000,
    );
    const mx = createFeedClient({ baseUrl: feed.url, token: mxToken });
    const result = await mx.match({ keyId: MATCH_KEY.keyId, digests: query });
    expect(result.queried).toBe(4);
    expect(result.matched).toBe(2);
    expect(result.hits.map((h) => h.digest)).toEqual([query[0], query[1]]);
    expect(result.hits[0]?.alerts[0]).toMatchObject({
      origin: 'CR',
      kind: 'document',
      field: 'document.number_digests',
    });
    const bad = await mx.match({ keyId: MATCH_KEY.keyId, digests: ['zz'] }).catch((error: unknown) => error);
    expect(bad).toMatchObject({ status: 400, code: 'ERR_VALIDATION' });
    expect((bad as EnlaceHttpError).violations[0]?.path).toBe('digests[0]');
  }, 60_000);
});

describe('enlace feed (the CLI against the running service)', () => {
  async function enlace(
    args: string[],
    env: Record<string, string> = {},
  ): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(args, {
      stdout: { write: (t) => void (out += t) },
      stderr: { write: (t) => void (err += t) },
      env: { ENLACE_FEED_URL: feed.url, ENLACE_FEED_TOKEN: gtToken, ...env },
    });
    return { code, out, err };
  }

  it('creates, lists, exports with progress, replays to a file and deletes', async () => {
    const dir = join(files(), 'GT', 'cli-docs');
    const created = await enlace([
      'feed',
      'create',
      '--name',
      'cli-docs',
      '--kind',
      'document',
      '--from',
      'beginning',
      '--to-dir',
      dir,
      '--json',
    ]);
    expect(created.code, created.err).toBe(0);
    expect((JSON.parse(created.out) as Loose).feed.id).toBe('gt-cli-docs');

    const list = await enlace(['feed', 'list', '--json']);
    expect((JSON.parse(list.out) as Loose[]).map((f) => f.feed.id)).toContain('gt-cli-docs');
    const human = await enlace(['feed', 'show', 'gt-cli-docs']);
    expect(human.out).toContain('filter:     kinds=document');

    const docs = expectedFor('GT', (p) => p.kind === 'document');
    const stixFile = join(net.root, 'cli-docs.stix.json');
    const exported = await enlace(['feed', 'export', 'gt-cli-docs', '--format', 'stix', '--out', stixFile]);
    expect(exported.code, exported.err).toBe(0);
    expect(exported.err).toContain('100%');
    expect(exported.err).toContain(`${docs.length} alerts`);
    const bundle = JSON.parse(await readFile(stixFile, 'utf8')) as {
      objects: Array<{ type: string; pattern?: string }>;
    };
    expect(bundle.objects.filter((o) => o.type === 'report')).toHaveLength(docs.length);
    expect(
      bundle.objects.some((o) => o.type === 'indicator' && o.pattern?.includes("MATCHES '^A01[0-9]{6}$'")),
    ).toBe(true);

    const replayFile = join(net.root, 'cli-docs.jsonl');
    const replay = await enlace(['feed', 'replay', 'gt-cli-docs', '--out', replayFile, '--json']);
    expect(replay.code, replay.err).toBe(0);
    expect(JSON.parse(replay.out)).toMatchObject({ feed: 'gt-cli-docs', alerts: docs.length });
    const lines = (await readFile(replayFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Loose);
    expect(lines.map((l) => l.alert.header.id)).toEqual(docs);

    expect((await enlace(['feed', 'delete', 'gt-cli-docs'])).code).toBe(0);
    expect((await enlace(['feed', 'show', 'gt-cli-docs'])).err).toContain('ERR_NOT_FOUND');
  }, 60_000);

  it('enlace match query computes digests locally and finds the planted document number', async () => {
    await waitFor(
      'the indexer',
      async () => (await api('GET', '/health', undefined)).json.indexedDigests >= 10,
      30_000,
    );
    const keyFile = join(net.root, 'fiu-exchange.match.json');
    await writeFile(
      keyFile,
      JSON.stringify({
        kty: 'oct',
        alg: 'HS256',
        kid: MATCH_KEY.keyId,
        network: 'fiu-exchange',
        k: MATCH_KEY.secret.toString('base64url'),
      }),
      { mode: 0o600 },
    );
    const result = await enlace(
      [
        'match',
        'query',
        '--key',
        keyFile,
        '--kind',
        'doc',
        '--country',
        'CR',
        'A0123-4562',
        'Z99999999',
        '--json',
      ],
      { ENLACE_FEED_TOKEN: mxToken },
    );
    expect(result.code, result.err).toBe(0);
    const answer = JSON.parse(result.out) as Loose;
    expect(answer.matched).toBe(1);
    expect(answer.hits[0].value).toBe('A0123-4562');
    expect(answer.hits[0].alerts[0]).toMatchObject({ origin: 'CR', field: 'document.number_digests' });
  });

  it('says what is wrong, with the fields, and exits 1 or 2', async () => {
    const bad = await enlace([
      'feed',
      'create',
      '--name',
      'Bad!',
      '--to-webhook',
      'http://fiu.example/x',
      '--webhook-secret',
      'x',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('feed service refused (ERR_VALIDATION, HTTP 400)');
    expect(bad.err).toMatch(/fields: .*name.*sink\.url/);
    const usage = await enlace(['feed', 'create', '--name', 'x']);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('exactly one destination');
    const noToken = await enlace(['feed', 'list'], { ENLACE_FEED_TOKEN: '' });
    expect(noToken.code).toBe(2);
    expect(noToken.err).toContain('ENLACE_FEED_TOKEN');
    const down = await enlace(['feed', 'list'], { ENLACE_FEED_URL: 'http://127.0.0.1:9' });
    expect(down.code).toBe(1);
    expect(down.err).toContain('cannot reach the feed service');
  });
});

describe('a suspended country', () => {
  it('has its feeds wait while suspended and deliver, on reinstatement, what it is entitled to', async () => {
    const privateJwk = JSON.parse(
      await readFile(join(net.root, 'registry', REGISTRY_PRIVATE_KEY_FILE), 'utf8'),
    );
    const key = { privateJwk, kid: net.pinned['kid'] as string };
    const hnToken = await issueToken(key, {
      subject: 'hn-uaf',
      roles: ['fiu-analyst'],
      country: 'HN',
      audience: SERVICE_AUDIENCES.feed,
      ttlSeconds: 600,
    });
    const admin = { actor: { id: 'admin@secretariat', roles: ['administrator' as const] }, reason: 'test' };
    const mxRoutes = (): string[] =>
      published.filter((p) => p.origin === 'MX' && p.kind === 'route' && !p.forged).map((p) => p.id);
    const before = mxRoutes();
    await net.registry.service.suspendCountry({ code: 'HN' }, { ...admin, decision: 'test' });
    // A feed of the suspended country replays nothing yet: it waits rather than have it all refused.
    const dir = join(files(), 'HN', 'hn-routes');
    await api('POST', '/v1/feeds', hnToken, {
      name: 'routes',
      start: 'beginning',
      filter: { origins: ['MX'], kinds: ['route'] },
      sink: { type: 'file', directory: dir },
    });
    await waitFor(
      'the feed to pause',
      async () => (await api('GET', '/v1/feeds/hn-routes', hnToken)).json.paused === true,
      15_000,
    );
    const during = await publish('MX', 'trafficking-liaison', 'route', 'H0', route);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await readJsonl(dir).catch(() => [])).toEqual([]);
    await net.registry.service.reinstateCountry({ code: 'HN' }, { ...admin, decision: 'test' });
    const after = await publish('MX', 'trafficking-liaison', 'route', 'H0', route);
    await waitFor(
      'the routes HN may have',
      async () => (await readJsonl(dir).catch(() => [])).length >= before.length + 1,
      20_000,
    );
    // Everything issued before the suspension, and after it; not what was issued while suspended.
    expect((await readJsonl(dir)).map((r) => r.alert.header.id)).toEqual([...before, after.id]);
    const status = await api('GET', '/v1/feeds/hn-routes', hnToken);
    expect(status.json.paused).toBe(false);
    expect(status.json.counters.rejected).toEqual({ bad_signature: 1, not_recipient: 1 });
    expect(mxRoutes()).toContain(during.id);
  }, 60_000);
});

describe('audit trail', () => {
  it('records feed commands and match queries, refusals too, with counts and never a digest', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.consumers.add('ENLACE_AUDIT', {
      name: 'feed-audit-check',
      filter_subject: 'enlace.v1.audit.feed.>',
      ack_policy: AckPolicy.None,
    });
    const consumer = await js.consumers.get('ENLACE_AUDIT', 'feed-audit-check');
    const records: Loose[] = [];
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const batch = await consumer.fetch({ max_messages: 500, expires: 1_000 });
      let n = 0;
      for await (const msg of batch) {
        records.push(msg.json());
        n++;
      }
      if (n === 0) break;
    }
    const of = (action: string, outcome: string): Loose[] =>
      records.filter((r) => r.action === action && r.outcome === outcome);
    expect(of('feed.create', 'ok').map((r) => r.entityId)).toEqual(
      expect.arrayContaining(['gt-all', 'mx-fin']),
    );
    expect(
      of('feed.create', 'rejected').some((r) => r.code === 'ERR_VALIDATION' && r.actor === 'gt-ive-analyst'),
    ).toBe(true);
    expect(of('feed.delete', 'ok').map((r) => r.entityId)).toContain('mx-private');
    const queries = of('match.query', 'ok');
    expect(queries.length).toBeGreaterThan(0);
    expect(queries[0].details).toMatchObject({ keyId: MATCH_KEY.keyId, queried: 4, matched: 2 });
    expect(of('match.query', 'rejected')[0]?.code).toBe('ERR_VALIDATION');
    const text = JSON.stringify(records);
    expect(text).not.toContain(Buffer.from(digest('doc:CR:A01234562'), 'base64').toString('hex'));
  });
});

describe('limits and expiry', () => {
  const auth = (token: string) => ({ authorization: `Bearer ${token}` });

  it('caps the streams a token holds open with 429 and Retry-After, and frees the slot when one closes', async () => {
    const streams: AbortController[] = [];
    try {
      for (let i = 0; i < 4; i++) {
        const stop = new AbortController();
        streams.push(stop);
        const open = await fetch(`${feed.url}/v1/feeds/gt-all/records?from=now&follow=true`, {
          headers: auth(gtToken),
          signal: stop.signal,
        });
        expect(open.status).toBe(200);
      }
      const fifth = await fetch(`${feed.url}/v1/feeds/gt-all/records?from=now`, { headers: auth(gtToken) });
      expect(fifth.status).toBe(429);
      expect(fifth.headers.get('retry-after')).toBe('5');
      const body = (await fifth.json()) as Loose;
      expect(body.error.code).toBe('ERR_RATE_LIMITED');
      expect(body.error.violations[0].code).toBe('too_many_readers');
      // Another token is not affected.
      expect(
        (await fetch(`${feed.url}/v1/feeds/mx-fin/records?from=now`, { headers: auth(mxToken) })).status,
      ).toBe(200);
    } finally {
      for (const stop of streams) stop.abort();
    }
    await waitFor(
      'the slots to be released',
      async () =>
        (await fetch(`${feed.url}/v1/feeds/gt-all/records?from=now`, { headers: auth(gtToken) })).status ===
        200,
      15_000,
    );
  }, 60_000);

  it('rate-limits matching per token by the digests asked about (429, Retry-After, match_rate)', async () => {
    const many = Array.from({ length: 600 }, (_, i) =>
      createHmac('sha256', 'x').update(String(i)).digest('hex'),
    );
    const first = await api('POST', '/v1/match', adminToken, { keyId: MATCH_KEY.keyId, digests: many });
    expect(first.status).toBe(200);
    const second = await fetch(`${feed.url}/v1/match`, {
      method: 'POST',
      headers: { ...auth(adminToken), 'content-type': 'application/json' },
      body: JSON.stringify({ keyId: MATCH_KEY.keyId, digests: many }),
    });
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await second.json()) as Loose;
    expect(body.error.code).toBe('ERR_RATE_LIMITED');
    expect(body.error.violations[0].code).toBe('match_rate');
  }, 30_000);

  it('exports only what was issued up to `until`', async () => {
    const all = (
      await (
        await fetch(`${feed.url}/v1/feeds/gt-all/export?format=jsonl`, { headers: auth(gtToken) })
      ).text()
    )
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { alert: { header: { id: string; issuedAt: string } } });
    expect(all.length).toBeGreaterThan(2);
    const cut = all[Math.floor(all.length / 2)]!.alert.header.issuedAt;
    const until = (
      await (
        await fetch(`${feed.url}/v1/feeds/gt-all/export?format=jsonl&until=${encodeURIComponent(cut)}`, {
          headers: auth(gtToken),
        })
      ).text()
    )
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { alert: { header: { id: string } } });
    expect(until.map((r) => r.alert.header.id)).toEqual(
      all.filter((r) => Date.parse(r.alert.header.issuedAt) <= Date.parse(cut)).map((r) => r.alert.header.id),
    );
  }, 30_000);

  it('marks an alert whose expires_at has passed as expired in its record', async () => {
    const soon = new Date(Date.now() + 1_500).toISOString();
    const short = await publish('MX', 'trafficking-liaison', 'route', 'H0', route, { expiresAt: soon });
    await new Promise((r) => setTimeout(r, 2_000));
    const records = (
      await (
        await fetch(`${feed.url}/v1/feeds/gt-all/records?from=beginning`, { headers: auth(gtToken) })
      ).text()
    )
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { alert: { header: { id: string } }; verification: { expired: boolean } });
    const mine = records.find((r) => r.alert.header.id === short.id);
    expect(mine?.verification.expired).toBe(true);
    expect(records.filter((r) => r.alert.header.id !== short.id).every((r) => !r.verification.expired)).toBe(
      true,
    );
  }, 30_000);
});
