/**
 * Bearer tokens of Enlace (DESIGN.md trust model 6), in one place: JWTs signed with the registry
 * key (EdDSA), issued to administrators, auditors, focal points and FIU analysts. A token names
 * its id (`jti`), its subject, its roles, the one service it is for (`aud`) and, for the roles
 * that read or publish alert content, its country; it expires within 24 h. verifyToken turns a
 * token into the Actor that commands and the audit trail carry, or throws TrustError
 * ERR_UNAUTHENTICATED (also for a token the registry's signed state revokes). Tokens are issued
 * through issueToken with the registry key, by the tools that hold the registry's data directory
 * (the CLI, the local network). No Nest, no NATS.
 */
import { randomUUID } from 'node:crypto';

import { errors as joseErrors, importJWK, jwtVerify, SignJWT } from 'jose';
import type { JWK } from 'jose';

type JoseKey = Awaited<ReturnType<typeof importJWK>>;

import { TrustError } from './errors.js';
import type { FieldViolation } from './errors.js';
import { TOKEN_ROLES } from './signed-state.js';
import type { Actor, RegistrySnapshot, TokenRole } from './signed-state.js';

/** Where the registry keeps the key that signs tokens and snapshots, in its data directory. */
export const REGISTRY_PRIVATE_KEY_FILE = 'registry.private.jwk';
export const REGISTRY_PUBLIC_KEY_FILE = 'registry.public.jwk';

export const TOKEN_ISSUER = 'enlace-registry';
/**
 * Each service's own audience (`aud`): a token is for exactly one service, and each service
 * accepts only its own, so a token leaked from one service is worthless at the others. The
 * catch-all audience `enlace` of earlier releases is no longer accepted anywhere.
 */
export const SERVICE_AUDIENCES = {
  registry: 'enlace-registry',
  node: 'enlace-node',
  feed: 'enlace-feed',
} as const;
export type ServiceAudience = (typeof SERVICE_AUDIENCES)[keyof typeof SERVICE_AUDIENCES];
const AUDIENCES: readonly string[] = Object.values(SERVICE_AUDIENCES);
/** The audience every token carried before per-service audiences; refused, with a hint. */
const RETIRED_AUDIENCE = 'enlace';

/** Lifetime of a person's token unless told otherwise: 12 hours (a working day). */
export const DEFAULT_TOKEN_TTL_SECONDS = 12 * 3600;
/**
 * Longest lifetime a token may be issued with, and that any token may claim (exp - iat) to be
 * accepted: 24 hours. Every bearer token is a person's (administrator, auditor, focal point,
 * FIU analyst): services authenticate to NATS with their nkeys or passwords, never with bearer
 * tokens, so there is no longer-lived service credential. It also bounds how long a revocation
 * must be kept: a token revoked now expires within this time.
 */
export const MAX_TOKEN_TTL_SECONDS = 24 * 3600;
/** Clock skew allowed between where a token was issued and the registry. */
const ISSUE_SKEW_SECONDS = 300;

/**
 * Roles that read or publish alert content: their tokens must name the holder's country, which
 * is what a node and the feed service judge them by.
 */
export const CONTENT_ROLES: readonly TokenRole[] = ['focal-point', 'fiu-analyst'];

/** The registry's private signing key, as loaded from its data directory. */
export interface TokenSigningKey {
  readonly privateJwk: Readonly<Record<string, unknown>>;
  readonly kid: string;
}

export interface IssueTokenOptions {
  /**
   * Who the token is for, e.g. "admin@secretariat" or, for a focal point, its registry id
   * ("mx-inm-liaison-1"): deactivating the focal point revokes every token with that subject.
   */
  readonly subject: string;
  readonly roles: readonly TokenRole[];
  /** ISO 3166-1 alpha-2 of the holder's country; required for CONTENT_ROLES. */
  readonly country?: string;
  /** The one service it is for (`aud`), one of SERVICE_AUDIENCES. */
  readonly audience: ServiceAudience;
  /** Default DEFAULT_TOKEN_TTL_SECONDS, at most MAX_TOKEN_TTL_SECONDS. */
  readonly ttlSeconds?: number;
  /** Token id (`jti`); default a random UUIDv4. For tests. */
  readonly jti?: string;
  /** Issue time; default now. For tests. */
  readonly now?: Date;
}

