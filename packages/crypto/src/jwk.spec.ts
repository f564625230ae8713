import { generateKeyPairSync } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import {
  describeValidity,
  isKeyValidAt,
  parsePrivateJwk,
  parsePublicJwk,
  toPublicJwk,
  validateJwk,
} from './jwk.js';

/** A key pair made by node:crypto alone, as Enlace JWKs. */
function okp(type: 'ed25519' | 'x25519', kid: string) {
  const { privateKey } = generateKeyPairSync(type as 'ed25519');
  const { x, d } = privateKey.export({ format: 'jwk' }) as { x: string; d: string };
  const base =
    type === 'ed25519'
      ? { kty: 'OKP', crv: 'Ed25519', kid, use: 'sig', alg: 'EdDSA', x }
      : { kty: 'OKP', crv: 'X25519', kid, use: 'enc', alg: 'ECDH-ES+A256KW', x };
  return {
    publicJwk: base as Record<string, unknown>,
    privateJwk: { ...base, d } as Record<string, unknown>,
  };
}

const sig = okp('ed25519', 'MX-sig-2026-01');
const enc = okp('x25519', 'MX-enc-2026-01');

function invalid(what: string, problem: string) {
  return expect.objectContaining({
    name: 'KeyError',
    code: 'ERR_JWK_INVALID',
    message: `${what} is invalid: ${problem}`,
  });
}
function wrongType(message: string) {
  return expect.objectContaining({ name: 'KeyError', code: 'ERR_KEY_WRONG_TYPE', message });
}

