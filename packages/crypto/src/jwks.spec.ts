import { beforeAll, describe, expect, it } from 'vitest';

import { createJwks, createJwksResolver, parseJwks } from './jwks.js';
import { generateEncryptionKey, generateSigningKey } from './keys.js';
import type { EncryptionKeyPair, SigningKeyPair } from './keys.js';

let mxSig: SigningKeyPair;
let mxEnc: EncryptionKeyPair;
let gtSig: SigningKeyPair;

beforeAll(async () => {
  [mxSig, mxEnc, gtSig] = await Promise.all([
    generateSigningKey({ country: 'MX', kid: 'MX-sig-2026-01' }),
    generateEncryptionKey({ country: 'MX', kid: 'MX-enc-2026-01' }),
    generateSigningKey({ country: 'GT', kid: 'GT-sig-2026-01' }),
  ]);
});

describe('createJwks', () => {
  it('builds { keys } from public keys, normalized', () => {
    const jwks = createJwks([mxSig.publicJwk, mxEnc.publicJwk, gtSig.publicJwk]);
    expect(jwks).toEqual({ keys: [mxSig.publicJwk, mxEnc.publicJwk, gtSig.publicJwk] });
    expect(JSON.parse(JSON.stringify(jwks))).toEqual(jwks);
    expect(createJwks([])).toEqual({ keys: [] });
  });

  it('refuses private keys', () => {
    expect(() => createJwks([mxSig.publicJwk, mxEnc.privateJwk])).toThrow(
      expect.objectContaining({
        name: 'KeyError',
        code: 'ERR_KEY_WRONG_TYPE',
        message:
          'JWKS keys[1] "MX-enc-2026-01" is a private key (it has "d"); a public key is expected here in a key set: publish only the public half and keep the private key secret',
      }),
    );
  });

  it('refuses a repeated kid', () => {
    expect(() =>
      createJwks([mxSig.publicJwk, gtSig.publicJwk, { ...gtSig.publicJwk, x: mxSig.publicJwk.x }]),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_JWKS_INVALID',
        message: 'JWKS keys[2] repeats kid "GT-sig-2026-01"; kids must be unique in a key set',
      }),
    );
  });

  it('refuses something that is not an array', () => {
    expect(() => createJwks({ keys: [] } as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_JWKS_INVALID',
        message: 'a key set is built from an array of public JWKs, not an object',
      }),
    );
  });
});

describe('parseJwks', () => {
  it('reads a JWKS document', () => {
    const text = JSON.stringify({ keys: [mxSig.publicJwk, mxEnc.publicJwk] });
    expect(parseJwks(JSON.parse(text))).toEqual({ keys: [mxSig.publicJwk, mxEnc.publicJwk] });
  });

  it('is strict about the set and about every key in it', () => {
    expect(() => parseJwks([mxSig.publicJwk])).toThrow(
      expect.objectContaining({
        code: 'ERR_JWKS_INVALID',
        message: 'a JWKS must be a JSON object with "keys", not an array',
      }),
    );
    expect(() => parseJwks('{}')).toThrow(
      expect.objectContaining({
        code: 'ERR_JWKS_INVALID',
        message: 'a JWKS must be a JSON object with "keys", not "{}"',
      }),
    );
    expect(() => parseJwks({ keys: mxSig.publicJwk })).toThrow(
      expect.objectContaining({
        code: 'ERR_JWKS_INVALID',
        message: 'a JWKS must have a "keys" array (got an object)',
      }),
    );
    expect(() => parseJwks({ keys: [mxSig.publicJwk, { ...mxEnc.publicJwk, use: 'sig' }] })).toThrow(
      expect.objectContaining({
        code: 'ERR_JWK_INVALID',
        message:
          'JWKS keys[1] "MX-enc-2026-01" is invalid: "use" is "sig", but an X25519 key is for encryption ("enc")',
      }),
    );
    expect(() => parseJwks({ keys: [mxSig.publicJwk, mxSig.publicJwk] })).toThrow(
      expect.objectContaining({
        code: 'ERR_JWKS_INVALID',
        message: 'JWKS keys[1] repeats kid "MX-sig-2026-01"; kids must be unique in a key set',
      }),
    );
  });
});

describe('createJwksResolver', () => {
  it('resolves each kid to a record imported once', async () => {
    const resolver = createJwksResolver(createJwks([mxSig.publicJwk, mxEnc.publicJwk]));
    const first = await resolver.resolve('MX-sig-2026-01');
    expect(first?.kid).toBe('MX-sig-2026-01');
    expect(first?.jwk).toEqual(mxSig.publicJwk);
    expect(first?.key.asymmetricKeyType).toBe('ed25519');
    // The same imported KeyObject every time: no re-import per message.
    expect(await resolver.resolve('MX-sig-2026-01')).toBe(first);
    expect((await resolver.resolve('MX-enc-2026-01'))?.use).toBe('enc');
    expect(await resolver.resolve('GT-sig-2026-01')).toBeUndefined();
    expect(await resolver.resolve('__proto__')).toBeUndefined();
  });

  it('validates the set when it is made', () => {
    expect(() => createJwksResolver({ keys: [mxSig.privateJwk] })).toThrow(
      expect.objectContaining({
        code: 'ERR_KEY_WRONG_TYPE',
        message:
          'JWKS keys[0] "MX-sig-2026-01" is a private key (it has "d"); a public key is expected here in a key set: publish only the public half and keep the private key secret',
      }),
    );
    expect(() => createJwksResolver({ keys: [mxSig.publicJwk, mxSig.publicJwk] })).toThrow(
      expect.objectContaining({
        code: 'ERR_JWKS_INVALID',
        message: 'JWKS keys[1] repeats kid "MX-sig-2026-01"; kids must be unique in a key set',
      }),
    );
    expect(() => createJwksResolver(null as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_JWKS_INVALID',
        message: 'a key resolver needs a JWKS ({ keys: [...] }), not null',
      }),
    );
  });
});