/** A token and what an operator needs to know about it (to revoke it, when it ends). */
export interface IssuedToken {
  readonly token: string;
  readonly jti: string;
  readonly subject: string;
  readonly audience: ServiceAudience;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

/** The claims a revocation is judged on. */
export interface TokenClaims {
  readonly jti: string;
  readonly sub: string;
  /** Issue time, seconds since the epoch. */
  readonly iat: number;
}

/** What the state in force says of a token: why it is revoked, or undefined when it is not. */
export type TokenRevocationCheck = (claims: TokenClaims) => string | undefined;

export interface VerifyTokenOptions {
  /** The one audience this service accepts (its own). */
  readonly audience: ServiceAudience;
  /** The registry state's revocation list; none is checked without it. */
  readonly revoked?: TokenRevocationCheck | undefined;
  /** Verification time; default now. For tests. */
  readonly now?: Date;
}

/**
 * The revocation check of a signed snapshot's lists (RegistrySnapshot.revokedTokens and
 * revokedSubjects); nodes and the feed service take it from the TrustView in force.
 */
export function tokenRevocationCheck(
  lists: Pick<RegistrySnapshot, 'revokedTokens' | 'revokedSubjects'>,
): TokenRevocationCheck {
  const byId = new Map((lists.revokedTokens ?? []).map((r) => [r.jti, r]));
  const bySubject = new Map((lists.revokedSubjects ?? []).map((r) => [r.subject, r]));
  return (claims) => {
    const id = byId.get(claims.jti);
    if (id !== undefined) return `token revoked: token ${claims.jti} was revoked at ${id.revokedAt}`;
    const subject = bySubject.get(claims.sub);
    if (subject !== undefined)
      return `token revoked: the tokens of ${claims.sub} were revoked at ${subject.revokedAt} (focal point deactivated)`;
    return undefined;
  };
}

function isTokenRole(value: unknown): value is TokenRole {
  return typeof value === 'string' && (TOKEN_ROLES as readonly string[]).includes(value);
}

/** Signs a bearer token with the registry key. Throws TrustError ERR_VALIDATION on bad options. */
export async function issueToken(key: TokenSigningKey, options: IssueTokenOptions): Promise<string> {
  return (await createToken(key, options)).token;
}

/** issueToken, also returning the token's id and lifetime (for `--json` and the audit of issuers). */
export async function createToken(key: TokenSigningKey, options: IssueTokenOptions): Promise<IssuedToken> {
  const violations: FieldViolation[] = [];
  if (typeof options.subject !== 'string' || options.subject.trim() === '' || options.subject.length > 200) {
    violations.push({ path: 'subject', code: 'invalid', message: 'must be 1 to 200 characters' });
  }
  if (options.roles.length === 0) {
    violations.push({ path: 'roles', code: 'required', message: 'at least one role is required' });
  }
  options.roles.forEach((role, index) => {
    if (!isTokenRole(role)) {
      violations.push({
        path: `roles[${index}]`,
        code: 'invalid_value',
        message: `must be one of ${TOKEN_ROLES.join(', ')}`,
      });
    }
  });
  if (options.country !== undefined && !/^[A-Z]{2}$/.test(options.country)) {
    violations.push({ path: 'country', code: 'invalid_country', message: 'must be two upper-case letters' });
  }
  const content = options.roles.filter((role) => CONTENT_ROLES.includes(role));
  if (options.country === undefined && content.length > 0) {
    violations.push({
      path: 'country',
      code: 'required',
      message: `is required for a token with the role ${content.join(', ')} (it reads or publishes alert content)`,
    });
  }
  if (!AUDIENCES.includes(options.audience as string)) {
    violations.push({
      path: 'audience',
      code: 'invalid_value',
      message: `must be one service's audience: ${AUDIENCES.join(', ')}`,
    });
  }
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > MAX_TOKEN_TTL_SECONDS) {
    violations.push({
      path: 'ttlSeconds',
      code: 'out_of_range',
      message: `must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL_SECONDS}`,
    });
  }
  const jti = options.jti ?? randomUUID();
  if (!isTokenId(jti)) {
    violations.push({
      path: 'jti',
      code: 'invalid',
      message: 'must be 1 to 128 characters of [A-Za-z0-9_-]',
    });
  }
  if (violations.length > 0) {
    throw new TrustError(
      'ERR_VALIDATION',
      `cannot issue token: ${violations[0]!.path} ${violations[0]!.message}`,
      {
        violations,
      },
    );
  }
  let privateKey: JoseKey;
  try {
    privateKey = await importJWK({ ...(key.privateJwk as JWK) }, 'EdDSA');
  } catch (cause) {
    throw new TrustError('ERR_VALIDATION', 'the registry private key is not a usable Ed25519 JWK', {
      violations: [{ path: 'privateJwk', code: 'invalid_key', message: (cause as Error).message }],
      cause,
    });
  }
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const claims: Record<string, unknown> = { roles: [...new Set(options.roles)] };
  if (options.country !== undefined) claims['country'] = options.country;
  const token = await new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(options.audience)
    .setSubject(options.subject)
    .setJti(jti)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .sign(privateKey);
  return {
    token,
    jti,
    subject: options.subject,
    audience: options.audience,
    issuedAt: new Date(issuedAt * 1000),
    expiresAt: new Date((issuedAt + ttlSeconds) * 1000),
  };
}

