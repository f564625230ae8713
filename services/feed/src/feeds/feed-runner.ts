/**
 * Runs one feed: a durable pull consumer on ENLACE_ALERTS (named after the feed and its
 * generation) read in stream order through consume() of @enlace/transport, one alert at a time
 * with the next ones pulled ahead. Each alert is verified for the feed's country, filtered, turned
 * into a FeedRecord and handed to the sink; the alert is acknowledged (with a confirmed ack) only
 * after the sink holds the record. Rejected alerts are terminated and counted by reason, never
 * delivered. While the feed's country is suspended or withdrawn nothing is pulled.
 *
 * Nothing is lost: while a sink retries (webhook down), the messages held are kept in progress
 * (`working()`), and when the service stops, whatever was not acknowledged is delivered again by
 * JetStream. Nothing is delivered twice beyond at-least-once: a redelivered message at or below
 * the sink's last delivered sequence (a crash between write and ack) is acknowledged and skipped.
 */
import { AckPolicy, DeliverPolicy, JetStreamApiError } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { ConsumerConfig, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { VerifiedAlert } from '@enlace/trust';
import { ALERTS_STREAM, TransportError, consume } from '@enlace/transport';

import type { FeedRecord } from '../feed-record.js';
import type { FeedSink, SinkStatus } from '../sinks/sink.js';
import type { AlertVerifier } from './alert-verifier.js';
import { consumerName } from './feed-definition.js';
import type { FeedDefinition } from './feed-definition.js';
import { feedSubjectFilter, skipReason } from './feed-filter.js';
import { buildFeedRecord } from './feed-record-builder.js';

/** Messages pulled ahead of the one being delivered. */
const PULL_AHEAD = 64;
/** Redelivery delay of an alert that could not be checked (registry unreachable, ...). */
const RETRY_DELAY_MS = 5_000;
/** How long JetStream waits for an ack before redelivering; kept alive by `working()` while a sink retries. */
const ACK_WAIT_MS = 60_000;

export interface FeedCounters {
  delivered: number;
  /** Not for this feed: its filters. */
  filtered: number;
  /** Refused by the read rule (@enlace/policy evaluateRead) for an FIU of the feed's country. */
  readRefused: number;
  /** Redelivered messages the sink already held. */
  duplicates: number;
  /** Rejected by verification, by stable reason. */
  rejected: Record<string, number>;
  lastDeliveredSeq: number;
  lastDeliveredAt?: string;
}

export interface FeedRunnerDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly verifier: AlertVerifier;
  readonly sink: FeedSink;
  readonly onWarning?: (message: string, cause?: unknown) => void;
  readonly onRecord?: (record: FeedRecord) => void;
  /**
   * Called with each alert the feed is about to hand to its sink (after the filter); it must be
   * idempotent, as a redelivery calls it again. A throw redelivers the alert later.
   */
  readonly onDelivering?: (delivery: FeedDelivery) => void;
}

/** An alert a feed delivers, as onDelivering sees it. */
export interface FeedDelivery {
  readonly feed: FeedDefinition;
  readonly seq: number;
  readonly verified: VerifiedAlert;
  readonly at: Date;
}

/** A JetStream API answer that the stream or consumer does not exist. */
export function isNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && (error.code === 10014 || error.status === 404);
}

/** The consumer configuration of a feed's generation: where it starts and what it reads. */
export function feedConsumerConfig(feed: FeedDefinition): Partial<ConsumerConfig> {
  const start =
    feed.start === 'beginning'
      ? { deliver_policy: DeliverPolicy.All }
      : feed.start === 'now'
        ? { deliver_policy: DeliverPolicy.New }
        : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(feed.start).toISOString() };
  return {
    durable_name: consumerName(feed),
    description: `Enlace feed ${feed.id} of ${feed.country} (generation ${feed.generation})`,
    filter_subject: feedSubjectFilter(feed.filter),
    ack_policy: AckPolicy.Explicit,
    ack_wait: nanos(ACK_WAIT_MS),
    max_deliver: -1,
    max_ack_pending: 1_000,
    ...start,
  };
}

/** Creates the feed's durable consumer if it does not exist yet. */
export async function ensureFeedConsumer(jsm: JetStreamManager, feed: FeedDefinition): Promise<void> {
  try {
    await jsm.consumers.info(ALERTS_STREAM, consumerName(feed));
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.consumers.add(ALERTS_STREAM, feedConsumerConfig(feed));
  }
}

