/**
 * Three country nodes (MX, GT, HN) end to end: a real nats-server, the real registry seeded from
 * seeds/registry, real keys, real crypto. MX publishes over HTTP; GT and HN must hold what is
 * valid, verified, within a second, and refuse what is not with the right reason while valid
 * traffic keeps flowing. Forged traffic is made by hand and put on the stream directly, as an
 * attacker with a NATS connection would.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { generateEncryptionKey, generateSigningKey, signAlert } from '@enlace/crypto';
import type { PrivateSigningJwk } from '@enlace/crypto';
import { createRegistryApp } from '@enlace/registry';
import { createToken, issueToken, REGISTRY_PRIVATE_KEY_FILE, SERVICE_AUDIENCES } from '@enlace/trust';
import type { RegistryApp } from '@enlace/registry';
import { alertFromJson, decodeSignedAlert, encodeAlert, encodeSignedAlert } from '@enlace/schema';
import type { NatsServerHandle } from '@enlace/testing';
import { startNatsServer } from '@enlace/testing';
import { ALERTS_STREAM, AUDIT_STREAM, alertSubject } from '@enlace/transport';
import type { RejectionReason } from '@enlace/transport';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createNodeApp } from './create-node-app.js';
import type { NodeApp } from './create-node-app.js';

const SEEDS = resolve(import.meta.dirname, '../../../../seeds/registry');
const COUNTRIES = ['MX', 'GT', 'HN'] as const;
type Country = (typeof COUNTRIES)[number];

let server: NatsServerHandle;
let root: string;
let registry: RegistryApp;
let pinned: Record<string, unknown>;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
const nodes = {} as Record<Country, NodeApp>;
const tokens = {} as Record<Country, string>;
/** Tokens of the process: an administrator's and an auditor's, of no country. */
const processTokens = {} as Record<'administrator' | 'auditor', string>;
const signingKeys = {} as Record<Country, PrivateSigningJwk>;
const admin = { actor: { id: 'admin@secretariat', roles: ['administrator' as const] }, reason: 'test' };

async function startNode(country: Country): Promise<NodeApp> {
  return createNodeApp({
    country,
    natsUrl: server.url,
    dataDir: join(root, 'data', country),
    keysDir: join(root, 'keys', country),
    registryPublicJwk: pinned,
    logger: false,
  });
}

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
  bytes: Uint8Array;
}

