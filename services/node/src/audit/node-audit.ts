/**
 * The node's audit records on the shared audit stream (ENLACE_AUDIT), on
 * `enlace.v1.audit.node-<cc>.<actor>`: alerts published, inbound alerts rejected with their
 * reason, refused requests. JSON, in the registry's record shape with `service` = `node-<cc>`.
 */
import { auditSubject } from '@enlace/transport';
import type { JetStreamClient } from '@nats-io/jetstream';
import { v7 as uuidv7 } from 'uuid';

export interface NodeAuditEntry {
  readonly actor: string;
  readonly roles?: readonly string[];
  /** e.g. "alert.publish", "alert.reject", "alert.retract". */
  readonly action: string;
  readonly entityId: string;
  readonly outcome: 'ok' | 'rejected';
  /** Stable code or rejection reason when rejected. */
  readonly code?: string;
  readonly reason?: string;
  readonly requestId?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export class NodeAudit {
  readonly service: string;

  constructor(
    private readonly js: JetStreamClient,
    country: string,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.service = `node-${country.toLowerCase()}`;
  }

  /** Appends one record; a failure is reported, never thrown (the audited act already happened). */
  async record(entry: NodeAuditEntry): Promise<void> {
    const record = {
      id: uuidv7(),
      at: new Date().toISOString(),
      service: this.service,
      actor: entry.actor,
      roles: entry.roles ?? [],
      action: entry.action,
      entity: 'alert',
      entityId: entry.entityId,
      outcome: entry.outcome,
      ...(entry.code !== undefined && { code: entry.code }),
      ...(entry.reason !== undefined && { reason: entry.reason }),
      ...(entry.requestId !== undefined && { requestId: entry.requestId }),
      ...(entry.details !== undefined && { details: entry.details }),
    };
    try {
      await this.js.publish(auditSubject(this.service, entry.actor), JSON.stringify(record), {
        msgID: record.id,
        timeout: 5_000,
      });
    } catch (error) {
      this.onError(error);
    }
  }
}