export async function deleteFeedConsumer(jsm: JetStreamManager, feed: FeedDefinition): Promise<void> {
  try {
    await jsm.consumers.delete(ALERTS_STREAM, consumerName(feed));
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

export class FeedRunner {
  readonly counters: FeedCounters = {
    delivered: 0,
    filtered: 0,
    readRefused: 0,
    duplicates: 0,
    rejected: {},
    lastDeliveredSeq: 0,
  };
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  /** True while the feed's country is suspended or withdrawn: nothing is pulled. */
  paused = false;
  #floor: number | undefined;

  constructor(
    readonly feed: FeedDefinition,
    private readonly deps: FeedRunnerDeps,
  ) {}

  sinkStatus(): SinkStatus {
    return this.deps.sink.status();
  }

  get running(): boolean {
    return this.#loop !== undefined && !this.#abort.signal.aborted;
  }

  /** Makes sure the consumer exists, then reads in the background until stop(). */
  async start(): Promise<void> {
    await ensureFeedConsumer(this.deps.jsm, this.feed);
    this.#floor = await this.deps.sink.lastDeliveredSeq();
    // Whatever stops the loop short of stop() (NATS gone at the wrong moment, the consumer
    // removed by an operator) is reported and the loop starts again: a feed never goes quiet.
    this.#loop = (async () => {
      while (!this.#abort.signal.aborted) {
        try {
          await this.#run();
        } catch (error) {
          if (this.#abort.signal.aborted) return;
          this.deps.onWarning?.(`feed ${this.feed.id} interrupted, starting again in 2 s`, error);
          await new Promise((r) => setTimeout(r, 2_000));
          await ensureFeedConsumer(this.deps.jsm, this.feed).catch(() => undefined);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    await this.deps.sink.close();
  }

  /** Consumes until stop(); resolves early only if consumption ended otherwise (then start() starts again). */
  async #run(): Promise<void> {
    const { js, verifier } = this.deps;
    const signal = this.#abort.signal;
    while (!signal.aborted && !(await verifier.ready(1_000)));
    if (signal.aborted) return;
    const feedId = this.feed.id;
    const run = await consume(
      js,
      { stream: ALERTS_STREAM, name: consumerName(this.feed) },
      {
        maxInFlight: 1,
        pullAhead: PULL_AHEAD,
        acks: 'confirmed',
        nakDelay: () => RETRY_DELAY_MS,
        paused: () => (this.paused = !verifier.mayReceiveNow(this.feed.country)),
        onRejected: ({ reason }) => {
          this.counters.rejected[reason] = (this.counters.rejected[reason] ?? 0) + 1;
        },
        onError: (error, msg) => {
          if (signal.aborted) return;
          if (error instanceof TransportError && error.code === 'ERR_ACK_UNCONFIRMED' && msg !== undefined) {
            // JetStream redelivers it and the duplicate check skips it.
            this.deps.onWarning?.(`feed ${feedId}: ack of sequence ${msg.seq} not confirmed`, error);
          } else if (msg !== undefined) {
            this.deps.onWarning?.(
              `feed ${feedId}: alert at sequence ${msg.seq} not delivered, will retry`,
              error,
            );
          } else {
            this.deps.onWarning?.(`feed ${feedId}: fetch failed`, error);
          }
        },
        onStatus: (status) => {
          // Removed by an operator: end, so that start() creates it again.
          if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') void run.close();
        },
      },
      (msg) => this.#handle(msg, () => msg.working()),
    );
    const stop = (): void => void run.close();
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) stop();
    try {
      await run.closed();
    } finally {
      signal.removeEventListener('abort', stop);
    }
    if (!signal.aborted) throw new Error(`feed ${feedId}: consumption of ${run.name} ended`);
  }

  async #handle(msg: JsMsg, working: () => void): Promise<void> {
    const { sink, verifier } = this.deps;
    const seq = msg.seq;
    if (
      msg.redelivered &&
      (seq <= this.counters.lastDeliveredSeq || (this.#floor !== undefined && seq <= this.#floor))
    ) {
      // Acknowledged (consume() acks what the handler resolved), not delivered again.
      this.counters.duplicates++;
      return;
    }
    // A rejection is terminated and counted (onRejected); any other failure is redelivered.
    const verified = await verifier.verify(msg, this.feed.country);
    const skip = skipReason(this.feed, verified);
    if (skip !== undefined) {
      if (skip === 'read_refused') this.counters.readRefused++;
      else this.counters.filtered++;
      return;
    }
    this.deps.onDelivering?.({ feed: this.feed, seq, verified, at: new Date() });
    const record = buildFeedRecord({
      feed: this.feed.id,
      seq,
      subject: msg.subject,
      data: msg.data,
      verified,
      verifiedAt: new Date(),
    });
    // Resolves once the record is durable at the destination; rejects only when stopping (the
    // message is handed back). consume() acknowledges it, confirmed, once this resolves.
    await sink.deliver(record, { working, signal: this.#abort.signal });
    this.counters.delivered++;
    this.counters.lastDeliveredSeq = seq;
    this.counters.lastDeliveredAt = new Date().toISOString();
    this.deps.onRecord?.(record);
  }
}
