/**
 * Receipts: a receiving country tells the origin that it received, or that an officer read, one
 * of its alerts. The alert protobuf has no receipt message, so a receipt is a compact JWS
 * (EdDSA, typ `enlace-receipt+jws`) over a small JSON payload, signed with the receiving node's
 * signing key and published on `enlace.v1.ack.<origin>.<from>` with `Nats-Msg-Id`
 * `<alert id>.<from>.<status>`, so each receipt is stored once. The origin checks it with the
 * registry's record of the sender's key, exactly as it would an alert: through the same
 * envelope core (verifyEnvelope: subject, key at the receipt's time, signature, sender status).
 *
 * Signed and checked with node:crypto directly (the bytes jose's CompactSign makes, and that its
 * compactVerify accepts), synchronously: jose goes through WebCrypto jobs, several times dearer
 * for a message this small. Each key's encoded protected header is made once.
 */
import { sign as ed25519Sign, verify as ed25519Verify } from 'node:crypto';

import type { PrivateKeyRecord } from '@enlace/crypto';
import { isRejectMessage } from '@enlace/transport';
import type { RejectionReason } from '@enlace/transport';

import { verifyEnvelope } from './envelope.js';
import { TrustError } from './errors.js';
import type { TimeRule } from './time-rule.js';
import type { TrustView } from './trust-view.js';

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

/**
 * The `received` receipts of several alerts of one origin, signed once: what a node sends for the
 * alerts it stored together (ReceiptExchange.received), with `Nats-Msg-Id`
 * `<first alert id>.<from>.received.<count>`. It stands for one receipt per alert id, all at `at`.
 */
export interface ReceiptBatch {
  readonly format: typeof RECEIPT_BATCH_FORMAT;
  readonly alertIds: readonly string[];
  readonly origin: string;
  readonly from: string;
  readonly status: ReceiptStatus;
  readonly at: string;
}

export const RECEIPT_BATCH_FORMAT = 'enlace.receipt-batch.v1';
/** Alert ids in one batch at most. */
export const RECEIPT_BATCH_MAX = 256;

/** A verified receipt or batch: one receipt per alert id. */
export interface VerifiedReceipt {
  readonly alertIds: readonly string[];
  readonly origin: string;
  readonly from: string;
  readonly status: ReceiptStatus;
  readonly at: string;
  readonly officer?: string;
  readonly kid: string;
}

const HEADER_CACHE_LIMIT = 256;
const headers = new Map<string, string>();

function receiptHeader(kid: string): string {
  let header = headers.get(kid);
  if (header === undefined) {
    header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid, typ: RECEIPT_JWS_TYPE })).toString('base64url');
    if (headers.size >= HEADER_CACHE_LIMIT) headers.clear();
    headers.set(kid, header);
  }
  return header;
}

/** The receipt as a compact JWS (EdDSA), at once. */
export function signReceiptSync(receipt: Receipt | ReceiptBatch, key: PrivateKeyRecord): string {
  if (key.use !== 'sig' || key.key.type !== 'private' || key.key.asymmetricKeyType !== 'ed25519')
    throw new Error(`${key.kid} is not a private Ed25519 signing key`);
  const input = `${receiptHeader(key.kid)}.${Buffer.from(JSON.stringify(receipt)).toString('base64url')}`;
  const signature = ed25519Sign(null, Buffer.from(input, 'latin1'), key.key);
  return `${input}.${signature.toString('base64url')}`;
}

export async function signReceipt(receipt: Receipt | ReceiptBatch, key: PrivateKeyRecord): Promise<string> {
  return signReceiptSync(receipt, key);
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Strict base64url (no padding, canonical), or undefined. */
function fromBase64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

interface CompactParts {
  readonly header: Record<string, unknown>;
  readonly signingInput: Buffer;
  readonly payload: Buffer;
  readonly signature: Buffer;
}

/** The three parts of a compact JWS, or undefined when it is not one. */
function splitCompact(jws: string): CompactParts | undefined {
  const parts = jws.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  const headerBytes = fromBase64url(h);
  const payload = p === '' ? Buffer.alloc(0) : fromBase64url(p);
  const signature = fromBase64url(s);
  if (headerBytes === undefined || payload === undefined || signature === undefined) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(headerBytes));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return undefined;
  return {
    header: header as Record<string, unknown>,
    signingInput: Buffer.from(`${h}.${p}`, 'latin1'),
    payload,
    signature,
  };
}

