/**
 * Keyed digests for hit/no-hit matching, computed in the browser with WebCrypto: the same
 * HMAC-SHA256 of `<kind>:<CC>:<VALUE>` under the network's matching key as `enlace match digest`
 * (@enlace/crypto keyedDigest), with the same normalisation — the value loses white space,
 * hyphens, dots and slashes and is upper-cased; anything but ASCII letters and digits is refused,
 * never guessed at (keyed-digest.spec.ts compares both for the same inputs). Clear values and the
 * key's secret stay in the page: only digests are sent.
 */

export type IdentifierKind = 'doc' | 'acct';

/** What is wrong with an input; the page says it in the user's language. */
export type DigestIssue =
  | 'kind'
  | 'country'
  | 'empty'
  | 'too-long'
  | 'character'
  | 'key-json'
  | 'key-kty'
  | 'key-alg'
  | 'key-kid'
  | 'key-network'
  | 'key-k';

export class DigestInputError extends Error {
  override readonly name = 'DigestInputError';
  constructor(
    readonly code: 'ERR_DIGEST_INPUT' | 'ERR_MATCHING_KEY_INVALID',
    readonly issue: DigestIssue,
    /** The offending character for `character` (never the value itself). */
    readonly detail?: string,
  ) {
    super(`${code}: ${issue}${detail === undefined ? '' : ` ${detail}`}`);
  }
}

/** WebCrypto's key type, named from the API (the spec is type-checked with Node's types, not the DOM's). */
type HmacKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

/** A matching key read from its JWK file, its secret imported as a non-extractable HMAC key. */
export interface BrowserMatchingKey {
  readonly keyId: string;
  readonly network: string;
  readonly key: HmacKey;
}

/** Same limits as @enlace/crypto. */
export const IDENTIFIER_VALUE_MAX = 128;
const SECRET_LENGTH = 32;
const COUNTRY = /^[A-Z]{2}$/;
const SEPARATORS = /[\s./-]+/g;
const ALPHANUMERIC = /^[A-Za-z0-9]+$/;
const NETWORK_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
// Printable ASCII without space, 1 to 128 characters (@enlace/crypto isKidSyntax).
const KID = /^[\x21-\x7e]{1,128}$/;

/** `<kind>:<CC>:<VALUE>`, exactly as @enlace/crypto canonicalIdentifier builds it. */
export function canonicalIdentifier(kind: IdentifierKind, country: string, value: string): string {
  if (kind !== 'doc' && kind !== 'acct') throw new DigestInputError('ERR_DIGEST_INPUT', 'kind');
  const cc = country.trim().toUpperCase();
  if (!COUNTRY.test(cc)) throw new DigestInputError('ERR_DIGEST_INPUT', 'country');
  const bare = value.replace(SEPARATORS, '');
  if (bare === '') throw new DigestInputError('ERR_DIGEST_INPUT', 'empty');
  if (bare.length > IDENTIFIER_VALUE_MAX) throw new DigestInputError('ERR_DIGEST_INPUT', 'too-long');
  // Tested before upper-casing: toUpperCase maps some non-ASCII letters onto ASCII ("ß" → "SS").
  if (!ALPHANUMERIC.test(bare)) {
    const bad = [...bare].find((char) => !ALPHANUMERIC.test(char)) ?? '';
    throw new DigestInputError(
      'ERR_DIGEST_INPUT',
      'character',
      `U+${(bad.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`,
    );
  }
  return `${kind}:${cc}:${bare.toUpperCase()}`;
}

/** Canonical unpadded base64url to bytes, or undefined. */
function decodeBase64url(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return undefined;
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  // Canonical: re-encoding gives the same text (no stray low bits in the last character).
  const again = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  return again === text ? bytes : undefined;
}

/** Reads a matching key file (the JWK `enlace match key generate` writes), as strictly as the CLI. */
export async function parseMatchingKey(text: string): Promise<BrowserMatchingKey> {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new DigestInputError('ERR_MATCHING_KEY_INVALID', 'key-json');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new DigestInputError('ERR_MATCHING_KEY_INVALID', 'key-json');
  const jwk = value as Record<string, unknown>;
  if (jwk['kty'] !== 'oct') throw new DigestInputError('ERR_MATCHING_KEY_INVALID', 'key-kty');
  if (jwk['alg'] !== undefined && jwk['alg'] !== 'HS256')
    throw new DigestInputError('ERR_MATCHING_KEY_INVALID', 'key-alg');
  const kid = jwk['kid'];
  if (typeof kid !== 'string' || !KID.test(kid))
    throw new DigestInputError('ERR_MATCHING_KEY_INVALID', 'key-kid');
  const network = jwk['network'];
  if (typeof network !== 'string' || network.length > 64 || !NETWORK_ID.test(network))
    throw new DigestInputError('ERR_MATCHING_KEY_INVALID', 'key-network');
  const k = jwk['k'];
  const secret = typeof k === 'string' ? decodeBase64url(k) : undefined;
  if (secret?.length !== SECRET_LENGTH) throw new DigestInputError('ERR_MATCHING_KEY_INVALID', 'key-k');
  const key = await crypto.subtle.importKey(
    'raw',
    secret as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return { keyId: kid, network, key };
}

/** The keyed digest of one value, as lower-case hex (what `enlace match digest` prints). */
export async function keyedDigestHex(
  key: BrowserMatchingKey,
  kind: IdentifierKind,
  country: string,
  value: string,
): Promise<string> {
  const canonical = new TextEncoder().encode(canonicalIdentifier(kind, country, value));
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key.key, canonical));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}
