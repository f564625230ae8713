/**
 * Time is the broker's (DESIGN.md trust model 5). A signed message says when it was signed
 * (`issued_at`, an alert's header; a receipt's `at`), but the signer chooses that: whoever holds
 * a key revoked at R could sign with `issued_at` before R. So keys and the signer's status are
 * judged at the instant JetStream stored the message (`msg.info.timestampNanos`), and `issued_at`
 * must lie within bounds of it:
 *
 * - not later than the stored time plus a clock skew (default 2 min): `issued_in_future`;
 * - not earlier than the stored time minus a delivery delay (default 24 h, so that a leaf node
 *   offline for a night still delivers what it signed then): `backdated`.
 *
 * A message read off the broker (an envelope file, a benchmark's fixed input) has no stored
 * time: it is judged at its `issued_at`, as nothing better is known.
 */
import { RejectMessage } from '@enlace/transport';

import { TrustError } from './errors.js';

export interface TimeRule {
  /** How far `issued_at` may lie after the stored time (clocks disagree), in ms. */
  readonly maxClockSkewMs: number;
  /** How far `issued_at` may lie before the stored time (a link offline), in ms. */
  readonly maxDeliveryDelayMs: number;
}

export const DEFAULT_TIME_RULE: TimeRule = {
  maxClockSkewMs: 2 * 60_000,
  maxDeliveryDelayMs: 24 * 3_600_000,
};

/** The environment variables of timeRuleFromEnv(), in seconds. */
export const TIME_RULE_ENV = {
  maxClockSkew: 'ENLACE_MAX_CLOCK_SKEW_SECONDS',
  maxDeliveryDelay: 'ENLACE_MAX_DELIVERY_DELAY_SECONDS',
} as const;

/**
 * The time rule an operator configured (ENLACE_MAX_CLOCK_SKEW_SECONDS, default 120;
 * ENLACE_MAX_DELIVERY_DELAY_SECONDS, default 86400). Throws TrustError ERR_VALIDATION naming the
 * variable when one is not a whole number of seconds in range.
 */
export function timeRuleFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): TimeRule {
  const seconds = (name: string, fallbackMs: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallbackMs;
    const value = Number(raw);
    if (!Number.isSafeInteger(value) || value < 0 || value > max) {
      throw new TrustError('ERR_VALIDATION', `${name} must be a whole number of seconds from 0 to ${max}`, {
        violations: [{ path: name, code: 'out_of_range', message: `got ${JSON.stringify(raw)}` }],
      });
    }
    return value * 1_000;
  };
  return {
    maxClockSkewMs: seconds(TIME_RULE_ENV.maxClockSkew, DEFAULT_TIME_RULE.maxClockSkewMs, 3_600),
    maxDeliveryDelayMs: seconds(
      TIME_RULE_ENV.maxDeliveryDelay,
      DEFAULT_TIME_RULE.maxDeliveryDelayMs,
      30 * 24 * 3_600,
    ),
  };
}

/** When JetStream stored a message, from its delivery info (undefined for a message off the broker). */
export function storedTimeOf(msg: { readonly info?: { readonly timestampNanos: number } }): Date | undefined {
  const nanos = msg.info?.timestampNanos;
  return nanos === undefined || !Number.isFinite(nanos) || nanos <= 0
    ? undefined
    : new Date(Math.floor(nanos / 1e6));
}

/** The instant keys and status are judged at: the stored time, or `issuedAt` without one. */
export function judgedAt(issuedAt: Date, storedAt: Date | undefined): Date {
  return storedAt ?? issuedAt;
}

/**
 * Throws RejectMessage `issued_in_future` or `backdated` when `issuedAt` lies outside the rule's
 * bounds around `storedAt`; nothing to judge without a stored time.
 */
export function checkIssuedAt(
  issuedAt: Date,
  storedAt: Date | undefined,
  rule: TimeRule = DEFAULT_TIME_RULE,
): void {
  if (storedAt === undefined) return;
  const ahead = issuedAt.getTime() - storedAt.getTime();
  if (ahead > rule.maxClockSkewMs) {
    throw new RejectMessage(
      'issued_in_future',
      `signed at ${issuedAt.toISOString()}, ${Math.round(ahead / 1000)} s after the broker stored it ` +
        `(${storedAt.toISOString()}); at most ${rule.maxClockSkewMs / 1000} s of clock skew is accepted`,
    );
  }
  if (-ahead > rule.maxDeliveryDelayMs) {
    throw new RejectMessage(
      'backdated',
      `signed at ${issuedAt.toISOString()}, ${Math.round(-ahead / 1000)} s before the broker stored it ` +
        `(${storedAt.toISOString()}); at most ${rule.maxDeliveryDelayMs / 1000} s of delivery delay is accepted`,
    );
  }
}
