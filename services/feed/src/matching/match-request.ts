/**
 * The body of POST /v1/match and its answer. An FIU sends the keyed digests of its own case's
 * numbers, never the numbers:
 *
 *   { "keyId": "fiu-exchange-match-2026-01", "digests": ["<64 hex> or <43 base64url>", ...] }
 *
 * and learns which of them hit, and in which alerts:
 *
 *   { "keyId", "queried", "matched", "hits": [{ "digest": "<hex>", "alerts": [AlertRef...] }] }
 *
 * At most 100,000 digests per request (more is ERR_TOO_LARGE, 413). Every other problem is one
 * ERR_VALIDATION listing the first few bad fields by path (`digests[42]`), so a client fixes its
 * whole request at once. A digest sent twice is answered once.
 */
import { FeedError } from '../errors.js';
import type { FieldViolation } from '../errors.js';
import type { AlertRef, MatchResult } from './match-index.js';
import { DIGEST_LENGTH } from './match-index.js';

/** Most digests one request may hold. */
export const MATCH_REQUEST_MAX_DIGESTS = 100_000;
/** Most violations one error lists; the message gives the total. */
export const MATCH_REQUEST_MAX_VIOLATIONS = 20;

export interface MatchRequest {
  readonly keyId: string;
  /** 32 bytes each, without repeats, in the order first given. */
  readonly digests: Uint8Array[];
}

export interface MatchResultJson {
  keyId: string;
  queried: number;
  matched: number;
  hits: Array<{ digest: string; alerts: Array<Omit<AlertRef, 'handling'>> }>;
}

const KEY_ID = /^[\x21-\x7e]{1,128}$/;
const BASE64URL_DIGEST = /^[A-Za-z0-9_-]{43}$/;
const MEMBERS = new Set(['keyId', 'digests']);

/** Reads a match request body, or throws FeedError ERR_VALIDATION / ERR_TOO_LARGE. */
export function parseMatchRequest(body: unknown): MatchRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid([
      { path: '', code: 'invalid_type', message: 'the body must be a JSON object { keyId, digests }' },
    ]);
  }
  const violations: FieldViolation[] = [];
  let total = 0;
  const report = (violation: FieldViolation): void => {
    total++;
    if (violations.length < MATCH_REQUEST_MAX_VIOLATIONS) violations.push(violation);
  };
  const { keyId, digests } = body as { keyId?: unknown; digests?: unknown };

  for (const member of Object.keys(body)) {
    if (!MEMBERS.has(member)) {
      report({
        path: member,
        code: 'unknown_field',
        message: `unknown member; a match request has keyId and digests`,
      });
    }
  }
  if (keyId === undefined) {
    report({
      path: 'keyId',
      code: 'required',
      message: 'the id of the matching key the digests were made with is required',
    });
  } else if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) {
    report({
      path: 'keyId',
      code: 'invalid_key_id',
      message: 'keyId must be 1 to 128 printable ASCII characters, e.g. "fiu-exchange-match-2026-01"',
    });
  }

  const parsed: Uint8Array[] = [];
  if (digests === undefined) {
    report({ path: 'digests', code: 'required', message: 'digests (an array of keyed digests) is required' });
  } else if (!Array.isArray(digests)) {
    report({ path: 'digests', code: 'invalid_type', message: 'digests must be an array of strings' });
  } else if (digests.length > MATCH_REQUEST_MAX_DIGESTS) {
    throw new FeedError(
      'ERR_TOO_LARGE',
      `a match request holds at most ${MATCH_REQUEST_MAX_DIGESTS} digests (got ${digests.length}); split it`,
      {
        violations: [
          {
            path: 'digests',
            code: 'too_many',
            message: `at most ${MATCH_REQUEST_MAX_DIGESTS} digests per request (got ${digests.length})`,
          },
        ],
      },
    );
  } else if (digests.length === 0) {
    report({ path: 'digests', code: 'empty', message: 'digests must hold at least one digest' });
  } else {
    const seen = new Set<string>();
    for (let i = 0; i < digests.length; i++) {
      const value: unknown = digests[i];
      const bytes = decodeDigest(value);
      if (bytes === undefined) {
        report({
          path: `digests[${i}]`,
          code: 'invalid_digest',
          message: `a digest must be ${DIGEST_LENGTH} bytes as 64 hex characters or 43 base64url characters`,
        });
        continue;
      }
      // Lower-case hex names each digest one way, whichever encoding it came in.
      const text = value as string;
      const key = text.length === 64 ? text.toLowerCase() : bytes.toString('hex');
      if (seen.has(key)) continue;
      seen.add(key);
      parsed.push(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    }
  }

  if (total > 0) {
    const more = total > violations.length ? ` (the first ${violations.length} are listed)` : '';
    throw invalid(violations, `invalid match request: ${total} problem${total === 1 ? '' : 's'}${more}`);
  }
  return { keyId: keyId as string, digests: parsed };
}

/** The JSON answer of POST /v1/match: digests in lower-case hex, refs with their six public fields. */
export function matchResultToJson(result: MatchResult): MatchResultJson {
  return {
    keyId: result.keyId,
    queried: result.queried,
    matched: result.matched,
    hits: result.hits.map((hit) => ({
      digest: Buffer.from(hit.digest.buffer, hit.digest.byteOffset, hit.digest.byteLength).toString('hex'),
      alerts: hit.alerts.map(({ alertId, origin, network, kind, issuedAt, field }) => ({
        alertId,
        origin,
        network,
        kind,
        issuedAt,
        field,
      })),
    })),
  };
}

/** 32 bytes from 64 hex characters (either case) or 43 canonical base64url characters. */
function decodeDigest(value: unknown): Buffer | undefined {
  if (typeof value !== 'string') return undefined;
  if (value.length === 64) {
    // Buffer stops decoding hex at the first character that is not hex: 32 bytes means all were.
    const bytes = Buffer.from(value, 'hex');
    return bytes.length === DIGEST_LENGTH ? bytes : undefined;
  }
  if (BASE64URL_DIGEST.test(value)) {
    const bytes = Buffer.from(value, 'base64url');
    // Spare bits in the last character would let one digest be written several ways.
    return bytes.length === DIGEST_LENGTH && bytes.toString('base64url') === value ? bytes : undefined;
  }
  return undefined;
}

function invalid(violations: FieldViolation[], message = 'invalid match request'): FeedError {
  return new FeedError('ERR_VALIDATION', message, { violations });
}
