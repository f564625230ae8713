/**
 * Bearer tokens of Enlace (DESIGN.md trust model 6), in one place: JWTs signed with the registry
 * key (EdDSA), issued to administrators, auditors, focal points and FIU analysts. A token names
 * its subject, its roles, its audience (the service(s) it is for) and, for a focal point, its
 * country; it always expires. verifyToken turns a token into the Actor that commands and the
 * audit trail carry, or throws TrustError ERR_UNAUTHENTICATED. The registry issues tokens
 * through issueToken with its own key; tools that hold the registry's data directory (the CLI,
 * the local network) do the same. No Nest, no NATS.
 */
import { errors as joseErrors, importJWK, jwtVerify, SignJWT } from 'jose';
import type { JWK } from 'jose';

type JoseKey = Awaited<ReturnType<typeof importJWK>>;

import { TrustError } from './errors.js';
import type { FieldViolation } from './errors.js';
import { TOKEN_ROLES } from './signed-state.js';
import type { Actor, TokenRole } from './signed-state.js';

/** Where the registry keeps the key that signs tokens and snapshots, in its data directory. */
export const REGISTRY_PRIVATE_KEY_FILE = 'registry.private.jwk';
export const REGISTRY_PUBLIC_KEY_FILE = 'registry.public.jwk';

export const TOKEN_ISSUER = 'enlace-registry';
/** The audience of a token valid at every service (what tokens carry unless told otherwise). */
export const TOKEN_AUDIENCE = 'enlace';
/** Each service's own audience, for tokens meant for one service only. */
export const SERVICE_AUDIENCES = {
  registry: 'enlace-registry',
  node: 'enlace-node',
  feed: 'enlace-feed',
} as const;
/** Longest lifetime a token may be issued with: 30 days. */
export const MAX_TOKEN_TTL_SECONDS = 30 * 24 * 3600;

/** The registry's private signing key, as loaded from its data directory. */
export interface TokenSigningKey {
  readonly privateJwk: Readonly<Record<string, unknown>>;
  readonly kid: string;
}

export interface IssueTokenOptions {
  /** Who the token is for, e.g. "admin@secretariat" or "mx-inm-liaison-1". */
  readonly subject: string;
  readonly roles: readonly TokenRole[];
  /** ISO 3166-1 alpha-2 of the holder's country (focal-point tokens). */
  readonly country?: string;
  readonly ttlSeconds: number;
  /** The service(s) it is for (`aud`); default TOKEN_AUDIENCE. */
  readonly audience?: string | readonly string[];
  /** Issue time; default now. For tests. */
  readonly now?: Date;
}

export interface VerifyTokenOptions {
  /** The audience(s) this verifier accepts, any one of them; default TOKEN_AUDIENCE. */
  readonly audience?: string | readonly string[];
  /** Verification time; default now. For tests. */
  readonly now?: Date;
}

function isTokenRole(value: unknown): value is TokenRole {
  return typeof value === 'string' && (TOKEN_ROLES as readonly string[]).includes(value);
}

/** Signs a bearer token with the registry key. Throws TrustError ERR_VALIDATION on bad options. */
export async function issueToken(key: TokenSigningKey, options: IssueTokenOptions): Promise<string> {
  const violations: FieldViolation[] = [];
  if (options.subject.trim() === '' || options.subject.length > 200) {
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
  const audience = options.audience === undefined ? [TOKEN_AUDIENCE] : [options.audience].flat();
  if (audience.length === 0 || audience.some((a) => typeof a !== 'string' || a.trim() === '')) {
    violations.push({ path: 'audience', code: 'invalid', message: 'must name at least one service' });
  }
  if (
    !Number.isInteger(options.ttlSeconds) ||
    options.ttlSeconds <= 0 ||
    options.ttlSeconds > MAX_TOKEN_TTL_SECONDS
  ) {
    violations.push({
      path: 'ttlSeconds',
      code: 'out_of_range',
      message: `must be a whole number of seconds from 1 to ${MAX_TOKEN_TTL_SECONDS}`,
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
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(audience.length === 1 ? (audience[0] as string) : audience)
    .setSubject(options.subject)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + options.ttlSeconds)
    .sign(privateKey);
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
  options: VerifyTokenOptions = {},
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
      audience: options.audience === undefined ? TOKEN_AUDIENCE : [options.audience].flat(),
      requiredClaims: ['exp', 'sub'],
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
    if (cause instanceof joseErrors.JWTClaimValidationFailed) {
      throw unauthenticated(`the bearer token's "${cause.claim}" claim is not valid: ${cause.reason}`, cause);
    }
    if (cause instanceof joseErrors.JWSSignatureVerificationFailed) {
      throw unauthenticated('the bearer token was not signed by this registry', cause);
    }
    throw unauthenticated('the bearer token is not a valid registry token', cause);
  }
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
  return { id: subject, roles, ...(typeof country === 'string' && { country }) };
}
