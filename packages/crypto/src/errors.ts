/**
 * Errors of @enlace/crypto: one base class with a stable `code` from a closed union, and one
 * subclass per concern (keys, signatures, encryption, matching). Every public function throws
 * only these; a jose or node:crypto error that gets this far is wrapped and kept as `cause`.
 */

/** Stable codes of the errors about keys and key sets. */
export type KeyErrorCode =
  /** A JWK that is malformed: a missing or inconsistent member, bad base64url, wrong length. */
  | 'ERR_JWK_INVALID'
  /** A JWK Set that is malformed: not `{ keys: [...] }`, a duplicate kid, an invalid key in it. */
  | 'ERR_JWKS_INVALID'
  /** A well-formed key of the wrong kind for the job: X25519 to sign, public where private is needed. */
  | 'ERR_KEY_WRONG_TYPE'
  /** No key is known under the kid a message names. */
  | 'ERR_KEY_UNKNOWN'
  /** The key exists but its validity window (JWK `nbf` / `exp`) excludes the time in question. */
  | 'ERR_KEY_OUTSIDE_VALIDITY'
  /** A key resolver failed (e.g. the registry could not be reached): retrying may succeed. */
  | 'ERR_KEY_RESOLUTION_FAILED'
  /** The platform could not generate a key pair. */
  | 'ERR_KEY_GENERATION_FAILED';

/** Stable codes of the errors about JWS signatures. */
export type SignatureErrorCode =
  /** The protected header is not an Enlace JWS header (encoding, JSON, alg, b64, crit, kid). */
  | 'ERR_JWS_MALFORMED'
  /** The signature does not verify with the key named by the header. */
  | 'ERR_SIGNATURE_INVALID'
  /** Signing failed in the JOSE library or the platform. */
  | 'ERR_SIGNING_FAILED';

/** Stable codes of the errors about JWE encryption. */
export type EncryptionErrorCode =
  /** Not a JWE in general JSON serialization as Enlace writes it. */
  | 'ERR_JWE_MALFORMED'
  /** The JWE has no recipient entry for the given key's kid. */
  | 'ERR_JWE_NOT_RECIPIENT'
  /** Decryption failed: the key does not match, or the JWE was altered. */
  | 'ERR_JWE_DECRYPTION_FAILED'
  /** Encryption failed in the JOSE library or the platform. */
  | 'ERR_ENCRYPTION_FAILED';

/** Stable codes of the errors about hit/no-hit matching: keyed digests and matching keys. */
export type MatchingErrorCode =
  /** An identifier with no canonical form: unknown kind, bad country, empty or non-alphanumeric value. */
  | 'ERR_DIGEST_INPUT'
  /** A matching key (or its JWK file form) that is malformed: a missing member, a secret not 32 bytes. */
  | 'ERR_MATCHING_KEY_INVALID';

/** Stable codes of every error this package throws. */
export type CryptoErrorCode =
  /** A caller passed an argument outside the function's contract (not data from the wire). */
  'ERR_ARGUMENT_INVALID' | KeyErrorCode | SignatureErrorCode | EncryptionErrorCode | MatchingErrorCode;

/** Every CryptoErrorCode, e.g. to map them onto rejection reasons exhaustively. */
export const CRYPTO_ERROR_CODES: readonly CryptoErrorCode[] = Object.freeze([
  'ERR_ARGUMENT_INVALID',
  'ERR_JWK_INVALID',
  'ERR_JWKS_INVALID',
  'ERR_KEY_WRONG_TYPE',
  'ERR_KEY_UNKNOWN',
  'ERR_KEY_OUTSIDE_VALIDITY',
  'ERR_KEY_RESOLUTION_FAILED',
  'ERR_KEY_GENERATION_FAILED',
  'ERR_JWS_MALFORMED',
  'ERR_SIGNATURE_INVALID',
  'ERR_SIGNING_FAILED',
  'ERR_JWE_MALFORMED',
  'ERR_JWE_NOT_RECIPIENT',
  'ERR_JWE_DECRYPTION_FAILED',
  'ERR_ENCRYPTION_FAILED',
  'ERR_DIGEST_INPUT',
  'ERR_MATCHING_KEY_INVALID',
] satisfies CryptoErrorCode[]);

/** Base class of every error thrown by @enlace/crypto. */
export class CryptoError extends Error {
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CryptoError';
    this.code = code;
  }
}

/** A key or key set that is malformed, of the wrong kind, unknown or not valid at the time. */
export class KeyError extends CryptoError {
  declare readonly code: KeyErrorCode;

  constructor(code: KeyErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'KeyError';
  }
}

/** A JWS that is malformed or whose signature does not verify, or a signing failure. */
export class SignatureError extends CryptoError {
  declare readonly code: SignatureErrorCode;

  constructor(code: SignatureErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'SignatureError';
  }
}

/** A JWE that is malformed, not for this recipient or does not decrypt, or an encryption failure. */
export class EncryptionError extends CryptoError {
  declare readonly code: EncryptionErrorCode;

  constructor(code: EncryptionErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'EncryptionError';
  }
}

/** An identifier that cannot be digested, or a matching key that is malformed. */
export class MatchingError extends CryptoError {
  declare readonly code: MatchingErrorCode;

  constructor(code: MatchingErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'MatchingError';
  }
}

/** Renders an untrusted value for an error message: JSON-quoted, control characters escaped, bounded. */
export function describeValue(value: unknown, max = 64): string {
  let text: string;
  if (typeof value === 'string')
    text = JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
  else if (value === null) text = 'null';
  else if (Array.isArray(value)) text = 'an array';
  else if (value instanceof Uint8Array) text = `${value.length} bytes`;
  else if (typeof value === 'object') text = 'an object';
  else if (typeof value === 'undefined') text = 'nothing';
  else text = String(value).slice(0, max);
  return text;
}
