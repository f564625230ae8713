import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  sign as nodeSign,
  verify as nodeVerify,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { FlattenedSign, flattenedVerify, importJWK } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

import { CryptoError, KeyError } from './errors.js';
import { importPublicKey } from './import-key.js';
import { createJwks, createJwksResolver } from './jwks.js';
import type { KeyResolver } from './jwks.js';
import { generateEncryptionKey, generateSigningKey } from './keys.js';
import type { EncryptionKeyPair, SigningKeyPair } from './keys.js';
import { signAlert } from './sign.js';
import type { SignedAlertParts } from './signing-input.js';
import { verifySignedAlert } from './verify.js';

const KID = 'MX-sig-2026-01';
const BAD_SIGNATURE = `signature does not verify with key "${KID}": the alert, its header or its signature was altered, or it was signed with another key`;
const alertBytes = Uint8Array.from(
  Buffer.from('0a3c0a24019350c2-enlace-alert\u0000\u0001\u00fe\u00ff-body', 'latin1'),
);

let mx: SigningKeyPair;
let gt: SigningKeyPair;
let mxEnc: EncryptionKeyPair;
let mxPrivate: KeyObject;
let resolver: KeyResolver;
let signed: SignedAlertParts;

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A SignedAlert with any header, signed by node:crypto alone. */
function craft(header: unknown, alert: Uint8Array, key: KeyObject): SignedAlertParts {
  const protectedHeader = typeof header === 'string' ? header : b64(header);
  const input = Buffer.concat([Buffer.from(`${protectedHeader}.`, 'latin1'), alert]);
  return { alert, protectedHeader, signature: new Uint8Array(nodeSign(null, input, key)) };
}

/** The outcome of verifying: 'ok' or the error code (anything but a CryptoError fails the test). */
async function outcome(parts: SignedAlertParts, by: KeyResolver = resolver): Promise<string> {
  try {
    await verifySignedAlert(parts, by);
    return 'ok';
  } catch (error) {
    if (!(error instanceof CryptoError)) throw error;
    return error.code;
  }
}

beforeAll(async () => {
  [mx, gt, mxEnc] = await Promise.all([
    generateSigningKey({ country: 'MX', kid: KID }),
    generateSigningKey({ country: 'GT', kid: 'GT-sig-2026-01' }),
    generateEncryptionKey({ country: 'MX', kid: 'MX-enc-2026-01' }),
  ]);
  mxPrivate = createPrivateKey({ key: mx.privateJwk, format: 'jwk' });
  resolver = createJwksResolver(createJwks([mx.publicJwk, gt.publicJwk, mxEnc.publicJwk]));
  signed = await signAlert(alertBytes, mx.privateJwk);
});

