import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { parsePrivateJwk, parsePublicJwk } from './jwk.js';
import { generateEncryptionKey, generateSigningKey } from './keys.js';

describe('generateSigningKey', () => {
  it('makes an Ed25519 pair as Enlace JWKs with the default kid', async () => {
    const year = new Date().getUTCFullYear();
    const pair = await generateSigningKey({ country: 'MX' });
    expect(pair.kid).toBe(`MX-sig-${year}-01`);
    expect(pair.publicJwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      kid: pair.kid,
      use: 'sig',
      alg: 'EdDSA',
      x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(pair.privateJwk).toEqual({ ...pair.publicJwk, d: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(parsePrivateJwk(pair.privateJwk, 'sig')).toEqual(pair.privateJwk);
    expect(parsePublicJwk(pair.publicJwk, 'sig')).toEqual(pair.publicJwk);
  });

  it('is a working key pair for plain node:crypto', async () => {
    const pair = await generateSigningKey({ country: 'GT' });
    const data = Buffer.from('enlace');
    const signature = sign(null, data, createPrivateKey({ key: pair.privateJwk, format: 'jwk' }));
    expect(verify(null, data, createPublicKey({ key: pair.publicJwk, format: 'jwk' }), signature)).toBe(true);
  });

  it('makes a different key every time', async () => {
    const [a, b] = await Promise.all([
      generateSigningKey({ country: 'MX' }),
      generateSigningKey({ country: 'MX' }),
    ]);
    expect(a.publicJwk.x).not.toBe(b.publicJwk.x);
  });

  it('takes the sequence, the year from notBefore, and records the validity window', async () => {
    const pair = await generateSigningKey({
      country: 'HN',
      seq: 3,
      notBefore: new Date('2027-01-01T00:00:00.900Z'),
      notAfter: new Date('2028-01-01T00:00:00Z'),
    });
    expect(pair.kid).toBe('HN-sig-2027-03');
    expect(pair.publicJwk.nbf).toBe(1_798_761_600);
    expect(pair.publicJwk.exp).toBe(1_830_297_600);
    expect(pair.privateJwk.nbf).toBe(1_798_761_600);
    const fromNow = await generateSigningKey({ country: 'HN', now: new Date('2030-05-05Z') });
    expect(fromNow.kid).toBe('HN-sig-2030-01');
    expect(fromNow.publicJwk).not.toHaveProperty('nbf');
  });

  it('accepts an explicit kid, consistent with the country and use when it is an Enlace kid', async () => {
    expect((await generateSigningKey({ country: 'MX', kid: 'MX-sig-2026-07' })).kid).toBe('MX-sig-2026-07');
    expect((await generateSigningKey({ country: 'MX', kid: 'mx-ops-key' })).publicJwk.kid).toBe('mx-ops-key');
    await expect(generateSigningKey({ country: 'MX', kid: 'GT-sig-2026-01' })).rejects.toMatchObject({
      name: 'CryptoError',
      code: 'ERR_ARGUMENT_INVALID',
      message: 'kid "GT-sig-2026-01" names a "sig" key of GT, but this is a "sig" key of MX',
    });
    await expect(generateSigningKey({ country: 'MX', kid: 'MX-enc-2026-01' })).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'kid "MX-enc-2026-01" names a "enc" key of MX, but this is a "sig" key of MX',
    });
    await expect(generateSigningKey({ country: 'MX', kid: 'has space' })).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'kid must be 1 to 128 printable ASCII characters without spaces (got "has space")',
    });
    await expect(generateSigningKey({ country: 'MX', kid: 'MX-sig-2026-01', seq: 2 })).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'give either kid or seq, not both: seq only shapes the default kid',
    });
  });

  it('rejects bad options with clear messages', async () => {
    await expect(generateSigningKey({ country: 'mx' })).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'country must be two uppercase letters (ISO 3166-1 alpha-2, e.g. "MX"); got "mx"',
    });
    await expect(generateSigningKey({ country: 'MX', seq: 100 })).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'the sequence number of a kid must be an integer from 1 to 99 (got 100)',
    });
    await expect(
      generateSigningKey({
        country: 'MX',
        notBefore: new Date('2027-01-01Z'),
        notAfter: new Date('2026-01-01Z'),
      }),
    ).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'notAfter must be later than notBefore (to the second)',
    });
    await expect(generateSigningKey({ country: 'MX', notAfter: new Date('x') })).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'notAfter must be a valid Date on or after 1970-01-01',
    });
    await expect(generateSigningKey(undefined as never)).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'key generation needs options with at least a country',
    });
  });
});

describe('generateEncryptionKey', () => {
  it('makes an X25519 pair for ECDH-ES+A256KW', async () => {
    const year = new Date().getUTCFullYear();
    const pair = await generateEncryptionKey({ country: 'GT', seq: 2 });
    expect(pair.kid).toBe(`GT-enc-${year}-02`);
    expect(pair.publicJwk).toEqual({
      kty: 'OKP',
      crv: 'X25519',
      kid: pair.kid,
      use: 'enc',
      alg: 'ECDH-ES+A256KW',
      x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(parsePrivateJwk(pair.privateJwk, 'enc')).toEqual(pair.privateJwk);
    expect(createPublicKey({ key: pair.publicJwk, format: 'jwk' }).asymmetricKeyType).toBe('x25519');
  });

  it('keeps kids of another use out', async () => {
    await expect(generateEncryptionKey({ country: 'GT', kid: 'GT-sig-2026-01' })).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'kid "GT-sig-2026-01" names a "sig" key of GT, but this is a "enc" key of GT',
    });
  });
});
