/**
 * The JWKs Enlace uses and their strict validation. A node has two key pairs per generation:
 * Ed25519 to sign alerts (`use: "sig"`, `alg: "EdDSA"`) and X25519 to receive encrypted bodies
 * (`use: "enc"`, `alg: "ECDH-ES+A256KW"`). Every key read from a file, a key set or the registry
 * goes through parsePublicJwk / parsePrivateJwk, which return a normalized copy holding only the
 * members Enlace understands, or throw a KeyError naming the key and the problem.
 *
 * Validity windows travel in the JWK as `nbf` and `exp` (NumericDate seconds, as in OpenID
 * Federation's historical keys): a key is valid from `nbf` inclusive to `exp` exclusive.
 */
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { isBase64urlOfLength } from './base64url.js';
import { describeValue, KeyError } from './errors.js';
import { isKidSyntax } from './kid.js';
import type { KeyUse } from './kid.js';

// Type aliases rather than interfaces: object types without an index signature of their own are
// still assignable to node:crypto's JsonWebKey, so `createPublicKey({ key: jwk, format: 'jwk' })`
// takes them as they are.

/** Members every Enlace JWK has, and the optional validity window. */
type OkpJwkBase = {
  kty: 'OKP';
  kid: string;
  /** The public key, 32 bytes in unpadded base64url. */
  x: string;
  /** Not valid before this NumericDate (seconds since the epoch). */
  nbf?: number;
  /** Not valid from this NumericDate on (seconds since the epoch), e.g. a revocation time. */
  exp?: number;
};

/** An origin's public Ed25519 key, as published in its JWKS. */
export type PublicSigningJwk = OkpJwkBase & {
  crv: 'Ed25519';
  use: 'sig';
  alg: 'EdDSA';
};

/** A node's private Ed25519 key: never leaves the node. */
export type PrivateSigningJwk = PublicSigningJwk & {
  /** The private key, 32 bytes in unpadded base64url. */
  d: string;
};

/** A recipient's public X25519 key, to which alert bodies are encrypted. */
export type PublicEncryptionJwk = OkpJwkBase & {
  crv: 'X25519';
  use: 'enc';
  alg: 'ECDH-ES+A256KW';
};

/** A node's private X25519 key: never leaves the node. */
export type PrivateEncryptionJwk = PublicEncryptionJwk & {
  d: string;
};

export type PublicJwk = PublicSigningJwk | PublicEncryptionJwk;
export type PrivateJwk = PrivateSigningJwk | PrivateEncryptionJwk;

/** What each use of key requires. */
export const KEY_KINDS = {
  sig: {
    crv: 'Ed25519',
    alg: 'EdDSA',
    nodeType: 'ed25519',
    label: 'Ed25519 signing key',
    purpose: 'signatures',
    ops: ['sign', 'verify'],
  },
  enc: {
    crv: 'X25519',
    alg: 'ECDH-ES+A256KW',
    nodeType: 'x25519',
    label: 'X25519 encryption key',
    purpose: 'encryption',
    ops: ['deriveKey', 'deriveBits'],
  },
} as const;

/** Private members of other key types: they have no place in an OKP key. */
const FOREIGN_PRIVATE_MEMBERS = ['p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'] as const;
const KEY_BYTES = 32;
const KEY_CHARS = 43;

/** A validated key with its node:crypto form, as the internal parse returns it. */
export interface ValidatedJwk {
  readonly jwk: PublicJwk | PrivateJwk;
  readonly publicJwk: PublicJwk;
  readonly use: KeyUse;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject | undefined;
}

export interface ValidateJwkOptions {
  /** The use the caller needs; another use is ERR_KEY_WRONG_TYPE. */
  readonly use?: KeyUse | undefined;
  /** `public`: a private member is ERR_KEY_WRONG_TYPE; `private`: its absence is. */
  readonly need: 'public' | 'private' | 'any';
  /** Names the key in messages, e.g. `keys[2]`; defaults to `JWK`. */
  readonly what?: string | undefined;
  /** Why the key is needed, for messages, e.g. `to sign`. */
  readonly purpose?: string | undefined;
}

