/**
 * The registry's NATS request/reply against a real nats-server and the real core: protobuf in and
 * out, refusals as RpcError with stable codes (in the body and the Nats-Service-Error headers),
 * malformed bytes answered with ERR_VALIDATION.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { NatsConnection } from '@nats-io/transport-node';
import { generateSigningKey } from '@enlace/crypto';
import { AlertKind, HandlingCode, registryV1 } from '@enlace/schema';
import type { NatsServerHandle } from '@enlace/testing';
import { startNatsServer } from '@enlace/testing';
import { registryRpcSubject } from '@enlace/transport';
import { compactVerify, importJWK } from 'jose';
import type { JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createRegistryApp } from '../app/create-registry-app.js';
import type { RegistryApp } from '../app/create-registry-app.js';
import { createRegistryRpcClient, SERVICE_ERROR_CODE_HEADER, TrustError } from '@enlace/trust';
import type { RegistryRpcClient } from '@enlace/trust';

const SEEDS = resolve(import.meta.dirname, '../../../../seeds/registry');
const admin = { actor: { id: 'admin@secretariat', roles: ['administrator' as const] }, reason: 'test' };

let server: NatsServerHandle;
let dataDir: string;
let app: RegistryApp;
let nc: NatsConnection;
let client: RegistryRpcClient;
let kid: string;

async function refusal(promise: Promise<unknown>): Promise<TrustError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrustError);
  return error as TrustError;
}

beforeAll(async () => {
  server = await startNatsServer();
  dataDir = await mkdtemp(join(tmpdir(), 'enlace-registry-rpc-'));
  app = await createRegistryApp({ natsUrl: server.url, dataDir, seedsDir: SEEDS, logger: false });
  const pair = await generateSigningKey({ country: 'MX', seq: 1 });
  kid = pair.kid;
  await app.service.registerKey({ country: 'MX', publicJwk: pair.publicJwk }, admin);
  nc = await server.connect();
  client = createRegistryRpcClient(nc, { timeoutMs: 3000 });
});

afterAll(async () => {
  await nc?.close();
  await app?.close();
  await server?.stop();
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

describe('get_key', () => {
  it('answers the key as KeyInfo', async () => {
    const key = await client.getKey(kid);
    expect(key).toMatchObject({
      kid,
      country: 'MX',
      use: registryV1.KeyUse.KEY_USE_SIG,
      revocationReason: '',
    });
    expect(key.notBefore).toBeInstanceOf(Date);
    expect(key.revokedAt).toBeUndefined();
    const jwk = JSON.parse(key.publicJwkJson) as Record<string, unknown>;
    expect(jwk).toMatchObject({ kty: 'OKP', crv: 'Ed25519', kid });
    expect(jwk['d']).toBeUndefined();
  });

  it('refuses an unknown kid with ERR_UNKNOWN_KEY at kid, and a missing one with ERR_VALIDATION at kid', async () => {
    const unknown = await refusal(client.getKey('MX-sig-2026-99'));
    expect(unknown.code).toBe('ERR_UNKNOWN_KEY');
    expect(unknown.message).toBe('unknown key MX-sig-2026-99');
    // The core names the field at fault, so RPC clients get the path as HTTP ones do.
    expect(unknown.violations).toEqual([
      { path: 'kid', code: 'unknown_key', message: 'unknown key MX-sig-2026-99' },
    ]);
    const missing = await refusal(client.getKey(''));
    expect(missing.code).toBe('ERR_VALIDATION');
    expect(missing.violations.map((v) => v.path)).toEqual(['kid']);
  });

  it('puts the error code in the Nats-Service-Error-Code header too', async () => {
    const reply = await nc.request(
      registryRpcSubject('get_key'),
      registryV1.GetKeyRequest.encode({ kid: 'GT-sig-2026-01' }).finish(),
      { timeout: 3000 },
    );
    expect(reply.headers?.get(SERVICE_ERROR_CODE_HEADER)).toBe('ERR_UNKNOWN_KEY');
    const decoded = registryV1.GetKeyResponse.decode(reply.data);
    expect(decoded.result?.$case).toBe('error');
  });
});

describe('get_snapshot', () => {
  it('answers a JWS that verifies against the pinned registry key', async () => {
    const signed = await client.getSnapshot();
    expect(signed.revision).toBe(BigInt(app.service.revision()));
    const { payload } = await compactVerify(
      signed.jws,
      await importJWK(app.registryKey.publicJwk as JWK, 'EdDSA'),
    );
    const snapshot = JSON.parse(new TextDecoder().decode(payload)) as {
      revision: number;
      keys: Array<{ kid: string }>;
    };
    expect(BigInt(snapshot.revision)).toBe(signed.revision);
    expect(snapshot.keys.map((k) => k.kid)).toContain(kid);
  });

  it('answers ERR_UNAVAILABLE when asked for a revision it has not reached', async () => {
    const error = await refusal(client.getSnapshot(BigInt(app.service.revision()) + 1000n));
    expect(error.code).toBe('ERR_UNAVAILABLE');
    expect(error.message).toMatch(/^the registry is at revision \d+, behind the requested \d+/);
  });
});

describe('decide', () => {
  it('decides publish and receive', async () => {
    await expect(
      client.decide({ action: 'publish', network: 'trafficking-liaison', kind: 'route', origin: 'MX' }),
    ).resolves.toMatchObject({ allowed: true, reason: '' });
    const receive = await client.decide(
      registryV1.DecideRequest.fromPartial({
        action: registryV1.PolicyAction.POLICY_ACTION_RECEIVE,
        network: 'trafficking-liaison',
        kind: AlertKind.ALERT_KIND_DOCUMENT,
        origin: 'MX',
        receiver: 'GT',
        handling: HandlingCode.HANDLING_CODE_H1,
        at: new Date(),
      }),
    );
    expect(receive.allowed).toBe(true);
    expect(receive.ruleIds.length).toBeGreaterThan(0);
  });

  it('denies with a stable reason', async () => {
    const denied = await client.decide({
      action: 'publish',
      network: 'trafficking-liaison',
      kind: 'route',
      origin: 'MX',
      at: new Date('1990-01-01T00:00:00Z'),
    });
    expect(denied.allowed).toBe(false);
    expect(denied.reason).not.toBe('');
    expect(denied.message).not.toBe('');
  });

  it('refuses an incomplete request naming each field', async () => {
    const error = await refusal(client.decide(registryV1.DecideRequest.fromPartial({ origin: 'mx' })));
    expect(error.code).toBe('ERR_VALIDATION');
    expect(error.violations.map((v) => v.path)).toEqual(['action', 'network', 'kind', 'origin']);
  });
});

describe('malformed requests', () => {
  it('answers bytes that are not the request message with ERR_VALIDATION, on every subject', async () => {
    const garbage = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]);
    for (const [operation, codec] of [
      ['get_key', registryV1.GetKeyResponse],
      ['get_snapshot', registryV1.GetSnapshotResponse],
      ['decide', registryV1.DecideResponse],
    ] as const) {
      const bytes = await client.requestRaw(operation, garbage);
      const response = codec.decode(bytes) as { result?: { $case: string; error?: registryV1.RpcError } };
      expect(response.result?.$case, operation).toBe('error');
      expect(response.result?.error?.code).toBe('ERR_VALIDATION');
      expect(response.result?.error?.violations[0]?.code).toBe('malformed_message');
    }
    // Still serving after that.
    await expect(client.getKey(kid)).resolves.toMatchObject({ kid });
  });

  it('reports a registry that does not answer as ERR_UNAVAILABLE', async () => {
    const lonely = await startNatsServer({ jetstream: false });
    const other = await lonely.connect();
    try {
      const error = await refusal(createRegistryRpcClient(other, { timeoutMs: 500 }).getKey(kid));
      expect(error.code).toBe('ERR_UNAVAILABLE');
      expect(error.message).toBe('no registry is listening on enlace.v1.registry.rpc.get_key');
    } finally {
      await other.close();
      await lonely.stop();
    }
  });
});
