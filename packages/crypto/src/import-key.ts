/**
 * Imported keys: a validated JWK together with its node:crypto KeyObject, made once and reused, so
 * that verifying or signing a message never parses or imports a key again. Key resolvers return
 * PublicKeyRecords; a node that signs many alerts imports its private key once with
 * importPrivateKey.
 */
import { KeyObject } from 'node:crypto';

import { describeValue, KeyError } from './errors.js';
import { describeValidity, isKeyValidAt, KEY_KINDS, validateJwk } from './jwk.js';
import type { PublicEncryptionJwk, PublicJwk, PublicSigningJwk, ValidatedJwk } from './jwk.js';
import type { KeyUse } from './kid.js';

/** A public key ready for use: what a KeyResolver returns. */
export interface PublicKeyRecord {
  readonly kid: string;
  readonly use: KeyUse;
  /** The normalized public JWK (frozen), with its validity window if any. */
  readonly jwk: Readonly<PublicJwk>;
  /** The imported public key. */
  readonly key: KeyObject;
}

/** A private key ready for use. Holds no JWK with `d`: the secret lives only in the KeyObject. */
export interface PrivateKeyRecord {
  readonly kid: string;
  readonly use: KeyUse;
  /** The public half (frozen), with its validity window if any. */
  readonly publicJwk: Readonly<PublicJwk>;
  /** The imported private key. */
  readonly key: KeyObject;
}

/** Validates a public JWK and imports it. With `use`, a key for another use is ERR_KEY_WRONG_TYPE. */
export function importPublicKey(jwk: unknown, use?: KeyUse): PublicKeyRecord {
  return toPublicKeyRecord(validateJwk(jwk, { use, need: 'public' }));
}

/** The record of a validated public key (internal: resolvers build theirs through it). */
export function toPublicKeyRecord(validated: ValidatedJwk): PublicKeyRecord {
  return Object.freeze({
    kid: validated.publicJwk.kid,
    use: validated.use,
    jwk: Object.freeze(validated.publicJwk),
    key: validated.publicKey,
  });
}

/**
 * Validates a private JWK and imports it. A public key, or a key for another use than `use`, is
 * ERR_KEY_WRONG_TYPE; `d` that does not match `x` is ERR_JWK_INVALID.
 */
export function importPrivateKey(jwk: unknown, use?: KeyUse): PrivateKeyRecord {
  const purpose = use === 'sig' ? 'to sign' : use === 'enc' ? 'to decrypt' : undefined;
  const validated = validateJwk(jwk, { use, need: 'private', purpose });
  return Object.freeze({
    kid: validated.publicJwk.kid,
    use: validated.use,
    publicJwk: Object.freeze(validated.publicJwk),
    key: validated.privateKey!,
  });
}

/** True for something shaped like a key record (rather than a JWK): it holds a KeyObject in `key`. */
export function isKeyRecord(value: unknown): value is PublicKeyRecord | PrivateKeyRecord {
  return typeof value === 'object' && value !== null && (value as { key?: unknown }).key instanceof KeyObject;
}

/**
 * Checks that a record (which a custom resolver may have built by hand) holds a key of the kind
 * `use` needs, of the right type, under the expected kid; throws ERR_KEY_WRONG_TYPE otherwise.
 */
export function assertRecordUsable(
  record: PublicKeyRecord | PrivateKeyRecord,
  use: KeyUse,
  type: 'public' | 'private',
  kid?: string,
): void {
  const jwk: Readonly<PublicJwk> | undefined = 'jwk' in record ? record.jwk : record.publicJwk;
  const kind = KEY_KINDS[use];
  const name = `key ${describeValue(record.kid)}`;
  if (kid !== undefined && (record.kid !== kid || jwk?.kid !== kid)) {
    throw new KeyError(
      'ERR_KEY_WRONG_TYPE',
      `the key resolver returned ${name} when asked for ${describeValue(kid)}; a key must be filed under its own kid`,
    );
  }
  if (record.use !== use) {
    const actual =
      record.use === 'sig' || record.use === 'enc'
        ? `an ${KEY_KINDS[record.use].label}`
        : 'a key of unknown use';
    throw new KeyError(
      'ERR_KEY_WRONG_TYPE',
      `${name} is ${actual} ("use": ${describeValue(record.use)}); an ${kind.label} ("use": "${use}") is needed`,
    );
  }
  if (jwk?.use !== use || jwk.crv !== kind.crv || jwk.alg !== kind.alg) {
    throw new KeyError(
      'ERR_KEY_WRONG_TYPE',
      `${name} is filed for "use": "${use}" but its JWK is not an ${kind.label} (crv ${describeValue(jwk?.crv)}, use ${describeValue(jwk?.use)}, alg ${describeValue(jwk?.alg)})`,
    );
  }
  if (record.key.type !== type || record.key.asymmetricKeyType !== kind.nodeType) {
    throw new KeyError(
      'ERR_KEY_WRONG_TYPE',
      `${name} holds a ${record.key.type} ${record.key.asymmetricKeyType ?? 'secret'} KeyObject; a ${type} ${kind.nodeType} key is needed`,
    );
  }
}

/** Throws ERR_KEY_OUTSIDE_VALIDITY unless the key is valid at `at`. */
export function assertKeyValidAt(jwk: Readonly<PublicSigningJwk | PublicEncryptionJwk>, at: Date): void {
  if (!isKeyValidAt(jwk, at)) {
    const when = Number.isNaN(at.getTime()) ? 'an invalid date' : at.toISOString();
    throw new KeyError(
      'ERR_KEY_OUTSIDE_VALIDITY',
      `key ${describeValue(jwk.kid)} is not valid at ${when} (${describeValidity(jwk)})`,
    );
  }
}
