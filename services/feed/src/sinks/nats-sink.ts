/**
 * The NATS sink: each FeedRecord is published as JSON on a subject of the FIU's own,
 * `enlace.v1.feed.<CC>.<name>`, into the stream ENLACE_FEEDS, so the FIU reads its feed with any
 * NATS client (a durable consumer of its own, at its pace, replayable for 30 days).
 *
 * Every message carries `Nats-Msg-Id: <record id>`: a record published again after a crash or a
 * retried timeout is dropped by the stream within its 5-minute duplicate window; beyond that,
 * lastDeliveredSeq() reads the feed's last record back from the stream so the runner skips what
 * is already there. Headers `Enlace-Feed` and `Enlace-Record-Id` let subscribers filter and
 * dedupe without parsing the body.
 *
 * Timeouts and no-responders (a server restarting, a stream leader election) are retried with
 * backoff; anything JetStream refuses (a message too large, a stream that does not take the
 * subject) is retried at the longest backoff with the error in the status, so no record is ever
 * dropped; a closed connection rejects, since nothing can be delivered on it any more.
 */
import type { JetStreamClient, JetStreamManager, StreamConfig, StreamInfo } from '@nats-io/jetstream';
import { DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import {
  ClosedConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  RequestError,
  TimeoutError,
  headers as createHeaders,
  nanos,
} from '@nats-io/transport-node';
import { FEEDS_STREAM } from '@enlace/transport';

import { FeedError } from '../errors.js';
import type { FeedRecord } from '../feed-record.js';
import type { DeliveryProgress, FeedSink, SinkStatus } from './sink.js';
import type { NatsSinkDefinition } from './sink-definition.js';
import { FEED_SUBJECT_PREFIX, describeSink } from './sink-definition.js';
import type { BackoffOptions } from './retry.js';
import {
  DEFAULT_WORKING_INTERVAL_MS,
  SerialQueue,
  SinkCounters,
  backoffDelay,
  backoffOptions,
  messageOf,
  sleep,
  startHeartbeat,
  stoppedError,
} from './retry.js';

export { FEEDS_STREAM };
export const FEEDS_STREAM_SUBJECTS = [`${FEED_SUBJECT_PREFIX}.>`] as const;
const DAY = 24 * 60 * 60_000;
/** Feed messages are kept 30 days: time enough for an FIU to catch up after an outage. */
export const DEFAULT_FEEDS_MAX_AGE_MS = 30 * DAY;
/** Window in which a repeated Nats-Msg-Id (record id) is dropped. */
export const DEFAULT_FEEDS_DUPLICATE_WINDOW_MS = 5 * 60_000;
/** Each publish waits this long for the stream's acknowledgement by default. */
export const DEFAULT_NATS_SINK_TIMEOUT_MS = 5_000;

/** Options of createNatsSink(). */
export interface NatsSinkOptions {
  readonly feedId: string;
  readonly js: JetStreamClient;
  /** Delays between attempts (default initial 500 ms, factor 2, max 60 s). */
  readonly backoff?: Partial<BackoffOptions>;
  /** Wait this long for each acknowledgement (default 5 s). */
  readonly timeoutMs?: number;
  /** How often a delivery still going on calls `progress.working()` (default 5 s). */
  readonly workingIntervalMs?: number;
}

/** Creates the NATS sink of one feed. */
export function createNatsSink(def: NatsSinkDefinition, options: NatsSinkOptions): FeedSink {
  return new NatsSink(def, options);
}

class NatsSink implements FeedSink {
  readonly describe: string;
  private readonly backoff: BackoffOptions;
  private readonly timeoutMs: number;
  private readonly workingIntervalMs: number;
  private readonly counters = new SinkCounters();
  private readonly queue = new SerialQueue();
  private closed = false;
  private readonly closing = new AbortController();

  constructor(
    private readonly def: NatsSinkDefinition,
    private readonly options: NatsSinkOptions,
  ) {
    this.describe = describeSink(def);
    this.backoff = backoffOptions(options.backoff);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_NATS_SINK_TIMEOUT_MS;
    if (!(Number.isSafeInteger(this.timeoutMs) && this.timeoutMs > 0)) {
      throw new FeedError('ERR_VALIDATION', `timeoutMs must be a positive integer, got ${this.timeoutMs}`);
    }
    this.workingIntervalMs = options.workingIntervalMs ?? DEFAULT_WORKING_INTERVAL_MS;
  }

  /**
   * The `seq` of the last message on the subject when it is this feed's record (several feeds
   * of a country may share a subject: then it cannot tell); undefined when the stream or the
   * message cannot be read.
   */
  async lastDeliveredSeq(): Promise<number | undefined> {
    try {
      const jsm = await this.options.js.jetstreamManager();
      const stored = await jsm.streams.getMessage(FEEDS_STREAM, { last_by_subj: this.def.subject });
      if (stored === null || stored.header?.get('Enlace-Feed') !== this.options.feedId) return undefined;
      const seq = (stored.json<{ seq?: unknown }>() ?? {}).seq;
      return typeof seq === 'number' && Number.isSafeInteger(seq) ? seq : undefined;
    } catch {
      // No stream yet, no message on the subject, or JetStream unreachable: the runner falls back
      // on its consumer and the duplicate window.
      return undefined;
    }
  }

  status(): SinkStatus {
    return this.counters.status();
  }

  /** What JSON.stringify() shows of the sink. */
  toJSON(): { describe: string; status: SinkStatus } {
    return { describe: this.describe, status: this.status() };
  }

  deliver(record: FeedRecord, progress: DeliveryProgress): Promise<void> {
    if (this.closed)
      return Promise.reject(new FeedError('ERR_UNAVAILABLE', `the sink ${this.describe} is closed`));
    const stopHeartbeat = startHeartbeat(progress, this.workingIntervalMs);
    const signal = AbortSignal.any([progress.signal, this.closing.signal]);
    return this.queue.run(() => this.deliverNow(record, signal)).finally(stopHeartbeat);
  }

  /** Waits for deliveries under way; the connection belongs to the caller. */
  async close(): Promise<void> {
    this.closed = true;
    // A delivery still retrying gives up now rather than holding close() for ever.
    this.closing.abort();
    await this.queue.idle();
  }

  private async deliverNow(record: FeedRecord, signal: AbortSignal): Promise<void> {
    const stopped = (): FeedError => stoppedError(record.id, this.describe, signal);
    const data = new TextEncoder().encode(JSON.stringify(record));
    const headers = createHeaders();
    headers.set('Content-Type', 'application/json');
    headers.set('Enlace-Feed', this.options.feedId);
    headers.set('Enlace-Record-Id', record.id);
    let endRetrying: (() => void) | undefined;
    try {
      for (let retry = 0; ; retry++) {
        if (signal.aborted) throw stopped();
        let permanent: boolean;
        try {
          await this.options.js.publish(this.def.subject, data, {
            msgID: record.id,
            timeout: this.timeoutMs,
            headers,
            expect: { streamName: FEEDS_STREAM },
            // Retries are ours, with backoff and status.
            retries: 1,
          });
          this.counters.succeeded();
          return;
        } catch (err) {
          if (err instanceof ClosedConnectionError || err instanceof DrainingConnectionError) {
            const message = `cannot publish record ${record.id} on ${this.def.subject}: the NATS connection is closed`;
            this.counters.failed(message);
            throw new FeedError('ERR_UNAVAILABLE', message, { cause: err });
          }
          permanent = !isTransient(err);
          this.counters.failed(
            permanent
              ? `JetStream refused record ${record.id} on ${this.def.subject}: ${messageOf(err)} (retrying every ${this.backoff.maxMs} ms)`
              : `cannot publish record ${record.id} on ${this.def.subject}: ${transientMessage(err)}`,
          );
        }
        if (signal.aborted) throw stopped();
        this.counters.retried();
        endRetrying ??= this.counters.retryingStarted();
        await sleep(permanent ? this.backoff.maxMs : backoffDelay(retry + 1, this.backoff), signal, stopped);
      }
    } finally {
      endRetrying?.();
    }
  }
}

function isNoResponders(err: unknown): boolean {
  return (
    err instanceof NoRespondersError ||
    (err instanceof RequestError && err.isNoResponders()) ||
    // Not exported by @nats-io/jetstream: what a JetStream request with no responders becomes.
    (err instanceof Error && err.name === 'JetStreamNotEnabled')
  );
}

function isTransient(err: unknown): boolean {
  if (err instanceof TimeoutError || isNoResponders(err)) return true;
  // 503: JetStream temporarily unavailable (no quorum, leader election).
  return err instanceof JetStreamApiError && err.status === 503;
}

function transientMessage(err: unknown): string {
  if (err instanceof TimeoutError) return 'no acknowledgement from JetStream in time';
  if (isNoResponders(err)) return `no stream answered (is ${FEEDS_STREAM} there and JetStream up?)`;
  return messageOf(err);
}

// ---- the stream ------------------------------------------------------------------------------

/** Options of ensureFeedsStream(). Durations in milliseconds. */
export interface EnsureFeedsStreamOptions {
  /** Replicas of a new stream (default 1); an existing stream keeps its own unless given. */
  readonly replicas?: 1 | 3;
  /** How long records are kept (default 30 days). */
  readonly maxAge?: number;
  /** Window of Nats-Msg-Id deduplication (default 5 minutes). */
  readonly duplicateWindow?: number;
}

/** What ensureFeedsStream() did. */
export interface EnsuredFeedsStream {
  readonly name: typeof FEEDS_STREAM;
  readonly action: 'created' | 'updated' | 'unchanged';
  /** Fields that differed and were updated. */
  readonly changed: readonly string[];
  readonly info: StreamInfo;
}

/** The configuration ensureFeedsStream() gives ENLACE_FEEDS. */
export function feedsStreamConfig(options: EnsureFeedsStreamOptions = {}): StreamConfig {
  const maxAge = options.maxAge ?? DEFAULT_FEEDS_MAX_AGE_MS;
  const duplicateWindow = options.duplicateWindow ?? DEFAULT_FEEDS_DUPLICATE_WINDOW_MS;
  for (const [name, value] of [
    ['maxAge', maxAge],
    ['duplicateWindow', duplicateWindow],
  ] as const) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new FeedError(
        'ERR_VALIDATION',
        `${name} must be a positive whole number of milliseconds, got ${value}`,
      );
    }
  }
  if (duplicateWindow > maxAge) {
    throw new FeedError(
      'ERR_VALIDATION',
      `duplicateWindow (${duplicateWindow} ms) must not exceed maxAge (${maxAge} ms)`,
    );
  }
  return {
    name: FEEDS_STREAM,
    description: 'Enlace feed records delivered to FIUs on subjects of their own',
    subjects: [...FEEDS_STREAM_SUBJECTS],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: options.replicas ?? 1,
    max_age: nanos(maxAge),
    duplicate_window: nanos(duplicateWindow),
    max_msgs: -1,
    max_bytes: -1,
  } as StreamConfig;
}