/** Validates and normalizes a JWK and imports it into node:crypto. */
export function validateJwk(json: unknown, options: ValidateJwkOptions): ValidatedJwk {
  let what = options.what ?? 'JWK';
  const invalid = (problem: string, cause?: unknown): KeyError =>
    new KeyError(
      'ERR_JWK_INVALID',
      `${what} is invalid: ${problem}`,
      cause === undefined ? undefined : { cause },
    );
  const wrongType = (problem: string): KeyError => new KeyError('ERR_KEY_WRONG_TYPE', `${what} ${problem}`);

  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid(`a JWK must be a JSON object, not ${describeValue(json)}`);
  }
  const input = json as Record<string, unknown>;
  const kid = input['kid'];
  if (kid === undefined) throw invalid('"kid" is missing; every Enlace key has a key identifier');
  if (!isKidSyntax(kid)) {
    throw invalid(
      `"kid" must be 1 to 128 printable ASCII characters without spaces (got ${describeValue(kid)})`,
    );
  }
  what = `${what} ${JSON.stringify(kid)}`;

  const kty = input['kty'];
  if (typeof kty !== 'string') throw invalid(`"kty" is missing or not a string (got ${describeValue(kty)})`);
  if (kty !== 'OKP') {
    throw wrongType(
      `has kty ${describeValue(kty)}; Enlace keys are OKP keys (Ed25519 to sign, X25519 to encrypt)`,
    );
  }
  const crv = input['crv'];
  if (typeof crv !== 'string') throw invalid(`"crv" is missing or not a string (got ${describeValue(crv)})`);
  let use: KeyUse;
  if (crv === KEY_KINDS.sig.crv) use = 'sig';
  else if (crv === KEY_KINDS.enc.crv) use = 'enc';
  else
    throw wrongType(
      `has crv ${describeValue(crv)}; Enlace keys are Ed25519 (to sign) or X25519 (to encrypt)`,
    );
  const kind = KEY_KINDS[use];

  const declaredUse = input['use'];
  if (declaredUse === undefined) throw invalid(`"use" is missing; an ${crv} key must have "use": "${use}"`);
  if (declaredUse !== use) {
    throw invalid(
      `"use" is ${describeValue(declaredUse)}, but an ${crv} key is for ${kind.purpose} ("${use}")`,
    );
  }
  const alg = input['alg'];
  if (alg === undefined) throw invalid(`"alg" is missing; an ${crv} key must have "alg": "${kind.alg}"`);
  if (alg !== kind.alg)
    throw invalid(`"alg" is ${describeValue(alg)}, but an ${crv} key must have "${kind.alg}"`);

  if (options.use !== undefined && options.use !== use) {
    const needed = KEY_KINDS[options.use];
    throw wrongType(
      `is an ${kind.label} ("use": "${use}"); an ${needed.label} ("use": "${options.use}") is needed${options.purpose ? ` ${options.purpose}` : ''}`,
    );
  }

  const x = input['x'];
  if (!isBase64urlOfLength(x, KEY_BYTES)) {
    throw invalid(
      `"x" must be the ${KEY_BYTES}-byte public key in unpadded base64url (${KEY_CHARS} characters); got ${describeValue(x)}`,
    );
  }
  for (const member of FOREIGN_PRIVATE_MEMBERS) {
    if (member in input) throw invalid(`member "${member}" does not belong in an OKP key`);
  }
  const d = input['d'];
  if (d !== undefined && !isBase64urlOfLength(d, KEY_BYTES)) {
    // Never echo what might be a private key.
    throw invalid(
      `"d" must be the ${KEY_BYTES}-byte private key in unpadded base64url (${KEY_CHARS} characters)`,
    );
  }
  if (options.need === 'public' && d !== undefined) {
    throw wrongType(
      `is a private key (it has "d"); a public key is expected here${options.purpose ? ` ${options.purpose}` : ''}: publish only the public half and keep the private key secret`,
    );
  }
  if (options.need === 'private' && d === undefined) {
    throw wrongType(
      `is a public key (it has no "d"); the private key is needed${options.purpose ? ` ${options.purpose}` : ''}`,
    );
  }

  const nbf = input['nbf'];
  const exp = input['exp'];
  for (const [name, value] of [
    ['nbf', nbf],
    ['exp', exp],
  ] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) >= 0)) {
      throw invalid(
        `"${name}" must be a NumericDate (whole seconds since 1970), got ${describeValue(value)}`,
      );
    }
  }
  if (typeof nbf === 'number' && typeof exp === 'number' && exp <= nbf) {
    throw invalid(`"exp" (${exp}) must be later than "nbf" (${nbf})`);
  }
  const keyOps = input['key_ops'];
  if (keyOps !== undefined) {
    const allowed: readonly string[] = kind.ops;
    if (
      !Array.isArray(keyOps) ||
      keyOps.some((op) => typeof op !== 'string' || !allowed.includes(op)) ||
      new Set(keyOps).size !== keyOps.length
    ) {
      throw invalid(
        `"key_ops" must list distinct operations among ${allowed.map((op) => `"${op}"`).join(', ')}`,
      );
    }
  }
  if (input['ext'] !== undefined && typeof input['ext'] !== 'boolean')
    throw invalid('"ext" must be a boolean');

  const publicJwk = {
    kty: 'OKP',
    crv,
    kid,
    use,
    alg: kind.alg,
    x,
    ...(nbf === undefined ? {} : { nbf }),
    ...(exp === undefined ? {} : { exp }),
  } as PublicJwk;

  let publicKey: KeyObject;
  let privateKey: KeyObject | undefined;
  try {
    if (d === undefined) {
      publicKey = createPublicKey({ key: { kty: 'OKP', crv, x }, format: 'jwk' });
    } else {
      privateKey = createPrivateKey({ key: { kty: 'OKP', crv, x, d }, format: 'jwk' });
      publicKey = createPublicKey(privateKey);
    }
  } catch (cause) {
    throw invalid(`node:crypto cannot import it as an ${crv} key`, cause);
  }
  if (publicKey.asymmetricKeyType !== kind.nodeType) {
    throw invalid(`node:crypto imported it as ${describeValue(publicKey.asymmetricKeyType)}, not ${crv}`);
  }
  if (privateKey !== undefined) {
    // node:crypto derives the public key from "d" and ignores "x": a pair that does not match
    // would sign with one key while announcing another.
    const derived = publicKey.export({ format: 'jwk' }).x;
    if (derived !== x)
      throw invalid('"x" is not the public key of "d"; the two halves do not belong together');
  }
  const jwk = privateKey === undefined ? publicJwk : ({ ...publicJwk, d } as PrivateJwk);
  return { jwk, publicJwk, use, publicKey, privateKey };
}

