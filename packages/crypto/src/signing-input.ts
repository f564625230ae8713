/**
 * The bytes an Enlace signature covers: ASCII(protected_header) || '.' || alert (RFC 7797 §3,
 * unencoded payload). Exposed so that other implementations and tests can check a signature with
 * nothing but an Ed25519 primitive.
 */
import { describeValue, SignatureError } from './errors.js';

/** The three fields of a SignedAlert (structurally the ts-proto `SignedAlert` of @enlace/schema). */
export interface SignedAlertParts {
  /** The serialized alert: exactly the signed bytes. */
  alert: Uint8Array;
  /** base64url of the JWS protected header. */
  protectedHeader: string;
  /** The Ed25519 signature, 64 bytes. */
  signature: Uint8Array;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const DOT = 0x2e;

/**
 * The signing input of a SignedAlert. Throws ERR_JWS_MALFORMED when the header is not a base64url
 * string or the alert is not bytes (the signature is not looked at).
 */
export function signingInput(parts: Pick<SignedAlertParts, 'alert' | 'protectedHeader'>): Uint8Array {
  if (typeof parts !== 'object' || parts === null) {
    throw new SignatureError(
      'ERR_JWS_MALFORMED',
      `a signed alert must be an object, not ${describeValue(parts)}`,
    );
  }
  const { alert, protectedHeader } = parts;
  if (typeof protectedHeader !== 'string' || !BASE64URL.test(protectedHeader)) {
    throw new SignatureError(
      'ERR_JWS_MALFORMED',
      `protected header must be a non-empty base64url string, not ${describeValue(protectedHeader)}`,
    );
  }
  if (!(alert instanceof Uint8Array)) {
    throw new SignatureError(
      'ERR_JWS_MALFORMED',
      `the alert must be bytes (a Uint8Array), not ${describeValue(alert)}`,
    );
  }
  return concatSigningInput(protectedHeader, alert);
}

/** signingInput without the checks, for callers that have made them. */
export function concatSigningInput(protectedHeader: string, alert: Uint8Array): Uint8Array {
  const headerLength = protectedHeader.length;
  const input = Buffer.allocUnsafe(headerLength + 1 + alert.length);
  input.write(protectedHeader, 0, headerLength, 'latin1');
  input[headerLength] = DOT;
  input.set(alert, headerLength + 1);
  return input;
}
