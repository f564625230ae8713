/**
 * What the registry's API asks of its audit trail beyond the commands' own records (see
 * ../command-pipeline.ts): refusals before a command ran (401/403, a body the API's schemas
 * refuse) and checked queries.
 */
import { v7 as uuidv7 } from 'uuid';

import type { AuditQuery, AuditRecord, Instant } from '../domain/model.js';
import type { RejectedCommand } from '../domain/service.js';
import { fieldError } from '../domain/validation.js';
import type { AuditLog } from './audit-log.js';

/** A request refused for its token (no token, a bad one, a role it lacks). */
export interface DeniedRequest {
  readonly actor: string;
  readonly roles?: readonly string[];
  readonly action: string;
  readonly code: string;
  readonly reason: string;
  readonly requestId?: string;
}

export class AuditTrail {
  constructor(
    private readonly log: AuditLog,
    private readonly now: () => Instant,
  ) {}

  async recordDenied(entry: DeniedRequest): Promise<void> {
    await this.log.append(this.refusal(entry, 'auth', entry.action));
  }

  async recordRejected(entry: RejectedCommand): Promise<void> {
    await this.log.append(this.refusal(entry, entry.entity, entry.entityId === '' ? '?' : entry.entityId));
  }

  query(query: AuditQuery): Promise<readonly AuditRecord[]> {
    const limit = query.limit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000))
      return Promise.reject(
        fieldError('limit', 'invalid_value', 'must be an integer from 1 to 1000', 'audit query'),
      );
    for (const name of ['since', 'until'] as const) {
      const v = query[name];
      if (v !== undefined && Number.isNaN(Date.parse(v)))
        return Promise.reject(
          fieldError(name, 'invalid_format', 'must be an RFC 3339 instant', 'audit query'),
        );
    }
    return this.log.query(query);
  }

  private refusal(entry: DeniedRequest, entity: string, entityId: string): AuditRecord {
    return {
      id: uuidv7(),
      at: this.now(),
      service: 'registry',
      actor: entry.actor === '' ? 'unknown' : entry.actor,
      roles: [...(entry.roles ?? [])],
      action: entry.action,
      entity,
      entityId,
      outcome: 'rejected',
      code: entry.code,
      reason: entry.reason,
      ...(entry.requestId === undefined ? {} : { requestId: entry.requestId }),
    };
  }
}
