/**
 * The registry API end to end: a real nats-server, the real core with the project's seeds, the
 * HTTP API as administrators, auditors and strangers call it, the OpenAPI document, the signed
 * snapshot, and a restart that keeps the state.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { generateEncryptionKey, generateSigningKey } from '@enlace/crypto';
import type { NatsServerHandle } from '@enlace/testing';
import { startNatsServer } from '@enlace/testing';
import { SignJWT, compactVerify, importJWK } from 'jose';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createToken, issueToken, SERVICE_AUDIENCES } from '@enlace/trust';
import type { TokenRole } from '../domain/model.js';
import { verifySignedSnapshot } from '@enlace/trust';
import { loadOrCreateRegistryKey } from '../registry-key.js';
import { createRegistryApp } from './create-registry-app.js';
import type { RegistryApp } from './create-registry-app.js';

const SEEDS = resolve(import.meta.dirname, '../../../../seeds/registry');

let server: NatsServerHandle;
let dataDir: string;
let app: RegistryApp;
let admin: string;
let auditor: string;
let focalPoint: string;

async function token(subject: string, roles: TokenRole[], ttlSeconds = 600, now?: Date): Promise<string> {
  const key = await loadOrCreateRegistryKey(dataDir);
  const privateJwk = key.privateKey.key.export({ format: 'jwk' }) as Record<string, unknown>;
  return issueToken(
    { privateJwk, kid: key.kid },
    {
      subject,
      roles,
      ttlSeconds,
      audience: SERVICE_AUDIENCES.registry,
      ...(roles.some((r) => r === 'focal-point' || r === 'fiu-analyst') && { country: 'MX' }),
      ...(now !== undefined && { now }),
    },
  );
}

interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  headers: Headers;
}

async function call(
  method: 'GET' | 'POST',
  path: string,
  options: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  if (options.body !== undefined || options.raw !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${app.url}${path}`, {
    method,
    headers,
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
    ...(options.raw !== undefined && { body: options.raw }),
  });
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').includes('json');
  return { status: response.status, body: isJson ? JSON.parse(text) : text, headers: response.headers };
}

const get = (path: string, token?: string): Promise<Reply> =>
  call('GET', path, token === undefined ? {} : { token });
const post = (path: string, body: unknown, token = admin): Promise<Reply> =>
  call('POST', path, { token, body });

/** Asserts a refusal: status, stable code, and the field paths at fault. */
function expectRefusal(reply: Reply, status: number, code: string, paths: string[]): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  expect(reply.body.error.code).toBe(code);
  expect(typeof reply.body.error.message).toBe('string');
  expect(reply.body.error.violations.map((v: { path: string }) => v.path)).toEqual(paths);
}

/** The registry's state as the API shows it, for before/after comparisons. */
async function stateSnapshot(): Promise<unknown> {
  const [countries, memberships, focalPoints, keys] = await Promise.all([
    get('/v1/countries', admin),
    get('/v1/memberships', admin),
    get('/v1/focal-points', admin),
    get('/v1/keys', admin),
  ]);
  return {
    revision: countries.body.revision,
    countries: countries.body.items,
    memberships: memberships.body.items,
    focalPoints: focalPoints.body.items,
    keys: keys.body.items,
  };
}

/** Runs `act` and asserts it changed nothing the API shows. */
async function expectUnchanged(act: () => Promise<void>): Promise<void> {
  const before = await stateSnapshot();
  await act();
  expect(await stateSnapshot()).toEqual(before);
}

beforeAll(async () => {
  server = await startNatsServer();
  dataDir = await mkdtemp(join(tmpdir(), 'enlace-registry-app-'));
  app = await createRegistryApp({ natsUrl: server.url, dataDir, seedsDir: SEEDS, logger: false });
  admin = await token('admin@secretariat', ['administrator']);
  auditor = await token('auditor@secretariat', ['auditor']);
  focalPoint = await token('mx-inm-liaison-1', ['focal-point']);
});

