/**
 * consumeDurable(): processes a stream through one durable pull consumer, the way every Enlace
 * receiver does (with or without Nest). It creates the consumer or brings its settings up to
 * date, runs at most `maxInFlight` handlers at a time while the next messages are already pulled
 * (two pull requests open at once, holding up to `maxInFlight` more, within `maxAckPending`), and
 * turns each handler outcome into the JetStream acknowledgement that matches it:
 *
 * | handler                                  | JetStream                          | reported to     |
 * | ---------------------------------------- | ---------------------------------- | --------------- |
 * | resolves                                 | ack                                | counters.acked  |
 * | throws or returns a RejectMessage        | term: never redelivered            | onRejected      |
 * | throws anything else                     | nak with backoff: redelivered      | onError         |
 * | ... and this was delivery `maxDeliver`   | term                               | onDeadLetter    |
 *
 * Delivery is at least once: a handler can see a message again after a crash, an ack lost in a
 * broker restart, or an ack wait that ran out. Exactly-once *processing* is the handler's job:
 * make it idempotent on the alert id (the `Nats-Msg-Id` header; the stream already drops
 * duplicate publishes of one id). A message is acknowledged only once its handler resolved; the
 * ack is not waited for (a lost one only means a redelivery), and close() confirms the last ones.
 * close() stops pulling, lets in-flight handlers finish, and hands messages pulled but not started
 * back to the server at once. A pull whose heartbeats went missing is replaced at once; one that
 * fails (broker restart, lost connection), or keeps missing heartbeats, is reported to `onError`
 * and retried with backoff (pullRetryDelay()) until close().
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
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiError,
  JetStreamError,
  ReplayPolicy,
} from '@nats-io/jetstream';
import { ClosedConnectionError, DrainingConnectionError, nanos } from '@nats-io/transport-node';

import type { RejectionReason, RejectMessage } from './reject-message.js';
import { isRejectMessage } from './reject-message.js';
import { TransportError } from './transport-error.js';

export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_DELIVER = 5;
export const DEFAULT_MAX_IN_FLIGHT = 8;
export const DEFAULT_PULL_EXPIRES_MS = 5_000;

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
  /**
   * Handlers running at once in this process (default 8). As many more messages are pulled ahead,
   * within maxAckPending, so that the next ones are here when a handler finishes.
   */
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
  /** Handler failures (the message is redelivered), hook failures, acks that could not be sent, failed pulls. */
  readonly onError?: (error: unknown, msg?: JsMsg) => void;
  /** JetStream notifications of the pull (heartbeats missed, consumer deleted, ...), for logs. */
  readonly onStatus?: (status: ConsumerNotification) => void;
}

