/**
 * Verifying a SignedAlert: the protected header is read strictly (alg EdDSA, b64 false, crit
 * exactly ["b64"], a kid), the kid is resolved to the origin's public key, and the Ed25519
 * signature is checked over ASCII(protected_header) || '.' || alert. This runs for every inbound
 * alert, so the check itself is one node:crypto verify on an already imported key, run on the
 * thread pool; it accepts exactly what jose's flattenedVerify accepts for the same header and
 * key (see verify.spec.ts).
 */
import { verify as verifyEd25519 } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { CryptoError, describeValue, KeyError, SignatureError } from './errors.js';
import { assertKeyValidAt, assertRecordUsable, isKeyRecord } from './import-key.js';
import type { PublicKeyRecord } from './import-key.js';
import type { KeyResolver } from './jwks.js';
import { parseProtectedHeader, SIGNATURE_ALGORITHM } from './protected-header.js';
import type { ProtectedHeader } from './protected-header.js';
import { concatSigningInput } from './signing-input.js';
import type { SignedAlertParts } from './signing-input.js';

/** What a verified signature establishes: which key signed, under which header. */
export interface VerifiedSignature {
  readonly kid: string;
  readonly alg: 'EdDSA';
  /** The decoded protected header (frozen). */
  readonly protectedHeader: ProtectedHeader;
  /** The key that verified the signature, with its validity window. */
  readonly key: PublicKeyRecord;
}

export interface VerifySignedAlertOptions {
  /**
   * The alert's `issued_at`: when given, the key must be valid then (ERR_KEY_OUTSIDE_VALIDITY
   * otherwise), so that a revoked or expired key stops verifying from its end time.
   */
  at?: Date;
}

const ED25519_SIGNATURE_BYTES = 64;

/**
 * Verifies a SignedAlert's signature with the key its header names. Throws a CryptoError:
 * ERR_JWS_MALFORMED for a header (or field) that is not an Enlace JWS, ERR_KEY_UNKNOWN when the
 * resolver knows no key under the kid, ERR_KEY_WRONG_TYPE when that key is not an Ed25519 signing
 * key, ERR_KEY_RESOLUTION_FAILED when the resolver failed, ERR_KEY_OUTSIDE_VALIDITY (with `at`),
 * and ERR_SIGNATURE_INVALID when the signature does not verify.
 */
export async function verifySignedAlert(
  parts: SignedAlertParts,
  resolver: KeyResolver,
  options: VerifySignedAlertOptions = {},
): Promise<VerifiedSignature> {
  if (typeof parts !== 'object' || parts === null) {
    throw new SignatureError(
      'ERR_JWS_MALFORMED',
      `a signed alert must be an object, not ${describeValue(parts)}`,
    );
  }
  if (typeof resolver !== 'object' || resolver === null || typeof resolver.resolve !== 'function') {
    throw new CryptoError('ERR_ARGUMENT_INVALID', 'verification needs a KeyResolver ({ resolve(kid) })');
  }
  const { alert, protectedHeader: encodedHeader, signature } = parts;
  const header = parseProtectedHeader(encodedHeader);
  if (!(alert instanceof Uint8Array)) {
    throw new SignatureError(
      'ERR_JWS_MALFORMED',
      `the alert must be bytes (a Uint8Array), not ${describeValue(alert)}`,
    );
  }
  if (!(signature instanceof Uint8Array)) {
    throw new SignatureError(
      'ERR_JWS_MALFORMED',
      `the signature must be bytes (a Uint8Array), not ${describeValue(signature)}`,
    );
  }
  const kid = header.kid;
  if (signature.length !== ED25519_SIGNATURE_BYTES) {
    throw new SignatureError(
      'ERR_SIGNATURE_INVALID',
      `signature by ${JSON.stringify(kid)} is ${signature.length} bytes; an Ed25519 signature is ${ED25519_SIGNATURE_BYTES}`,
    );
  }

  const record = await resolveKey(resolver, kid);
  assertRecordUsable(record, 'sig', 'public', kid);
  if (options.at !== undefined) assertKeyValidAt(record.jwk, options.at);

  let valid: boolean;
  try {
    valid = await verifyInThreadPool(concatSigningInput(encodedHeader, alert), record.key, signature);
  } catch (cause) {
    throw new SignatureError(
      'ERR_SIGNATURE_INVALID',
      `signature could not be checked with key ${JSON.stringify(kid)}`,
      {
        cause,
      },
    );
  }
  if (!valid) {
    throw new SignatureError(
      'ERR_SIGNATURE_INVALID',
      `signature does not verify with key ${JSON.stringify(kid)}: the alert, its header or its signature was altered, or it was signed with another key`,
    );
  }
  return { kid, alg: SIGNATURE_ALGORITHM, protectedHeader: header, key: record };
}

/**
 * node:crypto's one-shot verify with a callback runs on libuv's thread pool: on a machine with
 * more than one core, many inbound alerts are verified at once while the event loop decodes,
 * applies policy and stores others (the pool has 4 threads unless UV_THREADPOOL_SIZE says more).
 */
function verifyInThreadPool(input: Uint8Array, key: KeyObject, signature: Uint8Array): Promise<boolean> {
  return new Promise((resolve, reject) => {
    verifyEd25519(null, input, key, signature, (error, valid) => (error ? reject(error) : resolve(valid)));
  });
}

async function resolveKey(resolver: KeyResolver, kid: string): Promise<PublicKeyRecord> {
  let record: unknown;
  try {
    record = await resolver.resolve(kid);
  } catch (cause) {
    if (cause instanceof CryptoError) throw cause;
    throw new KeyError(
      'ERR_KEY_RESOLUTION_FAILED',
      `could not look up key ${JSON.stringify(kid)}: ${describeCause(cause)}`,
      {
        cause,
      },
    );
  }
  if (record === undefined) {
    throw new KeyError('ERR_KEY_UNKNOWN', `no key is known under kid ${JSON.stringify(kid)}`);
  }
  if (!isKeyRecord(record)) {
    throw new KeyError(
      'ERR_KEY_WRONG_TYPE',
      `the key resolver returned ${describeValue(record)} for ${JSON.stringify(kid)}, not a key record with an imported key`,
    );
  }
  return record as PublicKeyRecord;
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? cause.message : describeValue(cause);
}