afterAll(async () => {
  await app?.close();
  await server?.stop();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('public routes', () => {
  it('answers health, the JWKS and the registry key to pin', async () => {
    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    expect(health.body.revision).toBeGreaterThan(0);

    // Readiness (terminus) and metrics (prom-client) from the service kit.
    const ready = await get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'ok',
      info: {
        registry: { status: 'up', revision: health.body.revision },
        nats: { status: 'up' },
        store: { status: 'up' },
      },
    });
    const metrics = await fetch(`${app.url}/metrics`, { headers: { 'x-request-id': 'scrape-1' } });
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(metrics.headers.get('x-request-id')).toBe('scrape-1');
    const text = await metrics.text();
    expect(text).toMatch(new RegExp(`^enlace_registry_revision ${health.body.revision}$`, 'm'));
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);

    expect((await get('/.well-known/jwks.json')).body).toEqual(app.service.activeJwks());
    const pinned = await get('/.well-known/enlace-registry.jwk');
    expect(pinned.body).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid: app.registryKey.kid });
    expect(pinned.body.d).toBeUndefined();
  });

  it('serves the snapshot as a compact JWS that verifies against the pinned key', async () => {
    const reply = await get('/v1/snapshot');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toMatch(/^application\/jose/);
    const pinned = (await get('/.well-known/enlace-registry.jwk')).body as JWK;
    const { payload, protectedHeader } = await compactVerify(
      reply.body as string,
      await importJWK(pinned, 'EdDSA'),
    );
    expect(protectedHeader).toMatchObject({ alg: 'EdDSA', kid: app.registryKey.kid });
    const snapshot = JSON.parse(new TextDecoder().decode(payload));
    expect(snapshot).toMatchObject({
      format: 'enlace.registry.snapshot.v1',
      registryKid: app.registryKey.kid,
    });
    expect(snapshot.policy.countries.length).toBeGreaterThanOrEqual(17);

    const json = await get('/v1/snapshot?format=json');
    expect(json.body.snapshot.revision).toBe(snapshot.revision);
    await expect(verifySignedSnapshot(json.body.jws, pinned)).resolves.toMatchObject({
      revision: snapshot.revision,
    });

    expectRefusal(await get('/v1/snapshot?format=xml'), 400, 'ERR_VALIDATION', ['format']);
  });
});

describe('authentication and authorization', () => {
  it('refuses a missing, forged or expired token with 401 and a wrong role with 403, each recorded in the audit trail', async () => {
    const requestIds = ['deny-missing', 'deny-forged', 'deny-expired', 'deny-role'];
    const missing = await call('GET', '/v1/countries', { headers: { 'x-request-id': requestIds[0]! } });
    expectRefusal(missing, 401, 'ERR_UNAUTHENTICATED', []);
    expect(missing.headers.get('x-request-id')).toBe('deny-missing');

    const forged = `${admin.slice(0, -4)}AAAA`;
    expectRefusal(
      await call('GET', '/v1/countries', { token: forged, headers: { 'x-request-id': requestIds[1]! } }),
      401,
      'ERR_UNAUTHENTICATED',
      [],
    );
    const expired = await token('admin@secretariat', ['administrator'], 60, new Date(Date.now() - 7_200_000));
    const expiredReply = await call('GET', '/v1/countries', {
      token: expired,
      headers: { 'x-request-id': requestIds[2]! },
    });
    expectRefusal(expiredReply, 401, 'ERR_UNAUTHENTICATED', []);
    expect(expiredReply.body.error.message).toBe('the bearer token has expired');

    const wrongRole = await call('POST', '/v1/countries/NI/suspend', {
      token: focalPoint,
      body: { reason: 'not allowed' },
      headers: { 'x-request-id': requestIds[3]! },
    });
    expectRefusal(wrongRole, 403, 'ERR_FORBIDDEN', []);
    expectRefusal(await get('/v1/audit', focalPoint), 403, 'ERR_FORBIDDEN', []);

    const audit = await get('/v1/audit?entity=auth&limit=1000', auditor);
    expect(audit.status).toBe(200);
    const denied = audit.body.items.filter((r: { requestId?: string }) =>
      requestIds.includes(r.requestId ?? ''),
    );
    expect(denied.map((r: { requestId: string; code: string }) => [r.requestId, r.code]).sort()).toEqual([
      ['deny-expired', 'ERR_UNAUTHENTICATED'],
      ['deny-forged', 'ERR_UNAUTHENTICATED'],
      ['deny-missing', 'ERR_UNAUTHENTICATED'],
      ['deny-role', 'ERR_FORBIDDEN'],
    ]);
    const role = denied.find((r: { requestId: string }) => r.requestId === 'deny-role');
    expect(role).toMatchObject({
      actor: 'mx-inm-liaison-1',
      roles: ['focal-point'],
      outcome: 'rejected',
      action: 'POST /v1/countries/:code/suspend',
    });
  });

  it('lets any valid token read', async () => {
    for (const path of [
      '/v1/countries',
      '/v1/countries/MX',
      '/v1/networks',
      '/v1/networks/trafficking-liaison',
      '/v1/memberships?country=MX',
      '/v1/focal-points?country=MX&active=true',
      '/v1/keys',
      '/v1/policy/rules',
      '/v1/glossary',
    ]) {
      const reply = await get(path, focalPoint);
      expect(reply.status, path).toBe(200);
    }
    const decision = await post(
      '/v1/policy/decide',
      { action: 'publish', network: 'trafficking-liaison', kind: 'route', origin: 'MX' },
      focalPoint,
    );
    expect(decision.status).toBe(200);
    expect(decision.body.allowed).toBe(true);
  });
});

