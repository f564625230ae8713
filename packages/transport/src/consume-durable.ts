/**
 * consumeDurable(): processes a stream through one durable pull consumer, the way every Enlace
 * receiver does (with or without Nest). It creates the consumer or brings its settings up to
 * date, holds at most `maxInFlight` messages at a time (one pull request for the free handler
 * slots, no read-ahead), and turns each handler outcome into the JetStream acknowledgement that
 * matches it:
 *
 * | handler                                  | JetStream                          | reported to     |
 * | ---------------------------------------- | ---------------------------------- | --------------- |
 * | resolves                                 | ack (confirmed by the server)      | counters.acked  |
 * | throws or returns a RejectMessage        | term: never redelivered            | onRejected      |
 * | throws anything else                     | nak with backoff: redelivered      | onError         |
 * | ... and this was delivery `maxDeliver`   | term                               | onDeadLetter    |
 *
 * Delivery is at least once: a handler can see a message again after a crash, an ack lost in a
 * broker restart, or an ack wait that ran out. Exactly-once *processing* is the handler's job:
 * make it idempotent on the alert id (the `Nats-Msg-Id` header; the stream already drops
 * duplicate publishes of one id). close() stops pulling, lets in-flight handlers finish and
 * confirms their acks, and hands messages pulled but not started back to the server at once.
 * A pull that fails (broker restart, lost connection) is reported to `onError` and retried with
 * backoff until close().
 */
import type {
  Consumer,
  ConsumerConfig,
  ConsumerInfo,
  ConsumerMessages,
  ConsumerNotification,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
} from '@nats-io/jetstream';
import { AckPolicy, DeliverPolicy, JetStreamApiError, ReplayPolicy } from '@nats-io/jetstream';
import { ClosedConnectionError, DrainingConnectionError, nanos } from '@nats-io/transport-node';

import type { RejectionReason, RejectMessage } from './reject-message.js';
import { isRejectMessage } from './reject-message.js';
import { TransportError } from './transport-error.js';

export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_DELIVER = 5;
export const DEFAULT_MAX_IN_FLIGHT = 8;
export const DEFAULT_PULL_EXPIRES_MS = 5_000;
/** Confirming an ack waits at most this long; an unconfirmed ack means a possible redelivery. */
const ACK_CONFIRM_TIMEOUT_MS = 5_000;

/** What a handler does with one message. See the table in this module's comment. */
export type DurableHandler = (msg: JsMsg) => unknown;

/** A message a handler rejected; it has been terminated. */
export interface RejectedMessage {
  readonly msg: JsMsg;
  readonly reason: RejectionReason;
  readonly rejection: RejectMessage;
}

/** A message that failed on its last allowed delivery; it has been terminated. */
export interface DeadLetter {
  readonly msg: JsMsg;
  readonly deliveryCount: number;
  /** What the handler threw on the last delivery. */
  readonly error: unknown;
}

/** Options of consumeDurable(). Durations in milliseconds. */
export interface DurableConsumerOptions {
  /** Stream to consume, e.g. ALERTS_STREAM. */
  readonly stream: string;
  /** Durable consumer name (letters, digits, `-`, `_`), e.g. `node-GT`. */
  readonly durable: string;
  /** One filter subject (nats-server 2.9 has no multi-filter consumers), e.g. `enlace.v1.>`. */
  readonly filterSubject: string;
  /** Redeliver a message not acknowledged within this time (default 30 s). Long handlers keep it alive. */
  readonly ackWaitMs?: number;
  /** Deliveries before a failing message is dead-lettered (default 5). */
  readonly maxDeliver?: number;
  /** Handlers running at once in this process (default 8). */
  readonly maxInFlight?: number;
  /**
   * Messages delivered and not yet acknowledged across every process sharing the consumer: the
   * server stops delivering beyond it (default 4 × maxInFlight).
   */
  readonly maxAckPending?: number;
  /** How long one pull request waits for messages on an idle stream (default 5 s, at least 1 s). */
  readonly pullExpiresMs?: number;
  /** Where a newly created consumer starts (default 'all'); ignored for an existing consumer. */
  readonly deliverPolicy?: 'all' | 'new';
  /** Redelivery delay after a failed delivery `deliveryCount` (default exponentialNakDelay()). */
  readonly nakDelay?: (deliveryCount: number) => number;
  readonly onRejected?: (event: RejectedMessage) => void | Promise<void>;
  readonly onDeadLetter?: (event: DeadLetter) => void | Promise<void>;
  /** Handler failures (the message is redelivered), hook failures, unconfirmed acks. */
  readonly onError?: (error: unknown, msg?: JsMsg) => void;
  /** JetStream notifications of the pull (heartbeats missed, consumer deleted, ...), for logs. */
  readonly onStatus?: (status: ConsumerNotification) => void;
}

