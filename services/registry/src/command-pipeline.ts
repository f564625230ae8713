/**
 * The one way a registry command runs, whichever aggregate it changes: validate the context
 * (and the reason when the command needs one), run the command body, which validates its input
 * and, inside a compare-and-set on the one KV value it changes (`change`), checks invariants
 * against the current state and computes the new value; a concurrent change makes the decision
 * run again on fresh data. Whatever fails, nothing is written, and the refusal is audited with
 * its code; a change is audited with before and after, then announced by a signed event.
 */
import { v7 as uuidv7 } from 'uuid';

import type { AuditLog } from './audit/audit-log.js';
import { RegistryError } from './domain/errors.js';
import type { RegistryErrorCode } from './domain/errors.js';
import type { AuditRecord, CommandContext, Instant, RegistryChange } from './domain/model.js';
import { contextSchema, fieldError, parseInput } from './domain/validation.js';
import type { RegistryEventPublisher } from './events.js';
import type { AppliedChange, RegistryStateStore, StateChange, StoredEntry } from './store/state-store.js';

export type Entity = RegistryChange['entity'];

/** What a command tells the pipeline about itself before it runs. */
export interface CommandSpec {
  readonly action: string;
  readonly entity: Entity;
  /** Best guess of the entity id, from the raw input (for audit records of refusals). */
  readonly entityId: string;
  /** The command needs ctx.reason. */
  readonly requireReason?: boolean;
}

/** What a command body returns. */
export interface CommandOutcome<R> {
  readonly result: R;
  readonly entityId?: string;
  readonly before: unknown;
  readonly after: unknown;
  /** Undefined when nothing was written (no audit record of a change, no event). */
  readonly revision: number | undefined;
}

/** `value` if a non-empty string, else `?` (an entity id read from raw input for the audit). */
export function idText(value: unknown): string {
  return typeof value === 'string' && value !== '' ? value : '?';
}

/** Member `name` of raw input that may be anything. */
export function inputField(input: unknown, name: string): unknown {
  return typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[name] : undefined;
}

export class CommandPipeline {
  constructor(
    private readonly store: RegistryStateStore,
    private readonly audit: AuditLog,
    private readonly events: RegistryEventPublisher,
    private readonly now: () => Instant,
  ) {}

  /**
   * The compare-and-set of a command on the value under `key` (see RegistryStateStore.change):
   * `decide` may run more than once, and what it throws passes through with nothing written.
   */
  change<R>(
    key: string,
    decide: (current: StoredEntry | undefined) => StateChange<R>,
  ): Promise<AppliedChange<R>> {
    return this.store.change(key, decide);
  }

  /** Runs a command: context checks, `body`, then the audit record and the event (see above). */
  async run<R>(
    spec: CommandSpec,
    rawCtx: CommandContext,
    body: (ctx: CommandContext) => Promise<CommandOutcome<R>>,
  ): Promise<R> {
    const at = this.now();
    let ctx: CommandContext | undefined;
    let outcome: CommandOutcome<R>;
    try {
      ctx = parseInput(contextSchema, rawCtx, 'command context') as CommandContext;
      if (spec.requireReason === true && ctx.reason === undefined)
        throw fieldError('reason', 'required', `is required for ${spec.action}`, spec.action);
      outcome = await body(ctx);
    } catch (err) {
      const error =
        err instanceof RegistryError
          ? err
          : // The detail (a store's message, a path) is for the log, not the caller (issue 11 item 11).
            new RegistryError(
              'ERR_UNAVAILABLE',
              `${spec.action} failed: the registry could not complete it; its log has the details`,
              { cause: err },
            );
      // A refusal that cannot be audited is still a refusal: the caller gets the real reason.
      await this.audit
        .append(
          this.record(at, spec, ctx, rawCtx, {
            entityId: spec.entityId,
            outcome: 'rejected',
            code: error.code,
          }),
        )
        .catch(() => undefined);
      throw error;
    }
    if (outcome.revision !== undefined) {
      const entityId = outcome.entityId ?? spec.entityId;
      // The change is stored; if its audit record cannot be, the caller must hear of it
      // (ERR_UNAVAILABLE from append) rather than believe the trail complete.
      await this.audit.append(
        this.record(at, spec, ctx, rawCtx, {
          entityId,
          outcome: 'ok',
          before: outcome.before,
          after: outcome.after,
          revision: outcome.revision,
        }),
      );
      // Events are best effort: nodes also poll snapshots, so a lost event only delays them.
      await this.events
        .publish({
          revision: outcome.revision,
          entity: spec.entity,
          id: entityId,
          action: spec.action,
          at: this.now(),
        })
        .catch(() => undefined);
    }
    return outcome.result;
  }

  private record(
    at: Instant,
    spec: CommandSpec,
    ctx: CommandContext | undefined,
    rawCtx: unknown,
    outcome: {
      entityId: string;
      outcome: 'ok' | 'rejected';
      code?: RegistryErrorCode;
      before?: unknown;
      after?: unknown;
      revision?: number;
    },
  ): AuditRecord {
    const actor =
      ctx?.actor ?? (inputField(rawCtx, 'actor') as { id?: unknown; roles?: unknown } | undefined);
    const roles = Array.isArray(actor?.roles)
      ? actor.roles.filter((r): r is string => typeof r === 'string')
      : [];
    const reason = ctx?.reason;
    const decision = ctx?.decision;
    const requestId = ctx?.requestId;
    return {
      id: uuidv7(),
      at,
      service: 'registry',
      actor: typeof actor?.id === 'string' && actor.id !== '' ? actor.id : 'unknown',
      roles,
      action: spec.action,
      entity: spec.entity,
      entityId: outcome.entityId,
      outcome: outcome.outcome,
      ...(outcome.code === undefined ? {} : { code: outcome.code }),
      ...(outcome.before === undefined ? {} : { before: outcome.before }),
      ...(outcome.after === undefined ? {} : { after: outcome.after }),
      ...(reason === undefined ? {} : { reason }),
      ...(decision === undefined ? {} : { decision }),
      ...(requestId === undefined ? {} : { requestId }),
      ...(outcome.revision === undefined ? {} : { revision: outcome.revision }),
    };
  }
}
