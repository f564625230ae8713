/**
 * The feed service's audit records on the shared audit stream (ENLACE_AUDIT), on
 * `enlace.v1.audit.feed.<actor>`: feeds created, deleted and replayed, and match queries — with
 * their counts only, never a digest — each also when refused, with the stable code. JSON, in the
 * registry's record shape with `service` = `feed`. Administrators read them with the registry's
 * audit tools, beside every other service's.
 */
import { randomUUID } from 'node:crypto';

import { auditSubject } from '@enlace/transport';
import type { JetStreamClient } from '@nats-io/jetstream';

export const FEED_AUDIT_SERVICE = 'feed';

export interface FeedAuditEntry {
  readonly actor: string;
  /** The country the actor acted for (FIU analysts), if any. */
  readonly country?: string;
  /** `feed.create`, `feed.delete`, `feed.replay`, `match.query`. */
  readonly action: string;
  readonly entity: 'feed' | 'match';
  readonly entityId: string;
  readonly outcome: 'ok' | 'rejected';
  /** The FeedError code when refused. */
  readonly code?: string;
  readonly reason?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export class FeedAudit {
  constructor(
    private readonly js: JetStreamClient,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  /** Appends one record; a failure is reported, never thrown (the audited act already happened). */
  async record(entry: FeedAuditEntry): Promise<void> {
    const record = {
      id: randomUUID(),
      at: new Date().toISOString(),
      service: FEED_AUDIT_SERVICE,
      actor: entry.actor,
      ...(entry.country !== undefined && { country: entry.country }),
      action: entry.action,
      entity: entry.entity,
      entityId: entry.entityId,
      outcome: entry.outcome,
      ...(entry.code !== undefined && { code: entry.code }),
      ...(entry.reason !== undefined && { reason: entry.reason }),
      ...(entry.details !== undefined && { details: entry.details }),
    };
    try {
      await this.js.publish(auditSubject(FEED_AUDIT_SERVICE, entry.actor), JSON.stringify(record), {
        msgID: record.id,
        timeout: 5_000,
      });
    } catch (error) {
      this.onError(error);
    }
  }

  /**
   * Runs `act` and records its outcome: `ok` with `details(result)`, or `rejected` with the
   * error's stable code and message (then rethrows).
   */
  async around<T>(
    entry: Omit<FeedAuditEntry, 'outcome' | 'code' | 'reason' | 'details'>,
    act: () => Promise<T>,
    details?: (result: T) => Readonly<Record<string, unknown>>,
  ): Promise<T> {
    try {
      const result = await act();
      await this.record({
        ...entry,
        outcome: 'ok',
        ...(details !== undefined && { details: details(result) }),
      });
      return result;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      await this.record({
        ...entry,
        outcome: 'rejected',
        ...(typeof code === 'string' && { code }),
        reason: (error as Error).message.slice(0, 500),
      });
      throw error;
    }
  }
}
