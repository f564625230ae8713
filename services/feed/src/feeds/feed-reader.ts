/**
 * Reads a feed's alerts without touching its delivery: for `enlace feed tail` (follow new alerts),
 * `enlace feed replay` (read them again from the beginning or a time, to stdout or a file) and
 * exports. Each read is an ephemeral consumer of its own (no acks, removed when done or idle),
 * so it can never disturb the durable consumer that feeds the sink, read through consume() of
 * @enlace/transport one message at a time in stream order; without `follow` it ends at the end of
 * the stream. Every alert is verified and filtered exactly as for delivery.
 */
import { randomUUID } from 'node:crypto';

import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { storedTimeOf } from '@enlace/trust';
import type { VerifiedAlert } from '@enlace/trust';
import { ALERTS_STREAM, consume } from '@enlace/transport';

import type { FeedRecord } from '../feed-record.js';
import type { AlertVerifier } from './alert-verifier.js';
import type { FeedDefinition } from './feed-definition.js';
import { feedSubjectFilter, skipReason } from './feed-filter.js';
import { buildFeedRecord } from './feed-record-builder.js';

/** Messages pulled ahead of the one being read. */
const PULL_AHEAD = 256;

export interface ReadOptions {
  /** `now`, `beginning` or an ISO instant. */
  readonly from: string;
  /** Keep reading new alerts after catching up (tail). */
  readonly follow: boolean;
  /** Stop after this many records. */
  readonly limit?: number;
  /**
   * Only alerts issued at or before this instant (ms since the epoch). The read stops at the
   * first message JetStream stored more than the time rule's delivery delay after it, before
   * verifying it: issued_at may lie at most that far before the stored time, and stream order is
   * stored-time order, so nothing later can have been issued before `until`.
   */
  readonly until?: number;
  readonly signal: AbortSignal;
}

export interface ReadStart {
  /** Messages of the stream matching the subject filter at the start (verification and filters may drop some). */
  readonly pending: number;
}

export interface ReadItem {
  readonly record: FeedRecord;
  readonly verified: VerifiedAlert;
}

export interface FeedReaderDeps {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly verifier: AlertVerifier;
}

export class FeedReader {
  constructor(private readonly deps: FeedReaderDeps) {}

  /**
   * Calls `onStart` once with the number of messages to look at, then `onItem` for each record in
   * stream order (awaiting it: back-pressure) and `onProgress` for each message looked at.
   */
  async read(
    feed: FeedDefinition,
    options: ReadOptions,
    handlers: {
      readonly onStart?: (start: ReadStart) => void | Promise<void>;
      readonly onItem: (item: ReadItem) => void | Promise<void>;
      readonly onProgress?: (seen: number) => void;
    },
  ): Promise<{ seen: number; delivered: number }> {
    const { js, jsm, verifier } = this.deps;
    const name = `feed-read-${randomUUID()}`;
    const start =
      options.from === 'beginning'
        ? { deliver_policy: DeliverPolicy.All }
        : options.from === 'now'
          ? { deliver_policy: DeliverPolicy.New }
          : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(options.from).toISOString() };
    const info = await jsm.consumers.add(ALERTS_STREAM, {
      name,
      filter_subject: feedSubjectFilter(feed.filter),
      ack_policy: AckPolicy.None,
      inactive_threshold: nanos(30_000),
      mem_storage: true,
      ...start,
    });
    const storedUntil =
      options.until === undefined ? undefined : options.until + verifier.timeRule.maxDeliveryDelayMs;
    let seen = 0;
    let delivered = 0;
    /** What ended the read early, rethrown: a failed check, a handler, the pull. */
    let failure: { error: unknown } | undefined;
    try {
      await handlers.onStart?.({ pending: info.num_pending });
      if (!options.follow && info.num_pending === 0) return { seen, delivered };
      const run = await consume(
        js,
        { stream: ALERTS_STREAM, name, info },
        {
          // One at a time, in stream order; onItem's back-pressure holds the next.
          maxInFlight: 1,
          pullAhead: PULL_AHEAD,
          pullExpiresMs: 1_000,
          ...(!options.follow && { stopAt: 'end' as const }),
          // A failed pull (missed heartbeats under load, a broker restart) is retried by consume()
          // and must not end a tail; a handler that failed on a message ends the read, since an
          // unacknowledged ephemeral read has no redelivery.
          onError: (error, msg) => {
            if (msg === undefined) return;
            failure ??= { error };
            void run.close();
          },
        },
        // A rejected alert (RejectMessage) is skipped; consume() only counts it.
        async (msg: JsMsg) => {
          const storedAt = storedTimeOf(msg);
          if (storedUntil !== undefined && storedAt !== undefined && storedAt.getTime() > storedUntil) {
            void run.close();
            return;
          }
          seen++;
          handlers.onProgress?.(seen);
          const verified = await verifier.verify(msg, feed.country);
          if (options.until !== undefined && verified.issuedAt.getTime() > options.until) return;
          if (skipReason(feed, verified) !== undefined) return;
          const record = buildFeedRecord({
            feed: feed.id,
            seq: msg.seq,
            subject: msg.subject,
            data: msg.data,
            verified,
            verifiedAt: new Date(),
          });
          await handlers.onItem({ record, verified });
          delivered++;
          if (options.limit !== undefined && delivered >= options.limit) void run.close();
        },
      );
      const stop = (): void => void run.close();
      options.signal.addEventListener('abort', stop, { once: true });
      if (options.signal.aborted) stop();
      try {
        await run.closed();
      } finally {
        options.signal.removeEventListener('abort', stop);
      }
      if (failure !== undefined) throw failure.error;
      return { seen, delivered };
    } finally {
      await jsm.consumers.delete(ALERTS_STREAM, name).catch(() => undefined);
    }
  }
}