async function call(
  node: NodeApp,
  method: 'GET' | 'POST',
  path: string,
  options: { token?: string; body?: unknown; raw?: string; requestId?: string } = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.requestId !== undefined) headers['x-request-id'] = options.requestId;
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${node.url}${path}`, {
    method,
    headers,
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    ...(options.raw !== undefined && { body: options.raw }),
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const isJson = (response.headers.get('content-type') ?? '').includes('json');
  return {
    status: response.status,
    body: isJson ? JSON.parse(new TextDecoder().decode(bytes)) : new TextDecoder().decode(bytes),
    headers: response.headers,
    bytes,
  };
}

const get = (country: Country, path: string): Promise<Reply> =>
  call(nodes[country], 'GET', path, { token: tokens[country] });

const SUMMARY = 'Cruce por el río Suchiate en balsas; traslado en tractocamiones por la ruta del Golfo.';

/** A route draft of `origin`, as an officer would send it. */
function routeDraft(
  origin: string,
  title: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    header: {
      origin,
      network: 'trafficking-liaison',
      kind: 'ALERT_KIND_ROUTE',
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      handling: 'HANDLING_CODE_H1',
      tlp: 'TLP_MARKING_AMBER',
      grading: {
        sourceReliability: 'SOURCE_RELIABILITY_B',
        informationCredibility: 'INFORMATION_CREDIBILITY_2',
      },
      title,
      summary: SUMMARY,
      language: 'es',
      ...extra,
    },
    route: {
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
        {
          country: 'MX',
          place: 'Reynosa',
          crossing: 'CROSSING_TYPE_NONE',
          transportMode: 'TRANSPORT_MODE_TRUCK',
        },
      ],
      estimatedMigrants: 40,
    },
  };
}

/** Signs a route alert of `origin` by hand and returns its id, envelope and honest subject. */
async function craft(
  origin: string,
  key: PrivateSigningJwk,
  title: string,
  network = 'trafficking-liaison',
  issuedAt = new Date(),
): Promise<{ id: string; envelope: Uint8Array; subject: string }> {
  const id = uuidv7();
  const draft = routeDraft(origin, title, { network });
  const alert = alertFromJson({
    ...draft,
    header: { ...(draft['header'] as object), id, issuedAt: issuedAt.toISOString() },
  });
  const parts = await signAlert(encodeAlert(alert), key);
  return {
    id,
    envelope: encodeSignedAlert({
      alert: parts.alert,
      protectedHeader: parts.protectedHeader,
      signature: parts.signature,
    }),
    subject: alertSubject({ network, kind: 'route', origin }),
  };
}

async function putOnStream(subject: string, envelope: Uint8Array, id: string): Promise<void> {
  await js.publish(subject, envelope, { msgID: id });
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves with the ms it took until `country` holds alert `id`. */
async function arrival(country: Country, id: string, timeoutMs = 5_000): Promise<number> {
  const start = Date.now();
  await until(
    `${id} at ${country}`,
    () => (nodes[country].context.store.has(id) ? true : undefined),
    timeoutMs,
  );
  return Date.now() - start;
}

async function publish(country: Country, draft: unknown): Promise<Reply> {
  return call(nodes[country], 'POST', '/v1/alerts', { token: tokens[country], body: draft });
}

function rejected(country: Country, reason: RejectionReason): number {
  return nodes[country].context.metrics.rejectedCount(reason);
}

async function streamMessages(): Promise<number> {
  return (await jsm.streams.info(ALERTS_STREAM)).state.messages;
}

beforeAll(async () => {
  server = await startNatsServer();
  root = await mkdtemp(join(tmpdir(), 'enlace-node-'));
  registry = await createRegistryApp({
    natsUrl: server.url,
    dataDir: join(root, 'registry'),
    seedsDir: SEEDS,
    logger: false,
  });
  pinned = { ...registry.registryKey.publicJwk, kid: registry.registryKey.kid };
  const registryPrivate = JSON.parse(
    await readFile(join(root, 'registry', REGISTRY_PRIVATE_KEY_FILE), 'utf8'),
  );
  const tokenKey = { privateJwk: registryPrivate, kid: registry.registryKey.kid };
  for (const country of COUNTRIES) {
    const dir = join(root, 'keys', country);
    await mkdir(dir, { recursive: true });
    for (const pair of [await generateSigningKey({ country }), await generateEncryptionKey({ country })]) {
      await writeFile(join(dir, `${pair.kid}.private.jwk`), JSON.stringify(pair.privateJwk), { mode: 0o600 });
      await registry.service.registerKey({ country, publicJwk: pair.publicJwk }, admin);
      if (pair.privateJwk.use === 'sig') signingKeys[country] = pair.privateJwk as PrivateSigningJwk;
    }
    tokens[country] = await issueToken(tokenKey, {
      subject: `${country.toLowerCase()}-liaison-1`,
      roles: ['focal-point'],
      country,
      audience: SERVICE_AUDIENCES.node,
      ttlSeconds: 3600,
    });
  }
  for (const role of ['administrator', 'auditor'] as const)
    processTokens[role] = await issueToken(tokenKey, {
      subject: `${role}-1`,
      roles: [role],
      audience: SERVICE_AUDIENCES.node,
      ttlSeconds: 3600,
    });
  for (const country of COUNTRIES) nodes[country] = await startNode(country);
  nc = await server.connect();
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
}, 60_000);

afterAll(async () => {
  for (const node of Object.values(nodes)) await node?.close();
  await nc?.close();
  await registry?.close();
  await server?.stop();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe('publish and receive', () => {
  it('carries the request id of the publish in the NATS header Enlace-Request-Id', async () => {
    const reply = await call(nodes.MX, 'POST', '/v1/alerts', {
      token: tokens.MX,
      body: routeDraft('MX', 'traced'),
      requestId: 'officer-req-0001',
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    expect(reply.headers.get('x-request-id')).toBe('officer-req-0001');
    const stored = await jsm.streams.getMessage(ALERTS_STREAM, { seq: reply.body.seq });
    expect(stored?.header.get('Enlace-Request-Id')).toBe('officer-req-0001');
    expect(stored?.header.get('Nats-Msg-Id')).toBe(reply.body.id);
  });

  it('MX publishes a route alert; GT and HN hold it verified within one second', async () => {
    const reply = await publish('MX', routeDraft('MX', 'Ruta Tecún Umán – Reynosa'));
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    const { id, subject, stream, seq } = reply.body;
    expect(subject).toBe('enlace.v1.alert.trafficking-liaison.route.MX');
    expect(stream).toBe(ALERTS_STREAM);
    expect(seq).toBeGreaterThan(0);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);

    const [gt, hn] = await Promise.all([arrival('GT', id), arrival('HN', id)]);
    expect(gt).toBeLessThan(1_000);
    expect(hn).toBeLessThan(1_000);

    const detail = await get('GT', `/v1/alerts/${id}`);
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({
      id,
      box: 'inbox',
      origin: 'MX',
      kind: 'route',
      handling: 'H1',
      h1: true,
      bodyReadable: true,
      verification: { kid: signingKeys.MX.kid, bodyReadable: true },
    });
    expect(detail.body.notices[0]).toMatch(/^H1: not for use in judicial proceedings/);
    expect(detail.body.alert.header.grading).toEqual({
      sourceReliability: 'SOURCE_RELIABILITY_B',
      informationCredibility: 'INFORMATION_CREDIBILITY_2',
    });
    expect(detail.body.alert.route.waypoints).toHaveLength(3);

    // The envelope is the bytes on the stream, and it decodes as a SignedAlert.
    const envelope = await get('HN', `/v1/alerts/${id}/envelope`);
    expect(envelope.status).toBe(200);
    expect(envelope.headers.get('content-type')).toMatch(/^application\/x-protobuf/);
    const onStream = await jsm.streams.getMessage(ALERTS_STREAM, { seq });
    expect(Buffer.compare(Buffer.from(envelope.bytes), Buffer.from(onStream!.data))).toBe(0);
    expect(decodeSignedAlert(envelope.bytes).protectedHeader).not.toBe('');

    // MX keeps it in its outbox; the inbox filters find it.
    expect((await get('MX', `/v1/alerts/${id}`)).body.box).toBe('outbox');
    const inbox = await get(
      'GT',
      '/v1/alerts?box=inbox&origin=MX&kind=route&handling=H1&network=trafficking-liaison',
    );
    expect(inbox.body.items.map((a: { id: string }) => a.id)).toContain(id);
    expect((await get('GT', '/v1/alerts?kind=document')).body.items).toEqual([]);
  });

  it('pages through the inbox with a cursor, newest first, with no repeats', async () => {
    for (let i = 0; i < 3; i++) {
      const reply = await publish('MX', routeDraft('MX', `Paging ${i}`));
      await arrival('GT', reply.body.id);
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await get('GT', `/v1/alerts?limit=2${cursor === undefined ? '' : `&cursor=${cursor}`}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((a: { id: string }) => a.id));
      cursor = page.body.next;
    } while (cursor !== undefined);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.length).toBe(nodes.GT.context.store.counts().inbox);
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it('refuses requests without a token of this country', async () => {
    expect((await call(nodes.GT, 'GET', '/v1/alerts')).body.error.code).toBe('ERR_UNAUTHENTICATED');
    const foreign = await call(nodes.GT, 'POST', '/v1/alerts', {
      token: tokens.MX,
      body: routeDraft('GT', 'x'),
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('ERR_FORBIDDEN');
  });

  it('serves health, Prometheus metrics and the OpenAPI document', async () => {
    const health = await call(nodes.GT, 'GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', country: 'GT', nats: 'connected' });
    const metrics = await call(nodes.GT, 'GET', '/metrics');
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(metrics.body).toMatch(/^enlace_node_alerts_accepted_total\{country="GT",box="inbox"\} [1-9]/m);
    expect(metrics.body).toMatch(
      /^enlace_node_alerts_rejected_total\{country="GT",reason="bad_signature"\} \d+$/m,
    );
    expect(metrics.body).toMatch(/^enlace_node_registry_revision\{country="GT"\} [1-9]/m);
    expect(metrics.body).toMatch(/^enlace_node_alerts_stored\{country="GT",box="inbox"\} [1-9]/m);
    // Process and event-loop metrics, and only GT's own series (one registry per node).
    expect(metrics.body).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(metrics.body).not.toMatch(/country="MX"/);
    const ready = await call(nodes.GT, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: { nats: { status: 'up' }, registry: { status: 'up' }, store: { status: 'up' } },
    });
    const docs = await call(nodes.GT, 'GET', '/docs-json');
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/alerts',
        '/v1/alerts/{id}',
        '/v1/alerts/{id}/envelope',
        '/health',
        '/metrics',
      ]),
    );
  });
});

