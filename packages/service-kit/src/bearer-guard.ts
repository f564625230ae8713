/**
 * Who may call a route, and the one guard that enforces it. Each route declares its access with
 * `@Public()` (no token), `@Authenticated()` (any valid token) or `@Roles(...)` (a valid token
 * holding one of the roles); a route without a declaration gets the service's default (fail
 * closed). The guard parses `Authorization: Bearer <token>` once, has the service verify the
 * token (the function it injects), checks the role table, puts the actor on `req.actor`, and
 * reports every refusal (401 and 403) to the service before refusing, for its audit trail.
 * Without an Authorization header, a console session cookie (console/console-sessions.ts) is
 * the credential: the guard verifies the token the session holds, exactly as a bearer token,
 * and refuses a state-changing request that lacks the X-Enlace-Console header (CSRF).
 */
import { applyDecorators, Inject, Injectable, Logger, Optional, SetMetadata } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';

import { CONSOLE_HEADER, CONSOLE_SESSIONS, consoleCookieName, cookieOf } from './console/console-sessions.js';
import type { ConsoleSessions } from './console/console-sessions.js';
import type { ServiceRequest } from './request-id.js';
import { requestIdOf } from './request-id.js';
import { serviceError } from './service-error.js';

export const ACCESS_METADATA = 'enlace:service-kit:access';
/** Name of the bearer security scheme in the OpenAPI documents: every service takes registry tokens. */
export const BEARER_SCHEME = 'registry-token';
/** Injection token of the service's BearerAuth. */
export const BEARER_AUTH = Symbol.for('enlace.service-kit.bearer-auth');

/** `public`: no token; `token`: any valid token; `roles`: a valid token holding one of them. */
export type Access =
  | { readonly kind: 'public' }
  | { readonly kind: 'token' }
  | { readonly kind: 'roles'; readonly roles: readonly string[] };

const errorRef = { $ref: '#/components/schemas/ErrorResponse' };

/** No token needed. */
export function Public(): MethodDecorator & ClassDecorator {
  return SetMetadata(ACCESS_METADATA, { kind: 'public' } satisfies Access);
}

/** Any valid token. */
export function Authenticated(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, { kind: 'token' } satisfies Access),
    ApiBearerAuth(BEARER_SCHEME),
    ApiResponse({
      status: 401,
      description: 'ERR_UNAUTHENTICATED: missing, invalid or expired token',
      schema: errorRef,
    }),
  );
}

/** A valid token holding at least one of `roles`. */
export function Roles(...roles: string[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, { kind: 'roles', roles } satisfies Access),
    ApiBearerAuth(BEARER_SCHEME),
    ApiResponse({
      status: 401,
      description: 'ERR_UNAUTHENTICATED: missing, invalid or expired token',
      schema: errorRef,
    }),
    ApiResponse({
      status: 403,
      description: `ERR_FORBIDDEN: the token lacks the role ${roles.join(' or ')}`,
      schema: errorRef,
    }),
  );
}

/** What an `Authorization` header holds. */
export type BearerHeader =
  | { readonly kind: 'missing' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'token'; readonly token: string };

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i;

/** The one parse of `Authorization: Bearer <token>` (RFC 6750 token68 characters). */
export function parseBearer(header: string | undefined): BearerHeader {
  if (header === undefined || header.trim() === '') return { kind: 'missing' };
  const token = BEARER.exec(header)?.[1];
  return token === undefined ? { kind: 'malformed' } : { kind: 'token', token };
}

/** A verified token as the guard needs it. */
export interface VerifiedToken {
  readonly id: string;
  readonly roles: readonly string[];
  readonly country?: string | undefined;
}

/** A refusal the guard reports before it throws. */
export interface Refusal {
  readonly code: 'ERR_UNAUTHENTICATED' | 'ERR_FORBIDDEN';
  readonly reason: string;
  /** The verified actor's id, `unverified:<sub>` for a token that did not verify, or `anonymous`. */
  readonly actor: string;
  readonly roles?: readonly string[];
  /** "POST /v1/countries/:code/suspend" */
  readonly route: string;
  readonly requestId: string;
}

/** How a service checks tokens: given once, as the BEARER_AUTH provider. */
export interface BearerAuth<Token extends VerifiedToken = VerifiedToken, Actor = Token> {
  /** Verifies a token (signature, expiry, audience) and returns who holds it; throws if it does not verify. */
  verify(token: string): Promise<Token>;
  /** Access of routes that declare none (default: any valid token). */
  readonly defaultAccess?: Access;
  /**
   * Whether `token` holds `role` here (default: it lists it). A node counts a focal point only
   * of its own country; the feed service an FIU analyst only with a country.
   */
  holds?(token: Token, role: string): boolean;
  /** The message of a 403 (default: the roles the route needs and those the token has). */
  forbidden?(token: Token, roles: readonly string[]): string;
  /** What the guard puts on `req.actor` (default: the verified token). */
  actor?(token: Token): Actor;
  /** Records a refusal (the registry's audit trail). A failure is logged and never changes the answer. */
  onRefused?(refusal: Refusal): Promise<void> | void;
}

