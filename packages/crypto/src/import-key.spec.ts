import { createPublicKey, generateKeyPairSync } from 'node:crypto';

import { beforeAll, describe, expect, it } from 'vitest';

import {
  assertKeyValidAt,
  assertRecordUsable,
  importPrivateKey,
  importPublicKey,
  isKeyRecord,
} from './import-key.js';
import type { PrivateKeyRecord, PublicKeyRecord } from './import-key.js';
import { generateEncryptionKey, generateSigningKey } from './keys.js';
import type { EncryptionKeyPair, SigningKeyPair } from './keys.js';

let sig: SigningKeyPair;
let enc: EncryptionKeyPair;

beforeAll(async () => {
  sig = await generateSigningKey({ country: 'MX', kid: 'MX-sig-2026-01' });
  enc = await generateEncryptionKey({ country: 'MX', kid: 'MX-enc-2026-01' });
});

describe('importPublicKey', () => {
  it('returns a frozen record with the imported KeyObject', () => {
    const record = importPublicKey(sig.publicJwk, 'sig');
    expect(record.kid).toBe('MX-sig-2026-01');
    expect(record.use).toBe('sig');
    expect(record.jwk).toEqual(sig.publicJwk);
    expect(record.key.type).toBe('public');
    expect(record.key.asymmetricKeyType).toBe('ed25519');
    expect(record.key.equals(createPublicKey({ key: sig.publicJwk, format: 'jwk' }))).toBe(true);
    expect(Object.isFrozen(record)).toBe(true);
    expect(Object.isFrozen(record.jwk)).toBe(true);
    expect(isKeyRecord(record)).toBe(true);
    expect(isKeyRecord(sig.publicJwk)).toBe(false);
  });

  it('refuses a private key and a key for another use', () => {
    expect(() => importPublicKey(sig.privateJwk)).toThrow(
      expect.objectContaining({ code: 'ERR_KEY_WRONG_TYPE' }),
    );
    expect(() => importPublicKey(enc.publicJwk, 'sig')).toThrow(
      expect.objectContaining({
        code: 'ERR_KEY_WRONG_TYPE',
        message:
          'JWK "MX-enc-2026-01" is an X25519 encryption key ("use": "enc"); an Ed25519 signing key ("use": "sig") is needed',
      }),
    );
  });
});

describe('importPrivateKey', () => {
  it('keeps the secret only in the KeyObject', () => {
    const record = importPrivateKey(enc.privateJwk, 'enc');
    expect(record.key.type).toBe('private');
    expect(record.key.asymmetricKeyType).toBe('x25519');
    expect(record.publicJwk).toEqual(enc.publicJwk);
    expect(JSON.stringify(record)).not.toContain(enc.privateJwk.d);
  });

  it('refuses a public key', () => {
    expect(() => importPrivateKey(sig.publicJwk, 'sig')).toThrow(
      expect.objectContaining({
        code: 'ERR_KEY_WRONG_TYPE',
        message: 'JWK "MX-sig-2026-01" is a public key (it has no "d"); the private key is needed to sign',
      }),
    );
  });
});

describe('assertRecordUsable', () => {
  it('accepts a record of the right kind', () => {
    expect(() =>
      assertRecordUsable(importPublicKey(sig.publicJwk), 'sig', 'public', 'MX-sig-2026-01'),
    ).not.toThrow();
    expect(() => assertRecordUsable(importPrivateKey(enc.privateJwk), 'enc', 'private')).not.toThrow();
  });

  it('catches records of the wrong use, type or kid, as a hand-written resolver might return', () => {
    const record = importPublicKey(sig.publicJwk);
    expect(() => assertRecordUsable(importPublicKey(enc.publicJwk), 'sig', 'public')).toThrow(
      expect.objectContaining({
        code: 'ERR_KEY_WRONG_TYPE',
        message:
          'key "MX-enc-2026-01" is an X25519 encryption key ("use": "enc"); an Ed25519 signing key ("use": "sig") is needed',
      }),
    );
    expect(() => assertRecordUsable(record, 'sig', 'private')).toThrow(
      expect.objectContaining({
        code: 'ERR_KEY_WRONG_TYPE',
        message: 'key "MX-sig-2026-01" holds a public ed25519 KeyObject; a private ed25519 key is needed',
      }),
    );
    expect(() => assertRecordUsable(record, 'sig', 'public', 'GT-sig-2026-01')).toThrow(
      expect.objectContaining({
        code: 'ERR_KEY_WRONG_TYPE',
        message:
          'the key resolver returned key "MX-sig-2026-01" when asked for "GT-sig-2026-01"; a key must be filed under its own kid',
      }),
    );
    const x25519 = generateKeyPairSync('x25519').publicKey;
    const forged: PublicKeyRecord = { ...record, key: x25519 };
    expect(() => assertRecordUsable(forged, 'sig', 'public')).toThrow(
      expect.objectContaining({
        code: 'ERR_KEY_WRONG_TYPE',
        message: 'key "MX-sig-2026-01" holds a public x25519 KeyObject; a public ed25519 key is needed',
      }),
    );
    const mislabelled: PrivateKeyRecord = { ...importPrivateKey(enc.privateJwk), use: 'sig' };
    expect(() => assertRecordUsable(mislabelled, 'sig', 'private')).toThrow(
      expect.objectContaining({
        code: 'ERR_KEY_WRONG_TYPE',
        message:
          'key "MX-enc-2026-01" is filed for "use": "sig" but its JWK is not an Ed25519 signing key (crv "X25519", use "enc", alg "ECDH-ES+A256KW")',
      }),
    );
  });
});

describe('assertKeyValidAt', () => {
  it('throws ERR_KEY_OUTSIDE_VALIDITY outside the window', () => {
    const jwk = { ...sig.publicJwk, nbf: 1_767_225_600, exp: 1_798_761_600 };
    expect(() => assertKeyValidAt(jwk, new Date('2026-06-01Z'))).not.toThrow();
    expect(() => assertKeyValidAt(jwk, new Date('2027-06-01Z'))).toThrow(
      expect.objectContaining({
        name: 'KeyError',
        code: 'ERR_KEY_OUTSIDE_VALIDITY',
        message:
          'key "MX-sig-2026-01" is not valid at 2027-06-01T00:00:00.000Z (valid from 2026-01-01T00:00:00.000Z until 2027-01-01T00:00:00.000Z)',
      }),
    );
    expect(() => assertKeyValidAt(jwk, new Date('x'))).toThrow(
      expect.objectContaining({
        code: 'ERR_KEY_OUTSIDE_VALIDITY',
        message:
          'key "MX-sig-2026-01" is not valid at an invalid date (valid from 2026-01-01T00:00:00.000Z until 2027-01-01T00:00:00.000Z)',
      }),
    );
  });
});
