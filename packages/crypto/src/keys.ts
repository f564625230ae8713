/**
 * Key generation: a country's Ed25519 signing key pair and X25519 encryption key pair, as JWKs
 * with an Enlace kid (`MX-sig-2026-01`) and an optional validity window. The private halves stay
 * on the node that made them; the public halves go to the registry and into JWKS.
 */
import { generateKeyPair } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { promisify } from 'node:util';

import { CryptoError, describeValue, KeyError } from './errors.js';
import { KEY_KINDS } from './jwk.js';
import type {
  PrivateEncryptionJwk,
  PrivateJwk,
  PrivateSigningJwk,
  PublicEncryptionJwk,
  PublicJwk,
  PublicSigningJwk,
} from './jwk.js';
import { assertCountry, createKid, isKidSyntax, parseKid } from './kid.js';
import type { KeyUse } from './kid.js';

const generateOkpKeyPair = promisify(generateKeyPair) as (
  type: 'ed25519' | 'x25519',
  options: undefined,
) => Promise<{ publicKey: KeyObject; privateKey: KeyObject }>;

export interface GenerateKeyOptions {
  /** The owning country: two uppercase letters (ISO 3166-1 alpha-2). */
  country: string;
  /** Sequence number within the year for the default kid, 1–99 (default 1). Not with `kid`. */
  seq?: number;
  /**
   * An explicit kid instead of `<CC>-<use>-<yyyy>-<nn>`. If it follows the Enlace format, its
   * country and use must match.
   */
  kid?: string;
  /** The key is not valid before this time (JWK `nbf`); also gives the kid's year. */
  notBefore?: Date;
  /** The key is not valid from this time on (JWK `exp`). */
  notAfter?: Date;
  /** The current time, for the kid's year when there is no `notBefore` (default: now). */
  now?: Date;
}

/** A freshly generated key pair. `privateJwk` includes `d`; `publicJwk` does not. */
export interface KeyPair<Public extends PublicJwk, Private extends PrivateJwk> {
  readonly kid: string;
  readonly publicJwk: Public;
  readonly privateJwk: Private;
}

export type SigningKeyPair = KeyPair<PublicSigningJwk, PrivateSigningJwk>;
export type EncryptionKeyPair = KeyPair<PublicEncryptionJwk, PrivateEncryptionJwk>;

/** Generates an Ed25519 signing key pair (`use: "sig"`, `alg: "EdDSA"`). */
export async function generateSigningKey(options: GenerateKeyOptions): Promise<SigningKeyPair> {
  return (await generateOkpKey('sig', options)) as SigningKeyPair;
}

/** Generates an X25519 encryption key pair (`use: "enc"`, `alg: "ECDH-ES+A256KW"`). */
export async function generateEncryptionKey(options: GenerateKeyOptions): Promise<EncryptionKeyPair> {
  return (await generateOkpKey('enc', options)) as EncryptionKeyPair;
}

async function generateOkpKey(
  use: KeyUse,
  options: GenerateKeyOptions,
): Promise<KeyPair<PublicJwk, PrivateJwk>> {
  if (typeof options !== 'object' || options === null) {
    throw new CryptoError('ERR_ARGUMENT_INVALID', 'key generation needs options with at least a country');
  }
  const { country, seq, kid: explicitKid, notBefore, notAfter, now } = options;
  assertCountry(country);
  const nbf = notBefore === undefined ? undefined : numericDate(notBefore, 'notBefore');
  const exp = notAfter === undefined ? undefined : numericDate(notAfter, 'notAfter');
  if (nbf !== undefined && exp !== undefined && exp <= nbf) {
    throw new CryptoError('ERR_ARGUMENT_INVALID', 'notAfter must be later than notBefore (to the second)');
  }
  if (now !== undefined) numericDate(now, 'now');

  let kid: string;
  if (explicitKid === undefined) {
    kid = createKid(country, use, notBefore ?? now ?? new Date(), seq ?? 1);
  } else {
    if (seq !== undefined) {
      throw new CryptoError(
        'ERR_ARGUMENT_INVALID',
        'give either kid or seq, not both: seq only shapes the default kid',
      );
    }
    if (!isKidSyntax(explicitKid)) {
      throw new CryptoError(
        'ERR_ARGUMENT_INVALID',
        `kid must be 1 to 128 printable ASCII characters without spaces (got ${describeValue(explicitKid)})`,
      );
    }
    const parsed = parseKid(explicitKid);
    if (parsed && (parsed.country !== country || parsed.use !== use)) {
      throw new CryptoError(
        'ERR_ARGUMENT_INVALID',
        `kid ${JSON.stringify(explicitKid)} names a "${parsed.use}" key of ${parsed.country}, but this is a "${use}" key of ${country}`,
      );
    }
    kid = explicitKid;
  }

  const kind = KEY_KINDS[use];
  let exported: { x?: string; d?: string };
  try {
    const { privateKey } = await generateOkpKeyPair(kind.nodeType, undefined);
    exported = privateKey.export({ format: 'jwk' });
  } catch (cause) {
    throw new KeyError('ERR_KEY_GENERATION_FAILED', `could not generate an ${kind.crv} key pair`, { cause });
  }
  if (typeof exported.x !== 'string' || typeof exported.d !== 'string') {
    throw new KeyError(
      'ERR_KEY_GENERATION_FAILED',
      `node:crypto exported an ${kind.crv} key without "x" or "d"`,
    );
  }
  const publicJwk = {
    kty: 'OKP',
    crv: kind.crv,
    kid,
    use,
    alg: kind.alg,
    x: exported.x,
    ...(nbf === undefined ? {} : { nbf }),
    ...(exp === undefined ? {} : { exp }),
  } as PublicJwk;
  return { kid, publicJwk, privateJwk: { ...publicJwk, d: exported.d } as PrivateJwk };
}

function numericDate(date: Date, name: string): number {
  const time = date instanceof Date ? date.getTime() : NaN;
  if (!Number.isFinite(time) || time < 0) {
    throw new CryptoError('ERR_ARGUMENT_INVALID', `${name} must be a valid Date on or after 1970-01-01`);
  }
  return Math.floor(time / 1000);
}
