import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';

import { FlattenedSign, flattenedVerify, importJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

import { importPrivateKey, importPublicKey } from './import-key.js';
import { generateEncryptionKey, generateSigningKey } from './keys.js';
import type { EncryptionKeyPair, SigningKeyPair } from './keys.js';
import { signAlert, signAlertSync } from './sign.js';
import { signingInput } from './signing-input.js';

let mx: SigningKeyPair;
let mxEnc: EncryptionKeyPair;
const alertBytes = Uint8Array.from(Buffer.from('0a2408011220enlace-alert-bytes\u0000\u00ff', 'latin1'));

beforeAll(async () => {
  mx = await generateSigningKey({ country: 'MX', kid: 'MX-sig-2026-01' });
  mxEnc = await generateEncryptionKey({ country: 'MX', kid: 'MX-enc-2026-01' });
});

describe('signAlert', () => {
  it('produces the three SignedAlert fields with the Enlace protected header', async () => {
    const signed = await signAlert(alertBytes, mx.privateJwk);
    expect(Object.keys(signed).sort()).toEqual(['alert', 'protectedHeader', 'signature']);
    expect(Buffer.from(signed.protectedHeader, 'base64url').toString()).toBe(
      '{"alg":"EdDSA","kid":"MX-sig-2026-01","b64":false,"crit":["b64"]}',
    );
    expect(signed.signature).toBeInstanceOf(Uint8Array);
    expect(signed.signature).toHaveLength(64);
    expect(signed.alert).toEqual(alertBytes);
  });

  it('signs exactly ASCII(protected_header) || "." || alert (Ed25519 is deterministic)', async () => {
    const signed = await signAlert(alertBytes, mx.privateJwk);
    const expected = nodeSign(
      null,
      signingInput(signed),
      createPrivateKey({ key: mx.privateJwk, format: 'jwk' }),
    );
    expect(Buffer.from(signed.signature)).toEqual(expected);
  });

  it('verifies with jose flattenedVerify and with plain node:crypto, given only the public JWK', async () => {
    const signed = await signAlert(alertBytes, mx.privateJwk);
    const result = await flattenedVerify(
      {
        protected: signed.protectedHeader,
        payload: signed.alert,
        signature: Buffer.from(signed.signature).toString('base64url'),
      },
      await importJWK(mx.publicJwk, 'EdDSA'),
    );
    expect(result.payload).toEqual(alertBytes);
    expect(result.protectedHeader).toEqual({
      alg: 'EdDSA',
      kid: 'MX-sig-2026-01',
      b64: false,
      crit: ['b64'],
    });
    const key = createPublicKey({ key: mx.publicJwk, format: 'jwk' });
    const input = Buffer.concat([Buffer.from(`${signed.protectedHeader}.`, 'ascii'), signed.alert]);
    expect(nodeVerify(null, input, key, signed.signature)).toBe(true);
  });

  it('returns a copy of the alert: what it returns is what it signed', async () => {
    const buffer = Uint8Array.from(alertBytes);
    const pending = signAlert(buffer, mx.privateJwk);
    buffer[0] = 0xee;
    const signed = await pending;
    expect(signed.alert).toEqual(alertBytes);
    expect(signed.alert).not.toBe(buffer);
  });

  it('signs with a key imported once, with the same result', async () => {
    const record = importPrivateKey(mx.privateJwk, 'sig');
    expect(await signAlert(alertBytes, record)).toEqual(await signAlert(alertBytes, mx.privateJwk));
    expect(Object.isFrozen(mx.privateJwk)).toBe(false);
  });

  it('signs an empty alert', async () => {
    const signed = await signAlert(new Uint8Array(), mx.privateJwk);
    expect(
      nodeVerify(
        null,
        Buffer.from(`${signed.protectedHeader}.`),
        createPublicKey({ key: mx.publicJwk, format: 'jwk' }),
        signed.signature,
      ),
    ).toBe(true);
  });

  it('refuses an X25519 key', async () => {
    await expect(signAlert(alertBytes, mxEnc.privateJwk as never)).rejects.toMatchObject({
      name: 'KeyError',
      code: 'ERR_KEY_WRONG_TYPE',
      message:
        'JWK "MX-enc-2026-01" is an X25519 encryption key ("use": "enc"); an Ed25519 signing key ("use": "sig") is needed to sign',
    });
    await expect(signAlert(alertBytes, importPrivateKey(mxEnc.privateJwk) as never)).rejects.toMatchObject({
      code: 'ERR_KEY_WRONG_TYPE',
      message:
        'key "MX-enc-2026-01" is an X25519 encryption key ("use": "enc"); an Ed25519 signing key ("use": "sig") is needed',
    });
  });

  it('refuses a public key', async () => {
    await expect(signAlert(alertBytes, mx.publicJwk as never)).rejects.toMatchObject({
      code: 'ERR_KEY_WRONG_TYPE',
      message: 'JWK "MX-sig-2026-01" is a public key (it has no "d"); the private key is needed to sign',
    });
    await expect(signAlert(alertBytes, importPublicKey(mx.publicJwk) as never)).rejects.toMatchObject({
      code: 'ERR_KEY_WRONG_TYPE',
      message: 'key "MX-sig-2026-01" holds a public ed25519 KeyObject; a private ed25519 key is needed',
    });
  });

  it('refuses a malformed key and an alert that is not bytes', async () => {
    await expect(signAlert(alertBytes, { ...mx.privateJwk, alg: 'HS256' } as never)).rejects.toMatchObject({
      code: 'ERR_JWK_INVALID',
      message: 'JWK "MX-sig-2026-01" is invalid: "alg" is "HS256", but an Ed25519 key must have "EdDSA"',
    });
    await expect(signAlert('alert' as never, mx.privateJwk)).rejects.toMatchObject({
      name: 'CryptoError',
      code: 'ERR_ARGUMENT_INVALID',
      message: 'the alert must be bytes (a Uint8Array), not "alert"',
    });
  });

  it('refuses to sign at a time outside the key validity window', async () => {
    const windowed = await generateSigningKey({
      country: 'MX',
      kid: 'MX-sig-2026-02',
      notBefore: new Date('2026-01-01Z'),
      notAfter: new Date('2027-01-01Z'),
    });
    await expect(
      signAlert(alertBytes, windowed.privateJwk, { at: new Date('2026-07-01Z') }),
    ).resolves.toBeDefined();
    await expect(
      signAlert(alertBytes, windowed.privateJwk, { at: new Date('2027-01-01Z') }),
    ).rejects.toMatchObject({
      code: 'ERR_KEY_OUTSIDE_VALIDITY',
      message:
        'key "MX-sig-2026-02" is not valid at 2027-01-01T00:00:00.000Z (valid from 2026-01-01T00:00:00.000Z until 2027-01-01T00:00:00.000Z)',
    });
  });

  it('makes exactly what jose FlattenedSign makes (same header, same signature)', async () => {
    const record = importPrivateKey(mx.privateJwk, 'sig');
    const jws = await new FlattenedSign(alertBytes)
      .setProtectedHeader({ alg: 'EdDSA', kid: 'MX-sig-2026-01', b64: false, crit: ['b64'] })
      .sign(record.key);
    for (const signed of [await signAlert(alertBytes, record), signAlertSync(alertBytes, record)]) {
      expect(signed.protectedHeader).toBe(jws.protected);
      expect(Buffer.from(signed.signature).toString('base64url')).toBe(jws.signature);
    }
  });
});

describe('signAlertSync', () => {
  it('signs at once, with the result signAlert resolves to', async () => {
    const record = importPrivateKey(mx.privateJwk, 'sig');
    expect(signAlertSync(alertBytes, record)).toEqual(await signAlert(alertBytes, record));
    expect(signAlertSync(alertBytes, mx.privateJwk)).toEqual(await signAlert(alertBytes, record));
  });

  it('throws what signAlert rejects with, however often a record was used before', () => {
    const record = importPrivateKey(mx.privateJwk, 'sig');
    signAlertSync(alertBytes, record);
    expect(() => signAlertSync('alert' as never, record)).toThrow(
      expect.objectContaining({ code: 'ERR_ARGUMENT_INVALID' }),
    );
    const forged = { ...importPrivateKey(mxEnc.privateJwk), kid: record.kid };
    for (let i = 0; i < 2; i++)
      expect(() => signAlertSync(alertBytes, forged as never)).toThrow(
        expect.objectContaining({ code: 'ERR_KEY_WRONG_TYPE' }),
      );
    expect(() => signAlertSync(alertBytes, record, { at: new Date(Number.NaN) })).toThrow(
      expect.objectContaining({ code: 'ERR_KEY_OUTSIDE_VALIDITY' }),
    );
  });
});
