/**
 * Signing an alert: a JWS with an unencoded, detached payload (RFC 7797) over the exact alert
 * bytes. The result is the three fields of a SignedAlert; any JOSE library (jose's
 * flattenedVerify among them), or a bare Ed25519 verify over signingInput(), checks it with the
 * origin's public JWK.
 *
 * The signature is made with node:crypto directly, synchronously (Ed25519 takes some 70 µs): the
 * bytes are those jose's FlattenedSign produces (the same protected header, serialized the same
 * way, and Ed25519 is deterministic), without its per-call header checks, base64url round trips
 * and WebCrypto job. Each kid's protected header is encoded once and a frozen key record (what
 * importPrivateKey returns) is checked once; a JWK is imported on every call, so a signer of many
 * alerts imports its key once with importPrivateKey.
 */
import { sign as ed25519Sign } from 'node:crypto';

import { CryptoError, describeValue, SignatureError } from './errors.js';
import { assertKeyValidAt, assertRecordUsable, importPrivateKey, isKeyRecord } from './import-key.js';
import type { PrivateKeyRecord } from './import-key.js';
import type { PrivateSigningJwk } from './jwk.js';
import { SIGNATURE_ALGORITHM } from './protected-header.js';
import { concatSigningInput } from './signing-input.js';
import type { SignedAlertParts } from './signing-input.js';

export interface SignAlertOptions {
  /**
   * The time the alert is issued (its `issued_at`): signing fails with ERR_KEY_OUTSIDE_VALIDITY
   * when the key's validity window excludes it, as every receiver would reject the alert.
   */
  at?: Date;
}

const ED25519_SIGNATURE_BYTES = 64;
const HEADER_CACHE_LIMIT = 256;

/** Encoded protected headers by kid: the header depends on nothing else. */
const headers = new Map<string, string>();
/** Frozen key records already checked by assertRecordUsable (they cannot change since). */
const usableRecords = new WeakSet<PrivateKeyRecord>();

/** The base64url protected header `{"alg":"EdDSA","kid":<kid>,"b64":false,"crit":["b64"]}`. */
export function protectedHeaderFor(kid: string): string {
  let header = headers.get(kid);
  if (header === undefined) {
    // Member order as jose's FlattenedSign serializes the header it is given.
    const json = JSON.stringify({ alg: SIGNATURE_ALGORITHM, kid, b64: false, crit: ['b64'] });
    header = Buffer.from(json, 'utf8').toString('base64url');
    if (headers.size >= HEADER_CACHE_LIMIT) headers.clear();
    headers.set(kid, header);
  }
  return header;
}

function recordOf(signingKey: PrivateSigningJwk | PrivateKeyRecord): PrivateKeyRecord {
  if (isKeyRecord(signingKey)) {
    const record = signingKey as PrivateKeyRecord;
    if (!usableRecords.has(record)) {
      assertRecordUsable(record, 'sig', 'private');
      if (Object.isFrozen(record) && Object.isFrozen(record.publicJwk)) usableRecords.add(record);
    }
    return record;
  }
  return importPrivateKey(signingKey, 'sig');
}

/**
 * Signs serialized alert bytes with the origin's private Ed25519 key (a JWK, or a key imported
 * once with importPrivateKey), synchronously. The protected header is
 * `{"alg":"EdDSA","kid":<kid>,"b64":false,"crit":["b64"]}`; the returned `alert` is a copy of
 * the bytes that were signed.
 */
export function signAlertSync(
  alertBytes: Uint8Array,
  signingKey: PrivateSigningJwk | PrivateKeyRecord,
  options: SignAlertOptions = {},
): SignedAlertParts {
  if (!(alertBytes instanceof Uint8Array)) {
    throw new CryptoError(
      'ERR_ARGUMENT_INVALID',
      `the alert must be bytes (a Uint8Array), not ${describeValue(alertBytes)}`,
    );
  }
  const record = recordOf(signingKey);
  if (options.at !== undefined) assertKeyValidAt(record.publicJwk, options.at);

  // A copy, so that what is returned is exactly what was signed even if the caller reuses its buffer.
  const alert = Uint8Array.from(alertBytes);
  const protectedHeader = protectedHeaderFor(record.kid);
  let signature: Uint8Array;
  try {
    signature = ed25519Sign(null, concatSigningInput(protectedHeader, alert), record.key);
  } catch (cause) {
    throw new SignatureError('ERR_SIGNING_FAILED', `could not sign with key ${JSON.stringify(record.kid)}`, {
      cause,
    });
  }
  if (signature.length !== ED25519_SIGNATURE_BYTES) {
    throw new SignatureError('ERR_SIGNING_FAILED', 'node:crypto returned no 64-byte Ed25519 signature');
  }
  return { alert, protectedHeader, signature: Uint8Array.from(signature) };
}

/** signAlertSync, as a promise (what callers of earlier versions await). */
export async function signAlert(
  alertBytes: Uint8Array,
  signingKey: PrivateSigningJwk | PrivateKeyRecord,
  options: SignAlertOptions = {},
): Promise<SignedAlertParts> {
  return signAlertSync(alertBytes, signingKey, options);
}
