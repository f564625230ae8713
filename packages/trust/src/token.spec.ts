import { generateKeyPairSync } from 'node:crypto';

import { SignJWT, importJWK } from 'jose';
import type { JWK } from 'jose';
import { describe, expect, it } from 'vitest';

import { TrustError } from './errors.js';
import { issueToken, SERVICE_AUDIENCES, TOKEN_AUDIENCE, TOKEN_ISSUER, verifyToken } from './token.js';

function keyPair(kid: string): { privateJwk: Record<string, unknown>; publicJwk: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateJwk: { ...privateKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' },
    publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'EdDSA', use: 'sig' },
  };
}

const registry = keyPair('registry-sig-2026-01');
const signer = { privateJwk: registry.privateJwk, kid: 'registry-sig-2026-01' };

async function rejection(promise: Promise<unknown>): Promise<TrustError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrustError);
  return error as TrustError;
}

describe('issueToken / verifyToken', () => {
  it('round-trips subject, roles and country', async () => {
    const token = await issueToken(signer, {
      subject: 'mx-inm-liaison-1',
      roles: ['focal-point'],
      country: 'MX',
      ttlSeconds: 600,
    });
    const [header] = token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({
      alg: 'EdDSA',
      kid: 'registry-sig-2026-01',
      typ: 'JWT',
    });
    await expect(verifyToken(token, registry.publicJwk)).resolves.toEqual({
      id: 'mx-inm-liaison-1',
      roles: ['focal-point'],
      country: 'MX',
    });
  });

  it('refuses an expired token with ERR_UNAUTHENTICATED', async () => {
    const token = await issueToken(signer, {
      subject: 'admin',
      roles: ['administrator'],
      ttlSeconds: 60,
      now: new Date(Date.now() - 3_600_000),
    });
    const error = await rejection(verifyToken(token, registry.publicJwk));
    expect(error.code).toBe('ERR_UNAUTHENTICATED');
    expect(error.message).toBe('the bearer token has expired');
  });

  it('refuses a token signed by another key', async () => {
    const other = keyPair('registry-sig-2026-01');
    const token = await issueToken(
      { privateJwk: other.privateJwk, kid: 'registry-sig-2026-01' },
      {
        subject: 'admin',
        roles: ['administrator'],
        ttlSeconds: 60,
      },
    );
    const error = await rejection(verifyToken(token, registry.publicJwk));
    expect(error.code).toBe('ERR_UNAUTHENTICATED');
    expect(error.message).toBe('the bearer token was not signed by this registry');
  });

  it('refuses a token for another audience, without exp, or with unknown roles', async () => {
    const key = await importJWK(registry.privateJwk as JWK, 'EdDSA');
    const now = Math.floor(Date.now() / 1000);
    const base = (claims: Record<string, unknown>): SignJWT =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
        .setIssuer(TOKEN_ISSUER)
        .setSubject('x')
        .setIssuedAt(now);

    const wrongAudience = await base({ roles: ['administrator'] })
      .setAudience('elsewhere')
      .setExpirationTime(now + 60)
      .sign(key);
    expect((await rejection(verifyToken(wrongAudience, registry.publicJwk))).message).toContain('"aud"');

    const noExpiry = await base({ roles: ['administrator'] })
      .setAudience(TOKEN_AUDIENCE)
      .sign(key);
    const noExp = await rejection(verifyToken(noExpiry, registry.publicJwk));
    expect(noExp.code).toBe('ERR_UNAUTHENTICATED');
    expect(noExp.message).toContain('"exp"');

    const badRoles = await base({ roles: ['root'] })
      .setAudience(TOKEN_AUDIENCE)
      .setExpirationTime(now + 60)
      .sign(key);
    expect((await rejection(verifyToken(badRoles, registry.publicJwk))).message).toContain('"roles"');

    expect((await rejection(verifyToken('not-a-jwt', registry.publicJwk))).code).toBe('ERR_UNAUTHENTICATED');

    // Something else the registry key signs (a snapshot) is not a token, whatever its payload.
    const snapshotTyped = await new SignJWT({ roles: ['administrator'] })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'enlace-registry-snapshot+jws' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject('x')
      .setExpirationTime(now + 60)
      .sign(key);
    const notJwt = await rejection(verifyToken(snapshotTyped, registry.publicJwk));
    expect(notJwt.code).toBe('ERR_UNAUTHENTICATED');
    expect(notJwt.message).toBe('the bearer token is not a JWT (its typ header must be "JWT")');
  });

  it('validates what it is asked to issue', async () => {
    const error = await rejection(
      issueToken(signer, { subject: '', roles: [], country: 'mx', ttlSeconds: 0 }),
    );
    expect(error.code).toBe('ERR_VALIDATION');
    expect(error.violations.map((v) => v.path)).toEqual(['subject', 'roles', 'country', 'ttlSeconds']);
  });

  it('issues for a service audience, which only that service accepts', async () => {
    const token = await issueToken(signer, {
      subject: 'gt-ivs-fiu-1',
      roles: ['fiu-analyst'],
      country: 'GT',
      ttlSeconds: 60,
      audience: SERVICE_AUDIENCES.feed,
    });
    await expect(
      verifyToken(token, registry.publicJwk, { audience: [SERVICE_AUDIENCES.feed, TOKEN_AUDIENCE] }),
    ).resolves.toEqual({ id: 'gt-ivs-fiu-1', roles: ['fiu-analyst'], country: 'GT' });
    const elsewhere = await rejection(
      verifyToken(token, registry.publicJwk, { audience: SERVICE_AUDIENCES.node }),
    );
    expect(elsewhere.code).toBe('ERR_UNAUTHENTICATED');
    expect(elsewhere.message).toContain('"aud" claim');
    const byDefault = await rejection(verifyToken(token, registry.publicJwk));
    expect(byDefault.code).toBe('ERR_UNAUTHENTICATED');
    const none = await rejection(
      issueToken(signer, { subject: 'x', roles: ['auditor'], ttlSeconds: 60, audience: [] }),
    );
    expect(none.code).toBe('ERR_VALIDATION');
    expect(none.violations.map((v) => v.path)).toEqual(['audience']);
  });
});
