/**
 * Requests for information, replies and consents between four country nodes (MX, GT, HN, PA)
 * end to end: a real nats-server, the real registry seeded from seeds/registry, real keys, real
 * crypto. Forged requests are signed by hand and put on the stream directly, as an attacker with
 * a NATS connection would.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { encryptForRecipients, generateEncryptionKey, generateSigningKey } from '@enlace/crypto';
import type { PrivateSigningJwk } from '@enlace/crypto';
import { createRegistryApp } from '@enlace/registry';
import type { RegistryApp } from '@enlace/registry';
import {
  HandlingCode,
  Priority,
  Request,
  RequestType,
  TlpMarking,
  decodeAlert,
  decodeSignedAlert,
  encodeAlert,
  encodeRequestBody,
  encodeSignedAlert,
} from '@enlace/schema';
import type { NatsServerHandle } from '@enlace/testing';
import { startNatsServer } from '@enlace/testing';
import { ALERTS_STREAM, AUDIT_STREAM, directSubject } from '@enlace/transport';
import type { RejectionReason } from '@enlace/transport';
import {
  REGISTRY_PRIVATE_KEY_FILE,
  REQUEST_MESSAGE_TYPE,
  REQUEST_TYPE_HEADER,
  SERVICE_AUDIENCES,
  issueToken,
  requestMsgId,
  signRequest,
} from '@enlace/trust';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { headers as natsHeaders } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import protobuf from 'protobufjs';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createNodeApp } from './create-node-app.js';
import type { NodeApp } from './create-node-app.js';

const SEEDS = resolve(import.meta.dirname, '../../../../seeds/registry');
const PROTO_DIR = resolve(import.meta.dirname, '../../../../proto');
const COUNTRIES = ['MX', 'GT', 'HN', 'PA'] as const;
type Country = (typeof COUNTRIES)[number];

/** What an officer writes: it must appear nowhere but in the encrypted body and the nodes it is for. */
const SECRET_SUBJECT = 'Serie pasaportes G12 en Tapachula';
const SECRET_TEXT =
  'Solicitamos lo que tengan sobre la serie G12* vista en Tapachula; sospechoso apodado El Tigre.';

let server: NatsServerHandle;
let root: string;
let registry: RegistryApp;
let pinned: Record<string, unknown>;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
const nodes = {} as Record<Country, NodeApp>;
const tokens = {} as Record<Country, string>;
const signingKeys = {} as Record<Country, PrivateSigningJwk>;
const admin = { actor: { id: 'admin@secretariat', roles: ['administrator' as const] }, reason: 'test' };

