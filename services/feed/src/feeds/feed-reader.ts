/**
 * Reads a feed's alerts without touching its delivery: for `enlace feed tail` (follow new alerts),
 * `enlace feed replay` (read them again from the beginning or a time, to stdout or a file) and
 * exports. Each read is an ephemeral consumer of its own (no acks, removed when done or idle),
 * so it can never disturb the durable consumer that feeds the sink. Every alert is verified and
 * filtered exactly as for delivery.
 */
import { randomUUID } from 'node:crypto';

import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { VerifiedAlert } from '@enlace/trust';
import { ALERTS_STREAM, isRejectMessage } from '@enlace/transport';

import type { FeedRecord } from '../feed-record.js';
import type { AlertVerifier } from './alert-verifier.js';
import type { FeedDefinition } from './feed-definition.js';
import { feedSubjectFilter, skipReason } from './feed-filter.js';
import { buildFeedRecord } from './feed-record-builder.js';

export interface ReadOptions {
  /** `now`, `beginning` or an ISO instant. */
  readonly from: string;
  /** Keep reading new alerts after catching up (tail). */
  readonly follow: boolean;
  /** Stop after this many records. */
  readonly limit?: number;
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
    let seen = 0;
    let delivered = 0;
    try {
      await handlers.onStart?.({ pending: info.num_pending });
      if (!options.follow && info.num_pending === 0) return { seen, delivered };
      const consumer = await js.consumers.get(ALERTS_STREAM, name);
      while (!options.signal.aborted) {
        const messages = await consumer.fetch({ max_messages: 256, expires: 1_000 });
        let last: number | undefined;
        for await (const msg of messages) {
          seen++;
          last = msg.info.pending;
          handlers.onProgress?.(seen);
          let verified: VerifiedAlert;
          try {
            verified = await verifier.verify(msg, feed.country);
          } catch (error) {
            if (isRejectMessage(error)) continue;
            throw error;
          }
          if (skipReason(feed, verified) !== undefined) continue;
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
          if (options.limit !== undefined && delivered >= options.limit) return { seen, delivered };
          if (options.signal.aborted) break;
        }
        if (!options.follow && (last === 0 || (last === undefined && seen >= info.num_pending)))
          return { seen, delivered };
      }
      return { seen, delivered };
    } finally {
      await jsm.consumers.delete(ALERTS_STREAM, name).catch(() => undefined);
    }
  }
}
