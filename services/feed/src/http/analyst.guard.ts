/**
 * Bearer tokens of the feed API: JWTs the registry signed (checked with the pinned registry key).
 * An FIU analyst (`fiu-analyst`, with a country) manages and reads its own country's feeds and
 * matches for its country; an administrator may do so for any country; an auditor may read.
 * Liaison officers (`focal-point`) use their node, not feeds. Routes marked @Public() need none.
 */
import { Inject, Injectable, SetMetadata } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { verifyToken } from '@enlace/trust';
import type { IncomingMessage } from 'node:http';

import { FeedError } from '../errors.js';
import type { FeedActor } from '../feeds/feed-manager.js';
import type { FeedContext } from './feed-context.js';
import { FEED_CONTEXT } from './tokens.js';

const PUBLIC = 'enlace.feed.public';

/** No token needed. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC, true);

export interface AnalystRequest extends IncomingMessage {
  actor?: FeedActor;
  body?: unknown;
}

@Injectable()
export class AnalystGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(FEED_CONTEXT) private readonly ctx: FeedContext,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    if (
      this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC, [
        context.getHandler(),
        context.getClass(),
      ])
    )
      return true;
    const req = context.switchToHttp().getRequest<AnalystRequest>();
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (match === null)
      throw new FeedError('ERR_UNAUTHENTICATED', 'a bearer token from the registry is required');
    let actor;
    try {
      actor = await verifyToken(match[1]!, this.ctx.registryPublicJwk);
    } catch (cause) {
      throw new FeedError('ERR_UNAUTHENTICATED', (cause as Error).message, { cause });
    }
    const roles = actor.roles as readonly string[];
    if (roles.includes('administrator')) {
      req.actor = { id: actor.id, country: undefined, canWrite: true };
    } else if (roles.includes('fiu-analyst') && actor.country !== undefined) {
      req.actor = { id: actor.id, country: actor.country, canWrite: true };
    } else if (roles.includes('auditor')) {
      req.actor = { id: actor.id, country: undefined, canWrite: false };
    } else {
      throw new FeedError(
        'ERR_FORBIDDEN',
        'feeds serve financial intelligence units: a token with the fiu-analyst role and a country, an administrator or an auditor is required',
      );
    }
    return true;
  }
}