describe('verifySignedAlert', () => {
  it('verifies what signAlert made and says which key signed', async () => {
    const verified = await verifySignedAlert(signed, resolver);
    expect(verified.kid).toBe(KID);
    expect(verified.alg).toBe('EdDSA');
    expect(verified.protectedHeader).toEqual({ alg: 'EdDSA', kid: KID, b64: false, crit: ['b64'] });
    expect(Object.isFrozen(verified.protectedHeader)).toBe(true);
    expect(verified.key.jwk).toEqual(mx.publicJwk);
    expect(verified.key).toBe(await resolver.resolve(KID));
  });

  it('fails ERR_SIGNATURE_INVALID when any bit of the alert changes, or bytes are cut or added', async () => {
    for (let at = 0; at < alertBytes.length; at++) {
      for (const bit of [0x01, 0x80]) {
        const alert = Uint8Array.from(alertBytes);
        alert[at]! ^= bit;
        await expect(verifySignedAlert({ ...signed, alert }, resolver)).rejects.toMatchObject({
          name: 'SignatureError',
          code: 'ERR_SIGNATURE_INVALID',
          message: BAD_SIGNATURE,
        });
      }
    }
    for (const alert of [
      alertBytes.subarray(1),
      alertBytes.subarray(0, -1),
      new Uint8Array(),
      Uint8Array.from([...alertBytes, 0]),
    ]) {
      await expect(verifySignedAlert({ ...signed, alert }, resolver)).rejects.toMatchObject({
        code: 'ERR_SIGNATURE_INVALID',
        message: BAD_SIGNATURE,
      });
    }
  });

  it('fails ERR_SIGNATURE_INVALID when any bit of the signature changes', async () => {
    for (let at = 0; at < 64; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const signature = Uint8Array.from(signed.signature);
        signature[at]! ^= 1 << bit;
        expect(await outcome({ ...signed, signature }), `byte ${at} bit ${bit}`).toBe(
          'ERR_SIGNATURE_INVALID',
        );
      }
    }
    await expect(
      verifySignedAlert({ ...signed, signature: new Uint8Array(64) }, resolver),
    ).rejects.toMatchObject({
      code: 'ERR_SIGNATURE_INVALID',
      message: BAD_SIGNATURE,
    });
  });

  it('fails ERR_SIGNATURE_INVALID for a signature of the wrong length', async () => {
    for (const length of [0, 32, 63, 65, 128]) {
      const signature = new Uint8Array(length).fill(7);
      signature.set(signed.signature.subarray(0, Math.min(64, length)));
      await expect(verifySignedAlert({ ...signed, signature }, resolver)).rejects.toMatchObject({
        code: 'ERR_SIGNATURE_INVALID',
        message: `signature by "${KID}" is ${length} bytes; an Ed25519 signature is 64`,
      });
    }
  });

  it('never accepts a protected header with any character changed', async () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const codes = new Map<string, number>();
    const header = signed.protectedHeader;
    for (let at = 0; at < header.length; at++) {
      for (const replacement of [alphabet[(alphabet.indexOf(header[at]!) + 1) % 64]!, '.', '=']) {
        const protectedHeader = header.slice(0, at) + replacement + header.slice(at + 1);
        const code = await outcome({ ...signed, protectedHeader });
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }
    // A changed character breaks the base64url, the JSON or a member, or names another kid; the
    // signature check is never reached with a header that differs from the signed one.
    expect(Object.fromEntries(codes)).toEqual({
      ERR_JWS_MALFORMED: expect.any(Number),
      ERR_KEY_UNKNOWN: expect.any(Number),
    });
  });

  it('binds the kid: the same signature under another header fails', async () => {
    // GT's kid is known, so the header is fine and the signature is what fails.
    const asGt = b64({ alg: 'EdDSA', kid: 'GT-sig-2026-01', b64: false, crit: ['b64'] });
    await expect(verifySignedAlert({ ...signed, protectedHeader: asGt }, resolver)).rejects.toMatchObject({
      code: 'ERR_SIGNATURE_INVALID',
      message:
        'signature does not verify with key "GT-sig-2026-01": the alert, its header or its signature was altered, or it was signed with another key',
    });
    // Same members, another order: a different signing input.
    const reordered = b64({ kid: KID, alg: 'EdDSA', b64: false, crit: ['b64'] });
    await expect(
      verifySignedAlert({ ...signed, protectedHeader: reordered }, resolver),
    ).rejects.toMatchObject({
      code: 'ERR_SIGNATURE_INVALID',
      message: BAD_SIGNATURE,
    });
  });

  it('fails ERR_SIGNATURE_INVALID when another key is filed under the kid', async () => {
    // GT's key material published as MX-sig-2026-01: the kid is known, the key is not the signer's.
    const impostor = createJwksResolver(createJwks([{ ...gt.publicJwk, kid: KID }]));
    await expect(verifySignedAlert(signed, impostor)).rejects.toMatchObject({
      code: 'ERR_SIGNATURE_INVALID',
      message: BAD_SIGNATURE,
    });
  });

  it('fails ERR_KEY_UNKNOWN for a kid the resolver does not know', async () => {
    await expect(
      verifySignedAlert(signed, createJwksResolver(createJwks([gt.publicJwk]))),
    ).rejects.toMatchObject({
      name: 'KeyError',
      code: 'ERR_KEY_UNKNOWN',
      message: `no key is known under kid "${KID}"`,
    });
    const unknownKid = craft(
      { alg: 'EdDSA', kid: 'MX-sig-2026-09', b64: false, crit: ['b64'] },
      alertBytes,
      mxPrivate,
    );
    await expect(verifySignedAlert(unknownKid, resolver)).rejects.toMatchObject({
      code: 'ERR_KEY_UNKNOWN',
      message: 'no key is known under kid "MX-sig-2026-09"',
    });
  });

  it('fails ERR_KEY_WRONG_TYPE when the kid names an encryption key', async () => {
    const byEncKid = craft(
      { alg: 'EdDSA', kid: 'MX-enc-2026-01', b64: false, crit: ['b64'] },
      alertBytes,
      mxPrivate,
    );
    await expect(verifySignedAlert(byEncKid, resolver)).rejects.toMatchObject({
      code: 'ERR_KEY_WRONG_TYPE',
      message:
        'key "MX-enc-2026-01" is an X25519 encryption key ("use": "enc"); an Ed25519 signing key ("use": "sig") is needed',
    });
    const x25519UnderSigKid = createJwksResolver(createJwks([{ ...mxEnc.publicJwk, kid: KID }]));
    await expect(verifySignedAlert(signed, x25519UnderSigKid)).rejects.toMatchObject({
      code: 'ERR_KEY_WRONG_TYPE',
      message: `key "${KID}" is an X25519 encryption key ("use": "enc"); an Ed25519 signing key ("use": "sig") is needed`,
    });
  });

  it('rejects headers Enlace does not allow, even when they are correctly signed', async () => {
    const base = { alg: 'EdDSA', kid: KID, b64: false, crit: ['b64'] };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...base, alg: 'none' }, '"alg" is "none"; only "EdDSA" is accepted'],
      [{ ...base, alg: 'HS256' }, '"alg" is "HS256"; only "EdDSA" is accepted'],
      [{ ...base, alg: 'Ed25519' }, '"alg" is "Ed25519"; only "EdDSA" is accepted'],
      [
        { ...base, crit: undefined },
        'must have "crit": ["b64"] (RFC 7797 requires "b64" to be critical), got no "crit"',
      ],
      [{ ...base, b64: true }, 'must have "b64": false (RFC 7797 unencoded payload), got true'],
      [
        { ...base, b64: undefined, crit: undefined },
        'must have "b64": false (RFC 7797 unencoded payload), got no "b64"',
      ],
      [
        { ...base, crit: ['b64', 'exp'], exp: 1 },
        '"crit" names extensions this verifier does not understand: "exp"',
      ],
      [{ ...base, kid: undefined }, 'has no "kid"; the signer\'s key cannot be identified'],
    ];
    for (const [header, problem] of cases) {
      await expect(verifySignedAlert(craft(header, alertBytes, mxPrivate), resolver)).rejects.toMatchObject({
        name: 'SignatureError',
        code: 'ERR_JWS_MALFORMED',
        message: `protected header ${problem}`,
      });
    }
    // alg none with an empty signature, and HS256 keyed with the public key (algorithm confusion).
    const none = b64({ ...base, alg: 'none' });
    await expect(
      verifySignedAlert({ alert: alertBytes, protectedHeader: none, signature: new Uint8Array() }, resolver),
    ).rejects.toMatchObject({
      code: 'ERR_JWS_MALFORMED',
      message: 'protected header "alg" is "none"; only "EdDSA" is accepted',
    });
    const hs = b64({ ...base, alg: 'HS256' });
    const mac = createHmac('sha256', Buffer.from(mx.publicJwk.x, 'base64url'))
      .update(Buffer.concat([Buffer.from(`${hs}.`), alertBytes]))
      .digest();
    await expect(
      verifySignedAlert({ alert: alertBytes, protectedHeader: hs, signature: mac }, resolver),
    ).rejects.toMatchObject({
      code: 'ERR_JWS_MALFORMED',
      message: 'protected header "alg" is "HS256"; only "EdDSA" is accepted',
    });
  });

  it('accepts non-critical header members and any member order from other signers', async () => {
    const parts = craft(
      { typ: 'enlace-alert', crit: ['b64'], b64: false, kid: KID, alg: 'EdDSA' },
      alertBytes,
      mxPrivate,
    );
    const verified = await verifySignedAlert(parts, resolver);
    expect(verified.protectedHeader['typ']).toBe('enlace-alert');
  });

  it('rejects fields of the wrong type as ERR_JWS_MALFORMED', async () => {
    const cases: Array<[unknown, string]> = [
      [null, 'a signed alert must be an object, not null'],
      [{ ...signed, protectedHeader: undefined }, 'protected header must be a string, not nothing'],
      [{ ...signed, alert: 'bytes' }, 'the alert must be bytes (a Uint8Array), not "bytes"'],
      [
        { ...signed, signature: [...signed.signature] },
        'the signature must be bytes (a Uint8Array), not an array',
      ],
    ];
    for (const [parts, message] of cases) {
      await expect(verifySignedAlert(parts as SignedAlertParts, resolver)).rejects.toMatchObject({
        code: 'ERR_JWS_MALFORMED',
        message,
      });
    }
  });

  it('accepts Buffers as well as Uint8Arrays', async () => {
    const parts = { ...signed, alert: Buffer.from(signed.alert), signature: Buffer.from(signed.signature) };
    await expect(verifySignedAlert(parts, resolver)).resolves.toMatchObject({ kid: KID });
  });

  it('checks the key validity window against `at`', async () => {
    const windowed = await generateSigningKey({
      country: 'MX',
      kid: 'MX-sig-2026-03',
      notBefore: new Date('2026-01-01Z'),
      notAfter: new Date('2026-06-01Z'),
    });
    const parts = await signAlert(alertBytes, windowed.privateJwk);
    const byWindowed = createJwksResolver(createJwks([windowed.publicJwk]));
    await expect(
      verifySignedAlert(parts, byWindowed, { at: new Date('2026-03-01Z') }),
    ).resolves.toMatchObject({
      kid: 'MX-sig-2026-03',
    });
    await expect(verifySignedAlert(parts, byWindowed)).resolves.toMatchObject({ kid: 'MX-sig-2026-03' });
    await expect(verifySignedAlert(parts, byWindowed, { at: new Date('2026-06-01Z') })).rejects.toMatchObject(
      {
        code: 'ERR_KEY_OUTSIDE_VALIDITY',
        message:
          'key "MX-sig-2026-03" is not valid at 2026-06-01T00:00:00.000Z (valid from 2026-01-01T00:00:00.000Z until 2026-06-01T00:00:00.000Z)',
      },
    );
  });

  describe('with a hand-written resolver', () => {
    it('reports a failed lookup as ERR_KEY_RESOLUTION_FAILED, keeping the cause', async () => {
      const cause = new Error('registry unreachable');
      const failing: KeyResolver = { resolve: () => Promise.reject(cause) };
      const error = await verifySignedAlert(signed, failing).catch((thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(KeyError);
      expect(error).toMatchObject({
        code: 'ERR_KEY_RESOLUTION_FAILED',
        message: `could not look up key "${KID}": registry unreachable`,
      });
      expect((error as Error).cause).toBe(cause);
    });

    it('passes a CryptoError from the resolver through', async () => {
      const revoked = new KeyError('ERR_KEY_OUTSIDE_VALIDITY', 'revoked');
      await expect(verifySignedAlert(signed, { resolve: () => Promise.reject(revoked) })).rejects.toBe(
        revoked,
      );
    });

    it('refuses what is not a key record, or a record under another kid', async () => {
      await expect(
        verifySignedAlert(signed, { resolve: () => Promise.resolve(mx.publicJwk as never) }),
      ).rejects.toMatchObject({
        code: 'ERR_KEY_WRONG_TYPE',
        message: `the key resolver returned an object for "${KID}", not a key record with an imported key`,
      });
      const gtRecord = importPublicKey(gt.publicJwk);
      await expect(
        verifySignedAlert(signed, { resolve: () => Promise.resolve(gtRecord) }),
      ).rejects.toMatchObject({
        code: 'ERR_KEY_WRONG_TYPE',
        message: `the key resolver returned key "GT-sig-2026-01" when asked for "${KID}"; a key must be filed under its own kid`,
      });
    });

    it('refuses something that is not a resolver', async () => {
      await expect(verifySignedAlert(signed, {} as never)).rejects.toMatchObject({
        code: 'ERR_ARGUMENT_INVALID',
        message: 'verification needs a KeyResolver ({ resolve(kid) })',
      });
    });
  });
});