/** A request once the guard let it through. */
export interface AuthenticatedRequest<Actor = VerifiedToken> extends ServiceRequest {
  actor?: Actor;
}

/** "POST /v1/countries/:code/suspend": the route a request matched. */
export function routeOf(req: ServiceRequest): string {
  const path = req.route?.path ?? (req.originalUrl ?? req.url ?? '').split('?')[0];
  return `${req.method ?? 'GET'} ${path}`;
}

/** The subject a refused token claims (not verified), for the refusal record only. */
function claimedSubject(token: string): string | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const sub = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown }).sub;
    return typeof sub === 'string' && sub !== '' ? sub.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

/** The message of a token that does not verify: the verifier's own when it has a stable code. */
function verifyMessage(error: unknown): string {
  return error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'string' &&
    error.message !== ''
    ? error.message
    : 'the bearer token is not valid';
}

@Injectable()
export class BearerGuard implements CanActivate {
  private readonly logger = new Logger('BearerGuard');

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(BEARER_AUTH) private readonly auth: BearerAuth<VerifiedToken, unknown>,
    @Optional() @Inject(CONSOLE_SESSIONS) private readonly sessions?: ConsoleSessions,
  ) {}

  /** The token of the request's console session, when it has no Authorization header. */
  private async sessionToken(req: AuthenticatedRequest<unknown>): Promise<string | undefined> {
    if (this.sessions === undefined || req.headers.authorization !== undefined) return undefined;
    const id = cookieOf(req, consoleCookieName(req));
    if (id === undefined) return undefined;
    const found = this.sessions.lookup(id);
    if (found.kind !== 'active')
      return this.refuse(
        req,
        'anonymous',
        'ERR_UNAUTHENTICATED',
        found.kind === 'expired'
          ? 'your console session has expired: sign in again'
          : 'this console session is not known here (the service restarted?): sign in again',
        undefined,
        found.kind === 'expired' ? 'session_expired' : 'session_unknown',
      );
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD' && req.headers[CONSOLE_HEADER] !== '1')
      return this.refuse(
        req,
        'anonymous',
        'ERR_FORBIDDEN',
        `console requests that change state need the header ${CONSOLE_HEADER}: 1`,
        undefined,
        'csrf_header_missing',
      );
    return found.token;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const access =
      this.reflector.getAllAndOverride<Access | undefined>(ACCESS_METADATA, [
        context.getHandler(),
        context.getClass(),
      ]) ??
      this.auth.defaultAccess ??
      ({ kind: 'token' } as const);
    if (access.kind === 'public') return true;

    const req = context.switchToHttp().getRequest<AuthenticatedRequest<unknown>>();
    const session = await this.sessionToken(req);
    const bearer: BearerHeader =
      session !== undefined ? { kind: 'token', token: session } : parseBearer(req.headers.authorization);
    if (bearer.kind === 'missing')
      return this.refuse(
        req,
        'anonymous',
        'ERR_UNAUTHENTICATED',
        'this operation needs a bearer token (Authorization: Bearer <token>)',
      );
    if (bearer.kind === 'malformed')
      return this.refuse(
        req,
        'anonymous',
        'ERR_UNAUTHENTICATED',
        'the Authorization header must be "Bearer <token>"',
      );
    let token: VerifiedToken;
    try {
      token = await this.auth.verify(bearer.token);
    } catch (error) {
      const claimed = claimedSubject(bearer.token);
      return this.refuse(
        req,
        claimed === undefined ? 'anonymous' : `unverified:${claimed}`,
        'ERR_UNAUTHENTICATED',
        verifyMessage(error),
      );
    }
    const holds =
      this.auth.holds?.bind(this.auth) ?? ((t: VerifiedToken, role: string) => t.roles.includes(role));
    if (access.kind === 'roles' && !access.roles.some((role) => holds(token, role))) {
      const message =
        this.auth.forbidden?.(token, access.roles) ??
        `this operation needs the role ${access.roles.join(' or ')}; the token has ${token.roles.join(', ') || 'none'}`;
      req.actor = this.auth.actor?.(token) ?? token;
      return this.refuse(req, token.id, 'ERR_FORBIDDEN', message, token.roles);
    }
    req.actor = this.auth.actor?.(token) ?? token;
    return true;
  }

  /** Reports the refusal, then throws it. */
  private async refuse(
    req: ServiceRequest,
    actor: string,
    code: Refusal['code'],
    reason: string,
    roles?: readonly string[],
    why?: string,
  ): Promise<never> {
    if (this.auth.onRefused !== undefined) {
      try {
        await this.auth.onRefused({
          code,
          reason,
          actor,
          ...(roles !== undefined && { roles }),
          route: routeOf(req),
          requestId: requestIdOf(req),
        });
      } catch (error) {
        this.logger.error(`could not record a refused request: ${(error as Error).message}`);
      }
    }
    throw serviceError(code, reason, why === undefined ? undefined : { reason: why });
  }
}
