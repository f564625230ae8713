import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { CryptoError, MatchingError } from './errors.js';
import {
  canonicalIdentifier,
  generateMatchingKey,
  keyedDigest,
  matchingKeyToJson,
  parseMatchingKey,
} from './keyed-digest.js';
import type { MatchingKey } from './keyed-digest.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** A documented test key: the bytes 0x00..0x1f. */
const TEST_KEY: MatchingKey = {
  keyId: 'fiu-exchange-match-2026-01',
  network: 'fiu-exchange',
  secret: Uint8Array.from({ length: 32 }, (_, i) => i),
};

/**
 * Test vectors, computed independently with
 * `printf '%s' 'doc:CR:A01234567' | openssl dgst -sha256 -mac HMAC -macopt hexkey:000102…1f`.
 */
const VECTORS = [
  ['doc', 'CR', 'A01234567', '10d5b7265fea72004bc0b09622ab86df4c7519e6247acead28337466f9d5c3b2'],
  ['acct', 'MX', '032180000118359719', '5968ef3fee501c9756bbb4d1db34dec21b758d0c96c3f9b43d5c2eb4cd4ac2a1'],
] as const;

function expectDigestInputError(run: () => unknown, fragment: string): void {
  try {
    run();
    expect.unreachable('should have thrown');
  } catch (error) {
    expect(error).toBeInstanceOf(MatchingError);
    expect(error).toMatchObject({ name: 'MatchingError', code: 'ERR_DIGEST_INPUT' });
    expect((error as Error).message).toContain(fragment);
  }
}

function expectKeyError(run: () => unknown, fragment: string): void {
  try {
    run();
    expect.unreachable('should have thrown');
  } catch (error) {
    expect(error).toBeInstanceOf(MatchingError);
    expect(error).toMatchObject({ code: 'ERR_MATCHING_KEY_INVALID' });
    expect((error as Error).message).toContain(fragment);
  }
}

describe('canonicalIdentifier', () => {
  it('upper-cases the country and the value and drops spaces, hyphens, dots and slashes', () => {
    expect(canonicalIdentifier('doc', 'CR', 'A01234567')).toBe('doc:CR:A01234567');
    expect(canonicalIdentifier('doc', 'cr', ' a-0123.45/67 ')).toBe('doc:CR:A01234567');
    expect(canonicalIdentifier('acct', 'MX', '0321 8000 0118 3597 19')).toBe('acct:MX:032180000118359719');
    expect(canonicalIdentifier('acct', ' gt', 'gt82\ttrbk')).toBe('acct:GT:GT82TRBK');
  });

  it('refuses an unknown kind and a country that is not two letters', () => {
    expectDigestInputError(
      () => canonicalIdentifier('iban' as 'acct', 'MX', '1'),
      'kind must be "doc" or "acct"',
    );
    expectDigestInputError(() => canonicalIdentifier('doc', 'MEX', '1'), 'got "MEX"');
    expectDigestInputError(() => canonicalIdentifier('doc', 'M1', '1'), 'country must be');
    expectDigestInputError(() => canonicalIdentifier('doc', '', '1'), 'country must be');
  });

  it('refuses values with no canonical form, without repeating the value', () => {
    expectDigestInputError(() => canonicalIdentifier('doc', 'CR', ' - . / '), 'value is empty');
    expectDigestInputError(() => canonicalIdentifier('doc', 'CR', ''), 'value is empty');
    expectDigestInputError(() => canonicalIdentifier('doc', 'CR', 'A0123_4567'), '"_" (U+005F)');
    // Upper-casing would turn these into ASCII; they are refused instead of aliased.
    expectDigestInputError(() => canonicalIdentifier('doc', 'DE', 'straße1'), '"ß" (U+00DF)');
    expectDigestInputError(() => canonicalIdentifier('doc', 'CR', '１２３'), 'U+FF11');
    expectDigestInputError(() => canonicalIdentifier('doc', 'CR', 'A'.repeat(129)), 'at most 128');
    const error = (() => {
      try {
        return canonicalIdentifier('acct', 'MX', 'SECRET12345_');
      } catch (caught) {
        return caught as Error;
      }
    })();
    expect(error).toBeInstanceOf(MatchingError);
    expect((error as Error).message).not.toContain('SECRET');
  });
});