const UPDATABLE = [
  'subjects',
  'description',
  'max_age',
  'duplicate_window',
  'discard',
  'num_replicas',
] as const;

/**
 * Creates ENLACE_FEEDS (capturing `enlace.v1.feed.>`) when missing, or brings its limits to
 * feedsStreamConfig(). Never changes an existing stream's replicas unless `replicas` is given,
 * and never deletes or recreates it: a storage or retention that differs throws FeedError
 * ERR_CONFLICT. JetStream unreachable: ERR_UNAVAILABLE.
 */
export async function ensureFeedsStream(
  jsm: JetStreamManager,
  options: EnsureFeedsStreamOptions = {},
): Promise<EnsuredFeedsStream> {
  let wanted = feedsStreamConfig(options);
  let existing = await streamInfo(jsm);
  if (existing === undefined) {
    try {
      return { name: FEEDS_STREAM, action: 'created', changed: [], info: await jsm.streams.add(wanted) };
    } catch (err) {
      // Another instance may have created it in between: reconcile with that one.
      existing = await streamInfo(jsm);
      if (existing === undefined) throw unavailable(`cannot create stream ${FEEDS_STREAM}`, err);
    }
  }
  const current = existing.config;
  if (options.replicas === undefined) wanted = { ...wanted, num_replicas: current.num_replicas };
  const immutable = (['storage', 'retention'] as const).filter((f) => current[f] !== wanted[f]);
  if (immutable.length > 0) {
    throw new FeedError(
      'ERR_CONFLICT',
      `stream ${FEEDS_STREAM} exists with a different ${immutable.join(', ')} that JetStream cannot change in place; migrate it by hand`,
    );
  }
  const changed = UPDATABLE.filter((field) => !sameValue(current[field], wanted[field]));
  if (changed.length === 0) return { name: FEEDS_STREAM, action: 'unchanged', changed, info: existing };
  try {
    const update = Object.fromEntries(UPDATABLE.map((field) => [field, wanted[field]]));
    return {
      name: FEEDS_STREAM,
      action: 'updated',
      changed,
      info: await jsm.streams.update(FEEDS_STREAM, update),
    };
  } catch (err) {
    if (err instanceof JetStreamApiError) {
      throw new FeedError(
        'ERR_CONFLICT',
        `stream ${FEEDS_STREAM} differs in ${changed.join(', ')} and JetStream refused the update: ${err.message}`,
        { cause: err },
      );
    }
    throw unavailable(`cannot update stream ${FEEDS_STREAM}`, err);
  }
}

async function streamInfo(jsm: JetStreamManager): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(FEEDS_STREAM);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === 10059) return undefined;
    throw unavailable(`cannot read stream ${FEEDS_STREAM}`, err);
  }
}

function unavailable(message: string, cause: unknown): FeedError {
  return new FeedError('ERR_UNAVAILABLE', `${message}: ${messageOf(cause)}`, { cause });
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    const sorted = [...b].sort();
    return a.length === b.length && [...a].sort().every((v, i) => v === sorted[i]);
  }
  // The server omits empty descriptions.
  return (a ?? '') === (b ?? '');
}
