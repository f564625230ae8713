/**
 * consumeDurable(): processes a stream through one durable pull consumer, the way every Enlace
 * receiver does (with or without Nest). It creates the consumer or brings its settings up to
 * date, then hands its messages to consume() (consume.ts), which runs at most `maxInFlight`
 * handlers at a time while the next messages are already pulled (two pull requests open at once,
 * holding up to `maxInFlight` more, within `maxAckPending`), and turns each handler outcome into
 * the JetStream acknowledgement that matches it:
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
 * back to the server at once. A pull that fails (broker restart, lost connection) is reported to
 * `onError` and retried with backoff (pullRetryDelay()) until close(); against nats-server 2.9
 * the stall workaround of pull-strategy.ts keeps pulls served.
 */
import type {
  ConsumerConfig,
  ConsumerInfo,
  ConsumerNotification,
  JetStreamClient,
  JetStreamManager,
  JsMsg,
} from '@nats-io/jetstream';
import { AckPolicy, DeliverPolicy, JetStreamApiError, ReplayPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

import {
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_PULL_EXPIRES_MS,
  checkIntegerOption,
  consume,
  exponentialNakDelay,
} from './consume.js';
import type { ConsumerRun, DeadLetter, MessageHandler, RejectedMessage } from './consume.js';
import type { PullStrategySetting } from './pull-strategy.js';
import { TransportError } from './transport-error.js';

export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_DELIVER = 5;

/** What a handler does with one message. See the table in this module's comment. */
export type DurableHandler = MessageHandler;

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
  /** The pull strategy (default `auto`: the stall workaround for nats-server before 2.10; pull-strategy.ts). */
  readonly pullStrategy?: PullStrategySetting;
  /** The server's version, for `auto` (default: the connection's INFO). */
  readonly serverVersion?: string;
}

/** A running durable consumer. */
export interface DurableConsumer extends ConsumerRun {
  readonly durable: string;
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
  const run = await consume(
    js,
    { stream: settings.stream, name: settings.durable, info },
    {
      maxInFlight: settings.maxInFlight,
      pullExpiresMs: settings.pullExpiresMs,
      nakDelay: settings.nakDelay,
      ...(options.pullStrategy !== undefined && { pullStrategy: options.pullStrategy }),
      ...(options.serverVersion !== undefined && { serverVersion: options.serverVersion }),
      ...settings.hooks,
    },
    handler,
  );
  return Object.assign(run, { durable: settings.durable });
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
  const positive = checkIntegerOption;
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
