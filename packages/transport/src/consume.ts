/**
 * consume(): the one way Enlace reads a JetStream pull consumer that already exists (durable or
 * ephemeral). consumeDurable() creates or reconciles a durable consumer and then calls it; the
 * feed service's runners, matching indexer and reads call it on consumers they configure.
 *
 * It runs at most `maxInFlight` handlers at a time while the next messages are already pulled
 * (two pull requests open at once, holding up to `pullAhead` more, within the consumer's
 * max_ack_pending), in delivery order (with `maxInFlight` 1, one after another in stream order),
 * and turns each handler outcome into the acknowledgement that matches it:
 *
 * | handler                                  | JetStream                          | reported to     |
 * | ---------------------------------------- | ---------------------------------- | --------------- |
 * | resolves                                 | ack (`acks`: sent or confirmed)    | counters.acked  |
 * | throws or returns a RejectMessage        | term: never redelivered            | onRejected      |
 * | throws anything else                     | nak after nakDelay(): redelivered  | onError         |
 * | ... and this was the consumer's max_deliver | term                            | onDeadLetter    |
 *
 * On a consumer without acks (ack_policy none: a read) nothing is acknowledged; the outcomes are
 * only reported. Messages held (running or pulled ahead) are kept in progress (`working()`) every
 * half ack wait, so a slow handler or destination does not get them redelivered.
 *
 * `paused()` true: no pull request is made, open ones end, and what they still bring, with what
 * was pulled ahead, is handed back once they ended (so it comes first, in order, once resumed). `stopAt: 'end'`: consumption ends, as by close(), once the
 * handler of the message that was the consumer's last (no more pending) has finished, or at once
 * when nothing was pending at the start.
 *
 * Pull requests follow a PullStrategy (pull-strategy.ts): the nats-server 2.9 stall workaround, or
 * plain pulls, chosen from the server's version in INFO. A pull that fails (broker restart, lost
 * connection) is reported to `onError` and retried with backoff until close(); a closed
 * connection ends consumption (closed() resolves).
 */
import type {
  ConsumeCallback,
  Consumer,
  ConsumerInfo,
  ConsumerMessages,
  ConsumerNotification,
  FetchMessages,
  JetStreamClient,
  JsMsg,
  PullOptions,
} from '@nats-io/jetstream';
import { AckPolicy, JetStreamError } from '@nats-io/jetstream';
import { ClosedConnectionError, DrainingConnectionError, millis, nanos } from '@nats-io/transport-node';

import { createPullStrategy, choosePullStrategy } from './pull-strategy.js';
import type {
  OpenPull,
  PullHost,
  PullOutcome,
  PullStrategy,
  PullStrategyName,
  PullStrategySetting,
} from './pull-strategy.js';
import type { RejectionReason, RejectMessage } from './reject-message.js';
import { isRejectMessage } from './reject-message.js';
import { TransportError } from './transport-error.js';

export const DEFAULT_MAX_IN_FLIGHT = 8;
export const DEFAULT_PULL_EXPIRES_MS = 5_000;
/** How long a confirmed ack waits for the server's reply. */
export const CONFIRMED_ACK_TIMEOUT_MS = 5_000;

/** What a handler does with one message. See the table in this module's comment. */
export type MessageHandler = (msg: JsMsg) => unknown;

/** A message a handler rejected; it has been terminated (on a consumer with acks). */
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

/** Options of consume(). Durations in milliseconds. */
export interface ConsumeOptions {
  /** Handlers running at once (default 8). 1: one after another, in delivery order. */
  readonly maxInFlight?: number;
  /**
   * Messages pulled ahead beyond the running ones, so that the next are here when a handler
   * finishes (default maxInFlight), within the consumer's max_ack_pending.
   */
  readonly pullAhead?: number;
  /** How long one pull request waits for messages on an idle stream (default 5 s, at least 1 s). */
  readonly pullExpiresMs?: number;
  /**
   * `sent` (default): an ack is sent without waiting for the server (a lost one means a
   * redelivery); close() confirms the last ones. `confirmed`: the handler's slot is held until the
   * server confirmed the ack, for callers that must know.
   */
  readonly acks?: 'sent' | 'confirmed';
  /** Redelivery delay after a failed delivery `deliveryCount` (default exponentialNakDelay()). */
  readonly nakDelay?: (deliveryCount: number) => number;
  /** While true, nothing is pulled and what still arrives is handed back. Checked before each pull. */
  readonly paused?: () => boolean;
  /** `end`: stop once the consumer's last pending message was handled (a bounded read). */
  readonly stopAt?: 'end';
  /** The pull strategy (default `auto`: from the server's version; see pull-strategy.ts). */
  readonly pullStrategy?: PullStrategySetting;
  /** The server's version, for `auto` (default: the connection's INFO). */
  readonly serverVersion?: string;
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
  /** Acknowledged after the handler resolved (sent, or confirmed with `acks: 'confirmed'`). */
  acked: number;
  /** Terminated: rejected plus dead-lettered. */
  termed: number;
  /** Handed back for redelivery: handler failures, and messages pulled but not started at close(). */
  naked: number;
  /** Rejected by the handler (terminated, on a consumer with acks). */
  rejected: number;
  /** Terminated after failing on their last allowed delivery. */
  deadLettered: number;
  /** Handler failures (each is naked or dead-lettered). */
  failed: number;
  /** Acks that could not be sent or were not confirmed: the message will come again. */
  ackUnconfirmed: number;
}

