/**
 * Where a feed delivers its records. A sink either takes a record for good (the promise
 * resolves only once the record is durable at the destination: fsynced to the file, answered
 * 2xx by the webhook, acknowledged by the JetStream stream) or rejects, and then the record is
 * delivered again later: delivery is at-least-once, in stream order, with stable record ids.
 *
 * The feed runner acknowledges the alert on its durable consumer only after `deliver` resolved,
 * so a restart of the feed service or an outage of the destination loses nothing.
 */
import type { FeedRecord } from '../feed-record.js';

export interface DeliveryProgress {
  /** Called while a slow delivery is still being retried, so the consumer extends its ack wait. */
  readonly working: () => void;
  /** Aborted when the feed stops (service shutdown, feed deleted): give up promptly. */
  readonly signal: AbortSignal;
}

export interface FeedSink {
  /** e.g. `file:/var/lib/enlace/feeds/mx-fiu`, `webhook:https://fiu.example/enlace`, `nats:enlace.v1.feed.MX.cases`. */
  readonly describe: string;
  /**
   * The highest stream sequence this sink is known to hold already (a file sink reads its last
   * line), so the runner skips records up to it after a crash between write and ack; undefined
   * when the sink cannot tell.
   */
  lastDeliveredSeq(): Promise<number | undefined>;
  /**
   * Delivers one record; resolves once it is durable at the destination. Retries transient
   * failures itself (with backoff, calling `progress.working()`), and rejects only when
   * `progress.signal` aborts or the failure cannot be retried.
   */
  deliver(record: FeedRecord, progress: DeliveryProgress): Promise<void>;
  /** Status for `enlace feed list`: last error, retries in progress. */
  status(): SinkStatus;
  close(): Promise<void>;
}

export interface SinkStatus {
  /** Records delivered since the sink was created. */
  readonly delivered: number;
  /** Failed attempts that were retried since the sink was created. */
  readonly retries: number;
  /** True while a delivery is failing and being retried (the feed is stalled at that record). */
  readonly retrying?: boolean;
  /** When the last record was delivered (ISO 8601). */
  readonly lastDeliveredAt?: string;
  /** The last failure, kept after recovery (compare `at` with `lastDeliveredAt`); never holds a secret. */
  readonly lastError?: { readonly at: string; readonly message: string };
}
