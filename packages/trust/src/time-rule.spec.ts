import { describe, expect, it } from 'vitest';

import { checkIssuedAt, DEFAULT_TIME_RULE, judgedAt, storedTimeOf, timeRuleFromEnv } from './time-rule.js';

describe('the time rule (DESIGN.md trust model 5)', () => {
  const stored = new Date('2026-12-03T12:00:00.000Z');
  const at = (offsetMs: number) => new Date(stored.getTime() + offsetMs);
  const reasonOf = (issuedAt: Date, rule = DEFAULT_TIME_RULE): string | undefined => {
    try {
      checkIssuedAt(issuedAt, stored, rule);
      return undefined;
    } catch (error) {
      return (error as { reason?: string }).reason;
    }
  };

  it('accepts issued_at from 24 h before to 2 min after the stored time, by default', () => {
    expect(reasonOf(at(0))).toBeUndefined();
    expect(reasonOf(at(120_000))).toBeUndefined();
    expect(reasonOf(at(-24 * 3_600_000))).toBeUndefined();
    expect(reasonOf(at(120_001))).toBe('issued_in_future');
    expect(reasonOf(at(-24 * 3_600_000 - 1))).toBe('backdated');
  });

  it('follows the operator’s bounds, and says in the message what it found', () => {
    const rule = { maxClockSkewMs: 5_000, maxDeliveryDelayMs: 60_000 };
    expect(reasonOf(at(6_000), rule)).toBe('issued_in_future');
    expect(reasonOf(at(-61_000), rule)).toBe('backdated');
    expect(() => checkIssuedAt(at(-61_000), stored, rule)).toThrow(
      'signed at 2026-12-03T11:58:59.000Z, 61 s before the broker stored it (2026-12-03T12:00:00.000Z); at most 60 s of delivery delay is accepted',
    );
  });

  it('judges at the stored time; off the broker (no stored time) at issued_at, with nothing to bound', () => {
    const issued = at(-3_600_000);
    expect(judgedAt(issued, stored)).toBe(stored);
    expect(judgedAt(issued, undefined)).toBe(issued);
    expect(() => checkIssuedAt(at(-400 * 86_400_000), undefined)).not.toThrow();
  });

  it('reads the stored time from JetStream delivery info', () => {
    expect(storedTimeOf({ info: { timestampNanos: stored.getTime() * 1e6 + 123_456 } })).toEqual(stored);
    expect(storedTimeOf({})).toBeUndefined();
    expect(storedTimeOf({ info: { timestampNanos: 0 } })).toBeUndefined();
  });

  it('reads its bounds from the environment, refusing what is not whole seconds in range', () => {
    expect(timeRuleFromEnv({})).toEqual(DEFAULT_TIME_RULE);
    expect(
      timeRuleFromEnv({ ENLACE_MAX_CLOCK_SKEW_SECONDS: '30', ENLACE_MAX_DELIVERY_DELAY_SECONDS: '172800' }),
    ).toEqual({ maxClockSkewMs: 30_000, maxDeliveryDelayMs: 172_800_000 });
    for (const bad of ['-1', '1.5', 'two', '3601'])
      expect(() => timeRuleFromEnv({ ENLACE_MAX_CLOCK_SKEW_SECONDS: bad })).toThrow(
        expect.objectContaining({
          code: 'ERR_VALIDATION',
          message: expect.stringContaining('ENLACE_MAX_CLOCK_SKEW_SECONDS'),
        }),
      );
  });
});