/** A running consume(). */
export interface ConsumerRun {
  readonly stream: string;
  /** The consumer's name. */
  readonly name: string;
  /** The consumer as the server described it when consumption started. */
  readonly info: ConsumerInfo;
  /** The pull strategy in use. */
  readonly pullStrategy: PullStrategyName;
  /** A snapshot of the counters. */
  counters(): ConsumerCounters;
  /** Handlers running now. */
  inFlight(): number;
  /** Stop pulling, let running handlers finish, and confirm their acks reached the server. Idempotent. */
  close(): Promise<void>;
  /** Resolves when consumption has ended (after close(), at `stopAt`, or on a closed connection). */
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
 * Starts handing the messages of consumer `name` on `stream` to `handler`. Resolves once
 * consumption has started. `info`, when the caller has it at hand (it just created the consumer),
 * saves a round trip. Throws TransportError ERR_INVALID_OPTION or ERR_JETSTREAM_UNAVAILABLE
 * (cannot read the consumer).
 */
export async function consume(
  js: JetStreamClient,
  consumer: { readonly stream: string; readonly name: string; readonly info?: ConsumerInfo },
  options: ConsumeOptions,
  handler: MessageHandler,
): Promise<ConsumerRun> {
  const settings = checkConsumeOptions(options);
  let pulled: Consumer;
  let info: ConsumerInfo;
  try {
    pulled = await js.consumers.get(consumer.stream, consumer.name);
    info = consumer.info ?? (await pulled.info(true));
  } catch (err) {
    throw new TransportError(
      'ERR_JETSTREAM_UNAVAILABLE',
      `cannot read consumer ${consumer.name} on stream ${consumer.stream}` +
        `${err instanceof Error ? `: ${err.message}` : ''}`,
      { cause: err },
    );
  }
  // The connection under `js` (not in JetStreamClient's type); a consumer info round trip
  // orders the same way where it is missing.
  const nc = (js as { nc?: { flush(): Promise<void>; info?: { version?: string } } }).nc;
  const flush = nc !== undefined ? () => nc.flush() : () => pulled.info();
  const strategy = choosePullStrategy(settings.pullStrategy, options.serverVersion ?? nc?.info?.version);
  return new ConsumerRunImpl(consumer.stream, info, pulled, flush, handler, settings, strategy);
}

interface ConsumeSettings {
  maxInFlight: number;
  pullAhead: number;
  pullExpiresMs: number;
  acks: 'sent' | 'confirmed';
  nakDelay: (deliveryCount: number) => number;
  paused: () => boolean;
  stopAtEnd: boolean;
  pullStrategy: PullStrategySetting;
  hooks: Pick<ConsumeOptions, 'onRejected' | 'onDeadLetter' | 'onError' | 'onStatus'>;
}

/** An integer option at least `min`, or ERR_INVALID_OPTION naming it. */
export function checkIntegerOption(name: string, value: number, min = 1): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TransportError('ERR_INVALID_OPTION', `${name} must be an integer >= ${min}, got ${value}`);
  }
  return value;
}

function checkConsumeOptions(options: ConsumeOptions): ConsumeSettings {
  const maxInFlight = checkIntegerOption('maxInFlight', options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT);
  const strategies: readonly PullStrategySetting[] = ['auto', 'plain', 'stall-workaround'];
  const pullStrategy = options.pullStrategy ?? 'auto';
  if (!strategies.includes(pullStrategy)) {
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `pullStrategy must be one of ${strategies.join(', ')}, got ${JSON.stringify(pullStrategy)}`,
    );
  }
  return {
    maxInFlight,
    pullAhead: checkIntegerOption('pullAhead', options.pullAhead ?? maxInFlight, 0),
    pullExpiresMs: checkIntegerOption(
      'pullExpiresMs',
      options.pullExpiresMs ?? DEFAULT_PULL_EXPIRES_MS,
      1_000,
    ),
    acks: options.acks ?? 'sent',
    nakDelay: options.nakDelay ?? exponentialNakDelay(),
    paused: options.paused ?? (() => false),
    stopAtEnd: options.stopAt === 'end',
    pullStrategy,
    hooks: {
      ...(options.onRejected && { onRejected: options.onRejected }),
      ...(options.onDeadLetter && { onDeadLetter: options.onDeadLetter }),
      ...(options.onError && { onError: options.onError }),
      ...(options.onStatus && { onStatus: options.onStatus }),
    },
  };
}

