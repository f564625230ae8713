import { describe, expect, it } from 'vitest';

import { choosePullStrategy, needsStallWorkaround, pullRetryDelay } from './pull-strategy.js';

describe('needsStallWorkaround', () => {
  it('is needed below nats-server 2.10, and when the version cannot be read', () => {
    for (const version of ['2.9.10', '2.9.25', '2.8.4', 'v2.9.0', '1.4.1', undefined, '', 'unknown']) {
      expect(needsStallWorkaround(version), String(version)).toBe(true);
    }
  });

  it('is not needed from 2.10 on', () => {
    for (const version of ['2.10.0', '2.10.22', '2.11.0-RC.1', '2.12.1', '3.0.0']) {
      expect(needsStallWorkaround(version), version).toBe(false);
    }
  });
});

describe('choosePullStrategy', () => {
  it('auto decides from the version; an explicit strategy wins', () => {
    expect(choosePullStrategy('auto', '2.9.10')).toBe('stall-workaround');
    expect(choosePullStrategy('auto', '2.10.22')).toBe('plain');
    expect(choosePullStrategy('plain', '2.9.10')).toBe('plain');
    expect(choosePullStrategy('stall-workaround', '2.11.4')).toBe('stall-workaround');
  });
});

describe('pullRetryDelay with plain pulls', () => {
  it('backs off from the first missed-heartbeat pull, like a failed one', () => {
    expect(pullRetryDelay('ended', 0, 'plain')).toBe(0);
    expect([1, 2, 3, 4, 5, 50].map((n) => pullRetryDelay('heartbeats_missed', n, 'plain'))).toEqual([
      500, 1_000, 2_000, 4_000, 5_000, 5_000,
    ]);
    expect(pullRetryDelay('failed', 1, 'plain')).toBe(500);
  });
});
