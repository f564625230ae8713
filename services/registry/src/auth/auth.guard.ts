/**
 * The registry API's guard: checks the bearer token a route's access declaration asks for, puts
 * the Actor on the request, and records every refusal (401 and 403) in the audit trail before
 * refusing. Missing, malformed, forged or expired token: ERR_UNAUTHENTICATED; a valid token
 * without the role: ERR_FORBIDDEN.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { decodeJwt } from 'jose';

import { RegistryError } from '../domain/errors.js';
import type { Actor } from '../domain/model.js';
import type { RegistryService } from '../domain/service.js';
import type { RegistryRequest } from '../http/request-context.js';
import { requestIdOf, routeOf } from '../http/request-context.js';
import { REGISTRY_KEY, REGISTRY_SERVICE } from '../http/tokens.js';
import type { RegistryPublicKey } from '../http/tokens.js';
import { ACCESS_METADATA } from './access.decorator.js';
import type { Access } from './access.decorator.js';
import { verifyToken } from './registry-token.js';

const BEARER = /^Bearer\s+([A-Za-z0-9._~+/=-]+)\s*$/i;

/** The subject a refused token claims (unverified), for the audit record only. */
function claimedSubject(token: string): string | undefined {
  try {
    const sub = decodeJwt(token).sub;
    return typeof sub === 'string' && sub !== '' ? sub.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger = new Logger('AuthGuard');

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(REGISTRY_SERVICE) private readonly service: RegistryService,
    @Inject(REGISTRY_KEY) private readonly registryKey: RegistryPublicKey,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]) ?? { kind: 'token' };
    if (access.kind === 'public') return true;

    const req = context.switchToHttp().getRequest<RegistryRequest>();
    const header = req.headers.authorization;
    if (header === undefined || header.trim() === '') {
      return this.deny(
        req,
        'anonymous',
        'ERR_UNAUTHENTICATED',
        'this operation needs a bearer token (Authorization: Bearer <token>)',
      );
    }
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) {
      return this.deny(
        req,
        'anonymous',
        'ERR_UNAUTHENTICATED',
        'the Authorization header must be "Bearer <token>"',
      );
    }
    let actor: Actor;
    try {
      actor = await verifyToken(token, this.registryKey.publicJwk);
    } catch (error) {
      const message = error instanceof RegistryError ? error.message : 'the bearer token is not valid';
      const claimed = claimedSubject(token);
      return this.deny(
        req,
        claimed === undefined ? 'anonymous' : `unverified:${claimed}`,
        'ERR_UNAUTHENTICATED',
        message,
      );
    }
    req.actor = actor;
    if (access.kind === 'roles' && !access.roles.some((role) => actor.roles.includes(role))) {
      return this.deny(
        req,
        actor.id,
        'ERR_FORBIDDEN',
        `this operation needs the role ${access.roles.join(' or ')}; the token has ${actor.roles.join(', ')}`,
        actor.roles,
      );
    }
    return true;
  }

  /** Records the refusal, then throws it. A failing audit write never turns a 401 into a 500. */
  private async deny(
    req: RegistryRequest,
    actorId: string,
    code: 'ERR_UNAUTHENTICATED' | 'ERR_FORBIDDEN',
    reason: string,
    roles?: readonly string[],
  ): Promise<never> {
    try {
      await this.service.auditDenied({
        actor: actorId,
        ...(roles !== undefined && { roles }),
        action: routeOf(req),
        code,
        reason,
        requestId: requestIdOf(req),
      });
    } catch (error) {
      this.logger.error(`could not record a refused request in the audit trail: ${(error as Error).message}`);
    }
    throw new RegistryError(code, reason);
  }
}