/**
 * Pull requests open at once, so that the next messages are asked for while those of the last
 * pull are handled.
 */
const PULL_LANES = 2;
/** How often a paused consumer looks whether it may pull again. */
const PAUSED_CHECK_MS = 250;

/** Resolves when a pull made with a callback ended; rejects with what ended it, as its iterator would throw. */
async function pullEnded(batch: ConsumerMessages): Promise<void> {
  const error = await batch.closed();
  if (error) throw error;
}

function isHeartbeatsMissed(err: unknown): boolean {
  return err instanceof JetStreamError && err.message === 'heartbeats missed';
}

class ConsumerRunImpl implements ConsumerRun {
  readonly name: string;
  readonly pullStrategy: PullStrategyName;
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
  readonly #running = new Map<JsMsg, Promise<void>>();
  /** Pulled ahead, waiting for a handler slot (oldest first). */
  readonly #queue: JsMsg[] = [];
  /** Messages the open pull requests asked for and have not received yet. */
  #requested = 0;
  /** The pull requests open now, with when each last showed a sign of life. */
  readonly #pulls = new Map<ConsumerMessages, OpenPull>();
  readonly #strategy: PullStrategy;
  /** Idle heartbeat interval asked of the server for each pull. */
  readonly #heartbeatMs: number;
  /** Keeps held messages in progress (undefined without acks). */
  readonly #keepAlive: ReturnType<typeof setInterval> | undefined;
  /** Messages held here at most: running, waiting in #queue, or asked for. */
  readonly #capacity: number;
  /** The consumer acknowledges (ack_policy explicit or all). */
  readonly #acking: boolean;
  readonly #maxDeliver: number;
  #closing = false;
  /** The connection closed: nothing more can be pulled or acknowledged. */
  #ended = false;
  /** Paused: ending the pulls and handing back what is held (see #pauseNow). */
  #pausing: Promise<void> | undefined;
  /** With stopAt 'end': the consumer's last pending message was delivered. */
  #atEnd = false;
  /** Wake the pull lanes when a handler finishes, a pull ends, or close() begins. */
  readonly #waiters = new Set<() => void>();
  /** Resolves once pulls ended, handlers finished and acks were confirmed. */
  readonly #done: Promise<void>;
  #closePromise: Promise<void> | undefined;

