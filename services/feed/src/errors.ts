/**
 * Errors of the feed service: one class with a stable `code` from a closed union and the HTTP
 * status it maps to; validation errors list every bad field by path (`sink.url`,
 * `filter.networks[1]`, `digests[42]`), so a malformed feed definition or match request says
 * exactly what to fix, and nothing is created.
 */
import { SERVICE_ERROR_STATUS, ServiceError } from '@enlace/service-kit';
import type { FieldViolation } from '@enlace/service-kit';

/**
 * The kit's codes — ERR_VALIDATION (a feed definition or match request that breaks the rules),
 * ERR_FORBIDDEN (another country's feed), ERR_CONFLICT (a feed name taken), ERR_TOO_LARGE (more
 * than 100,000 digests in one match query), ERR_UNAVAILABLE (no verified registry snapshot yet,
 * NATS down), ... — ERR_RATE_LIMITED: too many requests or open readers for this token or
 * this service, retry after Retry-After; and ERR_NOT_ACCEPTABLE: a TAXII request whose Accept
 * header names no media type the server can answer with (406).
 */
export const FEED_ERROR_STATUS = {
  ...SERVICE_ERROR_STATUS,
  ERR_NOT_ACCEPTABLE: 406,
  ERR_RATE_LIMITED: 429,
} as const;

export type FeedErrorCode = keyof typeof FEED_ERROR_STATUS;

export type { FieldViolation };

export interface FeedErrorOptions extends ErrorOptions {
  readonly violations?: readonly FieldViolation[];
  /** For ERR_RATE_LIMITED: the seconds the caller should wait (also sent as Retry-After). */
  readonly retryAfterSeconds?: number;
}

/** The feed service's error: its HTTP status from FEED_ERROR_STATUS, answered in the kit's one shape. */
export class FeedError extends ServiceError<FeedErrorCode> {
  readonly retryAfterSeconds: number | undefined;

  constructor(code: FeedErrorCode, message: string, options: FeedErrorOptions = {}) {
    super(code, FEED_ERROR_STATUS[code], message, options);
    this.name = 'FeedError';
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