describe('keyedDigest', () => {
  it('matches independently computed HMAC-SHA256 test vectors', () => {
    for (const [kind, country, value, expected] of VECTORS) {
      expect(hex(keyedDigest(TEST_KEY, kind, country, value))).toBe(expected);
    }
  });

  it('agrees with openssl on a fresh random key and a normalised value', () => {
    const key = generateMatchingKey('fiu-exchange');
    const digest = keyedDigest(key, 'doc', 'cr', 'a-01234567');
    const openssl = execFileSync(
      'openssl',
      ['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${hex(key.secret)}`],
      { input: 'doc:CR:A01234567' },
    ).toString();
    expect(openssl.trim().split('= ')[1]).toBe(hex(digest));
    expect(hex(digest)).toBe(createHmac('sha256', key.secret).update('doc:CR:A01234567').digest('hex'));
  });

  it('gives 32 bytes that differ by key, kind and country', () => {
    const other = generateMatchingKey('fiu-exchange');
    const base = hex(keyedDigest(TEST_KEY, 'doc', 'CR', 'A01234567'));
    expect(keyedDigest(TEST_KEY, 'doc', 'CR', 'A01234567')).toHaveLength(32);
    expect(hex(keyedDigest(other, 'doc', 'CR', 'A01234567'))).not.toBe(base);
    expect(hex(keyedDigest(TEST_KEY, 'acct', 'CR', 'A01234567'))).not.toBe(base);
    expect(hex(keyedDigest(TEST_KEY, 'doc', 'PA', 'A01234567'))).not.toBe(base);
  });

  it('refuses a key whose secret is not 32 bytes', () => {
    const short = { ...TEST_KEY, secret: new Uint8Array(16) };
    expect(() => keyedDigest(short, 'doc', 'CR', 'A1')).toThrow(CryptoError);
    expect(() => keyedDigest(short, 'doc', 'CR', 'A1')).toThrow(
      expect.objectContaining({ code: 'ERR_ARGUMENT_INVALID' }),
    );
  });
});

describe('matching keys', () => {
  it('generates 32 random bytes under <network>-match-<yyyy>-01 or a given key id', () => {
    const key = generateMatchingKey('fiu-exchange');
    expect(key.keyId).toBe(`fiu-exchange-match-${new Date().getUTCFullYear()}-01`);
    expect(key.network).toBe('fiu-exchange');
    expect(key.secret).toHaveLength(32);
    expect(hex(generateMatchingKey('fiu-exchange').secret)).not.toBe(hex(key.secret));
    expect(generateMatchingKey('fiu-exchange', 'fiu-exchange-match-2027-02').keyId).toBe(
      'fiu-exchange-match-2027-02',
    );
    expect(() => generateMatchingKey('FIU exchange')).toThrow(
      expect.objectContaining({ code: 'ERR_ARGUMENT_INVALID' }),
    );
    expect(() => generateMatchingKey('fiu-exchange', 'has space')).toThrow(
      expect.objectContaining({ code: 'ERR_ARGUMENT_INVALID' }),
    );
  });

  it('round-trips through the JWK file form, as an object or as JSON text', () => {
    const jwk = matchingKeyToJson(TEST_KEY);
    expect(jwk).toEqual({
      kty: 'oct',
      alg: 'HS256',
      kid: 'fiu-exchange-match-2026-01',
      network: 'fiu-exchange',
      k: 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8',
    });
    for (const form of [jwk, JSON.stringify(jwk)]) {
      const key = parseMatchingKey(form);
      expect(key.keyId).toBe(TEST_KEY.keyId);
      expect(key.network).toBe(TEST_KEY.network);
      expect(hex(key.secret)).toBe(hex(TEST_KEY.secret));
    }
  });

  it('refuses malformed key files, naming the member and never printing the secret', () => {
    const jwk = matchingKeyToJson(TEST_KEY);
    const shortK = Buffer.alloc(16, 7).toString('base64url');
    expectKeyError(() => parseMatchingKey({ ...jwk, k: shortK }), 'member "k" must be 32 bytes');
    expectKeyError(() => parseMatchingKey({ ...jwk, k: shortK }), '(got 16 bytes)');
    expectKeyError(() => parseMatchingKey({ ...jwk, k: `${jwk.k}=` }), 'not canonical base64url');
    expectKeyError(() => parseMatchingKey({ ...jwk, kty: 'OKP' }), 'member "kty" must be "oct"');
    expectKeyError(() => parseMatchingKey({ ...jwk, alg: 'HS512' }), 'member "alg"');
    expectKeyError(() => parseMatchingKey({ ...jwk, kid: undefined }), 'member "kid"');
    expectKeyError(() => parseMatchingKey({ ...jwk, network: 'FIU' }), 'member "network"');
    expectKeyError(() => parseMatchingKey('{not json'), 'must be JSON');
    expectKeyError(() => parseMatchingKey([jwk]), 'must be a JSON object');
    expect(() => parseMatchingKey({ ...jwk, k: shortK })).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining(shortK) as unknown }),
    );
  });
});
