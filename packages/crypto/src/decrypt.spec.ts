import { GeneralEncrypt, importJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

import { decryptForRecipient } from './decrypt.js';
import { encryptForRecipients } from './encrypt.js';
import { importPrivateKey, importPublicKey } from './import-key.js';
import { listJweRecipients } from './jwe.js';
import { generateEncryptionKey, generateSigningKey } from './keys.js';
import type { EncryptionKeyPair, SigningKeyPair } from './keys.js';

let gt: EncryptionKeyPair;
let hn: EncryptionKeyPair;
let us: EncryptionKeyPair;
let cr: EncryptionKeyPair;
let gtImpostor: EncryptionKeyPair;
let mxSig: SigningKeyPair;
let jwe: string;
const body = new TextEncoder().encode('document body: counterfeit passport series P-2026');

type GeneralJson = {
  protected: string;
  iv: string;
  ciphertext: string;
  tag: string;
  recipients: Array<{ encrypted_key: string; header: Record<string, unknown> }>;
  [member: string]: unknown;
};

/** Edits a field of a base64url value (flips a bit of its first byte). */
const flip = (value: string, at = 0): string => {
  const bytes = Buffer.from(value, 'base64url');
  bytes[at]! ^= 0x01;
  return bytes.toString('base64url');
};

function edit(change: (json: GeneralJson) => void): string {
  const json = JSON.parse(jwe) as GeneralJson;
  change(json);
  return JSON.stringify(json);
}

beforeAll(async () => {
  [gt, hn, us, cr, gtImpostor, mxSig] = await Promise.all([
    generateEncryptionKey({ country: 'GT', kid: 'GT-enc-2026-01' }),
    generateEncryptionKey({ country: 'HN', kid: 'HN-enc-2026-01' }),
    generateEncryptionKey({ country: 'US', kid: 'US-enc-2026-01' }),
    generateEncryptionKey({ country: 'CR', kid: 'CR-enc-2026-01' }),
    generateEncryptionKey({ country: 'GT', kid: 'GT-enc-2026-01' }),
    generateSigningKey({ country: 'MX', kid: 'MX-sig-2026-01' }),
  ]);
  jwe = await encryptForRecipients(
    body,
    [gt, hn, us].map(({ kid, publicJwk }) => ({ kid, publicJwk })),
  );
});

describe('decryptForRecipient', () => {
  it('lets each of three recipients read the plaintext', async () => {
    for (const pair of [gt, hn, us]) {
      expect(await decryptForRecipient(jwe, pair.privateJwk)).toEqual(body);
    }
  });

  it('takes the key as a JWK, as { kid, privateJwk } or imported', async () => {
    expect(await decryptForRecipient(jwe, { kid: hn.kid, privateJwk: hn.privateJwk })).toEqual(body);
    expect(await decryptForRecipient(jwe, importPrivateKey(us.privateJwk, 'enc'))).toEqual(body);
  });

  it('reads a single-recipient JWE and an empty plaintext', async () => {
    const single = await encryptForRecipients(new Uint8Array(), [{ kid: cr.kid, publicJwk: cr.publicJwk }]);
    expect(listJweRecipients(single)).toEqual(['CR-enc-2026-01']);
    expect(await decryptForRecipient(single, cr.privateJwk)).toEqual(new Uint8Array());
  });

  it('reads a JWE made by jose GeneralEncrypt directly', async () => {
    const encrypt = new GeneralEncrypt(body).setProtectedHeader({ enc: 'A256GCM' });
    for (const pair of [hn, gt]) {
      encrypt.addRecipient(await importJWK(pair.publicJwk, 'ECDH-ES+A256KW')).setUnprotectedHeader({
        alg: 'ECDH-ES+A256KW',
        kid: pair.kid,
      });
    }
    const made = JSON.stringify(await encrypt.encrypt());
    expect(await decryptForRecipient(made, gt.privateJwk)).toEqual(body);
  });

  it('tells a country it is not a recipient: ERR_JWE_NOT_RECIPIENT', async () => {
    await expect(decryptForRecipient(jwe, cr.privateJwk)).rejects.toMatchObject({
      name: 'EncryptionError',
      code: 'ERR_JWE_NOT_RECIPIENT',
      message:
        'JWE is not encrypted for key "CR-enc-2026-01"; its recipients are "GT-enc-2026-01", "HN-enc-2026-01", "US-enc-2026-01"',
    });
  });

  it('fails ERR_JWE_DECRYPTION_FAILED for another key under a recipient kid', async () => {
    await expect(decryptForRecipient(jwe, gtImpostor.privateJwk)).rejects.toMatchObject({
      code: 'ERR_JWE_DECRYPTION_FAILED',
      message:
        'JWE entry for "GT-enc-2026-01" does not decrypt with this key: the key is not the one it was encrypted to, or the JWE was altered',
    });
    const error = await decryptForRecipient(jwe, gtImpostor.privateJwk).catch((thrown: unknown) => thrown);
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('fails ERR_JWE_DECRYPTION_FAILED when the ciphertext, tag, iv, protected header, wrapped key or epk is altered', async () => {
    const tampered = [
      edit((json) => (json.ciphertext = flip(json.ciphertext, body.length - 1))),
      edit((json) => (json.tag = flip(json.tag))),
      edit((json) => (json.iv = flip(json.iv))),
      edit((json) => (json.protected = Buffer.from('{"enc":"A256GCM" }').toString('base64url'))),
      edit((json) => (json.recipients[0]!.encrypted_key = flip(json.recipients[0]!.encrypted_key, 39))),
      edit((json) => {
        const epk = json.recipients[0]!.header['epk'] as { x: string };
        epk.x = flip(epk.x, 5);
      }),
      edit((json) => {
        // GT's entry swapped with HN's: GT's kid over HN's wrapped key and epk.
        const [a, b] = json.recipients;
        json.recipients[0] = { ...b!, header: { ...b!.header, kid: a!.header['kid'] } };
        json.recipients[1] = { ...a!, header: { ...a!.header, kid: b!.header['kid'] } };
      }),
      edit((json) => (json['aad'] = 'AAAA')),
    ];
    for (const [index, altered] of tampered.entries()) {
      await expect(decryptForRecipient(altered, gt.privateJwk), `case ${index}`).rejects.toMatchObject({
        code: 'ERR_JWE_DECRYPTION_FAILED',
        message:
          'JWE entry for "GT-enc-2026-01" does not decrypt with this key: the key is not the one it was encrypted to, or the JWE was altered',
      });
    }
    // Other recipients are unaffected by an edit to GT's entry.
    expect(await decryptForRecipient(tampered[4]!, hn.privateJwk)).toEqual(body);
  });

  it('fails ERR_JWE_MALFORMED for a JWE that is not well formed', async () => {
    await expect(decryptForRecipient('{"recipients":', gt.privateJwk)).rejects.toMatchObject({
      code: 'ERR_JWE_MALFORMED',
      message: 'JWE is not JSON',
    });
    await expect(
      decryptForRecipient(
        edit((json) => (json.iv = 'AAAA')),
        gt.privateJwk,
      ),
    ).rejects.toMatchObject({
      code: 'ERR_JWE_MALFORMED',
      message: 'JWE "iv" must be 12 bytes in unpadded base64url (A256GCM)',
    });
  });

  it('refuses the wrong kind of key', async () => {
    await expect(decryptForRecipient(jwe, mxSig.privateJwk as never)).rejects.toMatchObject({
      code: 'ERR_KEY_WRONG_TYPE',
      message:
        'JWK "MX-sig-2026-01" is an Ed25519 signing key ("use": "sig"); an X25519 encryption key ("use": "enc") is needed to decrypt',
    });
    await expect(decryptForRecipient(jwe, gt.publicJwk as never)).rejects.toMatchObject({
      code: 'ERR_KEY_WRONG_TYPE',
      message: 'JWK "GT-enc-2026-01" is a public key (it has no "d"); the private key is needed to decrypt',
    });
    await expect(decryptForRecipient(jwe, importPublicKey(gt.publicJwk) as never)).rejects.toMatchObject({
      code: 'ERR_KEY_WRONG_TYPE',
      message: 'key "GT-enc-2026-01" holds a public x25519 KeyObject; a private x25519 key is needed',
    });
    await expect(
      decryptForRecipient(jwe, { kid: 'HN-enc-2026-01', privateJwk: gt.privateJwk }),
    ).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'the decryption key is given as "HN-enc-2026-01" but its JWK is "GT-enc-2026-01"',
    });
    await expect(decryptForRecipient(jwe, null as never)).rejects.toMatchObject({
      code: 'ERR_ARGUMENT_INVALID',
      message: 'a decryption key must be a private JWK, not null',
    });
  });
});
