/**
 * Receipts: a receiving country tells the origin that it received, or that an officer read, one
 * of its alerts. The alert protobuf has no receipt message, so a receipt is a compact JWS
 * (EdDSA, typ `enlace-receipt+jws`) over a small JSON payload, signed with the receiving node's
 * signing key and published on `enlace.v1.ack.<origin>.<from>` with `Nats-Msg-Id`
 * `<alert id>.<from>.<status>`, so each receipt is stored once. The origin checks it with the
 * registry's record of the sender's key, exactly as it would an alert.
 */
import type { PrivateKeyRecord } from '@enlace/crypto';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';

import type { TrustView } from '../trust/trust-view.js';
import { keyProblemAt } from '../trust/trust-view.js';

export const RECEIPT_JWS_TYPE = 'enlace-receipt+jws';
export const RECEIPT_FORMAT = 'enlace.receipt.v1';
export const RECEIPT_STATUSES = ['received', 'read'] as const;
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];

export interface Receipt {
  readonly format: typeof RECEIPT_FORMAT;
  readonly alertId: string;
  readonly origin: string;
  readonly from: string;
  readonly status: ReceiptStatus;
  readonly at: string;
  /** The officer who read it (token subject); absent for automatic `received` receipts. */
  readonly officer?: string;
}

export interface VerifiedReceipt extends Receipt {
  readonly kid: string;
}

export async function signReceipt(receipt: Receipt, key: PrivateKeyRecord): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(receipt)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: RECEIPT_JWS_TYPE })
    .sign(key.key);
}

/** Why a receipt is refused; undefined reasons never happen (the union is closed). */
export class ReceiptError extends Error {
  constructor(
    readonly reason:
      'malformed' | 'subject_mismatch' | 'unknown_key' | 'revoked_key' | 'expired_key' | 'bad_signature',
    message: string,
  ) {
    super(message);
    this.name = 'ReceiptError';
  }
}

/** Checks a receipt received on `enlace.v1.ack.<origin>.<from>`; throws ReceiptError. */
export async function verifyReceipt(
  jws: string,
  subject: { origin: string; from: string },
  trust: TrustView,
): Promise<VerifiedReceipt> {
  let kid: unknown;
  try {
    const header = decodeProtectedHeader(jws);
    if (header.typ !== RECEIPT_JWS_TYPE || header.alg !== 'EdDSA') throw new Error('not a receipt JWS');
    kid = header.kid;
  } catch {
    throw new ReceiptError('malformed', 'not a receipt JWS');
  }
  const key = typeof kid === 'string' ? trust.key(kid) : undefined;
  if (key === undefined || key.use !== 'sig' || key.country !== subject.from)
    throw new ReceiptError('unknown_key', `${String(kid)} is not a signing key of ${subject.from}`);
  const publicKey = trust.publicKey(key.kid);
  if (publicKey === undefined) throw new ReceiptError('unknown_key', `${key.kid} is not usable`);
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, publicKey.key, { algorithms: ['EdDSA'] }));
  } catch {
    throw new ReceiptError('bad_signature', `the receipt does not verify with ${key.kid}`);
  }
  let receipt: Receipt;
  try {
    receipt = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload)) as Receipt;
  } catch {
    throw new ReceiptError('malformed', 'the receipt payload is not JSON');
  }
  const at = new Date(typeof receipt.at === 'string' ? receipt.at : Number.NaN);
  if (
    receipt.format !== RECEIPT_FORMAT ||
    typeof receipt.alertId !== 'string' ||
    !(RECEIPT_STATUSES as readonly string[]).includes(receipt.status) ||
    Number.isNaN(at.getTime())
  )
    throw new ReceiptError('malformed', 'the receipt lacks format, alertId, status or at');
  if (receipt.origin !== subject.origin || receipt.from !== subject.from)
    throw new ReceiptError('subject_mismatch', 'the subject names other countries than the receipt');
  const problem = keyProblemAt(key, at);
  if (problem === 'revoked')
    throw new ReceiptError('revoked_key', `${key.kid} was revoked before ${receipt.at}`);
  if (problem !== undefined)
    throw new ReceiptError('expired_key', `${key.kid} was not valid at ${receipt.at}`);
  return { ...receipt, kid: key.kid };
}