/**
 * Validates a public JWK (e.g. from a JWKS) and returns a normalized copy. With `use`, a key for
 * another use is ERR_KEY_WRONG_TYPE; a key with private members always is.
 */
export function parsePublicJwk(json: unknown, use: 'sig'): PublicSigningJwk;
export function parsePublicJwk(json: unknown, use: 'enc'): PublicEncryptionJwk;
export function parsePublicJwk(json: unknown, use?: KeyUse): PublicJwk;
export function parsePublicJwk(json: unknown, use?: KeyUse): PublicJwk {
  return validateJwk(json, { use, need: 'public' }).publicJwk;
}

/**
 * Validates a private JWK (e.g. a node's key file) and returns a normalized copy. A public key, or
 * a key for another use than `use`, is ERR_KEY_WRONG_TYPE; `d` that does not match `x` is
 * ERR_JWK_INVALID.
 */
export function parsePrivateJwk(json: unknown, use: 'sig'): PrivateSigningJwk;
export function parsePrivateJwk(json: unknown, use: 'enc'): PrivateEncryptionJwk;
export function parsePrivateJwk(json: unknown, use?: KeyUse): PrivateJwk;
export function parsePrivateJwk(json: unknown, use?: KeyUse): PrivateJwk {
  const purpose = use === 'sig' ? 'to sign' : use === 'enc' ? 'to decrypt' : undefined;
  return validateJwk(json, { use, need: 'private', purpose }).jwk as PrivateJwk;
}

/** The public half of a key: the same members without `d`. The key is validated on the way. */
export function toPublicJwk(jwk: PublicSigningJwk): PublicSigningJwk;
export function toPublicJwk(jwk: PublicEncryptionJwk): PublicEncryptionJwk;
export function toPublicJwk(jwk: PublicJwk): PublicJwk;
export function toPublicJwk(jwk: PublicJwk): PublicJwk {
  return validateJwk(jwk, { need: 'any' }).publicJwk;
}

/**
 * True when the key's validity window (`nbf` inclusive, `exp` exclusive) contains `at`. A key
 * without `nbf` or `exp` is unbounded on that side.
 */
export function isKeyValidAt(jwk: Pick<PublicJwk, 'nbf' | 'exp'>, at: Date): boolean {
  const time = at.getTime();
  if (Number.isNaN(time)) return false;
  if (jwk.nbf !== undefined && time < jwk.nbf * 1000) return false;
  if (jwk.exp !== undefined && time >= jwk.exp * 1000) return false;
  return true;
}

/** Describes a key's validity window for messages. */
export function describeValidity(jwk: Pick<PublicJwk, 'nbf' | 'exp'>): string {
  const from = jwk.nbf === undefined ? 'any time' : new Date(jwk.nbf * 1000).toISOString();
  const until = jwk.exp === undefined ? 'no end' : new Date(jwk.exp * 1000).toISOString();
  return `valid from ${from} until ${until}`;
}
