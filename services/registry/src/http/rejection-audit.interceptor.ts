/**
 * Records in the audit trail the administrative commands the HTTP API refuses before they reach
 * the core: malformed JSON, a body, path or query its schemas refuse. The core audits every
 * refusal of a command it runs, and the bearer guard every 401 and 403; this covers the rest, so an
 * auditor sees each attempted change once, with the actor, the stable code and the reason.
 *
 * Body-parser failures (malformed JSON, a body too large) happen before routing: the API stores
 * them on the request (`bodyError`) and this interceptor raises them once the guard has checked
 * the token, so they are refused with the actor known.
 */
import { requestIdOf, toServiceError } from '@enlace/service-kit';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { catchError, defer, from, mergeMap, throwError } from 'rxjs';
import type { Observable } from 'rxjs';

import type { RegistryService } from '../domain/service.js';
import { AUDITED_COMMAND_METADATA } from './audited-command.decorator.js';
import type { AuditedCommandSpec } from './audited-command.decorator.js';
import type { RegistryRequest } from './request-context.js';
import { REGISTRY_SERVICE } from './tokens.js';

@Injectable()
export class RejectionAuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger('RejectionAudit');

  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(REGISTRY_SERVICE) private readonly service: RegistryService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const req = context.switchToHttp().getRequest<RegistryRequest>();
    const handled = defer(() =>
      req.bodyError === undefined ? next.handle() : throwError(() => req.bodyError),
    );
    const command = this.reflector.get<AuditedCommandSpec | undefined>(
      AUDITED_COMMAND_METADATA,
      context.getHandler(),
    );
    if (command === undefined) return handled;
    return handled.pipe(
      catchError((error: unknown) =>
        from(this.record(req, command, error)).pipe(mergeMap(() => throwError(() => error))),
      ),
    );
  }

  /** Audits a 4xx refused before the core ran the command; never fails the request itself. */
  private async record(req: RegistryRequest, command: AuditedCommandSpec, error: unknown): Promise<void> {
    // Once the command context is handed over, the core audits the outcome itself.
    if (req.commandSubmitted === true || req.actor === undefined) return;
    const requestId = requestIdOf(req);
    const refused = toServiceError(error, 'registry', req);
    if (refused.status < 400 || refused.status >= 500) return;
    try {
      let entityId = '?';
      try {
        entityId = command.entityId({
          params: req.params ?? {},
          body: req.bodyError === undefined ? req.body : undefined,
        });
      } catch {
        // A request too odd to name its entity is still recorded.
      }
      await this.service.auditRejected({
        actor: req.actor.id,
        roles: req.actor.roles,
        action: command.action,
        entity: command.entity,
        entityId,
        code: refused.code,
        reason: refused.message,
        requestId,
      });
    } catch (auditError) {
      this.logger.error(
        `could not record a refused ${command.action} in the audit trail: ${(auditError as Error).message}`,
      );
    }
  }
}
