/**
 * Bearer tokens of the node's API: JWTs the registry signed (checked with the pinned registry
 * key). Reading the inbox takes a focal point of this country, an administrator or an auditor;
 * publishing takes a focal point of this country or an administrator. Routes marked @Public()
 * (health, metrics) need none.
 */
import { Inject, Injectable, SetMetadata } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { verifyToken } from '@enlace/trust';
import type { IncomingMessage } from 'node:http';

import type { Officer } from '../alerts/alert-publisher.js';
import { NodeError } from '../errors.js';
import type { NodeContext } from '../http/node-context.js';
import { NODE_CONTEXT } from '../http/tokens.js';

export type Access = 'public' | 'read' | 'write';
const ACCESS = 'enlace.node.access';

/** No token needed. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS, 'public');
/** A token that may publish, retract and acknowledge for this country. */
export const Officers = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS, 'write');

/** The request as express leaves it, with the officer the guard found. */
export interface OfficerRequest extends IncomingMessage {
  officer?: Officer;
  body?: unknown;
  originalUrl?: string;
}

@Injectable()
export class OfficerGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(NODE_CONTEXT) private readonly node: NodeContext,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const access =
      this.reflector.getAllAndOverride<Access | undefined>(ACCESS, [
        context.getHandler(),
        context.getClass(),
      ]) ?? 'read';
    if (access === 'public') return true;
    const req = context.switchToHttp().getRequest<OfficerRequest>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (match === null)
      throw new NodeError('ERR_UNAUTHENTICATED', 'a bearer token from the registry is required');
    let actor;
    try {
      actor = await verifyToken(match[1]!, this.node.registryPublicJwk);
    } catch (cause) {
      throw new NodeError('ERR_UNAUTHENTICATED', (cause as Error).message, { cause });
    }
    const roles = actor.roles as readonly string[];
    const ownOfficer = roles.includes('focal-point') && actor.country === this.node.country;
    const allowed =
      roles.includes('administrator') || ownOfficer || (access === 'read' && roles.includes('auditor'));
    if (!allowed)
      throw new NodeError(
        'ERR_FORBIDDEN',
        `this is ${this.node.country}'s node: it serves focal points of ${this.node.country}` +
          (access === 'read' ? ', administrators and auditors' : ' and administrators'),
      );
    req.officer = { id: actor.id, roles, ...(actor.country !== undefined && { country: actor.country }) };
    return true;
  }
}