/** Monotonic counters, for metrics. */
export interface ConsumerCounters {
  /** Messages handed to the handler. */
  received: number;
  /** Acknowledged after the handler resolved (sent; a lost ack only means a redelivery). */
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
  /** Acks that could not be sent (connection closed): the message will come again. */
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
  /** Stop pulling, let running handlers finish, and confirm their acks reached the server. Idempotent. */
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

/**
 * Pull requests a consumer keeps open at once, so that the next messages are asked for while
 * those of the last pull are handled. With nats-server 2.9 a consumer's pulls sometimes stop
 * being served after one delivered a message: no more messages, heartbeats or expiry, until a
 * new pull request reaches the server (seen in about one pull in 200, with 200 consumers on a busy
 * 2-core machine). nats.js ends such a pull after two idle heartbeats missed, up to two pull
 * expiries later. Instead, a small pull request is opened beside the others ("nudge") once
 * deliveries pause while pulls wait (#afterDeliveries), and when a pull misses a heartbeat
 * (#checkPulls).
 */
const PULL_LANES = 2;
/** Missed-heartbeat pulls in a row replaced at once; back-off starts after that many. */
const MISSED_HEARTBEATS_RETRIED_AT_ONCE = 2;
/** Idle heartbeats of a pull at most this far apart (nats.js's default is half the pull's expiry). */
const MAX_PULL_HEARTBEAT_MS = 1_000;
/** Expiry of a nudge pull. */
const NUDGE_EXPIRES_MS = 1_000;
/** Deliveries paused this long, with pulls waiting: nudge. */
const NUDGE_AFTER_DELIVERIES_MS = 100;

/** How one pull request ended, for pullRetryDelay(). */
export type PullOutcome =
  /** As the server ends one: its batch was filled or it expired. */
  | 'ended'
  /** Early and empty: the server refused or dropped it. */
  | 'refused'
  /** nats.js gave up on it after two idle heartbeats missed (JetStreamError "heartbeats missed"). */
  | 'heartbeats_missed'
  /** Failed otherwise (broker restart, no responders, ...). */
  | 'failed';

/**
 * Milliseconds to wait before the next pull, after one that ended with `outcome` as the
 * `failuresInARow`-th pull in a row that did not end normally (0 after one that did).
 *
 * A pull that ended normally is followed at once. So are the first two in a row whose idle
 * heartbeats went missing: on a healthy connection that is a pull request the server stopped
 * serving (or a heartbeat late on a busy machine), not a broker in trouble, and such a pull already
 * took two heartbeat intervals (at least one second) to fail, so retrying at once is no tight
 * loop. Refused and failed pulls, and missed heartbeats that keep coming (a stopped or
 * unreachable server), back off: 500 ms, 1 s, 2 s, 4 s, then 5 s.
 */
export function pullRetryDelay(outcome: PullOutcome, failuresInARow: number): number {
  if (outcome === 'ended') return 0;
  let n = failuresInARow;
  if (outcome === 'heartbeats_missed') {
    if (n <= MISSED_HEARTBEATS_RETRIED_AT_ONCE) return 0;
    n -= MISSED_HEARTBEATS_RETRIED_AT_ONCE;
  }
  return Math.min(5_000, 250 * 2 ** Math.min(Math.max(n, 1), 5));
}

function isHeartbeatsMissed(err: unknown): boolean {
  return err instanceof JetStreamError && err.message === 'heartbeats missed';
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
  /** Pulled ahead, waiting for a handler slot (oldest first). */
  readonly #queue: JsMsg[] = [];
  /** Messages the open pull requests asked for and have not received yet. */
  #requested = 0;
  /** The pull requests open now, with when each last showed a sign of life. */
  readonly #batches = new Map<ConsumerMessages, PullState>();
  /** Idle heartbeat interval asked of the server for each pull. */
  readonly #heartbeatMs: number;
  readonly #watchdog: ReturnType<typeof setInterval>;
  /** The nudge pull open now, if any (see PULL_LANES). */
  #nudge: Promise<void> | undefined;
  /** Fires NUDGE_AFTER_DELIVERIES_MS after the last delivery (refreshed by each). */
  #quiet: ReturnType<typeof setTimeout> | undefined;
  /** Messages were delivered since the last nudge. */
  #deliveredSinceNudge = false;
  /** Messages held here at most: running, waiting in #queue, or asked for. */
  readonly #capacity: number;
  #closing = false;
  /** The connection closed: nothing more can be pulled or acknowledged. */
  #ended = false;
  /** Wake the pull lanes when a handler finishes, a pull ends, or close() begins. */
  readonly #waiters = new Set<() => void>();
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
    const { maxInFlight, maxAckPending } = settings;
    // Read ahead as many as run at once, within what the server lets this consumer hold.
    this.#capacity = maxInFlight + Math.max(0, Math.min(maxInFlight, maxAckPending - maxInFlight));
    this.#heartbeatMs = Math.min(MAX_PULL_HEARTBEAT_MS, Math.floor(settings.pullExpiresMs / 2));
    this.#watchdog = setInterval(() => this.#checkPulls(), Math.floor(this.#heartbeatMs / 4));
    this.#watchdog.unref();
    this.#loop = Promise.all(Array.from({ length: PULL_LANES }, () => this.#lane())).then(() => {
      clearInterval(this.#watchdog);
      clearTimeout(this.#quiet);
    });
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
      this.#wakeAll();
      await Promise.all([...this.#batches.keys()].map((batch) => this.#endPull(batch)));
      // Pulled but not started: let another instance (or the next start) have them now.
      for (const msg of this.#queue.splice(0)) this.#handBack(msg);
      await this.#loop;
      await this.#nudge;
      await Promise.all(this.#running);
      // Acks are sent without waiting for a reply: the server has read them once it answers this.
      if (!this.#ended) await this.flush().catch(() => undefined);
    })();
    return this.#closePromise;
  }

  async closed(): Promise<void> {
    await this.#loop;
    await this.#nudge;
    await Promise.all(this.#running);
  }

  #stopped(): boolean {
    return this.#closing || this.#ended;
  }

  /**
   * Messages the next pull asks for, or 0 to wait. Each lane asks for at most half of the
   * capacity, so that the other lane's pull stays open beside it; while messages are held, it
   * waits until a quarter of that fits rather than pulling once per freed slot.
   */
  #pullSize(): number {
    const held = this.#running.size + this.#queue.length + this.#requested;
    const perLane = Math.ceil(this.#capacity / PULL_LANES);
    const size = Math.min(this.#capacity - held, perLane);
    const worthwhile = held === 0 ? 1 : Math.max(1, Math.floor(perLane / 4));
    return size >= worthwhile ? size : 0;
  }

  /**
   * One pull request after another, each for the room left (see #pullSize); PULL_LANES of these
   * run at once. Messages beyond the free handler slots wait in #queue, so at most
   * `maxInFlight` handlers run while the next messages are already here.
   */
  async #lane(): Promise<void> {
    const { pullExpiresMs } = this.settings;
    let failures = 0;
    while (!this.#stopped()) {
      let size = this.#pullSize();
      while (size === 0 && !this.#stopped()) {
        await this.#sleep();
        size = this.#pullSize();
      }
      if (this.#stopped()) break;
      this.#requested += size;
      let received = 0;
      let batch: ConsumerMessages | undefined;
      let outcome: PullOutcome;
      let error: unknown;
      const startedAt = Date.now();
      try {
        batch = await this.consumer.fetch({
          max_messages: size,
          expires: pullExpiresMs,
          idle_heartbeat: this.#heartbeatMs,
        });
        const state: PullState = { lastSign: Date.now(), nudged: false };
        this.#batches.set(batch, state);
        // close() began while the pull request was being made.
        if (this.#closing) void this.#endPull(batch);
        void this.#watchStatus(batch, state);
        for await (const msg of batch) {
          state.lastSign = Date.now();
          state.nudged = false;
          this.#delivered();
          received++;
          this.#requested--;
          this.#take(msg);
        }
        // An empty pull that ended early (the server refused or dropped it): do not spin.
        outcome = received === 0 && Date.now() - startedAt < pullExpiresMs / 2 ? 'refused' : 'ended';
      } catch (err) {
        if (err instanceof ClosedConnectionError || err instanceof DrainingConnectionError) {
          this.#connectionClosed(err);
          break;
        }
        error = err;
        outcome = isHeartbeatsMissed(err) ? 'heartbeats_missed' : 'failed';
      } finally {
        this.#requested -= size - received;
        if (batch !== undefined) this.#batches.delete(batch);
        this.#wakeAll();
      }
      failures = outcome === 'ended' ? 0 : failures + 1;
      const delay = pullRetryDelay(outcome, failures);
      if (outcome === 'failed' || (outcome === 'heartbeats_missed' && delay > 0)) {
        // A broker restart, a lost pull, a server that stopped answering: report it, back off.
        this.#report(
          new TransportError('ERR_JETSTREAM_UNAVAILABLE', `consumer ${this.durable}: pull failed`, {
            cause: error,
          }),
        );
      }
      if (delay > 0) await this.#pause(delay);
    }
  }

  /**
   * The watchdog: a pull that received messages and then went silent for more than a heartbeat
   * interval (no message, heartbeat or expiry) is one nats-server 2.9 stopped serving, and with it,
   * often, the consumer's other pull. A new pull request wakes the server's delivery loop for the
   * consumer, so open a small one beside them (nats.js ends the silent pull itself, later: two
   * heartbeats missed). A heartbeat merely late costs one extra pull request.
   */
  #checkPulls(): void {
    if (this.#nudge !== undefined || this.#stopped()) return;
    const now = Date.now();
    const silentFor = this.#heartbeatMs + Math.floor(this.#heartbeatMs / 4);
    for (const state of this.#batches.values()) {
      if (state.nudge !== true && !state.nudged && now - state.lastSign > silentFor) {
        state.nudged = true;
        this.#startNudge();
        return;
      }
    }
  }

  #delivered(): void {
    this.#deliveredSinceNudge = true;
    if (this.#quiet === undefined) {
      this.#quiet = setTimeout(() => this.#afterDeliveries(), NUDGE_AFTER_DELIVERIES_MS);
      this.#quiet.unref();
    } else {
      this.#quiet.refresh();
    }
  }

  /**
   * Deliveries paused: if pulls are waiting for messages, nudge once, so that a consumer whose
   * pulls the server stopped serving after the last delivery is served again at once. Costs one
   * small pull request per pause in deliveries.
   */
  #afterDeliveries(): void {
    if (!this.#deliveredSinceNudge || this.#stopped() || this.#requested === 0) return;
    // A nudge open since before the last delivery may be stuck as well: look again once it ends.
    if (this.#nudge !== undefined) {
      this.#quiet?.refresh();
      return;
    }
    this.#startNudge();
  }

  #startNudge(): void {
    this.#deliveredSinceNudge = false;
    this.#nudge = this.#nudgePull().finally(() => {
      this.#nudge = undefined;
    });
  }

