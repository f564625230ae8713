import { describe, expect, it } from 'vitest';

import { FeedError } from '../errors.js';
import { FeedRateLimits, ReaderSlots, TokenBuckets, feedLimits, rateLimited } from './rate-limit.js';

function refusal(fn: () => unknown): FeedError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FeedError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('TokenBuckets', () => {
  it('charges each unit, refuses with ERR_RATE_LIMITED and a Retry-After, and refills with time', () => {
    let now = 0;
    const digests = new TokenBuckets(200_000, 60_000, 'match_rate', 'digests', () => now);
    digests.take('fiu-a', 100_000);
    digests.take('fiu-a', 100_000);
    const error = refusal(() => digests.take('fiu-a', 100_000));
    expect(error).toMatchObject({
      code: 'ERR_RATE_LIMITED',
      status: 429,
      retryAfterSeconds: 30,
      violations: [{ path: '', code: 'match_rate' }],
    });
    // Another token has its own bucket.
    digests.take('fiu-b', 100_000);
    now += 30_000;
    digests.take('fiu-a', 100_000);
    expect(() => digests.take('fiu-a', 1)).toThrow(FeedError);
  });

  it('keeps a bounded number of buckets', () => {
    let now = 0;
    const buckets = new TokenBuckets(10, 60_000, 'export_rate', 'exports', () => now);
    for (let i = 0; i < 25_000; i++) {
      buckets.take(`token-${i}`, 1);
      now += 10;
    }
    expect(buckets.size).toBeLessThanOrEqual(10_001);
  });
});

describe('ReaderSlots', () => {
  it('caps open readers per token and overall, and frees a slot on release', () => {
    const slots = new ReaderSlots(2, 3);
    const a1 = slots.acquire('a');
    slots.acquire('a');
    expect(refusal(() => slots.acquire('a'))).toMatchObject({
      code: 'ERR_RATE_LIMITED',
      violations: [{ code: 'too_many_readers' }],
    });
    slots.acquire('b');
    expect(refusal(() => slots.acquire('c'))).toMatchObject({ violations: [{ code: 'service_busy' }] });
    a1();
    a1();
    expect(slots.count).toBe(2);
    slots.acquire('c');
  });
});

describe('rateLimited and feedLimits', () => {
  it('puts Retry-After on the response of a refusal', () => {
    const headers: Record<string, string> = {};
    const res = {
      headersSent: false,
      setHeader: (name: string, value: string) => void (headers[name] = value),
    };
    const limits = new FeedRateLimits(feedLimits({ exportsPerMinute: 1 }), () => 0);
    rateLimited(res as never, () => limits.exports.take('t', 1));
    expect(() => rateLimited(res as never, () => limits.exports.take('t', 1))).toThrow(FeedError);
    expect(headers['retry-after']).toBe('60');
  });

  it('refuses nonsense settings naming them', () => {
    expect(refusal(() => feedLimits({ readersPerToken: 0 }))).toMatchObject({
      code: 'ERR_VALIDATION',
      violations: [{ path: 'limits.readersPerToken', code: 'out_of_range' }],
    });
  });
});
