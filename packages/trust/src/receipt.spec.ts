import { generateSigningKey, importPrivateKey, importPublicKey } from '@enlace/crypto';
import type { SigningKeyPair } from '@enlace/crypto';
import { CompactSign, compactVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';

import { TrustError } from './errors.js';
import {
  RECEIPT_BATCH_FORMAT,
  ReceiptError,
  RECEIPT_FORMAT,
  RECEIPT_JWS_TYPE,
  signReceipt,
  signReceiptSync,
  verifyReceipt,
} from './receipt.js';
import type { Receipt } from './receipt.js';
import type { TrustView } from './trust-view.js';

let gt: SigningKeyPair;
let trust: TrustView;
/** The sender's status in the registry, as the trust view's policy reports it. */
let gtStatus: 'member' | 'suspended' | 'withdrawn' = 'member';
let gtRevokedAt: string | undefined;
const receipt: Receipt = {
  format: RECEIPT_FORMAT,
  alertId: '0190a0a0-0000-7000-8000-000000000001',
  origin: 'MX',
  from: 'GT',
  status: 'received',
  at: '2026-11-26T12:00:00.000Z',
};

beforeAll(async () => {
  gt = await generateSigningKey({ country: 'GT', kid: 'GT-sig-2026-01' });
  const record = {
    kid: gt.kid,
    country: 'GT',
    use: 'sig',
    publicJwk: gt.publicJwk,
    notBefore: '2026-01-01T00:00:00.000Z',
  };
  trust = {
    key: (kid: string) =>
      kid === gt.kid
        ? { ...record, ...(gtRevokedAt !== undefined && { revokedAt: gtRevokedAt }) }
        : undefined,
    policy: { statusAt: (country: string) => (country === 'GT' ? gtStatus : 'member') },
    publicKey: (kid: string) => (kid === gt.kid ? importPublicKey(gt.publicJwk, 'sig') : undefined),
  } as unknown as TrustView;
});

describe('receipts', () => {
  it('are the compact JWS jose makes, and jose verifies them', async () => {
    const key = importPrivateKey(gt.privateJwk, 'sig');
    const jws = signReceiptSync(receipt, key);
    expect(await signReceipt(receipt, key)).toBe(jws);
    const byJose = await new CompactSign(new TextEncoder().encode(JSON.stringify(receipt)))
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: RECEIPT_JWS_TYPE })
      .sign(key.key);
    expect(jws).toBe(byJose);
    const { payload, protectedHeader } = await compactVerify(jws, importPublicKey(gt.publicJwk).key);
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(receipt);
    expect(protectedHeader).toEqual({ alg: 'EdDSA', kid: key.kid, typ: RECEIPT_JWS_TYPE });
  });

  it('verify, and anything altered is refused with its reason', async () => {
    const jws = signReceiptSync(receipt, importPrivateKey(gt.privateJwk, 'sig'));
    const { alertId, format: _format, ...rest } = receipt;
    await expect(verifyReceipt(jws, { origin: 'MX', from: 'GT' }, trust)).resolves.toEqual({
      ...rest,
      alertIds: [alertId],
      kid: gt.kid,
    });
    const [h, p, s] = jws.split('.') as [string, string, string];
    const other = Buffer.from(JSON.stringify({ ...receipt, status: 'read' })).toString('base64url');
    const flipped = `${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    const reasons = async (text: string, subject = { origin: 'MX', from: 'GT' }) =>
      verifyReceipt(text, subject, trust).then(
        () => 'accepted',
        (error: { reason: string }) => error.reason,
      );
    expect(await reasons(`${h}.${other}.${s}`)).toBe('bad_signature');
    expect(await reasons(`${h}.${p}.${flipped}`)).toBe('bad_signature');
    expect(await reasons(`${h}.${p}.${s}=`)).toBe('malformed');
    expect(await reasons(`${h}.${p}`)).toBe('malformed');
    expect(await reasons('not a jws')).toBe('malformed');
    const crit = Buffer.from(
      JSON.stringify({ alg: 'EdDSA', kid: gt.kid, typ: RECEIPT_JWS_TYPE, crit: ['x'], x: 1 }),
    ).toString('base64url');
    expect(await reasons(`${crit}.${p}.${s}`)).toBe('malformed');
    // The subject and the signed receipt must name the same countries (checked first, as for alerts).
    expect(await reasons(jws, { origin: 'MX', from: 'HN' })).toBe('subject_mismatch');
    // A receipt claiming to come from HN, signed with GT's key: not a key of the sender.
    const asHn = signReceiptSync({ ...receipt, from: 'HN' }, importPrivateKey(gt.privateJwk, 'sig'));
    expect(await reasons(asHn, { origin: 'MX', from: 'HN' })).toBe('unknown_key');
    expect(await reasons(jws, { origin: 'HN', from: 'GT' })).toBe('subject_mismatch');
  });

  it('verify as a batch: one receipt per alert id, none when one is not an id', async () => {
    const key = importPrivateKey(gt.privateJwk, 'sig');
    const batch = {
      format: RECEIPT_BATCH_FORMAT,
      alertIds: ['a-1', 'a-2', 'a-3'],
      origin: 'MX',
      from: 'GT',
      status: 'received',
      at: '2026-11-26T12:00:00.000Z',
    } as const;
    await expect(
      verifyReceipt(signReceiptSync(batch, key), { origin: 'MX', from: 'GT' }, trust),
    ).resolves.toEqual({
      alertIds: ['a-1', 'a-2', 'a-3'],
      origin: 'MX',
      from: 'GT',
      status: 'received',
      at: batch.at,
      kid: gt.kid,
    });
    for (const alertIds of [[], ['a-1', 7], ['a-1', ''], Array.from({ length: 257 }, (_, i) => `a-${i}`)])
      await expect(
        verifyReceipt(
          signReceiptSync({ ...batch, alertIds } as never, key),
          { origin: 'MX', from: 'GT' },
          trust,
        ),
      ).rejects.toMatchObject({ reason: 'malformed' });
    await expect(
      verifyReceipt(signReceiptSync({ ...batch, origin: 'HN' }, key), { origin: 'MX', from: 'GT' }, trust),
    ).rejects.toMatchObject({ reason: 'subject_mismatch' });
  });

  it('go through the envelope core: sender status and key revocation at the receipt time', async () => {
    const jws = signReceiptSync(receipt, importPrivateKey(gt.privateJwk, 'sig'));
    const subject = { origin: 'MX', from: 'GT' };
    const refusal = async (): Promise<ReceiptError> =>
      verifyReceipt(jws, subject, trust).then(
        () => {
          throw new Error('expected a refusal');
        },
        (error: unknown) => error as ReceiptError,
      );
    try {
      gtStatus = 'suspended';
      const suspended = await refusal();
      expect(suspended).toBeInstanceOf(ReceiptError);
      expect(suspended).toBeInstanceOf(TrustError);
      expect(suspended.code).toBe('ERR_ENVELOPE_REJECTED');
      expect(suspended.reason).toBe('origin_suspended');
      expect(suspended.message).toContain('GT was suspended');
      gtStatus = 'withdrawn';
      expect((await refusal()).reason).toBe('origin_not_member');
      gtStatus = 'member';
      gtRevokedAt = '2026-11-26T11:00:00.000Z';
      const revoked = await refusal();
      expect(revoked.reason).toBe('revoked_key');
      expect(revoked.message).toContain('was revoked at 2026-11-26T11:00:00.000Z');
      // Revoked only after the receipt was signed: off the broker (no stored time) it verifies.
      gtRevokedAt = '2026-11-26T13:00:00.000Z';
      await expect(verifyReceipt(jws, subject, trust)).resolves.toMatchObject({ kid: gt.kid });
      // Stored by the broker before the revocation: verifies; after it: refused, whatever `at` says.
      const storedBefore = { ...subject, storedAt: new Date('2026-11-26T12:00:30.000Z') };
      await expect(verifyReceipt(jws, storedBefore, trust)).resolves.toMatchObject({ kid: gt.kid });
      const storedAfter = { ...subject, storedAt: new Date('2026-11-26T13:30:00.000Z') };
      await expect(verifyReceipt(jws, storedAfter, trust)).rejects.toMatchObject({ reason: 'revoked_key' });
    } finally {
      gtStatus = 'member';
      gtRevokedAt = undefined;
    }
  });

  it('are judged at the time the broker stored them, `at` within the time rule of it', async () => {
    const jws = signReceiptSync(receipt, importPrivateKey(gt.privateJwk, 'sig'));
    const storedAt = (iso: string) => ({ origin: 'MX', from: 'GT', storedAt: new Date(iso) });
    // `at` is 12:00:00; 2 min of skew ahead, 24 h of delay behind, by default.
    await expect(verifyReceipt(jws, storedAt('2026-11-26T11:58:30.000Z'), trust)).resolves.toBeDefined();
    await expect(verifyReceipt(jws, storedAt('2026-11-27T11:59:00.000Z'), trust)).resolves.toBeDefined();
    await expect(verifyReceipt(jws, storedAt('2026-11-26T11:57:00.000Z'), trust)).rejects.toMatchObject({
      reason: 'issued_in_future',
    });
    await expect(verifyReceipt(jws, storedAt('2026-11-27T12:01:00.000Z'), trust)).rejects.toMatchObject({
      reason: 'backdated',
    });
    // A rule of the operator's: an hour of delay at most.
    const strict = {
      ...storedAt('2026-11-26T13:01:00.000Z'),
      timeRule: { maxClockSkewMs: 0, maxDeliveryDelayMs: 3_600_000 },
    };
    await expect(verifyReceipt(jws, strict, trust)).rejects.toMatchObject({ reason: 'backdated' });
    // A forged signature is bad_signature, whatever its time says: the time is judged once signed.
    const forged = `${jws.slice(0, -4)}AAAA`;
    await expect(verifyReceipt(forged, storedAt('2026-11-29T00:00:00.000Z'), trust)).rejects.toMatchObject({
      reason: 'bad_signature',
    });
  });

  it('refuses to sign with a key that is not a private signing key', async () => {
    const enc = importPublicKey(gt.publicJwk, 'sig');
    expect(() => signReceiptSync(receipt, enc as never)).toThrow(/not a private Ed25519 signing key/);
  });
});
