import { describe, expect, it } from 'vitest';
import { PolicyQueryError } from './errors.js';
import { formatInstant, isInstant, parseInstant, toEpochMillis } from './time.js';

describe('parseInstant', () => {
  it.each([
    ['2026-03-01T00:00:00Z', Date.UTC(2026, 2, 1)],
    ['2026-03-01T00:00:00.000Z', Date.UTC(2026, 2, 1)],
    ['2026-03-01T12:34:56.7Z', Date.UTC(2026, 2, 1, 12, 34, 56, 700)],
    ['2024-02-29T23:59:59.999Z', Date.UTC(2024, 1, 29, 23, 59, 59, 999)],
  ])('reads %s', (text, ms) => {
    expect(parseInstant(text)).toBe(ms);
    expect(isInstant(text)).toBe(true);
  });

  it.each([
    '2026-03-01',
    '2026-03-01T00:00:00',
    '2026-03-01T00:00:00+00:00',
    '2026-03-01t00:00:00z',
    '2026-03-01T00:00:00.0001Z',
    '2026-02-30T00:00:00Z',
    '2025-02-29T00:00:00Z',
    '2026-13-01T00:00:00Z',
    '2026-03-01T24:00:00Z',
    '2026-03-01T23:59:60Z',
    '0099-03-01T00:00:00Z',
    ' 2026-03-01T00:00:00Z',
  ])('refuses %j', (text) => {
    expect(parseInstant(text)).toBeUndefined();
    expect(isInstant(text)).toBe(false);
  });

  it('isInstant refuses non-strings', () => {
    expect(isInstant(Date.UTC(2026, 2, 1))).toBe(false);
    expect(isInstant(new Date())).toBe(false);
  });
});

describe('toEpochMillis', () => {
  it('takes a Date or an instant', () => {
    expect(toEpochMillis(new Date('2026-03-01T00:00:00Z'), 'at')).toBe(Date.UTC(2026, 2, 1));
    expect(toEpochMillis('2026-03-01T00:00:00Z', 'at')).toBe(Date.UTC(2026, 2, 1));
  });

  it('throws PolicyQueryError naming the field otherwise', () => {
    expect(() => toEpochMillis(1_772_323_200_000 as unknown as string, 'receivedAt')).toThrow(
      expect.objectContaining({
        name: 'PolicyQueryError',
        code: 'ERR_POLICY_QUERY_INVALID',
        field: 'receivedAt',
        message: 'receivedAt: must be a Date or an RFC 3339 UTC instant string',
      }),
    );
    expect(() => toEpochMillis('now', 'at')).toThrow(PolicyQueryError);
  });
});

describe('formatInstant', () => {
  it('writes the canonical form', () => {
    expect(formatInstant(Date.UTC(2026, 2, 1, 0, 0, 0, 5))).toBe('2026-03-01T00:00:00.005Z');
  });
});
