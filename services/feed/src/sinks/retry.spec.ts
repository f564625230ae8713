import { describe, expect, it } from 'vitest';

import { FeedError } from '../errors.js';
import { DEFAULT_BACKOFF, SerialQueue, SinkCounters, backoffDelay, backoffOptions, sleep } from './retry.js';

describe('backoffDelay', () => {
  it('draws from 0 up to an exponentially growing ceiling capped at maxMs (full jitter)', () => {
    const options = { initialMs: 500, maxMs: 60_000, factor: 2 };
    const top = () => 0.999_999;
    expect([1, 2, 3, 4, 8, 20].map((retry) => backoffDelay(retry, options, top))).toEqual([
      499, 999, 1_999, 3_999, 59_999, 59_999,
    ]);
    expect(backoffDelay(5, options, () => 0)).toBe(0);
    for (let i = 0; i < 1000; i++) {
      const delay = backoffDelay(3, options);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThan(2_000);
    }
  });
});

describe('backoffOptions', () => {
  it('fills in the defaults and refuses nonsense', () => {
    expect(backoffOptions(undefined)).toEqual({ initialMs: 500, maxMs: 60_000, factor: 2 });
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 500, maxMs: 60_000, factor: 2 });
    expect(backoffOptions({ initialMs: 1, maxMs: 10 })).toEqual({ initialMs: 1, maxMs: 10, factor: 2 });
    expect(() => backoffOptions({ initialMs: 10, maxMs: 5 })).toThrow(FeedError);
    expect(() => backoffOptions({ factor: 0.5 })).toThrow(/backoff factor must be >= 1, got 0.5/);
  });
});

describe('sleep', () => {
  it('ends early with the stop error when the signal aborts', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const slept = sleep(60_000, stop.signal, () => new Error('stopped'));
    setTimeout(() => stop.abort(), 10);
    await expect(slept).rejects.toThrow('stopped');
    expect(Date.now() - started).toBeLessThan(1_000);
    await expect(sleep(1, stop.signal, () => new Error('already'))).rejects.toThrow('already');
  });
});

describe('SerialQueue', () => {
  it('runs tasks one after another, past failures', async () => {
    const queue = new SerialQueue();
    const order: string[] = [];
    const a = queue.run(async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('a');
      throw new Error('a failed');
    });
    const b = queue.run(async () => void order.push('b'));
    await expect(a).rejects.toThrow('a failed');
    await b;
    await queue.idle();
    expect(order).toEqual(['a', 'b']);
  });
});

describe('SinkCounters', () => {
  it('reports retrying only while a retry is under way', () => {
    const counters = new SinkCounters(() => new Date('2026-11-26T14:00:00.000Z'));
    expect(counters.status()).toEqual({ delivered: 0, retries: 0, retrying: false });
    counters.failed('HTTP 503');
    counters.retried();
    const done = counters.retryingStarted();
    expect(counters.status()).toMatchObject({
      retries: 1,
      retrying: true,
      lastError: { message: 'HTTP 503' },
    });
    done();
    done();
    counters.succeeded();
    expect(counters.status()).toEqual({
      delivered: 1,
      retries: 1,
      retrying: false,
      lastDeliveredAt: '2026-11-26T14:00:00.000Z',
      lastError: { at: '2026-11-26T14:00:00.000Z', message: 'HTTP 503' },
    });
  });
});
