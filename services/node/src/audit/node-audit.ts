/**
 * The node's audit records on the shared audit stream (ENLACE_AUDIT), on
 * `enlace.v1.audit.node-<cc>.<actor>`: alerts published, inbound alerts rejected with their
 * reason, refused requests. JSON, in the registry's record shape with `service` = `node-<cc>`.
 *
 * Records are written behind the act they record, not inline: record() queues one and returns
 * at once, and the queue is published with up to MAX_IN_FLIGHT acknowledgements awaited at a
 * time. A record is dropped only once JetStream acknowledged it (its id is its `Nats-Msg-Id`, so
 * a retried publish never stores it twice); a failed publish goes back to the head of the queue
 * and is tried again after a back-off (250 ms doubling to 5 s) for as long as the node runs. The
 * queue is bounded: when MAX_QUEUED records wait, record() resolves only once there is room, so a
 * node whose audit stream is unreachable slows down rather than forgets. close() waits for the
 * queue to empty (bounded), and reports what it could not write.
 */
import { auditSubject, publishAlert } from '@enlace/transport';
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

/** Records waiting (queued or in flight) before record() makes its callers wait. */
export const AUDIT_MAX_QUEUED = 10_000;
/** Records published at once (acknowledgements awaited together). */
const MAX_IN_FLIGHT = 128;
const PUBLISH_TIMEOUT_MS = 5_000;
const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 5_000;
/** How long close() waits for the queue to empty by default. */
const CLOSE_TIMEOUT_MS = 4_000;

interface Pending {
  readonly id: string;
  readonly subject: string;
  readonly payload: Uint8Array;
}

const utf8 = new TextEncoder();

export class NodeAudit {
  readonly service: string;
  readonly #queue: Pending[] = [];
  /** Index of the queue's head (the array is compacted now and then, not shifted per record). */
  #head = 0;
  #inFlight = 0;
  /** Failures in a row: the back-off grows with it; a success resets it. */
  #failures = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #closed = false;
  readonly #roomWaiters: Array<() => void> = [];
  readonly #idleWaiters: Array<() => void> = [];

  constructor(
    private readonly js: JetStreamClient,
    country: string,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.service = `node-${country.toLowerCase()}`;
  }

  /** Records waiting to be written (queued or in flight). */
  get pending(): number {
    return this.#queue.length - this.#head + this.#inFlight;
  }

  /**
   * Queues one record; resolves once it is queued (at once unless AUDIT_MAX_QUEUED wait), never
   * rejects (the audited act already happened). flush() waits until it is stored.
   */
  record(entry: NodeAuditEntry): Promise<void> {
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
    const pending: Pending = {
      id: record.id,
      subject: auditSubject(this.service, entry.actor),
      payload: utf8.encode(JSON.stringify(record)),
    };
    if (this.#closed) {
      this.onError(new Error(`audit record ${record.id} (${entry.action}) not written: the node is closed`));
      return Promise.resolve();
    }
    if (this.pending < AUDIT_MAX_QUEUED) {
      this.#enqueue(pending);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#roomWaiters.push(() => {
        this.#enqueue(pending);
        resolve();
      });
    });
  }

  /** Resolves once every record queued so far (and since) is stored, or close() gave up. */
  flush(): Promise<void> {
    if (this.pending === 0 && this.#roomWaiters.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Writes what is queued, waiting at most `timeoutMs`, then stops: records still unwritten are
   * reported to onError (with their ids), and later ones too.
   */
  async close(timeoutMs = CLOSE_TIMEOUT_MS): Promise<void> {
    if (this.#closed) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.flush(),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    for (const admit of this.#roomWaiters.splice(0)) admit();
    const lost = this.#queue.slice(this.#head);
    this.#queue.length = 0;
    this.#head = 0;
    if (lost.length > 0 || this.#inFlight > 0)
      this.onError(
        new Error(
          `${lost.length + this.#inFlight} audit record(s) not written before close` +
            (lost.length > 0 ? `: ${lost.map((p) => p.id).join(', ')}` : ''),
        ),
      );
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #enqueue(pending: Pending): void {
    this.#queue.push(pending);
    this.#pump();
  }

  #pump(): void {
    while (
      !this.#closed &&
      this.#retryTimer === undefined &&
      this.#inFlight < MAX_IN_FLIGHT &&
      this.#head < this.#queue.length
    ) {
      const next = this.#queue[this.#head++]!;
      this.#send(next);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
  }

  #send(pending: Pending): void {
    this.#inFlight++;
    // Retries are the queue's own (below), so that a long outage does not hold a slot each.
    publishAlert(this.js, {
      subject: pending.subject,
      envelope: pending.payload,
      msgId: pending.id,
      timeoutMs: PUBLISH_TIMEOUT_MS,
      retries: 0,
    }).then(
      () => {
        this.#inFlight--;
        this.#failures = 0;
        this.#settled();
      },
      (error: unknown) => {
        this.#inFlight--;
        if (this.#closed) {
          this.onError(error);
          this.#settled();
          return;
        }
        // Back to the head of the queue, tried again after the back-off; reported once per pause.
        if (this.#head > 0) this.#queue[--this.#head] = pending;
        else this.#queue.unshift(pending);
        if (this.#retryTimer === undefined) {
          this.#failures++;
          this.onError(error);
          const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (this.#failures - 1));
          this.#retryTimer = setTimeout(
            () => {
              this.#retryTimer = undefined;
              this.#pump();
            },
            Math.round(base * (0.8 + Math.random() * 0.4)),
          );
          this.#retryTimer.unref();
        }
      },
    );
  }

  #settled(): void {
    while (this.#roomWaiters.length > 0 && this.pending < AUDIT_MAX_QUEUED) this.#roomWaiters.shift()!();
    this.#pump();
    if (this.pending === 0 && this.#roomWaiters.length === 0)
      for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
