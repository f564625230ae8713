/**
 * Signing an alert: a JWS with an unencoded, detached payload (RFC 7797) over the exact alert
 * bytes, made with jose's FlattenedSign. The result is the three fields of a SignedAlert; any JOSE
 * library, or a bare Ed25519 verify over signingInput(), checks it with the origin's public JWK.
 */
import { FlattenedSign } from 'jose';

import { decodeBase64url } from './base64url.js';
import { CryptoError, describeValue, SignatureError } from './errors.js';
import { assertKeyValidAt, assertRecordUsable, importPrivateKey, isKeyRecord } from './import-key.js';
import type { PrivateKeyRecord } from './import-key.js';
import type { PrivateSigningJwk } from './jwk.js';
import { SIGNATURE_ALGORITHM } from './protected-header.js';
import type { SignedAlertParts } from './signing-input.js';

export interface SignAlertOptions {
  /**
   * The time the alert is issued (its `issued_at`): signing fails with ERR_KEY_OUTSIDE_VALIDITY
   * when the key's validity window excludes it, as every receiver would reject the alert.
   */
  at?: Date;
}

const ED25519_SIGNATURE_BYTES = 64;

/**
 * Signs serialized alert bytes with the origin's private Ed25519 key (a JWK, or a key imported
 * once with importPrivateKey). The protected header is
 * `{"alg":"EdDSA","kid":<kid>,"b64":false,"crit":["b64"]}`; the returned `alert` is a copy of
 * the bytes that were signed.
 */
export async function signAlert(
  alertBytes: Uint8Array,
  signingKey: PrivateSigningJwk | PrivateKeyRecord,
  options: SignAlertOptions = {},
): Promise<SignedAlertParts> {
  if (!(alertBytes instanceof Uint8Array)) {
    throw new CryptoError(
      'ERR_ARGUMENT_INVALID',
      `the alert must be bytes (a Uint8Array), not ${describeValue(alertBytes)}`,
    );
  }
  let record: PrivateKeyRecord;
  if (isKeyRecord(signingKey)) {
    assertRecordUsable(signingKey, 'sig', 'private');
    record = signingKey as PrivateKeyRecord;
  } else {
    record = importPrivateKey(signingKey, 'sig');
  }
  if (options.at !== undefined) assertKeyValidAt(record.publicJwk, options.at);

  // A copy, so that what is returned is exactly what was signed even if the caller reuses its buffer.
  const alert = Uint8Array.from(alertBytes);
  let protectedHeader: string | undefined;
  let signature: Uint8Array | undefined;
  try {
    const jws = await new FlattenedSign(alert)
      .setProtectedHeader({ alg: SIGNATURE_ALGORITHM, kid: record.kid, b64: false, crit: ['b64'] })
      .sign(record.key);
    protectedHeader = jws.protected;
    signature = decodeBase64url(jws.signature);
  } catch (cause) {
    throw new SignatureError('ERR_SIGNING_FAILED', `could not sign with key ${JSON.stringify(record.kid)}`, {
      cause,
    });
  }
  if (protectedHeader === undefined || signature?.length !== ED25519_SIGNATURE_BYTES) {
    throw new SignatureError(
      'ERR_SIGNING_FAILED',
      'the JOSE library returned no protected header or no 64-byte signature',
    );
  }
  return { alert, protectedHeader, signature: Uint8Array.from(signature) };
}
