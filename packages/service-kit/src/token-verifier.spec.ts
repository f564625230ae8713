/**
 * createTokenVerifier with real EdDSA tokens: each service accepts its own audience only, and
 * asks for the revocation list in force on every request, so a revocation takes effect as soon
 * as the state in force has it.
 */
import { generateKeyPairSync } from 'node:crypto';

import { SERVICE_AUDIENCES, TrustError, createToken, tokenRevocationCheck } from '@enlace/trust';
import type { TokenRevocationCheck } from '@enlace/trust';
import { describe, expect, it } from 'vitest';

import { createTokenVerifier } from './token-verifier.js';

const kid = 'registry-sig-2026-01';
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const signer = { privateJwk: { ...privateKey.export({ format: 'jwk' }), kid }, kid };
const registryPublicJwk = { ...publicKey.export({ format: 'jwk' }), kid };

async function refusal(promise: Promise<unknown>): Promise<TrustError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrustError);
  return error as TrustError;
}

describe('createTokenVerifier', () => {
  it("accepts the service's own audience only", async () => {
    const { token } = await createToken(signer, {
      subject: 'mx-inm-liaison-1',
      roles: ['focal-point'],
      country: 'MX',
      audience: SERVICE_AUDIENCES.node,
    });
    const node = createTokenVerifier({ registryPublicJwk, audience: SERVICE_AUDIENCES.node });
    await expect(node(token)).resolves.toEqual({
      id: 'mx-inm-liaison-1',
      roles: ['focal-point'],
      country: 'MX',
    });
    for (const audience of [SERVICE_AUDIENCES.registry, SERVICE_AUDIENCES.feed]) {
      const error = await refusal(createTokenVerifier({ registryPublicJwk, audience })(token));
      expect(error.code).toBe('ERR_UNAUTHENTICATED');
      expect(error.message).toBe(
        `the bearer token is not for this service: it expected the audience "${audience}", the token has "enlace-node"`,
      );
    }
  });

  it('asks for the revocation list in force on every request', async () => {
    const issued = await createToken(signer, {
      subject: 'admin@secretariat',
      roles: ['administrator'],
      audience: SERVICE_AUDIENCES.registry,
    });
    const state: { inForce?: TokenRevocationCheck } = {};
    const verify = createTokenVerifier({
      registryPublicJwk,
      audience: SERVICE_AUDIENCES.registry,
      revocations: () => state.inForce,
    });
    await expect(verify(issued.token)).resolves.toMatchObject({ id: 'admin@secretariat' });
    state.inForce = tokenRevocationCheck({
      revokedTokens: [
        { jti: issued.jti, revokedAt: '2026-12-03T13:00:00.000Z', expiresAt: '2026-12-04T13:05:00.000Z' },
      ],
    });
    const error = await refusal(verify(issued.token));
    expect(error.code).toBe('ERR_UNAUTHENTICATED');
    expect(error.message).toBe(`token revoked: token ${issued.jti} was revoked at 2026-12-03T13:00:00.000Z`);
  });
});