describe('the OpenAPI document', () => {
  it('is served at /docs and /docs-json and describes every route, its auth and its errors', async () => {
    const ui = await get('/docs');
    expect(ui.status).toBe(200);
    expect(String(ui.body)).toContain('swagger');
    const doc = (await get('/docs-json')).body;
    expect(doc.openapi).toMatch(/^3\./);
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.sort()).toEqual(
      [
        'GET /health',
        // Readiness, liveness and metrics: the service kit's, on every service.
        'GET /health/ready',
        'GET /health/live',
        'GET /metrics',
        'GET /.well-known/jwks.json',
        'GET /.well-known/enlace-registry.jwk',
        'GET /v1/snapshot',
        'GET /v1/countries',
        'POST /v1/countries',
        'GET /v1/countries/{code}',
        'POST /v1/countries/{code}/suspend',
        'POST /v1/countries/{code}/reinstate',
        'POST /v1/countries/{code}/withdraw',
        'GET /v1/networks',
        'GET /v1/networks/{id}',
        'GET /v1/memberships',
        'POST /v1/memberships',
        'POST /v1/memberships/end',
        'GET /v1/focal-points',
        'POST /v1/focal-points',
        'GET /v1/focal-points/{id}',
        'POST /v1/focal-points/{id}/deactivate',
        'GET /v1/keys',
        'POST /v1/keys',
        'GET /v1/keys/{kid}',
        'POST /v1/keys/rotate',
        'POST /v1/keys/{kid}/revoke',
        'GET /v1/tokens/revoked',
        'POST /v1/tokens/{jti}/revoke',
        'GET /v1/policy/rules',
        'POST /v1/policy/decide',
        'GET /v1/glossary',
        'GET /v1/audit',
      ].sort(),
    );
    const suspend = doc.paths['/v1/countries/{code}/suspend'].post;
    expect(suspend.security).toEqual([{ 'registry-token': [] }]);
    expect(Object.keys(suspend.responses).sort()).toEqual(['200', '400', '401', '403', '404', '409', '500']);
    expect(suspend.responses['403'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/ErrorResponse',
    });
    expect(doc.paths['/health'].get.security).toBeUndefined();
    expect(doc.paths['/health/ready'].get.security).toBeUndefined();
    expect(doc.components.securitySchemes['registry-token']).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    const register = doc.components.schemas.RegisterKeyRequest;
    expect(register.required).toEqual(['country', 'publicJwk']);
    expect(doc.components.schemas.ErrorResponse.properties.error.properties.violations.type).toBe('array');
  });
});