/** Monotonic counters, for metrics. */
export interface ConsumerCounters {
  /** Messages handed to the handler. */
  received: number;
  /** Acknowledged after the handler resolved (confirmed by the server). */
  acked: number;
  /** Terminated: rejected plus dead-lettered. */
  termed: number;
  /** Handed back for redelivery: handler failures, and messages pulled but not started at close(). */
  naked: number;
  /** Terminated because the handler rejected them. */
  rejected: number;
  /** Terminated after failing on their last allowed delivery. */
  deadLettered: number;
  /** Handler failures (each is naked or dead-lettered). */
  failed: number;
  /** Acks the server did not confirm in time (the message may come again). */
  ackUnconfirmed: number;
}

/** A running durable consumer. */
export interface DurableConsumer {
  readonly stream: string;
  readonly durable: string;
  /** The consumer as the server described it when consumption started. */
  readonly info: ConsumerInfo;
  /** A snapshot of the counters. */
  counters(): ConsumerCounters;
  /** Handlers running now. */
  inFlight(): number;
  /** Stop pulling, let running handlers finish and confirm their acks. Idempotent. */
  close(): Promise<void>;
  /** Resolves when consumption has ended (after close(), or if the pull failed for good). */
  closed(): Promise<void>;
}

/** `initialMs`, 2×, 4×, ... capped at `maxMs` (defaults 1 s and 60 s). */
export function exponentialNakDelay(
  options: { initialMs?: number; maxMs?: number } = {},
): (deliveryCount: number) => number {
  const initial = options.initialMs ?? 1_000;
  const max = options.maxMs ?? 60_000;
  return (deliveryCount) => Math.min(max, initial * 2 ** Math.max(0, deliveryCount - 1));
}

/**
 * Creates (or updates) the durable pull consumer and starts handing its messages to `handler`.
 * Resolves once consumption has started. Throws TransportError ERR_INVALID_OPTION,
 * ERR_NO_STREAM (the stream does not exist), ERR_CONSUMER_CONFLICT or ERR_JETSTREAM_UNAVAILABLE.
 */
export async function consumeDurable(
  js: JetStreamClient,
  options: DurableConsumerOptions,
  handler: DurableHandler,
): Promise<DurableConsumer> {
  const settings = checkOptions(options);
  const jsm = await js.jetstreamManager();
  const info = await ensureConsumer(jsm, settings);
  const consumer = await js.consumers.get(settings.stream, settings.durable);
  // The connection under `js` (not in JetStreamClient's type); a consumer info round trip
  // orders the same way where it is missing.
  const nc = (js as { nc?: { flush(): Promise<void> } }).nc;
  const flush = nc !== undefined ? () => nc.flush() : () => consumer.info();
  return new DurableConsumerRun(settings, info, consumer, flush, handler);
}

interface Settings {
  stream: string;
  durable: string;
  filterSubject: string;
  ackWaitMs: number;
  maxDeliver: number;
  maxInFlight: number;
  maxAckPending: number;
  pullExpiresMs: number;
  deliverPolicy: 'all' | 'new';
  nakDelay: (deliveryCount: number) => number;
  hooks: Pick<DurableConsumerOptions, 'onRejected' | 'onDeadLetter' | 'onError' | 'onStatus'>;
}