describe('parsePublicJwk', () => {
  it('returns a normalized copy of a valid key, for either use', () => {
    const parsed = parsePublicJwk(
      { ...sig.publicJwk, x5c: ['ignored'], ext: true, key_ops: ['verify'] },
      'sig',
    );
    expect(parsed).toEqual(sig.publicJwk);
    expect(Object.keys(parsed)).toEqual(['kty', 'crv', 'kid', 'use', 'alg', 'x']);
    expect(parsePublicJwk(enc.publicJwk)).toEqual(enc.publicJwk);
    expect(parsePublicJwk({ ...sig.publicJwk, nbf: 1_700_000_000, exp: 1_800_000_000 })).toEqual({
      ...sig.publicJwk,
      nbf: 1_700_000_000,
      exp: 1_800_000_000,
    });
  });

  it('says which member is wrong', () => {
    const cases: Array<[unknown, string]> = [
      [null, 'a JWK must be a JSON object, not null'],
      [[sig.publicJwk], 'a JWK must be a JSON object, not an array'],
      [{ ...sig.publicJwk, kid: undefined }, '"kid" is missing; every Enlace key has a key identifier'],
      [
        { ...sig.publicJwk, kid: 'MX sig' },
        '"kid" must be 1 to 128 printable ASCII characters without spaces (got "MX sig")',
      ],
      [
        { ...sig.publicJwk, kid: 7 },
        '"kid" must be 1 to 128 printable ASCII characters without spaces (got 7)',
      ],
    ];
    for (const [json, problem] of cases) expect(() => parsePublicJwk(json)).toThrow(invalid('JWK', problem));

    const named: Array<[Record<string, unknown>, string]> = [
      [{ kty: undefined }, '"kty" is missing or not a string (got nothing)'],
      [{ crv: 5 }, '"crv" is missing or not a string (got 5)'],
      [{ use: undefined }, '"use" is missing; an Ed25519 key must have "use": "sig"'],
      [{ use: 'enc' }, '"use" is "enc", but an Ed25519 key is for signatures ("sig")'],
      [{ alg: undefined }, '"alg" is missing; an Ed25519 key must have "alg": "EdDSA"'],
      [{ alg: 'ES256' }, '"alg" is "ES256", but an Ed25519 key must have "EdDSA"'],
      [{ alg: 'Ed25519' }, '"alg" is "Ed25519", but an Ed25519 key must have "EdDSA"'],
      [
        { x: undefined },
        '"x" must be the 32-byte public key in unpadded base64url (43 characters); got nothing',
      ],
      [{ x: 'AAAA' }, '"x" must be the 32-byte public key in unpadded base64url (43 characters); got "AAAA"'],
      [
        { x: `${sig.publicJwk['x'] as string}=` },
        `"x" must be the 32-byte public key in unpadded base64url (43 characters); got "${sig.publicJwk['x'] as string}="`,
      ],
      [{ k: 'AAAA' }, 'member "k" does not belong in an OKP key'],
      [{ nbf: 1.5 }, '"nbf" must be a NumericDate (whole seconds since 1970), got 1.5'],
      [{ exp: '2026' }, '"exp" must be a NumericDate (whole seconds since 1970), got "2026"'],
      [{ nbf: 20, exp: 20 }, '"exp" (20) must be later than "nbf" (20)'],
      [{ key_ops: ['sign', 'encrypt'] }, '"key_ops" must list distinct operations among "sign", "verify"'],
      [{ key_ops: ['verify', 'verify'] }, '"key_ops" must list distinct operations among "sign", "verify"'],
      [{ ext: 'yes' }, '"ext" must be a boolean'],
    ];
    for (const [patch, problem] of named) {
      expect(() => parsePublicJwk({ ...sig.publicJwk, ...patch })).toThrow(
        invalid('JWK "MX-sig-2026-01"', problem),
      );
    }
    expect(() => parsePublicJwk({ ...enc.publicJwk, alg: 'ECDH-ES' })).toThrow(
      invalid('JWK "MX-enc-2026-01"', '"alg" is "ECDH-ES", but an X25519 key must have "ECDH-ES+A256KW"'),
    );
  });

  it('rejects a non-canonical x whose spare bits are set', () => {
    const x = sig.publicJwk['x'] as string;
    const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    // 43 characters carry 258 bits: the last character's two low bits are spare.
    const aliased = x.slice(0, 42) + last[(last.indexOf(x[42]!) & ~3) | 1];
    expect(Buffer.from(aliased, 'base64url')).toEqual(Buffer.from(x, 'base64url'));
    expect(() => parsePublicJwk({ ...sig.publicJwk, x: aliased })).toThrow(
      invalid(
        'JWK "MX-sig-2026-01"',
        `"x" must be the 32-byte public key in unpadded base64url (43 characters); got "${aliased}"`,
      ),
    );
  });

  it('calls keys of other types, curves or uses the wrong type', () => {
    expect(() => parsePublicJwk({ ...sig.publicJwk, kty: 'RSA' })).toThrow(
      wrongType(
        'JWK "MX-sig-2026-01" has kty "RSA"; Enlace keys are OKP keys (Ed25519 to sign, X25519 to encrypt)',
      ),
    );
    expect(() => parsePublicJwk({ ...sig.publicJwk, crv: 'Ed448' })).toThrow(
      wrongType(
        'JWK "MX-sig-2026-01" has crv "Ed448"; Enlace keys are Ed25519 (to sign) or X25519 (to encrypt)',
      ),
    );
    expect(() => parsePublicJwk(enc.publicJwk, 'sig')).toThrow(
      wrongType(
        'JWK "MX-enc-2026-01" is an X25519 encryption key ("use": "enc"); an Ed25519 signing key ("use": "sig") is needed',
      ),
    );
    expect(() => parsePublicJwk(sig.publicJwk, 'enc')).toThrow(
      wrongType(
        'JWK "MX-sig-2026-01" is an Ed25519 signing key ("use": "sig"); an X25519 encryption key ("use": "enc") is needed',
      ),
    );
  });

  it('refuses a private key where a public one is expected', () => {
    expect(() => parsePublicJwk(sig.privateJwk)).toThrow(
      wrongType(
        'JWK "MX-sig-2026-01" is a private key (it has "d"); a public key is expected here: publish only the public half and keep the private key secret',
      ),
    );
  });

  it('never echoes a malformed private member', () => {
    let message = '';
    try {
      parsePublicJwk({ ...sig.publicJwk, d: 'secret-ish-material' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      'JWK "MX-sig-2026-01" is invalid: "d" must be the 32-byte private key in unpadded base64url (43 characters)',
    );
  });
});

describe('parsePrivateJwk', () => {
  it('returns a normalized private key with d', () => {
    expect(parsePrivateJwk(sig.privateJwk, 'sig')).toEqual(sig.privateJwk);
    expect(parsePrivateJwk(enc.privateJwk, 'enc')).toEqual(enc.privateJwk);
    expect(parsePrivateJwk(enc.privateJwk)).toEqual(enc.privateJwk);
  });

  it('refuses a public key, naming what the private key is needed for', () => {
    expect(() => parsePrivateJwk(sig.publicJwk, 'sig')).toThrow(
      wrongType('JWK "MX-sig-2026-01" is a public key (it has no "d"); the private key is needed to sign'),
    );
    expect(() => parsePrivateJwk(enc.publicJwk, 'enc')).toThrow(
      wrongType('JWK "MX-enc-2026-01" is a public key (it has no "d"); the private key is needed to decrypt'),
    );
  });

  it('refuses an X25519 key for signing', () => {
    expect(() => parsePrivateJwk(enc.privateJwk, 'sig')).toThrow(
      wrongType(
        'JWK "MX-enc-2026-01" is an X25519 encryption key ("use": "enc"); an Ed25519 signing key ("use": "sig") is needed to sign',
      ),
    );
  });

  it('refuses a d that does not belong to x', () => {
    const other = okp('ed25519', 'GT-sig-2026-01');
    expect(() => parsePrivateJwk({ ...sig.privateJwk, d: other.privateJwk['d'] }, 'sig')).toThrow(
      invalid(
        'JWK "MX-sig-2026-01"',
        '"x" is not the public key of "d"; the two halves do not belong together',
      ),
    );
  });
});

describe('toPublicJwk', () => {
  it('strips the private member', () => {
    const parsed = parsePrivateJwk(sig.privateJwk, 'sig');
    const publicJwk = toPublicJwk(parsed);
    expect(publicJwk).toEqual(sig.publicJwk);
    expect(publicJwk).not.toHaveProperty('d');
    expect(parsed).toHaveProperty('d');
    expect(toPublicJwk(parsePublicJwk(enc.publicJwk, 'enc'))).toEqual(enc.publicJwk);
  });

  it('validates on the way', () => {
    expect(() => toPublicJwk({ ...parsePublicJwk(sig.publicJwk, 'sig'), x: 'short' })).toThrow(
      expect.objectContaining({ code: 'ERR_JWK_INVALID' }),
    );
  });
});

describe('validity windows', () => {
  const window = { nbf: 1_767_225_600, exp: 1_798_761_600 }; // 2026-01-01 to 2027-01-01

  it('is valid from nbf inclusive to exp exclusive', () => {
    expect(isKeyValidAt(window, new Date('2025-12-31T23:59:59Z'))).toBe(false);
    expect(isKeyValidAt(window, new Date('2026-01-01T00:00:00Z'))).toBe(true);
    expect(isKeyValidAt(window, new Date('2026-12-31T23:59:59.999Z'))).toBe(true);
    expect(isKeyValidAt(window, new Date('2027-01-01T00:00:00Z'))).toBe(false);
    expect(isKeyValidAt({}, new Date(0))).toBe(true);
    expect(isKeyValidAt({}, new Date('nope'))).toBe(false);
  });

  it('describes the window', () => {
    expect(describeValidity(window)).toBe(
      'valid from 2026-01-01T00:00:00.000Z until 2027-01-01T00:00:00.000Z',
    );
    expect(describeValidity({})).toBe('valid from any time until no end');
  });
});

describe('validateJwk', () => {
  it('names the key by position when asked, and imports it into node:crypto', () => {
    const validated = validateJwk(sig.privateJwk, { need: 'any', what: 'JWKS keys[3]' });
    expect(validated.use).toBe('sig');
    expect(validated.publicKey.asymmetricKeyType).toBe('ed25519');
    expect(validated.publicKey.type).toBe('public');
    expect(validated.privateKey?.type).toBe('private');
    expect(() =>
      validateJwk({ ...sig.publicJwk, alg: 'none' }, { need: 'any', what: 'JWKS keys[3]' }),
    ).toThrow(
      invalid('JWKS keys[3] "MX-sig-2026-01"', '"alg" is "none", but an Ed25519 key must have "EdDSA"'),
    );
  });
});
