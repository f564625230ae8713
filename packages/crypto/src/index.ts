/**
 * @enlace/crypto: the keys, key sets, signatures and encryption of Enlace alerts, on jose and
 * node:crypto. Alerts are signed as JWS with an unencoded detached payload (RFC 7797, Ed25519)
 * over their exact bytes; restricted bodies are JWE (general JSON, ECDH-ES+A256KW on X25519 per
 * recipient, A256GCM). Every function throws only CryptoError (or a subclass) with a stable code.
 */
export { decryptForRecipient } from './decrypt.js';
export { encryptForRecipients } from './encrypt.js';
export {
  CRYPTO_ERROR_CODES,
  CryptoError,
  EncryptionError,
  KeyError,
  MatchingError,
  SignatureError,
} from './errors.js';
export { importPrivateKey, importPublicKey } from './import-key.js';
export { listJweRecipients } from './jwe.js';
export { isKeyValidAt, parsePrivateJwk, parsePublicJwk, toPublicJwk } from './jwk.js';
export { createJwks, createJwksResolver, parseJwks } from './jwks.js';
export {
  canonicalIdentifier,
  generateMatchingKey,
  IDENTIFIER_KINDS,
  IDENTIFIER_VALUE_MAX,
  KEYED_DIGEST_LENGTH,
  keyedDigest,
  MATCHING_SECRET_LENGTH,
  matchingKeyToJson,
  parseMatchingKey,
} from './keyed-digest.js';
export { generateEncryptionKey, generateSigningKey } from './keys.js';
export { createKid, parseKid } from './kid.js';
export { signAlert, signAlertSync } from './sign.js';
export { signingInput } from './signing-input.js';
export { verifySignedAlert } from './verify.js';

export type { DecryptionKey } from './decrypt.js';
export type { JweRecipientKey } from './encrypt.js';
export type {
  CryptoErrorCode,
  EncryptionErrorCode,
  KeyErrorCode,
  MatchingErrorCode,
  SignatureErrorCode,
} from './errors.js';
export type { PrivateKeyRecord, PublicKeyRecord } from './import-key.js';
export type {
  PrivateEncryptionJwk,
  PrivateJwk,
  PrivateSigningJwk,
  PublicEncryptionJwk,
  PublicJwk,
  PublicSigningJwk,
} from './jwk.js';
export type { Jwks, KeyResolver } from './jwks.js';
export type { IdentifierKind, MatchingKey, MatchingKeyJwk } from './keyed-digest.js';
export type { EncryptionKeyPair, GenerateKeyOptions, KeyPair, SigningKeyPair } from './keys.js';
export type { KeyUse, ParsedKid } from './kid.js';
export type { ProtectedHeader } from './protected-header.js';
export type { SignAlertOptions } from './sign.js';
export type { SignedAlertParts } from './signing-input.js';
export type { VerifiedSignature, VerifySignedAlertOptions } from './verify.js';
