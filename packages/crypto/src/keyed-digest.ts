/**
 * Keyed digests for hit/no-hit matching (in the spirit of FIU.net's Ma3tch): a member turns a
 * document or account number into HMAC-SHA256(matching key of the network, canonical identifier)
 * and shares only that digest. Whoever holds the same number and the same key computes the same
 * digest; nobody without the key can test guesses against it.
 *
 * The canonical identifier is `<kind>:<CC>:<VALUE>` (proto `enlace.alert.v1.KeyedDigest`): kind
 * `doc` or `acct`, CC the issuing or account country in upper case, VALUE the number in upper
 * case without spaces, hyphens, dots or slashes, e.g. `doc:CR:A01234567`. Every party must build
 * exactly the same string, so anything else (letters outside A–Z, a lone separator) is refused
 * rather than guessed at.
 *
 * A matching key travels as a JWK of type `oct` (so any JOSE library can use it as an HS256 key)
 * with the network it belongs to: `{ "kty": "oct", "alg": "HS256", "kid", "network", "k" }`.
 */
import { createHmac, randomBytes } from 'node:crypto';

import { decodeBase64url, encodeBase64url } from './base64url.js';
import { CryptoError, describeValue, MatchingError } from './errors.js';
import { isKidSyntax } from './kid.js';

/** Bytes of a matching key's secret and of every keyed digest (HMAC-SHA256). */
export const MATCHING_SECRET_LENGTH = 32;
export const KEYED_DIGEST_LENGTH = 32;

/** What an identifier is: a travel or identity document number, or a financial account identifier. */
export type IdentifierKind = 'doc' | 'acct';

export const IDENTIFIER_KINDS: readonly IdentifierKind[] = Object.freeze(['doc', 'acct'] as const);

/** Longest VALUE accepted after normalisation (an IBAN has at most 34 characters). */
export const IDENTIFIER_VALUE_MAX = 128;

/** The secret of one network's matching: held by its members, never sent to the feed service. */
export interface MatchingKey {
  /** e.g. `fiu-exchange-match-2026-01`; digests only match under the same key id. */
  readonly keyId: string;
  /** The network the key belongs to, e.g. `fiu-exchange`. */
  readonly network: string;
  /** 32 random bytes. */
  readonly secret: Uint8Array;
}

/** The file form of a matching key: a symmetric JWK plus the network. Keep it like a private key. */
export type MatchingKeyJwk = {
  kty: 'oct';
  alg: 'HS256';
  kid: string;
  network: string;
  /** The secret, 32 bytes in unpadded base64url. */
  k: string;
};

const NETWORK_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const NETWORK_ID_MAX = 64;
const COUNTRY = /^[A-Z]{2}$/;
/** What a value may contain besides letters and digits; removed before digesting. */
const SEPARATORS = /[\s./-]+/g;
const ALPHANUMERIC = /^[A-Za-z0-9]+$/;

/**
 * The canonical identifier `<kind>:<CC>:<VALUE>`. The country may be given in lower case; the
 * value loses white space, hyphens, dots and slashes and is upper-cased. Throws MatchingError
 * `ERR_DIGEST_INPUT` for an unknown kind, a country that is not two letters, or a value that is
 * empty, too long or holds anything but ASCII letters and digits. Messages never repeat the value:
 * it is the very thing matching keeps private.
 */
export function canonicalIdentifier(kind: IdentifierKind, country: string, value: string): string {
  if (!IDENTIFIER_KINDS.includes(kind)) {
    throw new MatchingError('ERR_DIGEST_INPUT', `kind must be "doc" or "acct" (got ${describeValue(kind)})`);
  }
  const cc = typeof country === 'string' ? country.trim().toUpperCase() : '';
  if (!COUNTRY.test(cc)) {
    throw new MatchingError(
      'ERR_DIGEST_INPUT',
      `country must be an ISO 3166-1 alpha-2 code such as "CR" (got ${describeValue(country)})`,
    );
  }
  if (typeof value !== 'string') {
    throw new MatchingError('ERR_DIGEST_INPUT', `value must be a string (got ${describeValue(value)})`);
  }
  const bare = value.replace(SEPARATORS, '');
  if (bare === '') {
    throw new MatchingError(
      'ERR_DIGEST_INPUT',
      'value is empty once spaces, hyphens, dots and slashes are removed',
    );
  }
  if (bare.length > IDENTIFIER_VALUE_MAX) {
    throw new MatchingError(
      'ERR_DIGEST_INPUT',
      `value has ${bare.length} characters once separators are removed (at most ${IDENTIFIER_VALUE_MAX})`,
    );
  }
  // Tested before upper-casing: toUpperCase maps some non-ASCII letters onto ASCII ("ß" → "SS").
  if (!ALPHANUMERIC.test(bare)) {
    const bad = [...bare].find((char) => !ALPHANUMERIC.test(char)) ?? '';
    throw new MatchingError(
      'ERR_DIGEST_INPUT',
      `value may hold only letters A-Z, digits and separators (space - . /); found ${describeValue(bad)} ` +
        `(U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')})`,
    );
  }
  return `${kind}:${cc}:${bare.toUpperCase()}`;
}

