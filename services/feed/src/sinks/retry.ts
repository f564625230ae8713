/**
 * The retry machinery the sinks share: exponential backoff with full jitter, sleeps that end
 * promptly when the feed stops, a heartbeat that keeps the consumer's ack wait extended while a
 * delivery is slow, and the bookkeeping behind SinkStatus.
 */
import { FeedError } from '../errors.js';
import type { DeliveryProgress, SinkStatus } from './sink.js';

/** Delays between delivery attempts, in milliseconds. */
export interface BackoffOptions {
  /** Ceiling of the first retry's delay (default 500 ms). */
  readonly initialMs: number;
  /** Largest delay (default 60 s); permanent failures are retried at this interval. */
  readonly maxMs: number;
  /** Growth of the ceiling per attempt (default 2). */
  readonly factor: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 60_000, factor: 2 };

/**
 * How often a delivery that is still going on calls `progress.working()`. Well under the
 * consumer's ack wait (30 s by default), so a slow destination never causes a redelivery.
 */
export const DEFAULT_WORKING_INTERVAL_MS = 5_000;

/** Checks backoff options (filling in the defaults); throws FeedError ERR_VALIDATION when nonsensical. */
export function backoffOptions(options: Partial<BackoffOptions> | undefined): BackoffOptions {
  const merged = { ...DEFAULT_BACKOFF, ...options };
  const { initialMs, maxMs, factor } = merged;
  if (!(Number.isFinite(initialMs) && initialMs >= 0 && Number.isFinite(maxMs) && maxMs >= initialMs)) {
    throw new FeedError(
      'ERR_VALIDATION',
      `backoff needs 0 <= initialMs <= maxMs, got initialMs ${initialMs} and maxMs ${maxMs}`,
    );
  }
  if (!(Number.isFinite(factor) && factor >= 1)) {
    throw new FeedError('ERR_VALIDATION', `backoff factor must be >= 1, got ${factor}`);
  }
  return merged;
}

/**
 * The delay before retry number `retry` (1 for the first): uniformly random between 0 and
 * min(maxMs, initialMs * factor^(retry-1)) ("full jitter"), so that many feeds failing at once
 * do not hammer a recovering destination in step.
 */
export function backoffDelay(
  retry: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(options.maxMs, options.initialMs * options.factor ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}

/** Resolves after `ms`, or rejects with the delivery's stop error as soon as `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal, stopped: () => Error): Promise<void> {
  if (signal.aborted) return Promise.reject(stopped());
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(stopped());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `progress.working()` every `intervalMs` until the returned function is called: started
 * when a delivery starts, so waiting in line, sleeping between attempts and a slow request all
 * keep the alert's ack wait extended.
 */
export function startHeartbeat(progress: DeliveryProgress, intervalMs: number): () => void {
  const timer = setInterval(() => {
    try {
      progress.working();
    } catch {
      // A failing heartbeat (e.g. the connection is gone) must not break the delivery itself.
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** The error a delivery rejects with when the feed stops. */
export function stoppedError(recordId: string, describe: string, signal: AbortSignal): FeedError {
  return new FeedError(
    'ERR_UNAVAILABLE',
    `delivery of record ${recordId} to ${describe} stopped: the feed is stopping`,
    { cause: signal.reason },
  );
}

/** Counters and the last error of one sink, as SinkStatus reports them. */
export class SinkCounters {
  private delivered = 0;
  private retries = 0;
  private retrying = 0;
  private lastError: { at: string; message: string } | undefined;
  private lastDeliveredAt: string | undefined;

  constructor(private readonly now: () => Date = () => new Date()) {}

  succeeded(count = 1): void {
    this.delivered += count;
    this.lastDeliveredAt = this.now().toISOString();
  }

  failed(message: string): void {
    this.lastError = { at: this.now().toISOString(), message };
  }

  retried(): void {
    this.retries += 1;
  }

  /** Marks a delivery as failing and being retried until the returned function is called. */
  retryingStarted(): () => void {
    this.retrying += 1;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.retrying -= 1;
    };
  }

  status(): SinkStatus {
    return {
      delivered: this.delivered,
      retries: this.retries,
      retrying: this.retrying > 0,
      ...(this.lastDeliveredAt !== undefined && { lastDeliveredAt: this.lastDeliveredAt }),
      ...(this.lastError !== undefined && { lastError: { ...this.lastError } }),
    };
  }
}

/** A message for an unknown thrown value. */
export function messageOf(err: unknown): string {
  // Node reports a refused connection to both addresses of `localhost` as an AggregateError with no message.
  if (err instanceof AggregateError && err.message === '' && err.errors.length > 0) {
    return [...new Set(err.errors.map(messageOf))].join('; ');
  }
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** Runs tasks one after another (deliveries keep stream order even if the runner overlaps them). */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Resolves once everything queued so far has settled. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