describe('interoperability', () => {
  const joseVerifies = async (parts: SignedAlertParts, jwk: object): Promise<boolean> => {
    try {
      await flattenedVerify(
        {
          protected: parts.protectedHeader,
          payload: parts.alert,
          signature: Buffer.from(parts.signature).toString('base64url'),
        },
        await importJWK(jwk as never, 'EdDSA'),
      );
      return true;
    } catch {
      return false;
    }
  };
  const nodeVerifies = (parts: SignedAlertParts, jwk: object): boolean => {
    try {
      const key = createPublicKey({ key: jwk as never, format: 'jwk' });
      const input = Buffer.concat([Buffer.from(`${parts.protectedHeader}.`, 'latin1'), parts.alert]);
      return nodeVerify(null, input, key, parts.signature);
    } catch {
      return false;
    }
  };

  it('the same signatures verify with verifySignedAlert, jose flattenedVerify and plain node:crypto', async () => {
    for (const alert of [alertBytes, new Uint8Array(), new Uint8Array(4096).fill(0x2e)]) {
      const parts = await signAlert(alert, mx.privateJwk);
      expect(await outcome(parts)).toBe('ok');
      expect(await joseVerifies(parts, mx.publicJwk)).toBe(true);
      expect(nodeVerifies(parts, mx.publicJwk)).toBe(true);
      // And none of them accepts it with another key.
      expect(await joseVerifies(parts, gt.publicJwk)).toBe(false);
      expect(nodeVerifies(parts, gt.publicJwk)).toBe(false);
    }
  });

  it('agrees with jose and node:crypto on every mutated signature, header and alert', async () => {
    let seed = 7;
    const random = (below: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % below;
    };
    let rejected = 0;
    for (let i = 0; i < 300; i++) {
      const parts = {
        alert: Uint8Array.from(signed.alert),
        protectedHeader: signed.protectedHeader,
        signature: Uint8Array.from(signed.signature),
      };
      switch (i % 3) {
        case 0:
          parts.alert[random(parts.alert.length)]! ^= 1 << random(8);
          break;
        case 1:
          parts.signature[random(64)]! ^= 1 << random(8);
          break;
        default: {
          const at = random(parts.protectedHeader.length);
          const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
          parts.protectedHeader =
            parts.protectedHeader.slice(0, at) + chars[random(64)] + parts.protectedHeader.slice(at + 1);
        }
      }
      const ours = (await outcome(parts)) === 'ok';
      expect(await joseVerifies(parts, mx.publicJwk), `mutation ${i}`).toBe(ours);
      expect(nodeVerifies(parts, mx.publicJwk), `mutation ${i}`).toBe(ours);
      if (!ours) rejected++;
    }
    // A few header mutations are no-ops (the same character drawn): all others are rejected.
    expect(rejected).toBeGreaterThan(290);
  });

  it('verifies signatures made by jose FlattenedSign and by node:crypto, independently of signAlert', async () => {
    const joseKey = await importJWK(mx.privateJwk, 'EdDSA');
    const jws = await new FlattenedSign(alertBytes)
      .setProtectedHeader({ b64: false, crit: ['b64'], alg: 'EdDSA', kid: KID })
      .sign(joseKey);
    const fromJose = {
      alert: alertBytes,
      protectedHeader: jws.protected!,
      signature: Buffer.from(jws.signature, 'base64url'),
    };
    expect(jws.payload).toBe('');
    await expect(verifySignedAlert(fromJose, resolver)).resolves.toMatchObject({ kid: KID });

    const fromNode = craft({ alg: 'EdDSA', kid: KID, b64: false, crit: ['b64'] }, alertBytes, mxPrivate);
    expect(fromNode.protectedHeader).toBe(signed.protectedHeader);
    expect(fromNode.signature).toEqual(signed.signature);
    await expect(verifySignedAlert(fromNode, resolver)).resolves.toMatchObject({ kid: KID });
  });

  it('is stricter than jose only where Enlace forbids: a header without kid', async () => {
    const anonymous = craft({ alg: 'EdDSA', b64: false, crit: ['b64'] }, alertBytes, mxPrivate);
    expect(await joseVerifies(anonymous, mx.publicJwk)).toBe(true);
    expect(await outcome(anonymous)).toBe('ERR_JWS_MALFORMED');
  });
});
