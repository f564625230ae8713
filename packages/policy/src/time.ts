/**
 * Instants: strict parsing of the RFC 3339 UTC strings snapshots carry, and of the times queries
 * give, into epoch milliseconds, which is what evaluation compares.
 */
import { PolicyQueryError } from './errors.js';
import type { Instant, TimeInput } from './model.js';

const INSTANT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/;

/** Epoch milliseconds of an `Instant`, or undefined when it is not one (also for 2026-02-30 and the like). */
export function parseInstant(value: string): number | undefined {
  const m = INSTANT.exec(value);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC rolls out-of-range fields over (Feb 30 becomes Mar 2, years below 100 become 19xx):
  // only a value that reads back the same is a real instant.
  const d = new Date(ms);
  if (
    d.getUTCFullYear() !== year ||
    d.getUTCMonth() !== month - 1 ||
    d.getUTCDate() !== day ||
    d.getUTCHours() !== hour ||
    d.getUTCMinutes() !== minute ||
    d.getUTCSeconds() !== second
  )
    return undefined;
  return ms;
}

/** True when `value` is an `Instant`. */
export function isInstant(value: unknown): value is Instant {
  return typeof value === 'string' && parseInstant(value) !== undefined;
}

/** Epoch milliseconds of a query time; throws PolicyQueryError naming `field` when it is invalid. */
export function toEpochMillis(value: TimeInput, field: string): number {
  if (value instanceof Date) {
    const ms = value.getTime();
    if (Number.isNaN(ms)) throw new PolicyQueryError(field, 'is an invalid Date');
    return ms;
  }
  if (typeof value === 'string') {
    const ms = parseInstant(value);
    if (ms === undefined)
      throw new PolicyQueryError(
        field,
        `"${value.slice(0, 40)}" is not an RFC 3339 UTC instant (e.g. 2026-03-01T00:00:00.000Z)`,
      );
    return ms;
  }
  throw new PolicyQueryError(field, 'must be a Date or an RFC 3339 UTC instant string');
}

/** The canonical `Instant` of epoch milliseconds, as used in decision messages. */
export function formatInstant(ms: number): Instant {
  return new Date(ms).toISOString();
}