describe('tokens and who may write as the country', () => {
  async function nodeToken(
    options: Partial<Parameters<typeof issueToken>[1]> & { subject: string },
  ): Promise<{ token: string; jti: string }> {
    const registryPrivate = JSON.parse(
      await readFile(join(root, 'registry', REGISTRY_PRIVATE_KEY_FILE), 'utf8'),
    );
    const issued = await createToken(
      { privateJwk: registryPrivate, kid: registry.registryKey.kid },
      { roles: ['focal-point'], country: 'MX', audience: SERVICE_AUDIENCES.node, ...options },
    );
    return { token: issued.token, jti: issued.jti };
  }

  it('refuses an administrator publishing, retracting, forwarding or acknowledging as the country, with 403 ERR_FORBIDDEN', async () => {
    const { token: adminToken } = await nodeToken({
      subject: 'admin@secretariat',
      roles: ['administrator'],
      country: undefined as never,
    });
    const mine = await publish('MX', routeDraft('MX', 'an administrator may not retract this'));
    expect(mine.status, JSON.stringify(mine.body)).toBe(201);
    // MX's own alerts on the stream (alerts, forwards), not the receipts others send it meanwhile.
    const fromMx = async (): Promise<number> => {
      let n = 0;
      for (const subject of ['enlace.v1.alert.*.*.MX', 'enlace.v1.direct.*.MX']) {
        const info = await jsm.streams.info(ALERTS_STREAM, { subjects_filter: subject });
        n += Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
      }
      return n;
    };
    const before = await fromMx();
    expect(before).toBeGreaterThan(0);
    const attempts = [
      call(nodes.MX, 'POST', '/v1/alerts', { token: adminToken, body: routeDraft('MX', 'as admin') }),
      call(nodes.MX, 'POST', `/v1/alerts/${mine.body.id}/retract`, {
        token: adminToken,
        body: { reason: 'no' },
      }),
      call(nodes.MX, 'POST', `/v1/alerts/${mine.body.id}/supersede`, {
        token: adminToken,
        body: routeDraft('MX', 'as admin'),
      }),
      call(nodes.MX, 'POST', `/v1/alerts/${mine.body.id}/forward`, { token: adminToken, body: { to: 'US' } }),
      // A receipt is signed with the country's key too.
      call(nodes.MX, 'POST', `/v1/alerts/${mine.body.id}/ack`, { token: adminToken, body: {} }),
    ];
    for (const reply of await Promise.all(attempts)) {
      expect(reply.status).toBe(403);
      expect(reply.body.error.code).toBe('ERR_FORBIDDEN');
      expect(reply.body.error.message).toBe(
        "this is MX's node: only a focal point of MX may publish, supersede, retract, forward or acknowledge alerts",
      );
    }
    expect(await fromMx()).toBe(before);
    // Reading stays open to administrators (the read rule is not changed here).
    expect((await call(nodes.MX, 'GET', '/v1/alerts', { token: adminToken })).status).toBe(200);
  });

  it('refuses a focal point of another country publishing, and a token for another service', async () => {
    const foreign = await call(nodes.GT, 'POST', '/v1/alerts', {
      token: tokens.MX,
      body: routeDraft('GT', 'x'),
    });
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.code).toBe('ERR_FORBIDDEN');
    expect(foreign.body.error.message).toContain('only a focal point of GT may publish');
    const { token: registryToken } = await nodeToken({
      subject: 'mx-liaison-1',
      audience: SERVICE_AUDIENCES.registry,
    });
    const elsewhere = await call(nodes.MX, 'GET', '/v1/alerts', { token: registryToken });
    expect(elsewhere.status).toBe(401);
    expect(elsewhere.body.error.code).toBe('ERR_UNAUTHENTICATED');
    expect(elsewhere.body.error.message).toContain('it expected the audience "enlace-node"');
  });

  it('refuses a revoked token within seconds of the revocation (through the change event)', async () => {
    const { token, jti } = await nodeToken({ subject: 'mx-liaison-laptop' });
    expect((await call(nodes.MX, 'GET', '/v1/alerts', { token })).status).toBe(200);
    const revokedAt = Date.now();
    await registry.service.revokeToken({ jti }, admin);
    const refused = await until('MX to refuse the revoked token', async () => {
      const reply = await call(nodes.MX, 'GET', '/v1/alerts', { token });
      return reply.status === 401 ? reply : undefined;
    });
    expect(Date.now() - revokedAt).toBeLessThan(3_000);
    expect(refused.body.error.code).toBe('ERR_UNAUTHENTICATED');
    expect(refused.body.error.message).toBe(
      `token revoked: token ${jti} was revoked at ${
        registry.service.listRevokedTokens().find((r) => r.jti === jti)!.revokedAt
      }`,
    );
    // Another token of the same officer still works.
    expect((await call(nodes.MX, 'GET', '/v1/alerts', { token: tokens.MX })).status).toBe(200);
  });

  it("refuses a deactivated focal point's tokens within seconds", async () => {
    const { token } = await nodeToken({ subject: 'mx-inm-liaison-2' });
    expect(
      (await call(nodes.MX, 'POST', '/v1/alerts', { token, body: routeDraft('MX', 'before') })).status,
    ).toBe(201);
    const at = Date.now();
    await registry.service.deactivateFocalPoint('mx-inm-liaison-2', admin);
    const refused = await until('MX to refuse the deactivated focal point', async () => {
      const reply = await call(nodes.MX, 'POST', '/v1/alerts', { token, body: routeDraft('MX', 'after') });
      return reply.status === 401 ? reply : undefined;
    });
    expect(Date.now() - at).toBeLessThan(3_000);
    expect(refused.body.error.code).toBe('ERR_UNAUTHENTICATED');
    expect(refused.body.error.message).toMatch(/^token revoked: the tokens of mx-inm-liaison-2 were revoked/);
  });
});