/** HMAC-SHA256 under the matching key of the canonical identifier of (kind, country, value). */
export function keyedDigest(
  key: MatchingKey,
  kind: IdentifierKind,
  country: string,
  value: string,
): Uint8Array {
  assertMatchingKey(key);
  const canonical = canonicalIdentifier(kind, country, value);
  const mac = createHmac('sha256', key.secret).update(canonical, 'utf8').digest();
  return new Uint8Array(mac.buffer, mac.byteOffset, mac.byteLength);
}

/**
 * A fresh matching key for `network`: 32 random bytes, key id `<network>-match-<yyyy>-01` unless
 * given. Made once per network and generation, then distributed to its members out of band.
 */
export function generateMatchingKey(network: string, keyId?: string): MatchingKey {
  if (!isNetworkId(network)) {
    throw new CryptoError(
      'ERR_ARGUMENT_INVALID',
      `network must be a network id such as "fiu-exchange" (got ${describeValue(network)})`,
    );
  }
  const kid = keyId ?? `${network}-match-${new Date().getUTCFullYear()}-01`;
  if (!isKidSyntax(kid)) {
    throw new CryptoError(
      'ERR_ARGUMENT_INVALID',
      `keyId must be 1 to 128 printable ASCII characters without spaces (got ${describeValue(keyId)})`,
    );
  }
  const secret = randomBytes(MATCHING_SECRET_LENGTH);
  return { keyId: kid, network, secret: new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength) };
}

/** The JWK file form of a matching key. */
export function matchingKeyToJson(key: MatchingKey): MatchingKeyJwk {
  assertMatchingKey(key);
  return { kty: 'oct', alg: 'HS256', kid: key.keyId, network: key.network, k: encodeBase64url(key.secret) };
}

/**
 * Reads a matching key from its JWK file form (an object, or its JSON text). Strict: `kty` must
 * be "oct", `alg` "HS256" when present, `kid` a key id, `network` a network id, `k` canonical
 * base64url of exactly 32 bytes. Throws MatchingError `ERR_MATCHING_KEY_INVALID` naming the member.
 */
export function parseMatchingKey(json: unknown): MatchingKey {
  let value = json;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch (cause) {
      throw new MatchingError('ERR_MATCHING_KEY_INVALID', 'a matching key must be JSON', { cause });
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MatchingError(
      'ERR_MATCHING_KEY_INVALID',
      `a matching key must be a JSON object (got ${describeValue(value)})`,
    );
  }
  const jwk = value as Record<string, unknown>;
  const invalid = (member: string, rule: string): MatchingError =>
    new MatchingError(
      'ERR_MATCHING_KEY_INVALID',
      `matching key member "${member}" ${rule} (got ${member === 'k' ? describeSecret(jwk[member]) : describeValue(jwk[member])})`,
    );
  if (jwk['kty'] !== 'oct') throw invalid('kty', 'must be "oct"');
  if (jwk['alg'] !== undefined && jwk['alg'] !== 'HS256') throw invalid('alg', 'must be "HS256"');
  if (!isKidSyntax(jwk['kid']))
    throw invalid('kid', 'must be a key id of 1 to 128 printable ASCII characters');
  if (!isNetworkId(jwk['network'])) throw invalid('network', 'must be a network id such as "fiu-exchange"');
  const k = jwk['k'];
  const secret = typeof k === 'string' ? decodeBase64url(k) : undefined;
  if (secret?.length !== MATCHING_SECRET_LENGTH) {
    throw invalid('k', `must be ${MATCHING_SECRET_LENGTH} bytes in unpadded base64url`);
  }
  return { keyId: jwk['kid'], network: jwk['network'], secret: Uint8Array.from(secret) };
}

function assertMatchingKey(key: MatchingKey): void {
  if (
    typeof key !== 'object' ||
    key === null ||
    !isKidSyntax(key.keyId) ||
    typeof key.network !== 'string' ||
    !(key.secret instanceof Uint8Array) ||
    key.secret.length !== MATCHING_SECRET_LENGTH
  ) {
    throw new CryptoError(
      'ERR_ARGUMENT_INVALID',
      `a matching key needs a keyId, a network and a ${MATCHING_SECRET_LENGTH}-byte secret`,
    );
  }
}

function isNetworkId(id: unknown): id is string {
  return typeof id === 'string' && id.length <= NETWORK_ID_MAX && NETWORK_ID.test(id);
}

/** Says what is wrong with a would-be secret without printing any of it. */
function describeSecret(k: unknown): string {
  if (typeof k !== 'string') return describeValue(k);
  const bytes = decodeBase64url(k);
  return bytes === undefined
    ? `${k.length} characters that are not canonical base64url`
    : `${bytes.length} bytes`;
}