/** A token id as Enlace issues them (UUIDs) and as it fits a NATS subject token. */
export function isTokenId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(value);
}

/** Why a token is not for this service, saying which audience it expected. */
function audienceMessage(aud: unknown, expected: ServiceAudience): string {
  const had = [aud].flat().filter((a): a is string => typeof a === 'string');
  const hint = had.includes(RETIRED_AUDIENCE)
    ? `; the catch-all audience "${RETIRED_AUDIENCE}" is no longer accepted: issue a token for ${expected}`
    : '';
  return (
    `the bearer token is not for this service: it expected the audience "${expected}", the token has ` +
    `${had.length === 0 ? 'none' : had.map((a) => `"${a}"`).join(', ')}${hint}`
  );
}

function unauthenticated(message: string, cause?: unknown): TrustError {
  return new TrustError('ERR_UNAUTHENTICATED', message, cause === undefined ? undefined : { cause });
}

/**
 * Verifies a bearer token against the registry public key and returns its Actor. Throws
 * TrustError ERR_UNAUTHENTICATED saying why (expired, bad signature, wrong issuer, ...).
 */
export async function verifyToken(
  token: string,
  publicJwk: Readonly<Record<string, unknown>>,
  options: VerifyTokenOptions,
): Promise<Actor> {
  let publicKey: JoseKey;
  try {
    publicKey = await importJWK({ ...(publicJwk as JWK) }, 'EdDSA');
  } catch (cause) {
    // A broken registry key is our fault, not the caller's: still refuse, but say so.
    throw unauthenticated('the registry cannot check tokens: its public key is unusable', cause);
  }
  let payload: Record<string, unknown>;
  try {
    const verified = await jwtVerify(token, publicKey, {
      algorithms: ['EdDSA'],
      issuer: TOKEN_ISSUER,
      audience: options.audience,
      requiredClaims: ['exp', 'iat', 'sub', 'jti'],
      // The registry key also signs snapshots: only a JWT-typed JWS is a token.
      typ: 'JWT',
      ...(options.now !== undefined && { currentDate: options.now }),
    });
    payload = verified.payload as Record<string, unknown>;
  } catch (cause) {
    if (cause instanceof joseErrors.JWTExpired) throw unauthenticated('the bearer token has expired', cause);
    if (cause instanceof joseErrors.JWTClaimValidationFailed && cause.claim === 'typ') {
      throw unauthenticated('the bearer token is not a JWT (its typ header must be "JWT")', cause);
    }
    if (cause instanceof joseErrors.JWTClaimValidationFailed && cause.claim === 'aud') {
      throw unauthenticated(audienceMessage(cause.payload['aud'], options.audience), cause);
    }
    if (cause instanceof joseErrors.JWTClaimValidationFailed) {
      throw unauthenticated(`the bearer token's "${cause.claim}" claim is not valid: ${cause.reason}`, cause);
    }
    if (cause instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw unauthenticated('the bearer token was not signed by this registry', cause);
    }
    throw unauthenticated('the bearer token is not a valid registry token', cause);
  }
  const jti = payload['jti'];
  if (!isTokenId(jti)) throw unauthenticated(`the bearer token's "jti" claim is not a valid token id`);
  const iat = payload['iat'] as number;
  const exp = payload['exp'] as number;
  if (exp - iat > MAX_TOKEN_TTL_SECONDS) {
    throw unauthenticated(
      `the bearer token lives longer than ${MAX_TOKEN_TTL_SECONDS / 3600} h (exp - iat); issue a new one`,
    );
  }
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (iat > now + ISSUE_SKEW_SECONDS) throw unauthenticated('the bearer token is issued in the future');
  const roles = payload['roles'];
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every(isTokenRole)) {
    throw unauthenticated(`the bearer token's "roles" claim must list roles among ${TOKEN_ROLES.join(', ')}`);
  }
  const country = payload['country'];
  if (country !== undefined && (typeof country !== 'string' || !/^[A-Z]{2}$/.test(country))) {
    throw unauthenticated(`the bearer token's "country" claim must be an ISO 3166-1 alpha-2 code`);
  }
  const subject = payload['sub'];
  if (typeof subject !== 'string' || subject === '') {
    throw unauthenticated('the bearer token has no subject');
  }
  const content = (roles as TokenRole[]).filter((role) => CONTENT_ROLES.includes(role));
  if (country === undefined && content.length > 0) {
    throw unauthenticated(`the bearer token has the role ${content.join(', ')} but names no "country"`);
  }
  const revoked = options.revoked?.({ jti, sub: subject, iat });
  if (revoked !== undefined) throw unauthenticated(revoked);
  return { id: subject, roles, ...(typeof country === 'string' && { country }) };
}
