import { generateKeyPairSync } from 'node:crypto';

import { SignJWT, importJWK } from 'jose';
import type { JWK } from 'jose';
import { describe, expect, it } from 'vitest';

import { TrustError } from './errors.js';
import {
  DEFAULT_TOKEN_TTL_SECONDS,
  MAX_TOKEN_TTL_SECONDS,
  SERVICE_AUDIENCES,
  TOKEN_ISSUER,
  createToken,
  issueToken,
  tokenRevocationCheck,
  verifyToken,
} from './token.js';

const node = { audience: SERVICE_AUDIENCES.node } as const;
const registryAud = { audience: SERVICE_AUDIENCES.registry } as const;

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
      audience: SERVICE_AUDIENCES.node,
      ttlSeconds: 600,
    });
    const [header] = token.split('.');
    expect(JSON.parse(Buffer.from(header!, 'base64url').toString())).toEqual({
      alg: 'EdDSA',
      kid: 'registry-sig-2026-01',
      typ: 'JWT',
    });
    await expect(verifyToken(token, registry.publicJwk, node)).resolves.toEqual({
      id: 'mx-inm-liaison-1',
      roles: ['focal-point'],
      country: 'MX',
    });
  });

  it('refuses an expired token with ERR_UNAUTHENTICATED', async () => {
    const token = await issueToken(signer, {
      subject: 'admin',
      roles: ['administrator'],
      audience: SERVICE_AUDIENCES.registry,
      ttlSeconds: 60,
      now: new Date(Date.now() - 3_600_000),
    });
    const error = await rejection(verifyToken(token, registry.publicJwk, registryAud));
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
        audience: SERVICE_AUDIENCES.registry,
        ttlSeconds: 60,
      },
    );
    const error = await rejection(verifyToken(token, registry.publicJwk, registryAud));
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
        .setJti('a-token-id')
        .setIssuedAt(now);

    const wrongAudience = await base({ roles: ['administrator'] })
      .setAudience('elsewhere')
      .setExpirationTime(now + 60)
      .sign(key);
    const elsewhere = await rejection(verifyToken(wrongAudience, registry.publicJwk, registryAud));
    expect(elsewhere.code).toBe('ERR_UNAUTHENTICATED');
    expect(elsewhere.message).toBe(
      'the bearer token is not for this service: it expected the audience "enlace-registry", the token has "elsewhere"',
    );

    const noExpiry = await base({ roles: ['administrator'] })
      .setAudience(SERVICE_AUDIENCES.registry)
      .sign(key);
    const noExp = await rejection(verifyToken(noExpiry, registry.publicJwk, registryAud));
    expect(noExp.code).toBe('ERR_UNAUTHENTICATED');
    expect(noExp.message).toContain('"exp"');

    const badRoles = await base({ roles: ['root'] })
      .setAudience(SERVICE_AUDIENCES.registry)
      .setExpirationTime(now + 60)
      .sign(key);
    expect((await rejection(verifyToken(badRoles, registry.publicJwk, registryAud))).message).toContain(
      '"roles"',
    );

    expect((await rejection(verifyToken('not-a-jwt', registry.publicJwk, registryAud))).code).toBe(
      'ERR_UNAUTHENTICATED',
    );

    // Something else the registry key signs (a snapshot) is not a token, whatever its payload.
    const snapshotTyped = await new SignJWT({ roles: ['administrator'] })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'enlace-registry-snapshot+jws' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(SERVICE_AUDIENCES.registry)
      .setSubject('x')
      .setExpirationTime(now + 60)
      .sign(key);
    const notJwt = await rejection(verifyToken(snapshotTyped, registry.publicJwk, registryAud));
    expect(notJwt.code).toBe('ERR_UNAUTHENTICATED');
    expect(notJwt.message).toBe('the bearer token is not a JWT (its typ header must be "JWT")');
  });

  it('validates what it is asked to issue', async () => {
    const error = await rejection(
      issueToken(signer, {
        subject: '',
        roles: [],
        country: 'mx',
        audience: 'enlace' as never,
        ttlSeconds: 0,
      }),
    );
    expect(error.code).toBe('ERR_VALIDATION');
    expect(error.violations.map((v) => v.path)).toEqual([
      'subject',
      'roles',
      'country',
      'audience',
      'ttlSeconds',
    ]);
    const tooLong = await rejection(
      issueToken(signer, {
        subject: 'admin',
        roles: ['administrator'],
        audience: SERVICE_AUDIENCES.registry,
        ttlSeconds: MAX_TOKEN_TTL_SECONDS + 1,
      }),
    );
    expect(tooLong.violations).toEqual([
      {
        path: 'ttlSeconds',
        code: 'out_of_range',
        message: 'must be a whole number of seconds from 1 to 86400',
      },
    ]);
  });

  it('requires the country of a role that reads or publishes alert content', async () => {
    for (const role of ['focal-point', 'fiu-analyst'] as const) {
      const error = await rejection(
        issueToken(signer, { subject: 'someone', roles: [role], audience: SERVICE_AUDIENCES.node }),
      );
      expect(error.code).toBe('ERR_VALIDATION');
      expect(error.violations.map((v) => [v.path, v.code])).toEqual([['country', 'required']]);
      expect(error.message).toContain('country');
    }
    // One signed without the issuer's check (an older tool) is refused where it is used.
    const key = await importJWK(registry.privateJwk as JWK, 'EdDSA');
    const now = Math.floor(Date.now() / 1000);
    const countryless = await new SignJWT({ roles: ['focal-point'] })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(SERVICE_AUDIENCES.node)
      .setSubject('x')
      .setJti('id-1')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(key);
    const refused = await rejection(verifyToken(countryless, registry.publicJwk, node));
    expect(refused.code).toBe('ERR_UNAUTHENTICATED');
    expect(refused.message).toBe('the bearer token has the role focal-point but names no "country"');
  });

  it('gives every token a random jti and 12 h by default, and refuses one without jti', async () => {
    const now = new Date();
    const a = await createToken(signer, { subject: 'admin', roles: ['administrator'], ...registryAud, now });
    const b = await createToken(signer, { subject: 'admin', roles: ['administrator'], ...registryAud, now });
    expect(a.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.jti).not.toBe(b.jti);
    expect(a.expiresAt.getTime() - a.issuedAt.getTime()).toBe(DEFAULT_TOKEN_TTL_SECONDS * 1000);
    const payload = JSON.parse(Buffer.from(a.token.split('.')[1]!, 'base64url').toString()) as Record<
      string,
      unknown
    >;
    expect(payload).toMatchObject({ jti: a.jti, aud: 'enlace-registry', sub: 'admin' });

    const key = await importJWK(registry.privateJwk as JWK, 'EdDSA');
    const t = Math.floor(Date.now() / 1000);
    const noJti = await new SignJWT({ roles: ['administrator'] })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(SERVICE_AUDIENCES.registry)
      .setSubject('admin')
      .setIssuedAt(t)
      .setExpirationTime(t + 60)
      .sign(key);
    const refused = await rejection(verifyToken(noJti, registry.publicJwk, registryAud));
    expect(refused.code).toBe('ERR_UNAUTHENTICATED');
    expect(refused.message).toContain('"jti"');

    // A token that claims to live longer than the maximum (a 30-day one of an older release).
    const longLived = await new SignJWT({ roles: ['administrator'] })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(SERVICE_AUDIENCES.registry)
      .setSubject('admin')
      .setJti('old-1')
      .setIssuedAt(t)
      .setExpirationTime(t + 30 * 24 * 3600)
      .sign(key);
    const tooLong = await rejection(verifyToken(longLived, registry.publicJwk, registryAud));
    expect(tooLong.code).toBe('ERR_UNAUTHENTICATED');
    expect(tooLong.message).toBe('the bearer token lives longer than 24 h (exp - iat); issue a new one');
  });

  it('refuses a token the revocation list names, by id or by subject', async () => {
    const revoked = await createToken(signer, { subject: 'admin', roles: ['administrator'], ...registryAud });
    const other = await createToken(signer, { subject: 'admin', roles: ['administrator'], ...registryAud });
    const fp = await createToken(signer, {
      subject: 'mx-inm-liaison-1',
      roles: ['focal-point'],
      country: 'MX',
      ...node,
    });
    const check = tokenRevocationCheck({
      revokedTokens: [
        { jti: revoked.jti, revokedAt: '2026-12-03T12:00:00.000Z', expiresAt: '2026-12-04T12:05:00.000Z' },
      ],
      revokedSubjects: [{ subject: 'mx-inm-liaison-1', revokedAt: '2026-12-03T12:00:00.000Z' }],
    });
    const byId = await rejection(
      verifyToken(revoked.token, registry.publicJwk, { ...registryAud, revoked: check }),
    );
    expect(byId.code).toBe('ERR_UNAUTHENTICATED');
    expect(byId.message).toBe(`token revoked: token ${revoked.jti} was revoked at 2026-12-03T12:00:00.000Z`);
    await expect(
      verifyToken(other.token, registry.publicJwk, { ...registryAud, revoked: check }),
    ).resolves.toMatchObject({ id: 'admin' });
    const bySubject = await rejection(verifyToken(fp.token, registry.publicJwk, { ...node, revoked: check }));
    expect(bySubject.code).toBe('ERR_UNAUTHENTICATED');
    expect(bySubject.message).toMatch(/^token revoked: the tokens of mx-inm-liaison-1 were revoked/);
  });

  it('issues for one service audience, which only that service accepts', async () => {
    const token = await issueToken(signer, {
      subject: 'gt-ivs-fiu-1',
      roles: ['fiu-analyst'],
      country: 'GT',
      ttlSeconds: 60,
      audience: SERVICE_AUDIENCES.feed,
    });
    await expect(
      verifyToken(token, registry.publicJwk, { audience: SERVICE_AUDIENCES.feed }),
    ).resolves.toEqual({
      id: 'gt-ivs-fiu-1',
      roles: ['fiu-analyst'],
      country: 'GT',
    });
    for (const audience of [SERVICE_AUDIENCES.node, SERVICE_AUDIENCES.registry]) {
      const elsewhere = await rejection(verifyToken(token, registry.publicJwk, { audience }));
      expect(elsewhere.code).toBe('ERR_UNAUTHENTICATED');
      expect(elsewhere.message).toBe(
        `the bearer token is not for this service: it expected the audience "${audience}", the token has "enlace-feed"`,
      );
    }
    const none = await rejection(
      issueToken(signer, { subject: 'x', roles: ['auditor'], ttlSeconds: 60, audience: [] as never }),
    );
    expect(none.code).toBe('ERR_VALIDATION');
    expect(none.violations.map((v) => v.path)).toEqual(['audience']);
  });

  it('no longer accepts the catch-all audience "enlace", and says so', async () => {
    const key = await importJWK(registry.privateJwk as JWK, 'EdDSA');
    const now = Math.floor(Date.now() / 1000);
    const old = await new SignJWT({ roles: ['administrator'] })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setAudience('enlace')
      .setSubject('admin')
      .setJti('old-2')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(key);
    const refused = await rejection(verifyToken(old, registry.publicJwk, registryAud));
    expect(refused.code).toBe('ERR_UNAUTHENTICATED');
    expect(refused.message).toBe(
      'the bearer token is not for this service: it expected the audience "enlace-registry", the token has "enlace"; ' +
        'the catch-all audience "enlace" is no longer accepted: issue a token for enlace-registry',
    );
  });
});