function checkOptions(options: DurableConsumerOptions): Settings {
  const positive = (name: string, value: number, min = 1): number => {
    if (!Number.isSafeInteger(value) || value < min) {
      throw new TransportError('ERR_INVALID_OPTION', `${name} must be an integer >= ${min}, got ${value}`);
    }
    return value;
  };
  if (!/^[A-Za-z0-9_-]+$/.test(options.durable)) {
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `durable must be letters, digits, '-' or '_', got ${JSON.stringify(options.durable)}`,
    );
  }
  if (options.filterSubject.trim() === '' || /\s/.test(options.filterSubject)) {
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `filterSubject must be one subject, got ${JSON.stringify(options.filterSubject)}`,
    );
  }
  const maxInFlight = positive('maxInFlight', options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
  const maxAckPending = positive('maxAckPending', options.maxAckPending ?? 4 * maxInFlight);
  if (maxAckPending < maxInFlight) {
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `maxAckPending (${maxAckPending}) must be >= maxInFlight (${maxInFlight})`,
    );
  }
  return {
    stream: options.stream,
    durable: options.durable,
    filterSubject: options.filterSubject,
    ackWaitMs: positive('ackWaitMs', options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS, 1_000),
    maxDeliver: positive('maxDeliver', options.maxDeliver ?? DEFAULT_MAX_DELIVER),
    maxInFlight,
    maxAckPending,
    pullExpiresMs: positive('pullExpiresMs', options.pullExpiresMs ?? DEFAULT_PULL_EXPIRES_MS, 1_000),
    deliverPolicy: options.deliverPolicy ?? 'all',
    nakDelay: options.nakDelay ?? exponentialNakDelay(),
    hooks: {
      ...(options.onRejected && { onRejected: options.onRejected }),
      ...(options.onDeadLetter && { onDeadLetter: options.onDeadLetter }),
      ...(options.onError && { onError: options.onError }),
      ...(options.onStatus && { onStatus: options.onStatus }),
    },
  };
}

async function ensureConsumer(jsm: JetStreamManager, s: Settings): Promise<ConsumerInfo> {
  const wanted: Partial<ConsumerConfig> = {
    durable_name: s.durable,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: s.deliverPolicy === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    filter_subject: s.filterSubject,
    ack_wait: nanos(s.ackWaitMs),
    max_deliver: s.maxDeliver,
    max_ack_pending: s.maxAckPending,
  };
  const where = `consumer ${s.durable} on stream ${s.stream}`;
  let existing: ConsumerInfo | undefined;
  try {
    existing = await jsm.consumers.info(s.stream, s.durable);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === 10059) {
      throw new TransportError('ERR_NO_STREAM', `cannot create ${where}: stream ${s.stream} does not exist`, {
        cause: err,
      });
    }
    if (!(err instanceof JetStreamApiError && err.code === 10014)) {
      throw unavailable(`cannot read ${where}`, err);
    }
  }
  if (existing === undefined) {
    try {
      return await jsm.consumers.add(s.stream, wanted);
    } catch (err) {
      // Another process may have created it in between; then reconcile below.
      try {
        existing = await jsm.consumers.info(s.stream, s.durable);
      } catch {
        throw unavailable(`cannot create ${where}`, err);
      }
    }
  }

  const current = existing.config;
  if (current.ack_policy !== AckPolicy.Explicit || current.deliver_subject !== undefined) {
    throw new TransportError(
      'ERR_CONSUMER_CONFLICT',
      `${where} exists but is not an explicit-ack pull consumer (ack_policy ${current.ack_policy}` +
        `${current.deliver_subject !== undefined ? ', push' : ''}); delete it or choose another name`,
    );
  }
  const fields = ['filter_subject', 'ack_wait', 'max_deliver', 'max_ack_pending'] as const;
  const changed = fields.filter((f) => current[f] !== wanted[f]);
  if (changed.length === 0) return existing;
  try {
    return await jsm.consumers.update(s.stream, s.durable, {
      filter_subject: s.filterSubject,
      ack_wait: nanos(s.ackWaitMs),
      max_deliver: s.maxDeliver,
      max_ack_pending: s.maxAckPending,
    });
  } catch (err) {
    throw new TransportError(
      'ERR_CONSUMER_CONFLICT',
      `${where} exists with a different ${changed.join(', ')} and JetStream refused the update` +
        `${err instanceof Error ? `: ${err.message}` : ''}`,
      { cause: err },
    );
  }
}

