/**
 * Limits on the work one token can make the feed service do (applied from the controllers):
 *
 * - ReaderSlots: concurrent ephemeral readers (tail, replay to stdout, export) per token and
 *   overall; each holds a JetStream consumer and a connection open;
 * - TokenBuckets: per-token rates, e.g. digests matched per minute (a 100,000-digest match costs
 *   100,000) and exports started per minute.
 *
 * A refusal is FeedError ERR_RATE_LIMITED (HTTP 429) with `retryAfterSeconds`, which
 * rateLimited() also puts in the Retry-After header, and a violation naming the limit
 * (`too_many_readers`, `service_busy`, `match_rate`, `export_rate`). State is in memory and
 * bounded: buckets that refilled completely are forgotten.
 */
import type { ServerResponse } from 'node:http';

import { FeedError } from '../errors.js';

/** What the operator can tune (service configuration; defaults in DEFAULT_FEED_LIMITS). */
export interface FeedLimits {
  /** Open tail/replay/export streams per token. */
  readonly readersPerToken: number;
  /** Open tail/replay/export streams of the whole service. */
  readonly readersTotal: number;
  /** Digests one token may match per minute (also the burst: a full bucket). */
  readonly matchDigestsPerMinute: number;
  /** Exports one token may start per minute (also the burst). */
  readonly exportsPerMinute: number;
}

export const DEFAULT_FEED_LIMITS: FeedLimits = {
  readersPerToken: 4,
  readersTotal: 64,
  matchDigestsPerMinute: 200_000,
  exportsPerMinute: 10,
};

/** Buckets kept at most; beyond it, full ones are dropped first (a full bucket is the default state). */
const MAX_BUCKETS = 10_000;

/** Checks limits (positive whole numbers); throws FeedError ERR_VALIDATION naming the bad one. */
export function feedLimits(input: Partial<FeedLimits> | undefined): FeedLimits {
  const limits = { ...DEFAULT_FEED_LIMITS, ...input };
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new FeedError(
        'ERR_VALIDATION',
        `limits.${name} must be a whole number of at least 1, got ${value}`,
        {
          violations: [
            { path: `limits.${name}`, code: 'out_of_range', message: 'must be a whole number >= 1' },
          ],
        },
      );
  }
  return limits;
}

function limited(code: string, message: string, retryAfterSeconds: number): FeedError {
  return new FeedError('ERR_RATE_LIMITED', message, {
    retryAfterSeconds,
    violations: [{ path: '', code, message }],
  });
}

/** Token buckets by key: `capacity` units, refilled at `capacity` per `periodMs`. */
export class TokenBuckets {
  private readonly buckets = new Map<string, { level: number; at: number }>();

  constructor(
    private readonly capacity: number,
    private readonly periodMs: number,
    private readonly code: string,
    private readonly what: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `cost` units for `key`, or throws ERR_RATE_LIMITED saying when enough will be back. */
  take(key: string, cost: number): void {
    const now = this.now();
    const rate = this.capacity / this.periodMs;
    const bucket = this.buckets.get(key);
    const level =
      bucket === undefined ? this.capacity : Math.min(this.capacity, bucket.level + (now - bucket.at) * rate);
    const charged = Math.min(cost, this.capacity);
    if (level < charged) {
      const wait = Math.max(1, Math.ceil((charged - level) / rate / 1000));
      this.buckets.set(key, { level, at: now });
      throw limited(
        this.code,
        `${this.what}: at most ${this.capacity} per ${this.periodMs / 1000} s; retry in ${wait} s`,
        wait,
      );
    }
    this.buckets.set(key, { level: level - charged, at: now });
    if (this.buckets.size > MAX_BUCKETS) this.prune(now, rate);
  }

  /** Buckets tracked (for specs: stays bounded). */
  get size(): number {
    return this.buckets.size;
  }

  private prune(now: number, rate: number): void {
    for (const [key, bucket] of this.buckets)
      if (bucket.level + (now - bucket.at) * rate >= this.capacity) this.buckets.delete(key);
    // Still too many: forget the oldest (they were the longest without a request).
    for (const key of this.buckets.keys()) {
      if (this.buckets.size <= MAX_BUCKETS) break;
      this.buckets.delete(key);
    }
  }
}

/** Concurrent readers per key and overall. */
export class ReaderSlots {
  private readonly open = new Map<string, number>();
  private total = 0;

  constructor(
    private readonly perKey: number,
    private readonly overall: number,
    /** Suggested Retry-After of a refusal, seconds. */
    private readonly retryAfterSeconds = 5,
  ) {}

  /** Takes a slot for `key`; returns its release (idempotent), or throws ERR_RATE_LIMITED. */
  acquire(key: string): () => void {
    const mine = this.open.get(key) ?? 0;
    if (mine >= this.perKey)
      throw limited(
        'too_many_readers',
        `this token has ${mine} tail, replay or export streams open (at most ${this.perKey}): close one first`,
        this.retryAfterSeconds,
      );
    if (this.total >= this.overall)
      throw limited(
        'service_busy',
        `the feed service has ${this.total} tail, replay or export streams open (at most ${this.overall}): retry later`,
        this.retryAfterSeconds,
      );
    this.open.set(key, mine + 1);
    this.total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total -= 1;
      const left = (this.open.get(key) ?? 1) - 1;
      if (left <= 0) this.open.delete(key);
      else this.open.set(key, left);
    };
  }

  /** Open readers overall. */
  get count(): number {
    return this.total;
  }
}

/** The limits of one feed service, built from its settings. */
export class FeedRateLimits {
  readonly readers: ReaderSlots;
  readonly match: TokenBuckets;
  readonly exports: TokenBuckets;

  constructor(limits: FeedLimits, now: () => number = Date.now) {
    this.readers = new ReaderSlots(limits.readersPerToken, limits.readersTotal);
    this.match = new TokenBuckets(
      limits.matchDigestsPerMinute,
      60_000,
      'match_rate',
      'digests matched by this token',
      now,
    );
    this.exports = new TokenBuckets(
      limits.exportsPerMinute,
      60_000,
      'export_rate',
      'exports started by this token',
      now,
    );
  }
}

/**
 * Runs `check`; when it refuses with ERR_RATE_LIMITED, sets Retry-After on `res` (when the
 * headers are not sent yet) before rethrowing, so the error filter's 429 carries it.
 */
export function rateLimited<T>(
  res: Pick<ServerResponse, 'setHeader' | 'headersSent'> | undefined,
  check: () => T,
): T {
  try {
    return check();
  } catch (error) {
    if (
      error instanceof FeedError &&
      error.code === 'ERR_RATE_LIMITED' &&
      error.retryAfterSeconds !== undefined &&
      res !== undefined &&
      !res.headersSent
    )
      res.setHeader('retry-after', String(error.retryAfterSeconds));
    throw error;
  }
}
