/**
 * The registry API's errors in the service kit's one shape, including what the end-to-end suite
 * cannot provoke with the real core: a service that fails unexpectedly (500 without internals)
 * and a body that is too large (refused, and audited with the actor known).
 */
import { generateKeyPairSync } from 'node:crypto';

import type { NatsServerHandle } from '@enlace/testing';
import { startNatsServer } from '@enlace/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startRegistryApi } from './registry-api.js';
import type { RegistryApi } from './registry-api.js';
import { issueToken, SERVICE_AUDIENCES } from '@enlace/trust';
import type { RegistryService } from '../domain/service.js';

describe('over HTTP', () => {
  let server: NatsServerHandle;
  let api: RegistryApi;
  let token: string;
  let problem: string | undefined;
  const rejected: unknown[] = [];

  beforeAll(async () => {
    server = await startNatsServer({ jetstream: false });
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const kid = 'registry-sig-2026-01';
    const service = {
      revision: () => 1,
      listCountries: () => {
        throw new Error('password=hunter2 at db.internal:5432');
      },
      auditDenied: async () => undefined,
      tokenRevoked: () => () => undefined,
      auditRejected: async (entry: unknown) => {
        rejected.push(entry);
      },
    } as unknown as RegistryService;
    api = await startRegistryApi({
      service,
      registryKey: { kid, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid } },
      nats: { servers: [server.url] },
      logger: false,
      health: () => problem,
    });
    token = await issueToken(
      { privateJwk: { ...privateKey.export({ format: 'jwk' }), kid }, kid },
      { subject: 'admin', roles: ['administrator'], audience: SERVICE_AUDIENCES.registry, ttlSeconds: 60 },
    );
  });

  afterAll(async () => {
    await api?.close();
    await server?.stop();
  });

  it('answers /health with 503 ERR_UNAVAILABLE while the registry cannot serve', async () => {
    problem = 'its NATS connection is closed';
    const down = await fetch(`${api.url}/health`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({
      error: {
        code: 'ERR_UNAVAILABLE',
        message: 'the registry is not ready: its NATS connection is closed',
        violations: [],
      },
    });
    problem = undefined;
    const up = await fetch(`${api.url}/health`);
    expect(await up.json()).toEqual({ status: 'ok', revision: 1 });
  });

  it('does not leak what an unexpected failure says', async () => {
    const response = await fetch(`${api.url}/v1/countries`, {
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'leak-check' },
    });
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text)).toEqual({
      error: {
        code: 'ERR_INTERNAL',
        message: 'internal error; the registry log has the details under request id leak-check',
        violations: [],
      },
    });
  });

  it('refuses a body over the limit with 413 in the same shape', async () => {
    const response = await fetch(`${api.url}/v1/countries`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'MX', padding: 'x'.repeat(300 * 1024) }),
    });
    expect(response.status).toBe(413);
    const body = (await response.json()) as { error: { code: string; violations: Array<{ code: string }> } };
    expect(body.error.code).toBe('ERR_TOO_LARGE');
    expect(body.error.violations[0]?.code).toBe('too_big');
    // An administrator's command refused before it ran is still audited.
    expect(rejected).toEqual([
      expect.objectContaining({
        actor: 'admin',
        roles: ['administrator'],
        action: 'country.admit',
        entity: 'country',
        entityId: '?',
        code: 'ERR_TOO_LARGE',
        reason: 'the request body is too large',
      }),
    ]);
  });
});
