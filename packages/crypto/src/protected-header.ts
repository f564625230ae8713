/**
 * The JWS protected header of a SignedAlert, read strictly: canonical base64url of UTF-8 JSON
 * naming `alg: "EdDSA"`, a `kid`, `b64: false` and `crit: ["b64"]` (RFC 7797), nothing else
 * critical. Headers repeat (one per signing key), so validated ones are remembered: the hot path
 * of verification pays for a map lookup, not a parse.
 */
import { decodeBase64url } from './base64url.js';
import { describeValue, SignatureError } from './errors.js';
import { isKidSyntax } from './kid.js';

/** A validated Enlace JWS protected header (frozen). Other, non-critical members are kept as sent. */
export interface ProtectedHeader {
  readonly alg: 'EdDSA';
  readonly kid: string;
  readonly b64: false;
  readonly crit: readonly ['b64'];
  readonly [member: string]: unknown;
}

/** The only signature algorithm Enlace accepts. */
export const SIGNATURE_ALGORITHM = 'EdDSA';
/** Far above any real header (~100 characters), far below anything that costs to parse. */
export const MAX_PROTECTED_HEADER_LENGTH = 2048;
const CACHE_LIMIT = 512;

const cache = new Map<string, ProtectedHeader>();
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Validates and decodes a protected header; throws ERR_JWS_MALFORMED naming the problem. */
export function parseProtectedHeader(encoded: unknown): ProtectedHeader {
  if (typeof encoded === 'string') {
    const cached = cache.get(encoded);
    if (cached !== undefined) return cached;
  }
  const header = decode(encoded);
  // Only valid headers are remembered, and only so many: hostile input cannot grow the cache.
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(encoded as string, header);
  return header;
}

function malformed(problem: string, cause?: unknown): SignatureError {
  return new SignatureError(
    'ERR_JWS_MALFORMED',
    `protected header ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

function decode(encoded: unknown): ProtectedHeader {
  if (typeof encoded !== 'string') throw malformed(`must be a string, not ${describeValue(encoded)}`);
  if (encoded.length === 0) throw malformed('is empty');
  if (encoded.length > MAX_PROTECTED_HEADER_LENGTH) {
    throw malformed(
      `is ${encoded.length} characters long; at most ${MAX_PROTECTED_HEADER_LENGTH} are accepted`,
    );
  }
  const bytes = decodeBase64url(encoded);
  if (bytes === undefined) throw malformed('is not canonical unpadded base64url');
  let json: unknown;
  try {
    json = JSON.parse(utf8.decode(bytes));
  } catch (cause) {
    throw malformed('is not UTF-8 JSON', cause);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw malformed(`must be a JSON object, not ${describeValue(json)}`);
  }
  const header = json as Record<string, unknown>;
  if (header['alg'] !== SIGNATURE_ALGORITHM) {
    throw malformed(
      header['alg'] === undefined
        ? `has no "alg"; Enlace signatures use "${SIGNATURE_ALGORITHM}"`
        : `"alg" is ${describeValue(header['alg'])}; only "${SIGNATURE_ALGORITHM}" is accepted`,
    );
  }
  if (header['b64'] !== false) {
    throw malformed(
      `must have "b64": false (RFC 7797 unencoded payload), got ${header['b64'] === undefined ? 'no "b64"' : describeValue(header['b64'])}`,
    );
  }
  const crit = header['crit'];
  if (!Array.isArray(crit)) {
    throw malformed(
      `must have "crit": ["b64"] (RFC 7797 requires "b64" to be critical), got ${crit === undefined ? 'no "crit"' : describeValue(crit)}`,
    );
  }
  const unknown = crit.filter((name) => name !== 'b64');
  if (unknown.length > 0) {
    throw malformed(
      `"crit" names extensions this verifier does not understand: ${unknown
        .slice(0, 5)
        .map((name) => describeValue(name))
        .join(', ')}`,
    );
  }
  if (crit.length !== 1) throw malformed(`"crit" must be exactly ["b64"], got ${crit.length} entries`);
  const kid = header['kid'];
  if (kid === undefined) throw malformed('has no "kid"; the signer\'s key cannot be identified');
  if (!isKidSyntax(kid)) {
    throw malformed(
      `"kid" must be 1 to 128 printable ASCII characters without spaces (got ${describeValue(kid)})`,
    );
  }
  return deepFreeze(header) as ProtectedHeader;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}