describe('administration over HTTP', () => {
  it('admits, suspends, reinstates and withdraws a country, with reason, decision and request id audited', async () => {
    const names = { en: 'Bahamas', es: 'Bahamas', fr: 'Bahamas', pt: 'Bahamas' };
    const admitted = await call('POST', '/v1/countries', {
      token: admin,
      body: {
        code: 'BS',
        names,
        status: 'observer',
        reason: 'attends as observer',
        decision: 'XX RCM, decision 1',
      },
      headers: { 'x-request-id': 'admit-bs' },
    });
    expect(admitted.status, JSON.stringify(admitted.body)).toBe(201);
    expect(admitted.body).toMatchObject({ code: 'BS', names });
    expect(admitted.body.statusHistory.at(-1)).toMatchObject({
      status: 'observer',
      actor: 'admin@secretariat',
    });
    const again = await post('/v1/countries', { code: 'BS', status: 'observer' });
    expectRefusal(again, 409, 'ERR_ALREADY_EXISTS', ['code']);
    expect(again.body.error.message).toBe('BS is already observer');
    expect(again.body.error.violations[0].code).toBe('already_exists');

    const suspended = await post('/v1/countries/ni/suspend', {
      reason: 'audit of its node',
      decision: 'PPT note 4',
    });
    expect(suspended.status, JSON.stringify(suspended.body)).toBe(200);
    expect(suspended.body.statusHistory.at(-1)).toMatchObject({
      status: 'suspended',
      reason: 'audit of its node',
    });
    const denied = await post(
      '/v1/policy/decide',
      { action: 'publish', network: 'trafficking-liaison', kind: 'route', origin: 'NI' },
      focalPoint,
    );
    expect(denied.body).toMatchObject({ allowed: false, reason: 'origin_suspended' });

    const reinstated = await post('/v1/countries/NI/reinstate', { reason: 'node audited' });
    expect(reinstated.body.statusHistory.at(-1).status).toBe('member');
    const withdrawn = await post('/v1/countries/BS/withdraw', { reason: 'left the process' });
    expect(withdrawn.body.statusHistory.at(-1).status).toBe('withdrawn');
    expect(
      (await get('/v1/countries/BS', auditor)).body.statusHistory.map((c: { status: string }) => c.status),
    ).toEqual(['observer', 'withdrawn']);
    // A withdrawal is final: admitting the country again is a transition the registry refuses.
    expectRefusal(
      await post('/v1/countries', { code: 'BS', status: 'member', reason: 'wants back in' }),
      409,
      'ERR_INVALID_TRANSITION',
      ['code'],
    );

    const audit = await get('/v1/audit?entity=country&entityId=BS', auditor);
    const admit = audit.body.items.find(
      (r: { action: string; outcome: string }) => r.action === 'country.admit' && r.outcome === 'ok',
    );
    expect(admit).toMatchObject({
      actor: 'admin@secretariat',
      outcome: 'ok',
      reason: 'attends as observer',
      decision: 'XX RCM, decision 1',
      requestId: 'admit-bs',
    });
  });

  it('adds and ends memberships', async () => {
    const added = await post('/v1/memberships', {
      country: 'JM',
      network: 'consular-protection',
      role: 'observer-reader',
      reason: 'observer reads the consular network',
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({
      country: 'JM',
      network: 'consular-protection',
      role: 'observer-reader',
    });
    const listed = await get('/v1/memberships?country=JM&network=consular-protection', auditor);
    expect(listed.body.items.map((m: { id: string }) => m.id)).toContain(added.body.id);

    const ended = await post('/v1/memberships/end', {
      country: 'JM',
      network: 'consular-protection',
      role: 'observer-reader',
      reason: 'no longer needed',
    });
    expect(ended.status, JSON.stringify(ended.body)).toBe(200);
    expect(ended.body.validUntil).toBeDefined();
    expectRefusal(
      await post('/v1/memberships/end', { country: 'JM', network: 'consular-protection', role: 'publisher' }),
      400,
      'ERR_VALIDATION',
      ['reason'],
    );
  });

  it('adds, reads and deactivates focal points', async () => {
    const added = await post('/v1/focal-points', {
      id: 'gt-igm-liaison-9',
      kind: 'unit',
      name: 'Mesa de enlace',
      agency: 'Instituto Guatemalteco de Migración',
      role: 'liaison-officer',
      country: 'GT',
      networks: ['trafficking-liaison'],
      contact: { channel: 'email', address: 'enlace@igm.example' },
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({ id: 'gt-igm-liaison-9', active: true });
    expect((await get('/v1/focal-points/gt-igm-liaison-9', focalPoint)).body.name).toBe('Mesa de enlace');
    const deactivated = await post('/v1/focal-points/gt-igm-liaison-9/deactivate', { reason: 'desk closed' });
    expect(deactivated.body).toMatchObject({ active: false, deactivationReason: 'desk closed' });
    const inactive = await get('/v1/focal-points?country=GT&active=false', auditor);
    expect(inactive.body.items.map((f: { id: string }) => f.id)).toContain('gt-igm-liaison-9');
    expectRefusal(await get('/v1/focal-points/nobody-here', auditor), 404, 'ERR_NOT_FOUND', ['id']);
  });

  it('registers, rotates and revokes keys, refusing duplicates, foreign kids and overlaps without changing state', async () => {
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const sig1 = await generateSigningKey({ country: 'MX', seq: 1 });
    const enc1 = await generateEncryptionKey({ country: 'MX', seq: 1 });
    for (const pair of [sig1, enc1]) {
      const reply = await post('/v1/keys', { country: 'MX', publicJwk: pair.publicJwk, notBefore: hourAgo });
      expect(reply.status, JSON.stringify(reply.body)).toBe(201);
      expect(reply.body).toMatchObject({ kid: pair.kid, country: 'MX', notBefore: hourAgo });
    }
    expect((await get(`/v1/keys/${sig1.kid}`, focalPoint)).body.use).toBe('sig');
    expect((await get('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid)).toEqual(
      expect.arrayContaining([sig1.kid, enc1.kid]),
    );

    const sig3 = await generateSigningKey({ country: 'MX', seq: 3 });
    const gt = await generateSigningKey({ country: 'GT', seq: 1 });
    await expectUnchanged(async () => {
      expectRefusal(
        await post('/v1/keys', { country: 'MX', publicJwk: sig1.publicJwk }),
        409,
        'ERR_DUPLICATE_KID',
        ['publicJwk.kid'],
      );
      expectRefusal(
        await post('/v1/keys', { country: 'MX', publicJwk: gt.publicJwk }),
        422,
        'ERR_KEY_COUNTRY_MISMATCH',
        ['publicJwk.kid'],
      );
      expectRefusal(
        await post('/v1/keys', { country: 'MX', publicJwk: sig3.publicJwk }),
        409,
        'ERR_KEY_VALIDITY_OVERLAP',
        ['notBefore'],
      );
      expectRefusal(
        await post('/v1/keys', { country: 'MX', publicJwk: { ...sig3.privateJwk } }),
        400,
        'ERR_VALIDATION',
        ['publicJwk.d'],
      );
    });

    const sig2 = await generateSigningKey({ country: 'MX', seq: 2 });
    const rotated = await post('/v1/keys/rotate', {
      country: 'MX',
      publicJwk: sig2.publicJwk,
      reason: 'yearly',
    });
    expect(rotated.status, JSON.stringify(rotated.body)).toBe(200);
    expect(rotated.body.previous.kid).toBe(sig1.kid);
    expect(rotated.body.previous.notAfter).toBe(rotated.body.current.notBefore);
    expect(rotated.body.current.kid).toBe(sig2.kid);

    const revoked = await post(`/v1/keys/${enc1.kid}/revoke`, { reason: 'key compromised' });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(revoked.body).toMatchObject({ kid: enc1.kid, revocationReason: 'key compromised' });
    expectRefusal(
      await post(`/v1/keys/${enc1.kid}/revoke`, { reason: 'again' }),
      409,
      'ERR_INVALID_TRANSITION',
      ['kid'],
    );
    const active = await get('/v1/keys?country=MX&active=true', focalPoint);
    expect(active.body.items.map((k: { kid: string }) => k.kid)).toEqual([sig2.kid]);
    const jwks = (await get('/.well-known/jwks.json')).body.keys.map((k: { kid: string }) => k.kid);
    expect(jwks).toContain(sig2.kid);
    expect(jwks).not.toContain(enc1.kid);
    expect(jwks).not.toContain(sig1.kid);
  });

  it('refuses bad input with 4xx, the field path and a stable code, and changes nothing', async () => {
    await expectUnchanged(async () => {
      expectRefusal(
        await post('/v1/countries/ZZ/suspend', { reason: 'no such country' }),
        404,
        'ERR_UNKNOWN_COUNTRY',
        ['code'],
      );
      expectRefusal(
        await post('/v1/memberships', { country: 'ZZ', network: 'trafficking-liaison', role: 'publisher' }),
        404,
        'ERR_UNKNOWN_COUNTRY',
        ['country'],
      );
      expectRefusal(
        await post('/v1/memberships', { country: 'MX', network: 'no-such-network', role: 'publisher' }),
        404,
        'ERR_UNKNOWN_NETWORK',
        ['network'],
      );
      expectRefusal(
        await post('/v1/countries', { code: 'mx', status: 'member', extra: 1 }),
        400,
        'ERR_VALIDATION',
        ['code', 'extra'],
      );
      expectRefusal(
        await post('/v1/focal-points', {
          kind: 'unit',
          country: 'MX',
          networks: [],
          contact: { channel: 'fax' },
        }),
        400,
        'ERR_VALIDATION',
        ['name', 'agency', 'role', 'networks', 'contact.channel', 'contact.address'],
      );
      const malformed = await call('POST', '/v1/countries', { token: admin, raw: '{"code": "MX",' });
      expectRefusal(malformed, 400, 'ERR_VALIDATION', ['']);
      expect(malformed.body.error.message).toMatch(/^the request body is not valid JSON/);
      expect(malformed.body.error.violations[0].code).toBe('malformed_json');
      expectRefusal(await get('/v1/audit?limit=5000', auditor), 400, 'ERR_VALIDATION', ['limit']);
    });
    const unknown = await get('/v1/no-such-route', admin);
    expectRefusal(unknown, 404, 'ERR_NOT_FOUND', []);
  });

  it('records commands refused before they reach the core in the audit trail, once each', async () => {
    const send = (
      path: string,
      requestId: string,
      options: { body?: unknown; raw?: string; token?: string },
    ) => call('POST', path, { token: admin, ...options, headers: { 'x-request-id': requestId } });
    await expectUnchanged(async () => {
      expectRefusal(
        await send('/v1/countries', 'reject-malformed', { raw: '{"code": "MX",' }),
        400,
        'ERR_VALIDATION',
        [''],
      );
      expectRefusal(
        await send('/v1/countries/NI/suspend', 'reject-schema', { body: {} }),
        400,
        'ERR_VALIDATION',
        ['reason'],
      );
      expectRefusal(
        await send('/v1/countries/n1/withdraw', 'reject-path', { body: { reason: 'x' } }),
        400,
        'ERR_VALIDATION',
        ['code'],
      );
      expectRefusal(
        await send('/v1/memberships', 'reject-membership', {
          body: { country: 'MX', network: 'trafficking-liaison', role: 'admin' },
        }),
        400,
        'ERR_VALIDATION',
        ['role'],
      );
      expectRefusal(
        await send('/v1/keys/MX-sig-2026-01/revoke', 'reject-key', {
          body: { reason: 'x', at: 'yesterday' },
        }),
        400,
        'ERR_VALIDATION',
        ['at'],
      );
      // Refused by the core, which audits it itself: recorded once, not twice.
      expectRefusal(
        await send('/v1/countries/ZZ/suspend', 'reject-core', { body: { reason: 'no such country' } }),
        404,
        'ERR_UNKNOWN_COUNTRY',
        ['code'],
      );
      // No valid token: the guard refuses (and records) it before the body is looked at.
      expectRefusal(
        await send('/v1/countries', 'reject-anonymous', { raw: '{"code":', token: 'not-a-token' }),
        401,
        'ERR_UNAUTHENTICATED',
        [],
      );
    });

    const items: Array<Record<string, unknown>> = (await get('/v1/audit?limit=200', auditor)).body.items;
    const byRequest = (id: string) => items.filter((r) => r['requestId'] === id);
    const expected = {
      'reject-malformed': { action: 'country.admit', entity: 'country', entityId: '?' },
      'reject-schema': { action: 'country.suspend', entity: 'country', entityId: 'NI' },
      'reject-path': { action: 'country.withdraw', entity: 'country', entityId: 'N1' },
      'reject-membership': {
        action: 'membership.add',
        entity: 'membership',
        entityId: 'MX.trafficking-liaison.admin',
      },
      'reject-key': { action: 'key.revoke', entity: 'key', entityId: 'MX-sig-2026-01' },
    };
    for (const [requestId, what] of Object.entries(expected)) {
      const records = byRequest(requestId);
      expect(records, requestId).toHaveLength(1);
      expect(records[0]).toMatchObject({
        ...what,
        actor: 'admin@secretariat',
        roles: ['administrator'],
        outcome: 'rejected',
        code: 'ERR_VALIDATION',
      });
      expect(typeof records[0]!['reason']).toBe('string');
    }
    expect(byRequest('reject-malformed')[0]!['reason']).toMatch(/^the request body is not valid JSON/);
    expect(byRequest('reject-core')).toEqual([
      expect.objectContaining({
        action: 'country.suspend',
        outcome: 'rejected',
        code: 'ERR_UNKNOWN_COUNTRY',
      }),
    ]);
    expect(byRequest('reject-anonymous')).toEqual([
      expect.objectContaining({ entity: 'auth', outcome: 'rejected', code: 'ERR_UNAUTHENTICATED' }),
    ]);
  });
});

describe('tokens: audience, id, revocation', () => {
  async function signed(claims: Record<string, unknown>, audience: string, jti?: string): Promise<string> {
    const key = await loadOrCreateRegistryKey(dataDir);
    const privateJwk = key.privateKey.key.export({ format: 'jwk' }) as JWK;
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
      .setIssuer('enlace-registry')
      .setAudience(audience)
      .setSubject('admin@secretariat')
      .setIssuedAt(now)
      .setExpirationTime(now + 600);
    return (jti === undefined ? jwt : jwt.setJti(jti)).sign(await importJWK(privateJwk, 'EdDSA'));
  }

  it("refuses a node's token, one of the old catch-all audience and one without jti, saying why", async () => {
    const key = await loadOrCreateRegistryKey(dataDir);
    const privateJwk = key.privateKey.key.export({ format: 'jwk' }) as Record<string, unknown>;
    const nodeToken = await issueToken(
      { privateJwk, kid: key.kid },
      {
        subject: 'mx-inm-liaison-1',
        roles: ['focal-point'],
        country: 'MX',
        audience: SERVICE_AUDIENCES.node,
      },
    );
    const forNode = await get('/v1/countries', nodeToken);
    expectRefusal(forNode, 401, 'ERR_UNAUTHENTICATED', []);
    expect(forNode.body.error.message).toBe(
      'the bearer token is not for this service: it expected the audience "enlace-registry", the token has "enlace-node"',
    );
    const old = await get('/v1/countries', await signed({ roles: ['administrator'] }, 'enlace', 'old-1'));
    expectRefusal(old, 401, 'ERR_UNAUTHENTICATED', []);
    expect(old.body.error.message).toContain('the catch-all audience "enlace" is no longer accepted');
    const noJti = await get('/v1/countries', await signed({ roles: ['administrator'] }, 'enlace-registry'));
    expectRefusal(noJti, 401, 'ERR_UNAUTHENTICATED', []);
    expect(noJti.body.error.message).toContain('"jti"');
  });

  it('revokes a token by id (administrators only, audited, in the signed snapshot) and refuses it from then on', async () => {
    const key = await loadOrCreateRegistryKey(dataDir);
    const privateJwk = key.privateKey.key.export({ format: 'jwk' }) as Record<string, unknown>;
    const victim = await createToken(
      { privateJwk, kid: key.kid },
      { subject: 'admin@laptop', roles: ['administrator'], audience: SERVICE_AUDIENCES.registry },
    );
    expect((await get('/v1/countries', victim.token)).status).toBe(200);

    expectRefusal(
      await post(`/v1/tokens/${victim.jti}/revoke`, { reason: 'laptop stolen' }, auditor),
      403,
      'ERR_FORBIDDEN',
      [],
    );
    expectRefusal(await post(`/v1/tokens/${victim.jti}/revoke`, {}), 400, 'ERR_VALIDATION', ['reason']);
    expectRefusal(await post('/v1/tokens/not%20an%20id/revoke', { reason: 'x' }), 400, 'ERR_VALIDATION', [
      'jti',
    ]);

    const revoked = await call('POST', `/v1/tokens/${victim.jti}/revoke`, {
      token: admin,
      body: { reason: 'laptop stolen' },
      headers: { 'x-request-id': 'revoke-token-1' },
    });
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    expect(revoked.body.jti).toBe(victim.jti);
    // Kept until no token revoked now can still be valid: 24 h (the longest lifetime) and 5 min.
    expect(Date.parse(revoked.body.expiresAt) - Date.parse(revoked.body.revokedAt)).toBe(
      (24 * 3600 + 300) * 1000,
    );

    const refused = await get('/v1/countries', victim.token);
    expectRefusal(refused, 401, 'ERR_UNAUTHENTICATED', []);
    expect(refused.body.error.message).toMatch(/^token revoked: token /);
    expectRefusal(
      await post(`/v1/tokens/${victim.jti}/revoke`, { reason: 'again' }),
      409,
      'ERR_INVALID_TRANSITION',
      ['jti'],
    );

    const list = await get('/v1/tokens/revoked', auditor);
    expect(list.body.items.map((r: { jti: string }) => r.jti)).toContain(victim.jti);
    const snapshot = await verifySignedSnapshot(
      (await get('/v1/snapshot')).body as string,
      app.registryKey.publicJwk,
    );
    expect(snapshot.revokedTokens?.map((r) => r.jti)).toContain(victim.jti);
    const audit = await get(`/v1/audit?action=token.revoke&entityId=${victim.jti}`, auditor);
    // Every attempt is in the trail: the refused ones with their codes, the revocation itself once.
    expect(audit.body.items.filter((r: { outcome: string }) => r.outcome === 'ok')).toEqual([
      expect.objectContaining({
        action: 'token.revoke',
        entity: 'token',
        outcome: 'ok',
        actor: 'admin@secretariat',
        reason: 'laptop stolen',
        requestId: 'revoke-token-1',
      }),
    ]);
  });

  it('deactivating a focal point revokes its tokens, at the registry and in the snapshot', async () => {
    const key = await loadOrCreateRegistryKey(dataDir);
    const privateJwk = key.privateKey.key.export({ format: 'jwk' }) as Record<string, unknown>;
    const added = await post('/v1/focal-points', {
      id: 'hn-inm-liaison-7',
      kind: 'person',
      name: 'Oficial de enlace',
      agency: 'Instituto Nacional de Migración',
      role: 'liaison-officer',
      country: 'HN',
      networks: ['trafficking-liaison'],
      contact: { channel: 'email', address: 'enlace7@inm.example' },
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const fpToken = await issueToken(
      { privateJwk, kid: key.kid },
      {
        subject: 'hn-inm-liaison-7',
        roles: ['focal-point'],
        country: 'HN',
        audience: SERVICE_AUDIENCES.registry,
      },
    );
    expect((await get('/v1/countries', fpToken)).status).toBe(200);
    expect(
      (await post('/v1/focal-points/hn-inm-liaison-7/deactivate', { reason: 'left the post' })).status,
    ).toBe(200);
    const refused = await get('/v1/countries', fpToken);
    expectRefusal(refused, 401, 'ERR_UNAUTHENTICATED', []);
    expect(refused.body.error.message).toMatch(/^token revoked: the tokens of hn-inm-liaison-7 were revoked/);
    const snapshot = await verifySignedSnapshot(
      (await get('/v1/snapshot')).body as string,
      app.registryKey.publicJwk,
    );
    expect(snapshot.revokedSubjects?.map((r) => r.subject)).toContain('hn-inm-liaison-7');
  });
});

describe('restart', () => {
  it('keeps the state and the registry key when the app is closed and opened again on the same NATS', async () => {
    const before = await stateSnapshot();
    const kid = app.registryKey.kid;
    await app.close();
    app = await createRegistryApp({ natsUrl: server.url, dataDir, logger: false });
    expect(app.registryKey.kid).toBe(kid);
    expect(await stateSnapshot()).toEqual(before);
    expect((await get('/v1/countries/BS', admin)).body.statusHistory.at(-1).status).toBe('withdrawn');
  });
});