function startNode(country: Country): Promise<NodeApp> {
  return createNodeApp({
    country,
    natsUrl: server.url,
    dataDir: join(root, 'data', country),
    keysDir: join(root, 'keys', country),
    registryPublicJwk: pinned,
    logger: false,
    // Pending copies are published again when the test says (retryPending), not by the timer.
    requestRetryMs: 3_600_000,
  });
}

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(country: Country, method: 'GET' | 'POST', path: string, body?: unknown): Promise<Reply> {
  const response = await fetch(`${nodes[country].url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[country]}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const holds = (country: Country, id: string) => () =>
  nodes[country].context.requestStore.message(id) !== undefined ? true : undefined;

/** The route alert draft of MX, with a handling code. */
function routeDraft(handling: string): Record<string, unknown> {
  return {
    header: {
      network: 'trafficking-liaison',
      kind: 'ALERT_KIND_ROUTE',
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      handling,
      tlp: 'TLP_MARKING_AMBER',
      grading: {
        sourceReliability: 'SOURCE_RELIABILITY_B',
        informationCredibility: 'INFORMATION_CREDIBILITY_2',
      },
      title: `${handling} route`,
      summary: 'Cruce por el río Suchiate en balsas.',
      language: 'es',
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
      ],
      estimatedMigrants: 12,
    },
  };
}

/** A request of `from` to `to`, signed by hand with `key`, as it would travel. */
async function craft(
  from: string,
  to: string,
  key: PrivateSigningJwk,
  issuedAt = new Date(),
): Promise<{ id: string; envelope: Uint8Array }> {
  const id = uuidv7();
  const view = nodes.MX.context.trust.require();
  const enc = view.encryptionKeys(to, new Date())[0]!;
  const jwe = await encryptForRecipients(
    encodeRequestBody({ subject: 'forged', text: 'forged', references: undefined }),
    [{ kid: enc.kid, publicJwk: enc.publicJwk as never }],
  );
  const request = Request.fromPartial({
    header: {
      id,
      threadId: id,
      from,
      to: [to],
      type: RequestType.REQUEST_TYPE_INFORMATION,
      issuedAt,
      handling: HandlingCode.HANDLING_CODE_H0,
      tlp: TlpMarking.TLP_MARKING_AMBER,
    },
    content: { $case: 'information', information: { priority: Priority.PRIORITY_ROUTINE } },
    encryptedBody: jwe,
  });
  return { id, envelope: signRequest(request, key) };
}

async function putOnStream(subject: string, envelope: Uint8Array, msgId: string): Promise<void> {
  const h = natsHeaders();
  h.set(REQUEST_TYPE_HEADER, REQUEST_MESSAGE_TYPE);
  await js.publish(subject, envelope, { msgID: msgId, headers: h });
}

/** Waits until `country` refused one more request with `reason`; returns the new count. */
async function refusedWith(country: Country, reason: RejectionReason, before: number): Promise<number> {
  const metric = async (): Promise<number> => {
    const text = await nodes[country].context.metrics.registry.metrics();
    const line = text
      .split('\n')
      .find((l) => l.startsWith('enlace_node_requests_rejected_total{') && l.includes(`reason="${reason}"`));
    return Number(line?.split(' ').pop() ?? 0);
  };
  const deadline = Date.now() + 5_000;
  for (;;) {
    const now = await metric();
    if (now > before) return now;
    if (Date.now() > deadline) throw new Error(`${country} did not refuse with ${reason}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function rejectedCount(country: Country, reason: RejectionReason): Promise<number> {
  const text = await nodes[country].context.metrics.registry.metrics();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('enlace_node_requests_rejected_total{') && l.includes(`reason="${reason}"`));
  return Number(line?.split(' ').pop() ?? 0);
}

beforeAll(async () => {
  server = await startNatsServer();
  root = await mkdtemp(join(tmpdir(), 'enlace-node-rfi-'));
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
    // Valid since ten days, so that a request backdated by three is judged by the time rule.
    const notBefore = new Date(Date.now() - 10 * 86_400_000);
    for (const pair of [
      await generateSigningKey({ country, notBefore }),
      await generateEncryptionKey({ country, notBefore }),
    ]) {
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

describe('requests for information', () => {
  let threadId: string;

  it('MX asks GT and HN one question; both read it; HN replies in the same thread; PA holds nothing', async () => {
    const sent = await call('MX', 'POST', '/v1/requests', {
      to: ['GT', 'HN'],
      subject: SECRET_SUBJECT,
      text: SECRET_TEXT,
      priority: 'urgent',
      dueAt: new Date(Date.now() + 3_600_000).toISOString(),
      handling: 'H1',
      tlp: 'amber',
      references: { documentSeries: ['G12 e-passport'] },
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    threadId = sent.body.threadId;
    expect(sent.body.id).toBe(threadId);
    expect(sent.body.subjects).toEqual(['enlace.v1.direct.GT.MX', 'enlace.v1.direct.HN.MX']);

    await until(
      'GT and HN to hold it',
      () => (holds('GT', threadId)() && holds('HN', threadId)()) || undefined,
    );
    for (const country of ['GT', 'HN'] as const) {
      const thread = await call(country, 'GET', `/v1/requests/${threadId}`);
      expect(thread.status).toBe(200);
      expect(thread.body).toMatchObject({
        id: threadId,
        box: 'inbox',
        from: 'MX',
        to: ['GT', 'HN'],
        priority: 'urgent',
        status: 'open',
        subject: SECRET_SUBJECT,
      });
      expect(thread.body.messages[0]).toMatchObject({
        type: 'information',
        bodyReadable: true,
        body: { text: SECRET_TEXT },
      });
    }

    const reply = await call('HN', 'POST', `/v1/requests/${threadId}/reply`, {
      text: 'Tenemos dos detecciones de la serie G12 en Agua Caliente.',
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    expect(reply.body.threadId).toBe(threadId);
    expect(reply.body.subjects).toEqual(['enlace.v1.direct.MX.HN']);
    await until('MX to hold the reply', holds('MX', reply.body.id));

    // Received when their nodes stored it; read when their focal points opened the thread.
    await until('MX to hold the signed receipts of GT and HN', () =>
      nodes.MX.context.store.receipts(threadId).length === 4 ? true : undefined,
    );
    const atMx = await call('MX', 'GET', `/v1/requests/${threadId}`);
    expect(
      atMx.body.messages[0].receipts
        .map((r: { from: string; status: string }) => `${r.from}:${r.status}`)
        .sort(),
    ).toEqual(['GT:read', 'GT:received', 'HN:read', 'HN:received']);
    expect(atMx.body.messages[0].deliveries).toEqual([
      expect.objectContaining({ to: 'GT', status: 'stored', attempts: 1 }),
      expect.objectContaining({ to: 'HN', status: 'stored', attempts: 1 }),
    ]);
    // Reading again sends no second read receipt; MX reading its own message sends none.
    expect((await call('GT', 'POST', `/v1/requests/${threadId}/read`)).body).toEqual({ acknowledged: [] });
    expect(nodes.MX.context.store.receipts(threadId).filter((r) => r.from === 'MX')).toEqual([]);
    // HN read MX's… and MX, reading HN's reply, acknowledged it to HN.
    await until('HN to hold MX’s read receipt of its reply', () =>
      nodes.HN.context.store.receipts(reply.body.id).some((r) => r.from === 'MX' && r.status === 'read')
        ? true
        : undefined,
    );
    expect(atMx.body).toMatchObject({ box: 'outbox', status: 'answered', messageCount: 2 });
    expect(atMx.body.messages.map((m: { from: string; type: string }) => `${m.from}:${m.type}`)).toEqual([
      'MX:information',
      'HN:reply',
    ]);
    expect(atMx.body.messages[1]).toMatchObject({
      inReplyTo: threadId,
      body: { text: expect.stringContaining('Agua Caliente') },
    });
    const outbox = await call('MX', 'GET', '/v1/requests?box=outbox&status=answered&country=HN');
    expect(outbox.body.items.map((t: { id: string }) => t.id)).toContain(threadId);

    // PA is not addressed: its node never stores it, and it holds no key of the JWE.
    expect(nodes.PA.context.requestStore.message(threadId)).toBeUndefined();
    expect((await call('PA', 'GET', `/v1/requests/${threadId}`)).status).toBe(404);
    const onStream = await jsm.streams.getMessage(ALERTS_STREAM, { last_by_subj: 'enlace.v1.direct.GT.MX' });
    const paKid = nodes.PA.context.trust.require().encryptionKeys('PA', new Date())[0]!.kid;
    const jwe = Buffer.from(onStream!.data).toString('latin1');
    expect(jwe).toContain('"kid":"');
    expect(jwe).not.toContain(paKid);
  });

  it('finds threads by the words of their subject and text, only where they can be read (q=)', async () => {
    const ids = async (country: Country, q: string): Promise<string[]> => {
      const page = await call(country, 'GET', `/v1/requests?q=${encodeURIComponent(q)}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      return page.body.items.map((t: { id: string }) => t.id);
    };
    // The subject, a prefix of a word of the text, diacritics ignored, every word required.
    expect(await ids('MX', 'tapachula')).toContain(threadId);
    expect(await ids('GT', 'Tigr')).toContain(threadId);
    expect(await ids('GT', 'tecun pasaportes')).not.toContain(threadId);
    // HN's reply is in MX's store and HN's, not in GT's (it was not addressed to GT).
    expect(await ids('MX', 'agua caliente')).toContain(threadId);
    expect(await ids('HN', 'agua caliente')).toContain(threadId);
    expect(await ids('GT', 'agua caliente')).toEqual([]);
    // PA never stored it; punctuation alone matches nothing; a too-long query is refused.
    expect(await ids('PA', 'tapachula')).toEqual([]);
    expect(await ids('MX', '"*"')).toEqual([]);
    const long = await call('MX', 'GET', `/v1/requests?q=${'a'.repeat(201)}`);
    expect(long.status).toBe(400);
    expect(long.body.error.violations).toEqual([
      expect.objectContaining({ path: 'q', code: 'invalid_value' }),
    ]);
  });

  it('documents every request route in the OpenAPI document, with its summary', async () => {
    const docs = await call('MX', 'GET', '/docs-json');
    expect(docs.status).toBe(200);
    const routes: Array<[string, string]> = [
      ['/v1/requests', 'post'],
      ['/v1/requests', 'get'],
      ['/v1/requests/{id}', 'get'],
      ['/v1/requests/{id}/read', 'post'],
      ['/v1/requests/{id}/reply', 'post'],
      ['/v1/requests/{id}/close', 'post'],
      ['/v1/requests/{id}/withdraw', 'post'],
      ['/v1/alerts/{id}/consent-requests', 'post'],
      ['/v1/alerts/{id}/judicial-use', 'post'],
      ['/v1/consents/{id}/decision', 'post'],
    ];
    for (const [path, method] of routes)
      expect(docs.body.paths[path]?.[method]?.summary, `${method} ${path}`).toEqual(expect.any(String));
    const list = docs.body.paths['/v1/requests'].get.parameters.map((p: { name: string }) => p.name);
    expect(list).toEqual(expect.arrayContaining(['box', 'status', 'priority', 'overdue', 'country', 'q']));
    expect(Object.keys(docs.body.paths['/v1/requests'].post.responses)).toEqual(
      expect.arrayContaining(['201', '202', '400']),
    );
  });

  it('keeps the text out of subjects, headers, the audit trail and the metrics', async () => {
    const texts = [SECRET_SUBJECT, SECRET_TEXT, 'El Tigre', 'Tapachula'];
    for (const stream of [ALERTS_STREAM, AUDIT_STREAM]) {
      const info = await jsm.streams.info(stream);
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const msg = await jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
        if (msg === undefined || msg === null) continue;
        const visible = [msg.subject, ...[...(msg.header?.keys() ?? [])].map((k) => msg.header.get(k))].join(
          '\n',
        );
        const data = Buffer.from(msg.data).toString('utf8');
        for (const t of texts) {
          expect(visible).not.toContain(t);
          expect(data).not.toContain(t);
        }
      }
    }
    for (const country of COUNTRIES) {
      const metrics = await nodes[country].context.metrics.registry.metrics();
      for (const t of texts) expect(metrics).not.toContain(t);
    }
    expect(await nodes.MX.context.metrics.registry.metrics()).toMatch(
      /enlace_node_requests_sent_total\{[^}]*type="information"[^}]*\} 1/,
    );
  });

  it('decodes with an independent protobuf implementation (protobufjs; protoc when installed)', async () => {
    const msg = await jsm.streams.getMessage(ALERTS_STREAM, { last_by_subj: 'enlace.v1.direct.GT.MX' });
    const pb = new protobuf.Root();
    pb.resolvePath = (_o, target) => (target.startsWith(PROTO_DIR) ? target : join(PROTO_DIR, target));
    const files = (await readdir(PROTO_DIR, { recursive: true })).filter((f) => f.endsWith('.proto'));
    await pb.load(files, { keepCase: false });
    const signed = pb.lookupType('enlace.rfi.v1.SignedRequest').decode(msg!.data) as unknown as {
      request: Uint8Array;
      protectedHeader: string;
    };
    expect(JSON.parse(Buffer.from(signed.protectedHeader, 'base64url').toString())).toMatchObject({
      alg: 'EdDSA',
      b64: false,
      crit: ['b64'],
    });
    const request = pb
      .lookupType('enlace.rfi.v1.Request')
      .toObject(pb.lookupType('enlace.rfi.v1.Request').decode(signed.request), { enums: String }) as {
      header: { id: string; from: string; to: string[]; type: string };
      information: { priority: string };
      encryptedBody: string;
    };
    expect(request.header).toMatchObject({
      id: threadId,
      from: 'MX',
      to: ['GT', 'HN'],
      type: 'REQUEST_TYPE_INFORMATION',
    });
    expect(request.information.priority).toBe('PRIORITY_URGENT');
    expect(JSON.parse(request.encryptedBody).recipients).toHaveLength(3);
    let hasProtoc = true;
    try {
      execFileSync('protoc', ['--version'], { stdio: 'ignore' });
    } catch {
      hasProtoc = false;
    }
    if (hasProtoc) {
      const text = execFileSync('protoc', [`-I${PROTO_DIR}`, '--decode=enlace.rfi.v1.Request', ...files], {
        input: signed.request,
        cwd: PROTO_DIR,
      }).toString();
      expect(text).toMatch(/from: "MX"/);
    }
  });

  it('shows an urgent request overdue once its due time passes without a reply', async () => {
    const sent = await call('MX', 'POST', '/v1/requests', {
      to: ['GT'],
      subject: 'Plazo corto',
      text: '¿Confirman el paso de la ruta por Tecún Umán?',
      priority: 'urgent',
      dueAt: new Date(Date.now() + 800).toISOString(),
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(
      (await call('MX', 'GET', '/v1/requests?overdue=true')).body.items.map((t: { id: string }) => t.id),
    ).not.toContain(sent.body.id);
    await new Promise((r) => setTimeout(r, 900));
    const overdue = await call('MX', 'GET', '/v1/requests?overdue=true&priority=urgent');
    expect(overdue.body.items.find((t: { id: string }) => t.id === sent.body.id)).toMatchObject({
      overdue: true,
      status: 'open',
    });
    await until('GT to hold it', holds('GT', sent.body.id));
    expect((await call('GT', 'GET', `/v1/requests/${sent.body.id}`)).body.overdue).toBe(true);
  });

  it('refuses bad input with field paths and codes, and sends nothing', async () => {
    const before = (await jsm.streams.info(ALERTS_STREAM)).state.messages;
    const bad = await call('MX', 'POST', '/v1/requests', {
      to: ['XX', 'MX'],
      subject: 'x',
      text: '',
      dueAt: new Date(Date.now() - 60_000).toISOString(),
      priority: 'soon',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('ERR_VALIDATION');
    const paths = bad.body.error.violations.map((v: { path: string; code: string }) => `${v.path}:${v.code}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        'to[0]:invalid_format',
        'to[1]:invalid_value',
        'text:required',
        'dueAt:in_past',
        'priority:invalid_value',
      ]),
    );
    const long = await call('MX', 'POST', '/v1/requests', {
      to: ['US'],
      subject: 's',
      text: 'x'.repeat(10_001),
    });
    expect(long.body.error.violations).toEqual([expect.objectContaining({ path: 'text', code: 'too_long' })]);
    const unknown = await call('MX', 'POST', '/v1/requests', { to: ['FR'], subject: 's', text: 't' });
    expect(unknown.body.error.violations[0]).toMatchObject({ path: 'to[0]', code: 'unknown_country' });
    const noThread = await call('MX', 'POST', `/v1/requests/${uuidv7()}/reply`, { text: 'hola' });
    expect(noThread.status).toBe(404);
    expect(noThread.body.error.code).toBe('ERR_NOT_FOUND');
    // The free-text screen: what could identify a person is refused unless the writer confirms.
    const screened = await call('MX', 'POST', '/v1/requests', {
      to: ['GT'],
      subject: 's',
      text: 'Escribir a testigo@example.org',
    });
    expect(screened.status).toBe(400);
    expect(screened.body.error.violations[0]).toMatchObject({ path: 'text', code: 'may_identify_person' });
    expect(screened.body.error.violations[0].message).toContain('never identify a victim');
    expect((await jsm.streams.info(ALERTS_STREAM)).state.messages).toBe(before);
    const confirmed = await call('MX', 'POST', '/v1/requests', {
      to: ['GT'],
      subject: 's',
      text: 'Escribir a testigo@example.org',
      confirmNoVictimIdentified: true,
    });
    expect(confirmed.status).toBe(201);
    expect(confirmed.body.screening[0]).toMatchObject({
      path: 'text',
      code: 'may_identify_person.email_address',
    });
  });
});

describe('forged requests', () => {
  it('refuses a flipped byte, a wrong key, a request published by MX as GT, a backdated one, and a reply by a third country', async () => {
    const subject = directSubject({ dest: 'GT', origin: 'MX' });

    const flipped = await craft('MX', 'GT', signingKeys.MX);
    const bytes = Uint8Array.from(flipped.envelope);
    bytes[bytes.length - 5]! ^= 0x01; // inside the signature
    let count = await rejectedCount('GT', 'bad_signature');
    await putOnStream(subject, bytes, requestMsgId(flipped.id, 'GT'));
    await refusedWith('GT', 'bad_signature', count);

    const wrongKey = await craft('MX', 'GT', signingKeys.HN);
    count = await rejectedCount('GT', 'unknown_key');
    await putOnStream(subject, wrongKey.envelope, requestMsgId(wrongKey.id, 'GT'));
    await refusedWith('GT', 'unknown_key', count);

    // A request that says it is HN's, on the subject MX may publish on (direct.*.MX).
    const asGt = await craft('HN', 'GT', signingKeys.MX);
    count = await rejectedCount('GT', 'subject_mismatch');
    await putOnStream(subject, asGt.envelope, requestMsgId(asGt.id, 'GT'));
    await refusedWith('GT', 'subject_mismatch', count);

    const backdated = await craft('MX', 'GT', signingKeys.MX, new Date(Date.now() - 3 * 86_400_000));
    count = await rejectedCount('GT', 'backdated');
    await putOnStream(subject, backdated.envelope, requestMsgId(backdated.id, 'GT'));
    await refusedWith('GT', 'backdated', count);

    // PA, a party to no thread of GT's, replies into one by naming its id.
    const own = await call('MX', 'POST', '/v1/requests', { to: ['GT'], subject: 'hilo', text: 'pregunta' });
    await until('GT to hold it', holds('GT', own.body.id));
    const intruder = await craft('PA', 'GT', signingKeys.PA);
    const r = await (async () => {
      const view = nodes.MX.context.trust.require();
      const enc = view.encryptionKeys('GT', new Date())[0]!;
      const jwe = await encryptForRecipients(
        encodeRequestBody({ subject: '', text: 'x', references: undefined }),
        [{ kid: enc.kid, publicJwk: enc.publicJwk as never }],
      );
      return Request.fromPartial({
        header: {
          id: intruder.id,
          threadId: own.body.id,
          from: 'PA',
          to: ['GT'],
          type: RequestType.REQUEST_TYPE_REPLY,
          issuedAt: new Date(),
          inReplyTo: own.body.id,
          handling: HandlingCode.HANDLING_CODE_H0,
          tlp: TlpMarking.TLP_MARKING_AMBER,
        },
        content: { $case: 'reply', reply: { closesThread: true, withdraws: false } },
        encryptedBody: jwe,
      });
    })();
    count = await rejectedCount('GT', 'not_recipient');
    await putOnStream(
      directSubject({ dest: 'GT', origin: 'PA' }),
      signRequest(r, signingKeys.PA),
      requestMsgId(intruder.id, 'GT'),
    );
    await refusedWith('GT', 'not_recipient', count);
    expect((await call('GT', 'GET', `/v1/requests/${own.body.id}`)).body).toMatchObject({
      status: 'open',
      messageCount: 1,
    });

    for (const id of [flipped.id, wrongKey.id, asGt.id, backdated.id, intruder.id])
      expect(nodes.GT.context.requestStore.message(id)).toBeUndefined();
  });
});

describe('a suspended country', () => {
  it('has its requests refused with origin_suspended from the suspension on', async () => {
    const suspended = await registry.service.suspendCountry(
      { code: 'HN' },
      { ...admin, decision: 'PPT note (test)' },
    );
    expect(suspended.statusHistory.at(-1)?.status).toBe('suspended');
    const revision = registry.service.revision();
    try {
      await until('GT to hold the suspension', () =>
        nodes.GT.context.trust.current()!.revision >= revision ? true : undefined,
      );
      const request = await craft('HN', 'GT', signingKeys.HN);
      const count = await rejectedCount('GT', 'origin_suspended');
      await putOnStream(
        directSubject({ dest: 'GT', origin: 'HN' }),
        request.envelope,
        requestMsgId(request.id, 'GT'),
      );
      await refusedWith('GT', 'origin_suspended', count);
      expect(nodes.GT.context.requestStore.message(request.id)).toBeUndefined();
    } finally {
      await registry.service.reinstateCountry({ code: 'HN' }, { ...admin, decision: 'PPT note (test)' });
    }
  });
});

describe('consent to onward use', () => {
  it('before the grant forward of MX’s H2 alert is refused; after MX grants, GT forwards to PA and PA verifies both', async () => {
    const published = await call('MX', 'POST', '/v1/alerts', routeDraft('HANDLING_CODE_H2'));
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    const alertId = published.body.id as string;
    await until('GT to hold the alert', () => (nodes.GT.context.store.has(alertId) ? true : undefined));

    const before = await call('GT', 'POST', `/v1/alerts/${alertId}/forward`, { to: 'PA' });
    expect(before.status).toBe(403);
    expect(before.body.error.code).toBe('ERR_HANDLING_RESTRICTED');

    const asked = await call('GT', 'POST', `/v1/alerts/${alertId}/consent-requests`, {
      to: 'PA',
      purpose: 'forward',
      reason: 'La fiscalía de Panamá investiga la misma ruta.',
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    expect(asked.body.subjects).toEqual(['enlace.v1.direct.MX.GT']);
    await until('MX to hold the consent request', holds('MX', asked.body.id));
    const atMx = await call('MX', 'GET', `/v1/requests?type=consent&box=inbox`);
    expect(atMx.body.items.map((t: { id: string }) => t.id)).toContain(asked.body.id);

    const granted = await call('MX', 'POST', `/v1/consents/${asked.body.id}/decision`, {
      granted: true,
      reason: 'De acuerdo.',
    });
    expect(granted.status, JSON.stringify(granted.body)).toBe(201);
    await until('GT to hold the grant', holds('GT', granted.body.id));
    expect((await call('GT', 'GET', `/v1/requests/${asked.body.id}`)).body.consent).toEqual({
      id: granted.body.id,
      granted: true,
    });

    // Not to SV: the grant names PA only.
    const toSv = await call('GT', 'POST', `/v1/alerts/${alertId}/forward`, { to: 'SV' });
    expect(toSv.status).toBe(403);
    expect(toSv.body.error.code).toBe('ERR_HANDLING_RESTRICTED');

    // PA is on the network, so it holds MX's broadcast copy already: what matters is that its node
    // verifies the forwarded copy, with the consent, without refusing it.
    const outcomes: string[] = [];
    const stop = nodes.PA.context.inbound.onOutcome((e) =>
      outcomes.push(
        e.outcome === 'rejected' ? `rejected:${e.reason}` : `${e.outcome}:${'id' in e ? e.id : e.alert.id}`,
      ),
    );
    const forwarded = await call('GT', 'POST', `/v1/alerts/${alertId}/forward`, { to: 'PA' });
    expect(forwarded.status, JSON.stringify(forwarded.body)).toBe(202);
    const onStream = await jsm.streams.getMessage(ALERTS_STREAM, { last_by_subj: 'enlace.v1.direct.PA.GT' });
    expect(onStream!.header.get('Nats-Msg-Id')).toBe(`${alertId}.fwd.PA`);
    const consent = Buffer.from(onStream!.header.get('Enlace-Consent'), 'base64url');
    expect(
      Buffer.compare(
        consent,
        Buffer.from(nodes.GT.context.requestStore.consentFor(alertId, 'GT', 'PA')!.envelope),
      ),
    ).toBe(0);
    await until('PA to verify the forwarded copy', () => (outcomes.length > 0 ? true : undefined));
    stop();
    expect(outcomes).toEqual([`duplicate:${alertId}`]);
  });

  it('refuses with ERR_RESTRICTED_FORWARD to forward a restricted alert outside its recipients, consent or not', async () => {
    const published = await call('MX', 'POST', '/v1/alerts', {
      ...routeDraft('HANDLING_CODE_H2'),
      header: { ...(routeDraft('HANDLING_CODE_H2')['header'] as object), recipients: ['GT'] },
    });
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    const alertId = published.body.id as string;
    await until('GT to hold the alert', () => (nodes.GT.context.store.has(alertId) ? true : undefined));
    const asked = await call('GT', 'POST', `/v1/alerts/${alertId}/consent-requests`, {
      to: 'PA',
      purpose: 'forward',
      reason: 'Para la fiscalía de Panamá.',
    });
    await until('MX to hold the consent request', holds('MX', asked.body.id));
    const granted = await call('MX', 'POST', `/v1/consents/${asked.body.id}/decision`, { granted: true });
    await until('GT to hold the grant', holds('GT', granted.body.id));
    const outcomes: string[] = [];
    const stop = nodes.PA.context.inbound.onOutcome((e) => outcomes.push(e.outcome));
    const forwarded = await call('GT', 'POST', `/v1/alerts/${alertId}/forward`, { to: 'PA' });
    stop();
    expect(forwarded.status).toBe(403);
    expect(forwarded.body.error.code).toBe('ERR_RESTRICTED_FORWARD');
    expect(forwarded.body.error.message).toBe(
      `alert ${alertId} is restricted to GT: its body is encrypted to them inside the bytes MX signed, so no ` +
        'forwarder can open it to PA without breaking that signature (the consent of MX does not change this); ' +
        'only MX can share it with PA, by superseding it with PA among its recipients',
    );
    expect(outcomes).toEqual([]);
  });

  it('a forwarder that adds a recipient inside a restricted alert breaks the origin’s signature: PA refuses it (bad_signature)', async () => {
    const draft = routeDraft('HANDLING_CODE_H0');
    const published = await call('MX', 'POST', '/v1/alerts', {
      ...draft,
      header: { ...(draft['header'] as object), recipients: ['GT'] },
    });
    expect(published.status, JSON.stringify(published.body)).toBe(201);
    const alertId = published.body.id as string;
    await until('GT to hold the alert', () => (nodes.GT.context.store.has(alertId) ? true : undefined));
    // H0, no consent needed: still refused, since the recipients are the origin's to choose.
    const refused = await call('GT', 'POST', `/v1/alerts/${alertId}/forward`, { to: 'PA' });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('ERR_RESTRICTED_FORWARD');
    expect(refused.body.error.message).toContain('only MX can share it with PA');
    // The recipients and the JWE are inside the bytes MX signed (SignedAlert.alert).
    const signed = decodeSignedAlert(nodes.GT.context.store.get(alertId)!.envelope);
    const alert = decodeAlert(signed.alert);
    expect(alert.header!.recipients).toEqual(['GT']);
    expect(alert.body?.$case).toBe('encrypted');
    // What a forwarder would have to do to open it to PA: add PA there, keeping MX's signature.
    const widened = encodeSignedAlert({
      ...signed,
      alert: encodeAlert({ ...alert, header: { ...alert.header!, recipients: ['GT', 'PA'] } }),
    });
    const outcomes: Array<{ outcome: string; reason?: string }> = [];
    const stop = nodes.PA.context.inbound.onOutcome((e) =>
      outcomes.push({ outcome: e.outcome, ...('reason' in e && { reason: e.reason }) }),
    );
    try {
      await js.publish(directSubject({ dest: 'PA', origin: 'GT' }), widened, { msgID: `${alertId}.fwd.PA` });
      await until('PA to judge it', () => (outcomes.length > 0 ? true : undefined));
    } finally {
      stop();
    }
    expect(outcomes).toEqual([{ outcome: 'rejected', reason: 'bad_signature' }]);
    // PA holds the alert as MX published it to the network, header only: GT alone reads its body.
    await until('PA to hold MX’s alert', () => (nodes.PA.context.store.has(alertId) ? true : undefined));
    const atPa = nodes.PA.context.store.get(alertId)!;
    expect(atPa.recipients).toEqual(['GT']);
    expect(
      Buffer.from(atPa.envelope).equals(Buffer.from(nodes.GT.context.store.get(alertId)!.envelope)),
    ).toBe(true);
  });

  it('records judicial use of MX’s H1 alert only once MX granted it (ids only in the audit trail)', async () => {
    const published = await call('MX', 'POST', '/v1/alerts', routeDraft('HANDLING_CODE_H1'));
    const alertId = published.body.id as string;
    await until('GT to hold the alert', () => (nodes.GT.context.store.has(alertId) ? true : undefined));
    const before = await call('GT', 'POST', `/v1/alerts/${alertId}/judicial-use`);
    expect(before.status).toBe(403);
    expect(before.body.error.code).toBe('ERR_HANDLING_RESTRICTED');
    expect(before.body.error.message).toContain('purpose judicial_use');
    const asked = await call('GT', 'POST', `/v1/alerts/${alertId}/consent-requests`, {
      purpose: 'judicial_use',
      reason: 'Proceso penal 45-2026 en el juzgado de Quetzaltenango.',
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(201);
    await until('MX to hold the consent request', holds('MX', asked.body.id));
    const granted = await call('MX', 'POST', `/v1/consents/${asked.body.id}/decision`, { granted: true });
    await until('GT to hold the grant', holds('GT', granted.body.id));
    const used = await call('GT', 'POST', `/v1/alerts/${alertId}/judicial-use`);
    expect(used.status, JSON.stringify(used.body)).toBe(201);
    expect(used.body).toMatchObject({ alertId, handling: 'H1', consentId: granted.body.id });
    // HN holds no grant: still refused there.
    await until('HN to hold the alert', () => (nodes.HN.context.store.has(alertId) ? true : undefined));
    expect((await call('HN', 'POST', `/v1/alerts/${alertId}/judicial-use`)).body.error.code).toBe(
      'ERR_HANDLING_RESTRICTED',
    );
    // The audit record names ids, never the reason GT wrote.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    let record: any;
    for (const deadline = Date.now() + 5_000; Date.now() < deadline;) {
      const msg = await jsm.streams
        .getMessage(AUDIT_STREAM, { last_by_subj: 'enlace.v1.audit.node-gt.gt-liaison-1' })
        .catch(() => undefined);
      record =
        msg === undefined || msg === null ? undefined : JSON.parse(Buffer.from(msg.data).toString('utf8'));
      if (record?.action === 'alert.judicial-use' && record.outcome === 'ok') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(record).toMatchObject({
      action: 'alert.judicial-use',
      entityId: alertId,
      outcome: 'ok',
      details: { origin: 'MX', handling: 'H1', consentId: granted.body.id },
    });
    expect(JSON.stringify(record)).not.toContain('Quetzaltenango');
  });

  it('a refused consent keeps the refusal', async () => {
    const published = await call('MX', 'POST', '/v1/alerts', routeDraft('HANDLING_CODE_H2'));
    const alertId = published.body.id as string;
    await until('GT to hold the alert', () => (nodes.GT.context.store.has(alertId) ? true : undefined));
    const asked = await call('GT', 'POST', `/v1/alerts/${alertId}/consent-requests`, {
      to: 'PA',
      reason: 'Para la fiscalía.',
    });
    await until('MX to hold the consent request', holds('MX', asked.body.id));
    const refused = await call('MX', 'POST', `/v1/consents/${asked.body.id}/decision`, { granted: false });
    expect(refused.status).toBe(201);
    await until('GT to hold the refusal', holds('GT', refused.body.id));
    const again = await call('MX', 'POST', `/v1/consents/${asked.body.id}/decision`, { granted: true });
    expect(again.body.error.violations[0]).toMatchObject({ code: 'already_decided' });
    const forward = await call('GT', 'POST', `/v1/alerts/${alertId}/forward`, { to: 'PA' });
    expect(forward.status).toBe(403);
    expect(forward.body.error.code).toBe('ERR_HANDLING_RESTRICTED');
  });

  it('PA refuses a forward of an H2 alert whose consent is for another country', async () => {
    const published = await call('MX', 'POST', '/v1/alerts', routeDraft('HANDLING_CODE_H2'));
    const alertId = published.body.id as string;
    await until('GT to hold the alert', () => (nodes.GT.context.store.has(alertId) ? true : undefined));
    const asked = await call('GT', 'POST', `/v1/alerts/${alertId}/consent-requests`, {
      to: 'HN',
      reason: 'Para HN.',
    });
    await until('MX to hold it', holds('MX', asked.body.id));
    const granted = await call('MX', 'POST', `/v1/consents/${asked.body.id}/decision`, { granted: true });
    await until('GT to hold the grant', holds('GT', granted.body.id));
    // GT's node would refuse; an attacker with GT's connection sends it to PA with the HN grant.
    const grant = nodes.GT.context.requestStore.consentFor(alertId, 'GT', 'HN')!;
    const alert = nodes.GT.context.store.get(alertId)!;
    const h = natsHeaders();
    h.set('Enlace-Consent', Buffer.from(grant.envelope).toString('base64url'));
    const before = nodes.PA.context.metrics.rejectedCount('not_recipient');
    await js.publish(directSubject({ dest: 'PA', origin: 'GT' }), alert.envelope, {
      msgID: `${alertId}.fwd.PA`,
      headers: h,
    });
    await until('PA to refuse it', () =>
      nodes.PA.context.metrics.rejectedCount('not_recipient') > before ? true : undefined,
    );
  });
});

describe('restart', () => {
  it('a send to GT and HN whose copy for HN JetStream does not store is kept pending, answered 202, and delivered by the retry', async () => {
    const info = await jsm.streams.info(ALERTS_STREAM);
    const subjects = info.config.subjects;
    // The stream stops taking copies for HN: a real publish failure for one destination.
    await jsm.streams.update(ALERTS_STREAM, {
      subjects: [
        'enlace.v1.alert.>',
        'enlace.v1.ack.>',
        ...COUNTRIES.filter((c) => c !== 'HN').map((c) => `enlace.v1.direct.${c}.*`),
      ],
    });
    let sent: Reply;
    try {
      sent = await call('MX', 'POST', '/v1/requests', {
        to: ['GT', 'HN'],
        subject: 'Parcial',
        text: 'Dos copias.',
      });
    } finally {
      await jsm.streams.update(ALERTS_STREAM, { subjects });
    }
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body).toMatchObject({ subjects: ['enlace.v1.direct.GT.MX'], undelivered: ['HN'] });
    await until('GT to hold it', holds('GT', sent.body.id));
    expect(nodes.HN.context.requestStore.message(sent.body.id)).toBeUndefined();
    const before = await call('MX', 'GET', `/v1/requests/${sent.body.id}`);
    expect(before.body.messages[0].deliveries).toEqual([
      expect.objectContaining({ to: 'GT', status: 'stored' }),
      { to: 'HN', status: 'pending', attempts: 1 },
    ]);
    expect(await nodes.MX.context.metrics.registry.metrics()).toMatch(
      /enlace_node_requests_undelivered_total\{country="MX"\} [1-9]/,
    );

    expect(await nodes.MX.context.requests.retryPending()).toBe(1);
    await until('HN to hold it', holds('HN', sent.body.id));
    const after = await call('MX', 'GET', `/v1/requests/${sent.body.id}`);
    expect(after.body.messages[0].deliveries).toEqual([
      expect.objectContaining({ to: 'GT', status: 'stored', attempts: 1 }),
      expect.objectContaining({ to: 'HN', status: 'stored', attempts: 2 }),
    ]);
    expect(nodes.MX.context.requestStore.pendingDeliveries()).toEqual([]);
    // Nothing twice: GT's copy is not sent again, and a second retry has nothing to do.
    expect(await nodes.MX.context.requests.retryPending()).toBe(0);
  }, 30_000);

  it('GT stopped mid-thread and started again holds every message sent meanwhile, once (SIGKILL: test/reliability-requests-restart)', async () => {
    const sent = await call('MX', 'POST', '/v1/requests', {
      to: ['GT'],
      subject: 'Reinicio',
      text: 'Primera pregunta.',
    });
    await until('GT to hold it', holds('GT', sent.body.id));
    await nodes.GT.close();
    const replies: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call('MX', 'POST', `/v1/requests/${sent.body.threadId}/reply`, {
        text: `Seguimiento ${i}`,
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      replies.push(r.body.id);
    }
    nodes.GT = await startNode('GT');
    for (const id of replies) await until(`GT to hold ${id}`, holds('GT', id));
    const thread = await call('GT', 'GET', `/v1/requests/${sent.body.threadId}`);
    expect(thread.body.messages.map((m: { id: string }) => m.id)).toEqual([sent.body.id, ...replies]);
    expect(thread.body.messages).toHaveLength(4);
  });
});
