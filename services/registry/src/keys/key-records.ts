/**
 * Public keys of countries: checking a submitted JWK (public only, Ed25519 for sig, X25519 for
 * enc, an Enlace kid naming the key's own country), validity windows and their overlaps, and the
 * JWK members (`nbf`, `exp`) that carry a record's window to JOSE libraries.
 *
 * Why the per-country value suffices for a global duplicate-kid check: a kid names its country
 * (`MX-sig-2026-01`) and a key is accepted only when that country is the key's, so a kid can only
 * ever be stored under `key.<its country>`; checking that one value sees every key with that kid.
 */
import { parseKid, parsePublicJwk } from '@enlace/crypto';

import { RegistryError, fieldRefusal } from '../domain/errors.js';
import type { FieldViolation } from '../domain/errors.js';
import type { Instant, KeyRecord, KeyUse } from '../domain/model.js';
import { validationError } from '../domain/validation.js';

const CRV_OF_USE = { sig: 'Ed25519', enc: 'X25519' } as const;

/** A submitted JWK, checked: its kid, use and the normalized public JWK. */
export interface CheckedJwk {
  readonly kid: string;
  readonly use: KeyUse;
  readonly jwk: Record<string, unknown>;
  /** `nbf` / `exp` of the submitted JWK, as instants, when it had them. */
  readonly nbf?: Instant;
  readonly exp?: Instant;
}

/**
 * Checks a public JWK submitted for `country`. ERR_VALIDATION with paths under `publicJwk`
 * (`publicJwk.d` for a private key, `publicJwk.crv` for a curve that does not fit the use),
 * ERR_KEY_COUNTRY_MISMATCH when the kid names another country.
 */
export function checkPublicJwk(
  country: string,
  jwk: Readonly<Record<string, unknown>>,
  what: string,
): CheckedJwk {
  const violations: FieldViolation[] = [];
  const add = (path: string, code: string, message: string) =>
    violations.push({ path: `publicJwk${path}`, code, message });
  if ('d' in jwk) add('.d', 'private_key', 'is a private key member: submit only the public half of the key');
  for (const member of ['p', 'q', 'dp', 'dq', 'qi', 'k'])
    if (member in jwk) add(`.${member}`, 'private_key', 'is a private key member');
  if (jwk['kty'] !== 'OKP') add('.kty', 'invalid_value', 'must be "OKP"');
  const use = jwk['use'];
  if (use === undefined) add('.use', 'required', 'required ("sig" or "enc")');
  else if (use !== 'sig' && use !== 'enc') add('.use', 'invalid_value', 'must be "sig" or "enc"');
  else if (jwk['crv'] !== CRV_OF_USE[use])
    add('.crv', 'invalid_value', `must be "${CRV_OF_USE[use]}" for a key with use "${use}"`);
  const kid = jwk['kid'];
  const parsed = typeof kid === 'string' ? parseKid(kid) : undefined;
  if (kid === undefined) add('.kid', 'required', 'required');
  else if (parsed === undefined)
    add('.kid', 'invalid_format', 'must read <CC>-<use>-<yyyy>-<nn>, e.g. "MX-sig-2026-01"');
  else if ((use === 'sig' || use === 'enc') && parsed.use !== use)
    add('.kid', 'invalid_value', `names a "${parsed.use}" key but the key has use "${use}"`);
  if (violations.length > 0) throw validationError(what, violations);
  const keyUse = use as KeyUse;
  if (parsed !== undefined && parsed.country !== country)
    throw new RegistryError(
      'ERR_KEY_COUNTRY_MISMATCH',
      `kid ${String(kid)} names ${parsed.country}, but the key is registered for ${country}`,
      { violations: [{ path: 'publicJwk.kid', code: 'country_mismatch', message: `must name ${country}` }] },
    );
  let normalized: Record<string, unknown>;
  try {
    normalized = { ...parsePublicJwk(jwk, keyUse) };
  } catch (cause) {
    throw new RegistryError('ERR_VALIDATION', `invalid ${what}: publicJwk: ${(cause as Error).message}`, {
      cause,
      violations: [{ path: 'publicJwk', code: 'invalid_jwk', message: (cause as Error).message }],
    });
  }
  const nbf = normalized['nbf'];
  const exp = normalized['exp'];
  delete normalized['nbf'];
  delete normalized['exp'];
  return {
    kid: kid as string,
    use: keyUse,
    jwk: normalized,
    ...(typeof nbf === 'number' ? { nbf: new Date(nbf * 1000).toISOString() } : {}),
    ...(typeof exp === 'number' ? { exp: new Date(exp * 1000).toISOString() } : {}),
  };
}

/** Where the key stops verifying: the earlier of notAfter and revokedAt (ms; Infinity when open). */
export function keyEnd(key: Pick<KeyRecord, 'notAfter' | 'revokedAt'>): number {
  const ends = [key.notAfter, key.revokedAt].filter((t): t is string => t !== undefined).map(Date.parse);
  return ends.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...ends);
}

/** Is the key valid and not revoked at `at` (ms)? */
export function isKeyActiveAt(key: KeyRecord, at: number): boolean {
  return Date.parse(key.notBefore) <= at && at < keyEnd(key);
}

/** The first key of `keys` (same country) of the same use whose window meets `key`'s. */
export function overlappingKey(keys: readonly KeyRecord[], key: KeyRecord): KeyRecord | undefined {
  const from = Date.parse(key.notBefore);
  const until = keyEnd(key);
  return keys.find(
    (k) => k.kid !== key.kid && k.use === key.use && Date.parse(k.notBefore) < until && from < keyEnd(k),
  );
}

/**
 * Throws ERR_KEY_VALIDITY_OVERLAP when `key` overlaps another of `keys`; `path` is the input
 * field that set the key's start (`notBefore` for a registration, `at` for a rotation).
 */
export function assertNoOverlap(keys: readonly KeyRecord[], key: KeyRecord, path = 'notBefore'): void {
  const other = overlappingKey(keys, key);
  if (other !== undefined)
    throw fieldRefusal(
      'ERR_KEY_VALIDITY_OVERLAP',
      path,
      `${key.kid} (from ${key.notBefore}${key.notAfter === undefined ? '' : ` until ${key.notAfter}`}) overlaps ${other.kid} (from ${other.notBefore}${other.notAfter === undefined ? ', open-ended' : ` until ${other.notAfter}`}) of ${key.country}; rotate the key instead`,
    );
}

/**
 * The record with its JWK's `nbf` / `exp` set from notBefore and the earlier of notAfter and
 * revokedAt. NumericDates are whole seconds: `nbf` rounds down and `exp` up, so a JWK window is
 * never empty; the record's millisecond instants stay authoritative.
 */
export function withJwkWindow(key: KeyRecord): KeyRecord {
  const jwk: Record<string, unknown> = { ...key.publicJwk };
  jwk['nbf'] = Math.floor(Date.parse(key.notBefore) / 1000);
  const end = keyEnd(key);
  if (Number.isFinite(end)) jwk['exp'] = Math.ceil(end / 1000);
  else delete jwk['exp'];
  return { ...key, publicJwk: jwk };
}