describe('receipts', () => {
  it('show the originator who received and who read its alert', async () => {
    const reply = await publish('MX', routeDraft('MX', 'to be acknowledged'));
    const { id } = reply.body;
    await Promise.all([arrival('GT', id), arrival('HN', id)]);
    const read = await call(nodes.GT, 'POST', `/v1/alerts/${id}/ack`, {
      token: tokens.GT,
      body: {},
      requestId: 'ack-req-0001',
    });
    expect(read.status, JSON.stringify(read.body)).toBe(202);
    expect(read.body).toMatchObject({ status: 'read', subject: 'enlace.v1.ack.MX.GT' });
    // The read receipt carries the id of the request that sent it (batched 'received' ones none).
    const acks = await js.consumers.get(ALERTS_STREAM, { filter_subjects: 'enlace.v1.ack.MX.GT' });
    let receipt;
    for (let m = await acks.next({ expires: 1_000 }); m !== null; m = await acks.next({ expires: 1_000 })) {
      if (m.headers?.get('Nats-Msg-Id') === `${id}.GT.read`) {
        receipt = m;
        break;
      }
    }
    expect(receipt?.headers?.get('Enlace-Request-Id')).toBe('ack-req-0001');
    const receipts = await until('receipts at MX', async () => {
      const detail = await get('MX', `/v1/alerts/${id}`);
      return detail.body.receipts.length >= 3 ? detail.body.receipts : undefined;
    });
    expect(receipts.map((r: { from: string; status: string }) => `${r.from}:${r.status}`).sort()).toEqual([
      'GT:read',
      'GT:received',
      'HN:received',
    ]);
    expect(receipts.find((r: { status: string }) => r.status === 'read').officer).toBe('gt-liaison-1');
    const own = await call(nodes.MX, 'POST', `/v1/alerts/${id}/ack`, { token: tokens.MX, body: {} });
    expect(own.status).toBe(409);
  });
});