/** Why a receipt is refused: code ERR_ENVELOPE_REJECTED, `reason` the stable rejection reason. */
export class ReceiptError extends TrustError {
  readonly reason: RejectionReason;

  constructor(reason: RejectionReason, message: string, options?: { cause?: unknown }) {
    super('ERR_ENVELOPE_REJECTED', message, options);
    this.name = 'ReceiptError';
    this.reason = reason;
  }
}

/** Where and when a receipt came: its subject's tokens, and the broker's time (time-rule.ts). */
export interface ReceiptDelivery {
  readonly origin: string;
  readonly from: string;
  /** When JetStream stored it: keys and the sender's status are judged then. */
  readonly storedAt?: Date | undefined;
  readonly timeRule?: TimeRule | undefined;
}

/**
 * Checks a receipt (or a batch) received on `enlace.v1.ack.<origin>.<from>` (stored by JetStream
 * at `subject.storedAt`); throws ReceiptError.
 */
export async function verifyReceipt(
  jws: string,
  subject: ReceiptDelivery,
  trust: TrustView,
): Promise<VerifiedReceipt> {
  const compact = splitCompact(jws);
  // No critical extensions (nor b64) are understood here, as none are in a receipt.
  if (
    compact === undefined ||
    compact.header['typ'] !== RECEIPT_JWS_TYPE ||
    compact.header['alg'] !== 'EdDSA' ||
    'crit' in compact.header ||
    'b64' in compact.header
  )
    throw new ReceiptError('malformed', 'not a receipt JWS');
  const kid = compact.header['kid'];
  if (typeof kid !== 'string' || kid === '')
    throw new ReceiptError('malformed', 'the receipt JWS names no kid');
  let receipt: {
    format?: unknown;
    alertId?: unknown;
    alertIds?: unknown;
    origin?: unknown;
    from?: unknown;
    status?: unknown;
    at?: unknown;
    officer?: unknown;
  };
  try {
    receipt = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(compact.payload)) as typeof receipt;
  } catch {
    throw new ReceiptError('malformed', 'the receipt payload is not JSON');
  }
  if (typeof receipt !== 'object' || receipt === null || Array.isArray(receipt))
    throw new ReceiptError('malformed', 'the receipt payload is not a JSON object');
  const at = new Date(typeof receipt.at === 'string' ? receipt.at : Number.NaN);
  const alertIds =
    receipt.format === RECEIPT_FORMAT && typeof receipt.alertId === 'string'
      ? [receipt.alertId]
      : receipt.format === RECEIPT_BATCH_FORMAT &&
          Array.isArray(receipt.alertIds) &&
          receipt.alertIds.length > 0 &&
          receipt.alertIds.length <= RECEIPT_BATCH_MAX &&
          receipt.alertIds.every((id) => typeof id === 'string' && id !== '')
        ? (receipt.alertIds as string[]).slice()
        : undefined;
  if (
    alertIds === undefined ||
    !(RECEIPT_STATUSES as readonly unknown[]).includes(receipt.status) ||
    typeof receipt.origin !== 'string' ||
    typeof receipt.from !== 'string' ||
    (receipt.officer !== undefined && typeof receipt.officer !== 'string') ||
    Number.isNaN(at.getTime())
  )
    throw new ReceiptError(
      'malformed',
      'the receipt lacks format, alertId (or alertIds), origin, from, status or at',
    );
  const { origin, from } = receipt as { origin: string; from: string };
  let key;
  try {
    ({ key } = await verifyEnvelope(
      {
        signer: from,
        kid,
        issuedAt: at,
        storedAt: subject.storedAt,
        timeRule: subject.timeRule,
        tokens: [
          { name: 'origin', outside: subject.origin, signed: origin },
          { name: 'from', outside: subject.from, signed: from },
        ],
        verifySignature: (publicKey) =>
          compact.signature.length === 64 &&
          ed25519Verify(null, compact.signingInput, publicKey.key, compact.signature),
      },
      trust,
    ));
  } catch (cause) {
    if (isRejectMessage(cause)) throw new ReceiptError(cause.reason, cause.message, { cause });
    throw cause;
  }
  return {
    alertIds,
    origin: subject.origin,
    from: subject.from,
    status: receipt.status as ReceiptStatus,
    at: receipt.at as string,
    ...(typeof receipt.officer === 'string' && { officer: receipt.officer }),
    kid: key.kid,
  };
}
