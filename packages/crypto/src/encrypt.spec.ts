import { generalDecrypt, importJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

import { encryptForRecipients } from './encrypt.js';
import { generateEncryptionKey, generateSigningKey } from './keys.js';
import type { EncryptionKeyPair, SigningKeyPair } from './keys.js';

let gt: EncryptionKeyPair;
let hn: EncryptionKeyPair;
let us: EncryptionKeyPair;
let mxSig: SigningKeyPair;
const body = new TextEncoder().encode('route body: Tapachula → Ciudad Hidalgo → Tecún Umán');

beforeAll(async () => {
  [gt, hn, us, mxSig] = await Promise.all([
    generateEncryptionKey({ country: 'GT', kid: 'GT-enc-2026-01' }),
    generateEncryptionKey({ country: 'HN', kid: 'HN-enc-2026-01' }),
    generateEncryptionKey({ country: 'US', kid: 'US-enc-2026-01' }),
    generateSigningKey({ country: 'MX', kid: 'MX-sig-2026-01' }),
  ]);
});

const recipient = (pair: { kid: string; publicJwk: EncryptionKeyPair['publicJwk'] }) => ({
  kid: pair.kid,
  publicJwk: pair.publicJwk,
});

describe('encryptForRecipients', () => {
  it('writes a general JSON JWE: A256GCM content, ECDH-ES+A256KW and kid per recipient', async () => {
    const jwe = JSON.parse(await encryptForRecipients(body, [gt, hn, us].map(recipient))) as {
      protected: string;
      recipients: Array<{ header: Record<string, unknown>; encrypted_key: string }>;
      iv: string;
      ciphertext: string;
      tag: string;
    };
    expect(JSON.parse(Buffer.from(jwe.protected, 'base64url').toString())).toEqual({ enc: 'A256GCM' });
    expect(jwe.recipients.map((entry) => entry.header['kid'])).toEqual([
      'GT-enc-2026-01',
      'HN-enc-2026-01',
      'US-enc-2026-01',
    ]);
    for (const entry of jwe.recipients) {
      expect(entry.header).toMatchObject({ alg: 'ECDH-ES+A256KW', epk: { kty: 'OKP', crv: 'X25519' } });
      expect(Buffer.from(entry.encrypted_key, 'base64url')).toHaveLength(40);
    }
    expect(Buffer.from(jwe.iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(jwe.tag, 'base64url')).toHaveLength(16);
    expect(Buffer.from(jwe.ciphertext, 'base64url')).toHaveLength(body.length);
    expect(JSON.stringify(jwe)).not.toContain('Tapachula');
  });

  it('is readable by jose generalDecrypt with each recipient key', async () => {
    const jwe = JSON.parse(await encryptForRecipients(body, [gt, hn, us].map(recipient))) as never;
    for (const pair of [gt, hn, us]) {
      const { plaintext, unprotectedHeader } = await generalDecrypt(
        jwe,
        await importJWK(pair.privateJwk, 'ECDH-ES+A256KW'),
      );
      expect(plaintext).toEqual(body);
      expect(unprotectedHeader?.kid).toBe(pair.kid);
    }
  });

  it('uses fresh randomness every time', async () => {
    const [a, b] = await Promise.all([
      encryptForRecipients(body, [recipient(gt)]),
      encryptForRecipients(body, [recipient(gt)]),
    ]);
    expect(a).not.toBe(b);
  });

  it('needs at least one recipient, each once', async () => {
    await expect(encryptForRecipients(body, [])).rejects.toMatchObject({
      name: 'CryptoError',
      code: 'ERR_ARGUMENT_INVALID',
      message: 'a JWE needs at least one recipient',
    });
    await expect(
      encryptForRecipients(body, [recipient(gt), recipient(hn), recipient(gt)]),
    ).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'recipients[2] repeats kid "GT-enc-2026-01"; each recipient once',
    });
  });

  it('refuses a signing key, a private key and a kid that is not the key’s', async () => {
    await expect(
      encryptForRecipients(body, [recipient(gt), { kid: mxSig.kid, publicJwk: mxSig.publicJwk }]),
    ).rejects.toMatchObject({
      name: 'KeyError',
      code: 'ERR_KEY_WRONG_TYPE',
      message:
        'recipients[1] key "MX-sig-2026-01" is an Ed25519 signing key ("use": "sig"); an X25519 encryption key ("use": "enc") is needed to encrypt to',
    });
    await expect(
      encryptForRecipients(body, [{ kid: gt.kid, publicJwk: gt.privateJwk }]),
    ).rejects.toMatchObject({
      code: 'ERR_KEY_WRONG_TYPE',
      message:
        'recipients[0] key "GT-enc-2026-01" is a private key (it has "d"); a public key is expected here to encrypt to: publish only the public half and keep the private key secret',
    });
    await expect(
      encryptForRecipients(body, [{ kid: 'HN-enc-2026-01', publicJwk: gt.publicJwk }]),
    ).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'recipients[0] names kid "HN-enc-2026-01" but its key is "GT-enc-2026-01"',
    });
    await expect(
      encryptForRecipients(body, [{ kid: gt.kid, publicJwk: { ...gt.publicJwk, x: 'AAAA' } }]),
    ).rejects.toMatchObject({
      code: 'ERR_JWK_INVALID',
      message:
        'recipients[0] key "GT-enc-2026-01" is invalid: "x" must be the 32-byte public key in unpadded base64url (43 characters); got "AAAA"',
    });
    await expect(encryptForRecipients(body, [null as never])).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'recipients[0] must be { kid, publicJwk }, not null',
    });
  });

  it('refuses a plaintext that is not bytes', async () => {
    await expect(encryptForRecipients('secret' as never, [recipient(gt)])).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'the plaintext must be bytes (a Uint8Array), not "secret"',
    });
  });
});