  /** One pull request for one message, beside the lanes' (capacity is exceeded by one at most). */
  async #nudgePull(): Promise<void> {
    this.#requested++;
    let received = 0;
    let batch: ConsumerMessages | undefined;
    try {
      batch = await this.consumer.fetch({ max_messages: 1, expires: NUDGE_EXPIRES_MS });
      this.#batches.set(batch, { lastSign: Date.now(), nudged: true, nudge: true });
      if (this.#closing) void this.#endPull(batch);
      for await (const msg of batch) {
        received++;
        this.#requested--;
        this.#delivered();
        this.#take(msg);
      }
    } catch {
      // The lanes' own pulls report what goes wrong.
    } finally {
      this.#requested -= 1 - received;
      if (batch !== undefined) this.#batches.delete(batch);
      this.#wakeAll();
    }
  }

  /** A pulled message: to a free handler slot, or to the queue. */
  #take(msg: JsMsg): void {
    if (this.#stopped()) this.#handBack(msg);
    else if (this.#running.size < this.settings.maxInFlight) this.#start(msg);
    else this.#queue.push(msg);
  }

  #handBack(msg: JsMsg): void {
    try {
      msg.nak();
      this.#counters.naked++;
    } catch {
      // The connection is gone: the server redelivers it after the ack wait.
    }
  }