function unavailable(message: string, cause: unknown): TransportError {
  return new TransportError(
    'ERR_JETSTREAM_UNAVAILABLE',
    `${message}${cause instanceof Error ? `: ${cause.message}` : ''}`,
    { cause },
  );
}

class DurableConsumerRun implements DurableConsumer {
  readonly stream: string;
  readonly durable: string;
  readonly #counters: ConsumerCounters = {
    received: 0,
    acked: 0,
    termed: 0,
    naked: 0,
    rejected: 0,
    deadLettered: 0,
    failed: 0,
    ackUnconfirmed: 0,
  };
  readonly #running = new Set<Promise<void>>();
  #closing = false;
  /** Wakes the pull loop when a handler slot frees up or close() begins. */
  #wake: (() => void) | undefined;
  /** The pull request open now, if any. */
  #batch: ConsumerMessages | undefined;
  readonly #loop: Promise<void>;
  #closePromise: Promise<void> | undefined;

  constructor(
    private readonly settings: Settings,
    readonly info: ConsumerInfo,
    private readonly consumer: Consumer,
    private readonly flush: () => Promise<unknown>,
    private readonly handler: DurableHandler,
  ) {
    this.stream = settings.stream;
    this.durable = settings.durable;
    this.#loop = this.#pull();
  }

  counters(): ConsumerCounters {
    return { ...this.#counters };
  }

  inFlight(): number {
    return this.#running.size;
  }

  close(): Promise<void> {
    this.#closePromise ??= (async () => {
      this.#closing = true;
      this.#wake?.();
      if (this.#batch !== undefined) await this.#endPull(this.#batch);
      await this.#loop;
      await Promise.all(this.#running);
    })();
    return this.#closePromise;
  }

  async closed(): Promise<void> {
    await this.#loop;
    await Promise.all(this.#running);
  }

  /**
   * One pull request at a time, for as many messages as there are free handler slots, so that
   * at most `maxInFlight` messages are ever held here (a refilling consume() would keep asking
   * the server for more, and lose what is in transit when it stops).
   */
  async #pull(): Promise<void> {
    const { maxInFlight, pullExpiresMs, hooks } = this.settings;
    let failures = 0;
    while (!this.#closing) {
      while (!this.#closing && this.#running.size >= maxInFlight) await this.#sleep();
      if (this.#closing) break;
      try {
        const batch = await this.consumer.fetch({
          max_messages: maxInFlight - this.#running.size,
          expires: pullExpiresMs,
        });
        this.#batch = batch;
        // close() began while the pull request was being made.
        if (this.#closing) void this.#endPull(batch);
        if (hooks.onStatus !== undefined) void this.#watchStatus(batch, hooks.onStatus);
        const startedAt = Date.now();
        let pulled = 0;
        for await (const msg of batch) {
          pulled++;
          if (this.#closing) {
            // Pulled but not started: let another instance (or the next start) have it now.
            msg.nak();
            this.#counters.naked++;
            continue;
          }
          this.#start(msg);
        }
        if (pulled === 0 && Date.now() - startedAt < pullExpiresMs / 2) {
          // An empty pull that ended early (the server refused or dropped it): do not spin.
          failures++;
          if (!this.#closing) await this.#sleep(Math.min(5_000, 250 * 2 ** Math.min(failures, 5)));
          continue;
        }
        failures = 0;
      } catch (err) {
        if (err instanceof ClosedConnectionError || err instanceof DrainingConnectionError) {
          // Nothing more can come: end consumption (closed() resolves).
          this.#report(
            new TransportError('ERR_CONNECTION_CLOSED', `consumer ${this.durable}: connection closed`, {
              cause: err,
            }),
          );
          break;
        }
        // A broker restart or a lost pull: report it, back off, pull again.
        failures++;
        this.#report(
          new TransportError('ERR_JETSTREAM_UNAVAILABLE', `consumer ${this.durable}: pull failed`, {
            cause: err,
          }),
        );
        if (!this.#closing) await this.#sleep(Math.min(5_000, 250 * 2 ** Math.min(failures, 5)));
      } finally {
        this.#batch = undefined;
      }
    }
  }

  /**
   * Receives what the server already sent on the open pull (#pull hands it back), then ends the
   * pull. Without the flush those messages would wait out the ack wait on the server.
   */
  async #endPull(batch: ConsumerMessages): Promise<void> {
    await this.flush().catch(() => undefined);
    batch.stop();
  }

  #start(msg: JsMsg): void {
    const run: Promise<void> = this.#process(msg)
      .catch((err: unknown) => this.#report(err, msg))
      .finally(() => {
        this.#running.delete(run);
        this.#wake?.();
      });
    this.#running.add(run);
  }

  /** Until a handler finishes, close() begins, or `ms` pass. */
  async #sleep(ms?: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  async #process(msg: JsMsg): Promise<void> {
    const { ackWaitMs, maxDeliver, hooks } = this.settings;
    this.#counters.received++;
    // A long handler keeps its message: tell the server we are working before the ack wait ends.
    const keepAlive = setInterval(() => msg.working(), Math.max(500, Math.floor(ackWaitMs / 2)));
    keepAlive.unref();
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await this.handler(msg) };
    } catch (error) {
      outcome = { ok: false, error };
    } finally {
      clearInterval(keepAlive);
    }

    const rejection = outcome.ok ? outcome.value : outcome.error;
    if (isRejectMessage(rejection)) {
      msg.term();
      this.#counters.termed++;
      this.#counters.rejected++;
      await this.#hook(() => hooks.onRejected?.({ msg, reason: rejection.reason, rejection }), msg);
      return;
    }
    if (outcome.ok) {
      await this.#ack(msg);
      return;
    }

    this.#counters.failed++;
    this.#report(outcome.error, msg);
    const deliveryCount = msg.info.deliveryCount;
    if (deliveryCount >= maxDeliver) {
      // The server will not deliver it again: record it, then terminate so it stops counting as pending.
      await this.#hook(() => hooks.onDeadLetter?.({ msg, deliveryCount, error: outcome.error }), msg);
      msg.term();
      this.#counters.termed++;
      this.#counters.deadLettered++;
      return;
    }
    msg.nak(Math.max(0, Math.round(this.settings.nakDelay(deliveryCount))));
    this.#counters.naked++;
  }

  async #ack(msg: JsMsg): Promise<void> {
    let confirmed = false;
    try {
      confirmed = await msg.ackAck({ timeout: ACK_CONFIRM_TIMEOUT_MS });
    } catch (err) {
      this.#report(err, msg);
    }
    if (confirmed) {
      this.#counters.acked++;
    } else {
      // Processed but perhaps not acknowledged: it may be delivered again (handlers are idempotent).
      this.#counters.ackUnconfirmed++;
    }
  }

  async #hook(call: () => void | Promise<void> | undefined, msg: JsMsg): Promise<void> {
    try {
      await call();
    } catch (err) {
      this.#report(err, msg);
    }
  }

  #report(error: unknown, msg?: JsMsg): void {
    try {
      this.settings.hooks.onError?.(error, msg);
    } catch {
      // A failing error hook must not stop consumption.
    }
  }

  async #watchStatus(
    batch: ConsumerMessages,
    onStatus: (status: ConsumerNotification) => void,
  ): Promise<void> {
    try {
      for await (const status of batch.status()) onStatus(status);
    } catch {
      // The status stream ends with the pull.
    }
  }
}