describe('handling codes', () => {
  it('refuse to pass an H2 alert on, naming the code; H1 may go on to an entitled country', async () => {
    const h2 = await publish('MX', routeDraft('MX', 'H2 route', { handling: 'HANDLING_CODE_H2' }));
    await arrival('GT', h2.body.id);
    const refused = await call(nodes.GT, 'POST', `/v1/alerts/${h2.body.id}/forward`, {
      token: tokens.GT,
      body: { to: 'US' },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('ERR_HANDLING_RESTRICTED');
    expect(refused.body.error.reason).toBe('H2');
    expect(refused.body.error.message).toContain('H2');
    expect((await get('GT', `/v1/alerts/${h2.body.id}`)).body.handling).toBe('H2');

    const h1 = await publish('MX', routeDraft('MX', 'H1 route'));
    await arrival('GT', h1.body.id);
    const before = await streamMessages();
    const passed = await call(nodes.GT, 'POST', `/v1/alerts/${h1.body.id}/forward`, {
      token: tokens.GT,
      body: { to: 'US' },
    });
    expect(passed.status, JSON.stringify(passed.body)).toBe(202);
    expect(passed.body.subject).toBe('enlace.v1.direct.US.GT');
    const sent = await jsm.streams.getMessage(ALERTS_STREAM, { last_by_subj: 'enlace.v1.direct.US.GT' });
    expect(
      Buffer.compare(
        Buffer.from(sent!.data),
        Buffer.from((await get('GT', `/v1/alerts/${h1.body.id}/envelope`)).bytes),
      ),
    ).toBe(0);
    expect(await streamMessages()).toBeGreaterThan(before);
    // HN, the destination here, checks a forwarded alert like any other (it already holds this one).
    const duplicates = rejected('HN', 'duplicate');
    const toHn = await call(nodes.GT, 'POST', `/v1/alerts/${h1.body.id}/forward`, {
      token: tokens.GT,
      body: { to: 'HN' },
    });
    expect(toHn.status).toBe(202);
    await until('HN to see the forwarded copy', () =>
      rejected('HN', 'duplicate') > duplicates ? true : undefined,
    );
    // A forged copy passed on directly is refused as such.
    const forged = decodeSignedAlert((await get('GT', `/v1/alerts/${h2.body.id}/envelope`)).bytes);
    forged.signature[5] = forged.signature[5]! ^ 0x01;
    const badSignatures = rejected('HN', 'bad_signature');
    await js.publish('enlace.v1.direct.HN.GT', encodeSignedAlert(forged), { msgID: `${h2.body.id}.fwd.HN` });
    await until('HN to refuse the forged copy', () =>
      rejected('HN', 'bad_signature') > badSignatures ? true : undefined,
    );
  });
});

describe('retract and supersede', () => {
  it('publish new signed alerts that receivers use to mark the old ones', async () => {
    const first = await publish('MX', routeDraft('MX', 'to be retracted'));
    const second = await publish('MX', routeDraft('MX', 'to be replaced'));
    await Promise.all([arrival('GT', first.body.id), arrival('GT', second.body.id)]);

    const retraction = await call(nodes.MX, 'POST', `/v1/alerts/${first.body.id}/retract`, {
      token: tokens.MX,
      body: { reason: 'the route was misidentified' },
    });
    expect(retraction.status, JSON.stringify(retraction.body)).toBe(201);
    const replacement = await call(nodes.MX, 'POST', `/v1/alerts/${second.body.id}/supersede`, {
      token: tokens.MX,
      body: routeDraft('MX', 'the corrected route'),
    });
    expect(replacement.status, JSON.stringify(replacement.body)).toBe(201);
    await Promise.all([arrival('GT', retraction.body.id), arrival('HN', replacement.body.id)]);

    const retracted = await get('GT', `/v1/alerts/${first.body.id}`);
    expect(retracted.body.retractedBy).toBe(retraction.body.id);
    expect(retracted.body.notices).toContain(`retracted by ${retraction.body.id}`);
    const notice = await get('GT', `/v1/alerts/${retraction.body.id}`);
    expect(notice.body).toMatchObject({ retractsId: first.body.id, title: 'Retracted: to be retracted' });
    expect(notice.body.alert.header.summary).toBe('the route was misidentified');
    expect((await get('HN', `/v1/alerts/${second.body.id}`)).body.supersededBy).toBe(replacement.body.id);
    expect((await get('MX', `/v1/alerts/${first.body.id}`)).body.retractedBy).toBe(retraction.body.id);

    const again = await call(nodes.MX, 'POST', `/v1/alerts/${first.body.id}/retract`, {
      token: tokens.MX,
      body: { reason: 'twice' },
    });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ERR_CONFLICT');
    const notOurs = await call(nodes.GT, 'POST', `/v1/alerts/${second.body.id}/retract`, {
      token: tokens.GT,
      body: { reason: 'not ours' },
    });
    expect(notOurs.status).toBe(403);
    expect(notOurs.body.error.code).toBe('ERR_FORBIDDEN');
    const noReason = await call(nodes.MX, 'POST', `/v1/alerts/${second.body.id}/retract`, {
      token: tokens.MX,
      body: {},
    });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.violations.map((v: { path: string }) => v.path)).toEqual(['reason']);
  });
});

describe('validation', () => {
  it('answers malformed JSON and invalid drafts with 400 listing the field paths, and publishes nothing', async () => {
    const before = await streamMessages();
    const malformed = await call(nodes.MX, 'POST', '/v1/alerts', { token: tokens.MX, raw: '{"header": {' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('ERR_VALIDATION');
    expect(malformed.body.error.violations.map((v: { path: string }) => v.path)).toEqual(['']);

    const draft = routeDraft('MX', 'x', {
      network: 'Not A Network',
      colour: 'red',
      kind: 'ALERT_KIND_ROUTE',
    });
    const invalid = await publish('MX', draft);
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('ERR_VALIDATION');
    expect(invalid.body.error.violations.map((v: { path: string }) => v.path)).toContain('header.colour');

    const semantic = await publish('MX', {
      ...routeDraft('MX', ''),
      route: { waypoints: [] },
    });
    expect(semantic.status).toBe(400);
    const paths = semantic.body.error.violations.map((v: { path: string }) => v.path);
    expect(paths).toEqual(expect.arrayContaining(['header.title', 'route.waypoints']));

    // Free text that could identify a victim: refused with the field path and what was found.
    const identifying = await publish(
      'MX',
      routeDraft('MX', 'Ruta del Golfo', { summary: 'Viajaba María, 14 años, tel. +502 5555 1234.' }),
    );
    expect(identifying.status).toBe(400);
    expect(identifying.body.error.code).toBe('ERR_VALIDATION');
    const screened = identifying.body.error.violations as { path: string; code: string; message: string }[];
    expect(screened.map((v) => [v.path, v.code])).toEqual([['header.summary', 'possible_victim_identifier']]);
    expect(screened[0]!.message).toContain('a personal name next to an age');
    expect(screened[0]!.message).toContain('a phone number');
    expect(JSON.stringify(identifying.body)).not.toContain('María');

    const issued = await publish('MX', routeDraft('MX', 'x', { id: uuidv7() }));
    expect(issued.status).toBe(400);
    expect(issued.body.error.violations.map((v: { path: string; code: string }) => [v.path, v.code])).toEqual(
      [['header.id', 'not_allowed_in_draft']],
    );
    expect(await streamMessages()).toBe(before);
  });
});

describe('restricted alerts', () => {
  it('are readable only by their recipients; others hold the header alone', async () => {
    const reply = await publish(
      'MX',
      routeDraft('MX', 'Restringida a GT', { recipients: ['GT'], tlp: 'TLP_MARKING_RED' }),
    );
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    const { id } = reply.body;
    await Promise.all([arrival('GT', id), arrival('HN', id)]);

    // The recipient reads title and summary, which travel inside the encrypted body.
    const gt = await get('GT', `/v1/alerts/${id}`);
    expect(gt.body).toMatchObject({
      restricted: true,
      bodyReadable: true,
      recipients: ['GT'],
      title: 'Restringida a GT',
    });
    expect(gt.body.alert.header).toMatchObject({ title: 'Restringida a GT', summary: SUMMARY });
    expect(gt.body.alert.route.waypoints).toHaveLength(3);
    expect(gt.body.alert.encrypted).toBeUndefined();
    const inbox = await get('GT', '/v1/alerts?box=inbox');
    expect(inbox.body.items.find((i: { id: string }) => i.id === id)).toMatchObject({
      title: 'Restringida a GT',
    });

    const hn = await get('HN', `/v1/alerts/${id}`);
    expect(hn.body).toMatchObject({ restricted: true, bodyReadable: false, title: '' });
    expect(hn.body.alert.route).toBeUndefined();
    expect(hn.body.alert.encrypted).toBeUndefined();
    expect(JSON.stringify(hn.body)).not.toContain('Reynosa');
    expect(JSON.stringify(hn.body)).not.toContain('Restringida');
    // What travels is ciphertext: the envelope names no place of the body, nor its title or summary.
    const envelope = await get('HN', `/v1/alerts/${id}/envelope`);
    const clear = Buffer.from(envelope.bytes).toString('utf8');
    for (const text of ['Reynosa', 'Restringida a GT', 'Suchiate', SUMMARY])
      expect(clear).not.toContain(text);
    expect(decodeSignedAlert(envelope.bytes).alert).toBeDefined();
    // The origin keeps the body, title and summary it sent in its outbox.
    expect((await get('MX', `/v1/alerts/${id}`)).body).toMatchObject({
      box: 'outbox',
      bodyReadable: true,
      title: 'Restringida a GT',
    });

    // Retracting it keeps the notice and its reason for the recipients too.
    const retraction = await call(nodes.MX, 'POST', `/v1/alerts/${id}/retract`, {
      token: tokens.MX,
      body: { reason: 'ruta mal identificada' },
    });
    expect(retraction.status, JSON.stringify(retraction.body)).toBe(201);
    await Promise.all([arrival('GT', retraction.body.id), arrival('HN', retraction.body.id)]);
    const notice = await get('GT', `/v1/alerts/${retraction.body.id}`);
    expect(notice.body).toMatchObject({ retractsId: id, title: 'Retracted: Restringida a GT' });
    expect(notice.body.alert.header.summary).toBe('ruta mal identificada');
    expect((await get('GT', `/v1/alerts/${id}`)).body.retractedBy).toBe(retraction.body.id);
    const hnNotice = await get('HN', `/v1/alerts/${retraction.body.id}`);
    expect(hnNotice.body).toMatchObject({ retractsId: id, title: '' });
    const noticeBytes = Buffer.from((await get('HN', `/v1/alerts/${retraction.body.id}/envelope`)).bytes);
    expect(noticeBytes.toString('utf8')).not.toContain('ruta mal identificada');
    expect(noticeBytes.toString('utf8')).not.toContain('Restringida');
  });
});

describe('the read rule on the node', () => {
  it('gives administrators and auditors the header of a restricted alert, never its body, title or summary', async () => {
    const reply = await publish(
      'MX',
      routeDraft('MX', 'Solo para GT', { recipients: ['GT'], tlp: 'TLP_MARKING_RED' }),
    );
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    const { id } = reply.body;
    await arrival('GT', id);

    // GT's own focal point reads it in full.
    const gt = await get('GT', `/v1/alerts/${id}`);
    expect(gt.body).toMatchObject({ bodyReadable: true, bodyRestricted: false, title: 'Solo para GT' });
    expect(gt.body.alert.route.waypoints).toHaveLength(3);

    for (const role of ['administrator', 'auditor'] as const) {
      const token = processTokens[role];
      for (const country of ['GT', 'MX'] as const) {
        const one = await call(nodes[country], 'GET', `/v1/alerts/${id}`, { token });
        expect(one.status, `${role} on ${country}`).toBe(200);
        expect(one.body).toMatchObject({
          id,
          restricted: true,
          bodyReadable: false,
          bodyRestricted: true,
          title: '',
        });
        expect(one.body.alert.header).toMatchObject({ id, origin: 'MX', recipients: ['GT'] });
        expect(one.body.alert.route).toBeUndefined();
        for (const text of ['Solo para GT', 'Reynosa', 'Suchiate', SUMMARY])
          expect(JSON.stringify(one.body), `${role} on ${country}`).not.toContain(text);
        const list = await call(nodes[country], 'GET', '/v1/alerts', { token });
        const item = list.body.items.find((i: { id: string }) => i.id === id);
        expect(item).toMatchObject({ title: '', bodyRestricted: true, bodyReadable: false });
        expect(JSON.stringify(item)).not.toContain('Solo para GT');
        // The envelope holds the body, title and summary encrypted only.
        const envelope = await call(nodes[country], 'GET', `/v1/alerts/${id}/envelope`, { token });
        expect(envelope.status).toBe(200);
        expect(Buffer.from(envelope.bytes).toString('utf8')).not.toContain('Solo para GT');
      }
    }

    // An open alert stays readable in full by the process, as before.
    const open = await publish('MX', routeDraft('MX', 'Abierta'));
    await arrival('GT', open.body.id);
    const adminView = await call(nodes.GT, 'GET', `/v1/alerts/${open.body.id}`, {
      token: processTokens.administrator,
    });
    expect(adminView.body).toMatchObject({ bodyReadable: true, bodyRestricted: false, title: 'Abierta' });
    expect(adminView.body.alert.route.waypoints).toHaveLength(3);
  });
});

describe('forged and refused traffic', () => {
  async function expectRejected(reason: RejectionReason, put: () => Promise<void>): Promise<void> {
    const gt = rejected('GT', reason);
    const hn = rejected('HN', reason);
    await put();
    // Valid traffic right behind the forgery still flows.
    const valid = await publish('MX', routeDraft('MX', `after ${reason}`));
    expect(valid.status).toBe(201);
    await Promise.all([arrival('GT', valid.body.id), arrival('HN', valid.body.id)]);
    await until(`${reason} at GT and HN`, () =>
      rejected('GT', reason) > gt && rejected('HN', reason) > hn ? true : undefined,
    );
  }

  it('rejects a forged signature with bad_signature', async () => {
    const forged = await craft('MX', signingKeys.MX, 'forged');
    const signed = decodeSignedAlert(forged.envelope);
    signed.signature[0] = signed.signature[0]! ^ 0xff;
    await expectRejected('bad_signature', () =>
      putOnStream(forged.subject, encodeSignedAlert(signed), forged.id),
    );
    expect(nodes.GT.context.store.has(forged.id)).toBe(false);
  });

  it('rejects a subject that lies about the origin with subject_mismatch', async () => {
    const lie = await craft('MX', signingKeys.MX, 'lying subject');
    const subject = alertSubject({ network: 'trafficking-liaison', kind: 'route', origin: 'HN' });
    await expectRejected('subject_mismatch', () => putOnStream(subject, lie.envelope, lie.id));
    expect(nodes.GT.context.store.has(lie.id)).toBe(false);
  });

  it('rejects an unregistered key with unknown_key and another country’s key with unknown_key', async () => {
    const stranger = await generateSigningKey({ country: 'MX', seq: 42 });
    const unknown = await craft('MX', stranger.privateJwk, 'unknown key');
    await expectRejected('unknown_key', () => putOnStream(unknown.subject, unknown.envelope, unknown.id));
    // GT's own key signing an alert that claims MX as its origin.
    const impostor = await craft('MX', signingKeys.GT, 'impostor');
    await expectRejected('unknown_key', () => putOnStream(impostor.subject, impostor.envelope, impostor.id));
  });

  it('rejects an alert signed with a revoked key with revoked_key, judged when the broker stored it', async () => {
    // A Costa Rican key (CR runs no node here): registered, used, then revoked.
    const cr = await generateSigningKey({ country: 'CR' });
    await registry.service.registerKey({ country: 'CR', publicJwk: cr.publicJwk }, admin);
    await until('GT to see the CR key', () =>
      nodes.GT.context.trust.current()!.key(cr.kid) ? true : undefined,
    );
    // Signed and stored before the revocation: delivered, and stays.
    const delivered = await craft('CR', cr.privateJwk, 'stored before the revocation');
    await putOnStream(delivered.subject, delivered.envelope, delivered.id);
    await arrival('GT', delivered.id);
    const beforeRevocation = await craft('CR', cr.privateJwk, 'signed before the revocation');
    await new Promise((r) => setTimeout(r, 5));
    await registry.service.revokeKey({ kid: cr.kid }, { ...admin, reason: 'compromised' });
    await until('GT and HN to see the revocation', () =>
      nodes.GT.context.trust.current()!.key(cr.kid)?.revokedAt !== undefined &&
      nodes.HN.context.trust.current()!.key(cr.kid)?.revokedAt !== undefined
        ? true
        : undefined,
    );
    await new Promise((r) => setTimeout(r, 5));
    const after = await craft('CR', cr.privateJwk, 'signed after the revocation');
    await expectRejected('revoked_key', () => putOnStream(after.subject, after.envelope, after.id));
    expect(nodes.GT.context.store.has(after.id)).toBe(false);
    // Whoever holds the revoked key cannot backdate past the revocation: an alert that says it
    // was signed before it, stored after it, is refused too (DESIGN.md trust model 5).
    await expectRejected('revoked_key', () =>
      putOnStream(beforeRevocation.subject, beforeRevocation.envelope, beforeRevocation.id),
    );
    expect(nodes.GT.context.store.has(beforeRevocation.id)).toBe(false);
    expect(nodes.GT.context.store.has(delivered.id)).toBe(true);
  });

  it('refuses an issued_at out of bounds of the stored time: backdated, issued_in_future', async () => {
    // A Panamanian key valid for the last three days, so that only the time rule can refuse.
    const pa = await generateSigningKey({ country: 'PA' });
    const notBefore = new Date(Date.now() - 3 * 86_400_000).toISOString();
    await registry.service.registerKey({ country: 'PA', publicJwk: pa.publicJwk, notBefore }, admin);
    await until('GT and HN to see the PA key', () =>
      nodes.GT.context.trust.current()!.key(pa.kid) && nodes.HN.context.trust.current()!.key(pa.kid)
        ? true
        : undefined,
    );
    const net = 'trafficking-liaison';
    // 25 h before the broker stores it: more than the 24 h a link may have been offline.
    const old = await craft('PA', pa.privateJwk, 'backdated', net, new Date(Date.now() - 25 * 3_600_000));
    await expectRejected('backdated', () => putOnStream(old.subject, old.envelope, old.id));
    // 10 min after: more than the 2 min of clock skew.
    const ahead = await craft('PA', pa.privateJwk, 'future', net, new Date(Date.now() + 10 * 60_000));
    await expectRejected('issued_in_future', () => putOnStream(ahead.subject, ahead.envelope, ahead.id));
    // 23 h late (a leaf node offline overnight) and 1 min ahead: within bounds, delivered.
    const late = await craft('PA', pa.privateJwk, 'late', net, new Date(Date.now() - 23 * 3_600_000));
    const skewed = await craft('PA', pa.privateJwk, 'skewed', net, new Date(Date.now() + 60_000));
    await putOnStream(late.subject, late.envelope, late.id);
    await putOnStream(skewed.subject, skewed.envelope, skewed.id);
    await arrival('GT', late.id);
    await arrival('GT', skewed.id);
  });

  it('rejects a key outside its validity window with expired_key', async () => {
    const sv = await generateSigningKey({ country: 'SV' });
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    await registry.service.registerKey(
      { country: 'SV', publicJwk: sv.publicJwk, notBefore: tomorrow },
      admin,
    );
    await until('GT and HN to see the SV key', () =>
      nodes.GT.context.trust.current()!.key(sv.kid) && nodes.HN.context.trust.current()!.key(sv.kid)
        ? true
        : undefined,
    );
    const early = await craft('SV', sv.privateJwk, 'signed before its key is valid');
    await expectRejected('expired_key', () => putOnStream(early.subject, early.envelope, early.id));
  });

  it('rejects what the origin could not publish: origin_not_member, kind_not_allowed', async () => {
    // CO is an observer: it reads the liaison network and never publishes on it.
    const co = await generateSigningKey({ country: 'CO' });
    await registry.service.registerKey({ country: 'CO', publicJwk: co.publicJwk }, admin);
    await until('GT and HN to see the CO key', () =>
      nodes.GT.context.trust.current()!.key(co.kid) && nodes.HN.context.trust.current()!.key(co.kid)
        ? true
        : undefined,
    );
    const observer = await craft('CO', co.privateJwk, 'from an observer');
    await expectRejected('origin_not_member', () =>
      putOnStream(observer.subject, observer.envelope, observer.id),
    );
    // The FIU exchange carries network alerts only.
    const route = await craft('MX', signingKeys.MX, 'a route on the FIU network', 'fiu-exchange');
    await expectRejected('kind_not_allowed', () => putOnStream(route.subject, route.envelope, route.id));
  });

  it('stops reading a network its country left, while others take its alerts', async () => {
    // A node reads one durable per network its country belongs to (the broker refuses it the
    // others, see node-nats-users.spec.ts); what reached it before it looked again is refused
    // with not_recipient by verify-inbound.
    for (const role of ['publisher', 'subscriber'] as const)
      await registry.service.removeMembership({ country: 'GT', network: 'consular-protection', role }, admin);
    const revision = registry.service.revision();
    await until('GT to see it', () =>
      nodes.GT.context.trust.current()!.revision >= revision ? true : undefined,
    );
    const durable = 'node-GT-net-consular-protection';
    await until(
      'GT to stop pulling consular-protection',
      async () => ((await jsm.consumers.info(ALERTS_STREAM, durable)).num_waiting === 0 ? true : undefined),
      10_000,
    );
    const before = rejected('GT', 'not_recipient');
    const reply = await publish('MX', routeDraft('MX', 'consular', { network: 'consular-protection' }));
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    await arrival('HN', reply.body.id);
    await new Promise((r) => setTimeout(r, 500));
    // Never delivered to GT: it waits, unread, on the durable GT no longer reads.
    const info = await jsm.consumers.info(ALERTS_STREAM, durable);
    expect(info.num_pending + info.num_ack_pending).toBeGreaterThanOrEqual(1);
    expect(info.num_ack_pending).toBe(0);
    expect(rejected('GT', 'not_recipient')).toBe(before);
    expect(nodes.GT.context.store.has(reply.body.id)).toBe(false);
  });

  it('rejects garbage with malformed and audits every rejection with its reason', async () => {
    const id = uuidv7();
    await expectRejected('malformed', () =>
      putOnStream(
        alertSubject({ network: 'trafficking-liaison', kind: 'route', origin: 'MX' }),
        new Uint8Array([0xff, 0xff, 0x01]),
        id,
      ),
    );
    const audit = await until('audit records of GT', async () => {
      const info = await jsm.streams.info(AUDIT_STREAM, { subjects_filter: 'enlace.v1.audit.node-gt.>' });
      return (info.state.subjects?.['enlace.v1.audit.node-gt.inbound'] ?? 0) >= 9 ? info : undefined;
    });
    expect(audit.state.subjects?.['enlace.v1.audit.node-gt.inbound']).toBeGreaterThanOrEqual(9);
    const last = await jsm.streams.getMessage(AUDIT_STREAM, {
      last_by_subj: 'enlace.v1.audit.node-gt.inbound',
    });
    expect(last!.json()).toMatchObject({
      service: 'node-gt',
      action: 'alert.reject',
      outcome: 'rejected',
      code: 'malformed',
      entityId: id,
    });
  });
});

describe('a receiving node restarted mid-stream', () => {
  it('loses nothing and duplicates nothing', async () => {
    const ids: string[] = [];
    const before = nodes.GT.context.store.counts().inbox;
    for (let i = 0; i < 12; i++) {
      if (i === 4) await nodes.GT.close();
      const reply = await publish('MX', routeDraft('MX', `stream ${i}`));
      expect(reply.status).toBe(201);
      ids.push(reply.body.id);
    }
    nodes.GT = await startNode('GT');
    await Promise.all(ids.map((id) => arrival('GT', id)));
    expect(nodes.GT.context.store.counts().inbox).toBe(before + ids.length);
    // A second delivery of what is stored changes nothing.
    const again = await jsm.streams.getMessage(ALERTS_STREAM, {
      last_by_subj: 'enlace.v1.alert.trafficking-liaison.route.MX',
    });
    const duplicates = rejected('GT', 'duplicate');
    const copy = decodeSignedAlert(again!.data);
    await nodes.GT.context.inbound.handle({
      subject: again!.subject,
      data: encodeSignedAlert(copy),
      msgId: again!.header?.get('Nats-Msg-Id'),
    });
    expect(rejected('GT', 'duplicate')).toBe(duplicates + 1);
    expect(nodes.GT.context.store.counts().inbox).toBe(before + ids.length);
  });
});

describe('an origin suspended through the registry', () => {
  it('is refused from the suspension on, at the origin and at every receiver, within a second', async () => {
    // Stored before the suspension: delivered, and stays.
    const delivered = await craft('HN', signingKeys.HN, 'stored before the suspension');
    await putOnStream(delivered.subject, delivered.envelope, delivered.id);
    await arrival('GT', delivered.id);
    const before = await craft('HN', signingKeys.HN, 'issued before the suspension');
    const suspended = await registry.service.suspendCountry(
      { code: 'HN' },
      { ...admin, reason: 'keys under review', decision: 'PPT note (test)' },
    );
    const effective = suspended.statusHistory[suspended.statusHistory.length - 1]!.effectiveAt;
    const revision = registry.service.revision();
    const seen = Date.now();
    await until(
      'GT and MX to hold the suspension',
      () =>
        nodes.GT.context.trust.current()!.revision >= revision &&
        nodes.MX.context.trust.current()!.revision >= revision
          ? true
          : undefined,
      1_000,
    );
    expect(Date.now() - seen).toBeLessThan(1_000);
    expect(Date.parse(effective)).toBeLessThanOrEqual(Date.now());

    const refused = await publish('HN', routeDraft('HN', 'while suspended'));
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatchObject({ code: 'ERR_POLICY_DENIED', reason: 'origin_suspended' });

    const during = await craft('HN', signingKeys.HN, 'issued during the suspension');
    await putOnStream(during.subject, during.envelope, during.id);
    await until('GT and MX to reject HN', () =>
      rejected('GT', 'origin_suspended') > 0 && rejected('MX', 'origin_suspended') > 0 ? true : undefined,
    );
    // Signed before the suspension but stored during it is refused too: status is judged at the
    // broker's time, which a suspended country cannot backdate (DESIGN.md trust model 5).
    const refusedBefore = rejected('GT', 'origin_suspended');
    await putOnStream(before.subject, before.envelope, before.id);
    await until('GT to reject the backdated one', () =>
      rejected('GT', 'origin_suspended') > refusedBefore ? true : undefined,
    );
    // Valid traffic keeps flowing.
    const valid = await publish('MX', routeDraft('MX', 'after the suspension'));
    await arrival('GT', valid.body.id);
    expect(nodes.GT.context.store.has(during.id)).toBe(false);
    expect(nodes.GT.context.store.has(before.id)).toBe(false);
    expect(nodes.GT.context.store.has(delivered.id)).toBe(true);
  });
});

describe('the registry down', () => {
  it('leaves nodes working on the last verified snapshot, from memory and from disk', async () => {
    const revision = nodes.GT.context.trust.current()!.revision;
    await registry.close();
    await nodes.GT.close();
    nodes.GT = await startNode('GT');
    const view = nodes.GT.context.trust.current()!;
    expect(view).toMatchObject({ source: 'disk', revision });
    const health = await call(nodes.GT, 'GET', '/health');
    expect(health.body.registry).toMatchObject({ revision, source: 'disk' });

    const reply = await publish('MX', routeDraft('MX', 'while the registry is down'));
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    expect(await arrival('GT', reply.body.id)).toBeLessThan(1_000);
    expect((await get('GT', `/v1/alerts/${reply.body.id}`)).body.verification.registryRevision).toBe(
      revision,
    );
  });

  it('makes a node with no snapshot at all wait, then catch up once the registry is back', async () => {
    const fresh = await createNodeApp({
      country: 'GT',
      natsUrl: server.url,
      dataDir: join(root, 'data', 'GT-fresh'),
      keysDir: join(root, 'keys', 'GT'),
      registryPublicJwk: pinned,
      durable: 'node-GT-fresh',
      logger: false,
    });
    try {
      expect(fresh.context.trust.current()).toBeUndefined();
      const health = await call(fresh, 'GET', '/health');
      expect(health.status).toBe(503);
      expect(health.body.registry).toEqual({ status: 'no snapshot' });
      const ready = await call(fresh, 'GET', '/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({
        status: 'error',
        error: { registry: { status: 'down', message: 'no verified registry snapshot in force' } },
      });
      const refused = await call(fresh, 'POST', '/v1/alerts', {
        token: tokens.GT,
        body: routeDraft('GT', 'x'),
      });
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('ERR_UNAVAILABLE');

      registry = await createRegistryApp({
        natsUrl: server.url,
        dataDir: join(root, 'registry'),
        logger: false,
      });
      await until('a snapshot at the fresh node', () => fresh.context.trust.current(), 5_000);
      // What arrived while it had none waited, and was not lost: the whole backlog comes in.
      const inbox = nodes.GT.context.store.counts().inbox;
      await until(
        'the backlog at the fresh node',
        () => (fresh.context.store.counts().inbox === inbox ? true : undefined),
        10_000,
      );
      const ids = (node: NodeApp) =>
        node.context.store.list({ box: 'inbox', limit: 500 }).items.map((a) => a.id);
      expect(ids(fresh)).toEqual(ids(nodes.GT));
    } finally {
      await fresh.close();
    }
  }, 30_000);
});