  constructor(
    readonly stream: string,
    readonly info: ConsumerInfo,
    private readonly consumer: Consumer,
    private readonly flush: () => Promise<unknown>,
    private readonly handler: MessageHandler,
    private readonly settings: ConsumeSettings,
    strategy: PullStrategyName,
  ) {
    this.name = info.name;
    const { maxInFlight, pullAhead } = settings;
    const maxAckPending = info.config.max_ack_pending ?? -1;
    this.#acking = info.config.ack_policy !== AckPolicy.None;
    this.#maxDeliver = info.config.max_deliver ?? -1;
    // Read ahead within what the server lets this consumer hold (max_ack_pending <= 0: no limit).
    const ahead =
      this.#acking && maxAckPending > 0
        ? Math.min(pullAhead, Math.max(0, maxAckPending - maxInFlight))
        : pullAhead;
    this.#capacity = maxInFlight + ahead;
    this.pullStrategy = strategy;
    const host: PullHost = {
      pulls: this.#pulls,
      requested: () => this.#requested,
      // No nudge for a paused consumer: it pulls nothing on purpose.
      stopped: () => this.#stopped() || this.settings.paused(),
      extraPull: (max, expiresMs) => this.#extraPull(max, expiresMs),
    };
    this.#strategy = createPullStrategy(strategy, host, settings.pullExpiresMs);
    this.#heartbeatMs = this.#strategy.heartbeatMs(settings.pullExpiresMs);
    const ackWaitMs = millis(info.config.ack_wait ?? 30_000_000_000);
    if (this.#acking) {
      // A long handler, or a message waiting for one, keeps its message: tell the server we are
      // working on it before the ack wait ends.
      this.#keepAlive = setInterval(() => this.#working(), Math.max(500, Math.floor(ackWaitMs / 2)));
      this.#keepAlive.unref();
    }
    if (settings.stopAtEnd && info.num_pending === 0) this.#atEnd = true;
    const lanes = this.#atEnd ? [] : Array.from({ length: PULL_LANES }, () => this.#lane());
    this.#done = Promise.all(lanes).then(async () => {
      await this.#strategy.stop();
      await this.#pausing;
      // Running handlers finish; at the end of a bounded read, so do those queued before it.
      while (this.#running.size > 0) await Promise.all(this.#running.values());
      clearInterval(this.#keepAlive);
      // Acks are sent without waiting for a reply: the server has read them once it answers this.
      if (!this.#ended && this.#acking) await this.flush().catch(() => undefined);
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
      await Promise.all([...this.#pulls.keys()].map((batch) => this.#endPull(batch)));
      // Pulled but not started: let another instance (or the next start) have them now.
      for (const msg of this.#queue.splice(0)) this.#handBack(msg);
      await this.#done;
    })();
    return this.#closePromise;
  }

  closed(): Promise<void> {
    return this.#done;
  }

  #stopped(): boolean {
    return this.#closing || this.#ended || this.#atEnd;
  }

  /**
   * Messages the next pull asks for, or 0 to wait. Each lane asks for at most half of the
   * capacity, so that the other lane's pull stays open beside it; while messages are held, it
   * waits until a quarter of that fits rather than pulling once per freed slot.
   */
  #pullSize(): number {
    if (this.settings.paused()) return 0;
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
        await this.#sleep(this.settings.paused() ? PAUSED_CHECK_MS : undefined);
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
        const pull: OpenPull = { lastSign: Date.now(), extra: false };
        batch = await this.#fetch(size, pullExpiresMs, this.#heartbeatMs, (msg) => {
          pull.lastSign = Date.now();
          received++;
          this.#requested--;
          this.#take(msg);
        });
        this.#pulls.set(batch, pull);
        // close() began while the pull request was being made.
        if (this.#closing) void this.#endPull(batch);
        void this.#watchStatus(batch, pull, {
          batch: size,
          no_wait: false,
          expires: nanos(pullExpiresMs),
          max_bytes: 0,
          idle_heartbeat: nanos(this.#heartbeatMs),
        });
        await pullEnded(batch);
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
        if (batch !== undefined) this.#pulls.delete(batch);
        this.#wakeAll();
      }
      // Ended by a pause, close() or the end of a bounded read: not a failure.
      if (this.#stopped() || this.settings.paused()) outcome = 'ended';
      failures = outcome === 'ended' ? 0 : failures + 1;
      const delay = this.#strategy.retryDelay(outcome, failures);
      if (outcome === 'failed' || (outcome === 'heartbeats_missed' && delay > 0)) {
        // A broker restart, a lost pull, a server that stopped answering: report it, back off.
        this.#report(
          new TransportError('ERR_JETSTREAM_UNAVAILABLE', `consumer ${this.name}: pull failed`, {
            cause: error,
          }),
        );
      }
      if (delay > 0) await this.#pause(delay);
    }
  }

  /** A pull request for the strategy, beside the lanes' (capacity is exceeded by `max` at most). */
  async #extraPull(max: number, expiresMs: number): Promise<void> {
    this.#requested += max;
    let received = 0;
    let batch: ConsumerMessages | undefined;
    try {
      batch = await this.#fetch(max, expiresMs, undefined, (msg) => {
        received++;
        this.#requested--;
        this.#take(msg);
      });
      this.#pulls.set(batch, { lastSign: Date.now(), extra: true });
      if (this.#closing) void this.#endPull(batch);
      await pullEnded(batch);
    } catch {
      // The lanes' own pulls report what goes wrong.
    } finally {
      this.#requested -= max - received;
      if (batch !== undefined) this.#pulls.delete(batch);
      this.#wakeAll();
    }
  }

  /**
   * One pull request whose messages go to `onMessage` as the connection reads them. Not the
   * batch's async iterator: with two pulls open, two iterators resumed in turn would interleave
   * their messages (0, 5, 1, 6, ...), where the server delivered them in stream order.
   */
  #fetch(
    max: number,
    expiresMs: number,
    idleHeartbeatMs: number | undefined,
    onMessage: (msg: JsMsg) => void,
  ): Promise<ConsumerMessages> {
    // nats.js honours `callback` on fetch as on consume (FetchMessages' type leaves it out).
    const options: FetchMessages & ConsumeCallback = {
      max_messages: max,
      expires: expiresMs,
      ...(idleHeartbeatMs !== undefined && { idle_heartbeat: idleHeartbeatMs }),
      callback: onMessage,
    };
    return this.consumer.fetch(options);
  }

  /** A pulled message: to a free handler slot, or to the queue. */
  #take(msg: JsMsg): void {
    this.#strategy.delivered();
    if (this.#stopped()) {
      this.#handBack(msg);
      return;
    }
    if (this.settings.paused()) {
      // Paused while this pull was open: no more from it, and this one comes again later.
      this.#queue.push(msg);
      this.#pauseNow();
      return;
    }
    if (this.settings.stopAtEnd && msg.info.pending === 0) this.#atEnd = true;
    if (this.#running.size < this.settings.maxInFlight) this.#start(msg);
    else this.#queue.push(msg);
    if (this.#atEnd) {
      // The last message of a bounded read: the pulls still open have nothing more to give.
      for (const batch of this.#pulls.keys()) void this.#endPull(batch);
      this.#wakeAll();
    }
  }

  /**
   * Ends the open pulls, then hands back what is held and not started, in delivery order. With no
   * pull open, the server keeps them first in line: once resumed, they come before anything newer.
   */
  #pauseNow(): void {
    this.#pausing ??= (async () => {
      await Promise.all([...this.#pulls.keys()].map((batch) => this.#endPull(batch)));
      for (const msg of this.#queue.splice(0)) this.#handBack(msg);
    })().finally(() => {
      this.#pausing = undefined;
      this.#wakeAll();
    });
  }

  #handBack(msg: JsMsg): void {
    if (!this.#acking) return;
    try {
      msg.nak();
      this.#counters.naked++;
    } catch {
      // The connection is gone: the server redelivers it after the ack wait.
    }
  }

  /** Held messages stay in progress on the server. */
  #working(): void {
    for (const msg of [...this.#running.keys(), ...this.#queue]) {
      try {
        msg.working();
      } catch {
        // The connection is gone: nothing to keep.
      }
    }
  }

  #connectionClosed(cause: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    // Nothing more can come: end consumption (closed() resolves).
    this.#report(
      new TransportError('ERR_CONNECTION_CLOSED', `consumer ${this.name}: connection closed`, { cause }),
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
        this.#running.delete(msg);
        // At the end of a bounded read, what was pulled before the last message is still handled.
        let next: JsMsg | undefined;
        if (this.#closing || this.#ended) next = undefined;
        else if (this.#queue.length > 0 && this.settings.paused()) this.#pauseNow();
        else next = this.#queue.shift();
        if (next !== undefined) this.#start(next);
        this.#wakeAll();
      });
    this.#running.set(msg, run);
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
    const { hooks } = this.settings;
    this.#counters.received++;
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, value: await this.handler(msg) };
    } catch (error) {
      outcome = { ok: false, error };
    }

    const rejection = outcome.ok ? outcome.value : outcome.error;
    if (isRejectMessage(rejection)) {
      if (this.#acking) {
        msg.term();
        this.#counters.termed++;
      }
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
    if (!this.#acking) return;
    const deliveryCount = msg.info.deliveryCount;
    if (this.#maxDeliver > 0 && deliveryCount >= this.#maxDeliver) {
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
   * `sent`: acknowledges without waiting for the server's reply: an ack lost on the way only
   * means the message comes again (handlers are idempotent), and waiting cost a round trip per
   * message. `confirmed`: waits for the reply.
   */
  async #ack(msg: JsMsg): Promise<void> {
    if (!this.#acking) return;
    try {
      if (this.settings.acks === 'confirmed') {
        await msg.ackAck({ timeout: CONFIRMED_ACK_TIMEOUT_MS });
      } else {
        msg.ack();
      }
      this.#counters.acked++;
    } catch (err) {
      // Processed but not acknowledged: it will be delivered again.
      this.#counters.ackUnconfirmed++;
      this.#report(
        new TransportError(
          'ERR_ACK_UNCONFIRMED',
          `consumer ${this.name}: ack of sequence ${msg.seq} not confirmed`,
          {
            cause: err,
          },
        ),
        msg,
      );
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
  async #watchStatus(batch: ConsumerMessages, pull: OpenPull, request: PullOptions): Promise<void> {
    const { onStatus } = this.settings.hooks;
    // With a callback, nats.js sends the pull request (its `next`) before a listener can attach.
    onStatus?.({ type: 'next', options: request });
    try {
      for await (const status of batch.status()) {
        pull.lastSign = Date.now();
        onStatus?.(status);
      }
    } catch {
      // The status stream ends with the pull.
    }
  }
}