  #connectionClosed(cause: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    // Nothing more can come: end consumption (closed() resolves).
    this.#report(
      new TransportError('ERR_CONNECTION_CLOSED', `consumer ${this.durable}: connection closed`, { cause }),
    );
    this.#queue.splice(0);
    this.#wakeAll();
  }

  /**
   * Receives what the server already sent on the open pull (#lane hands it back), then ends the
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
        const next = this.#stopped() ? undefined : this.#queue.shift();
        if (next !== undefined) this.#start(next);
        this.#wakeAll();
      });
    this.#running.add(run);
  }

  /** Until something changes (see #waiters) or `ms` pass. */
  async #sleep(ms?: number): Promise<void> {
    await new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      if (ms !== undefined) timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  /** `ms` pass, or close() begins. */
  async #pause(ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!this.#stopped() && Date.now() < until) await this.#sleep(until - Date.now());
  }

  #wakeAll(): void {
    for (const wake of [...this.#waiters]) wake();
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
      this.#ack(msg);
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

  /**
   * Acknowledges without waiting for the server's reply: an ack lost on the way only means the
   * message comes again (handlers are idempotent), and waiting cost a round trip per message.
   */
  #ack(msg: JsMsg): void {
    try {
      msg.ack();
      this.#counters.acked++;
    } catch (err) {
      // The connection is gone: processed but not acknowledged, it will be delivered again.
      this.#counters.ackUnconfirmed++;
      this.#report(err, msg);
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

  /** Notes each notification of the pull as a sign of life, and hands it to onStatus. */
  async #watchStatus(batch: ConsumerMessages, state: PullState): Promise<void> {
    const { onStatus } = this.settings.hooks;
    try {
      for await (const status of batch.status()) {
        state.lastSign = Date.now();
        state.nudged = false;
        onStatus?.(status);
      }
    } catch {
      // The status stream ends with the pull.
    }
  }
}

/** What the watchdog knows of an open pull. */
interface PullState {
  /** When it last received a message or a notification (heartbeat, ...). */
  lastSign: number;
  /** A nudge pull was opened for its present silence. */
  nudged: boolean;
  /** It is a nudge pull itself. */
  nudge?: boolean;
}
