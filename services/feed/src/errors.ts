/**
 * Errors of the feed service: one class with a stable `code` from a closed union and the HTTP
 * status it maps to; validation errors list every bad field by path (`sink.url`,
 * `filter.networks[1]`, `digests[42]`), so a malformed feed definition or match request says
 * exactly what to fix, and nothing is created.
 */

export const FEED_ERROR_STATUS = {
  /** Malformed JSON, a feed definition or match request that breaks the rules, a bad parameter. */
  ERR_VALIDATION: 400,
  /** No bearer token, or one the registry did not sign, or an expired one. */
  ERR_UNAUTHENTICATED: 401,
  /** A valid token whose holder may not do this (another country's feed, wrong role). */
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  /** The request conflicts with stored state (e.g. a feed name already taken). */
  ERR_CONFLICT: 409,
  /** A request too large (more than 100,000 digests in one match query). */
  ERR_TOO_LARGE: 413,
  /** Too many requests or open readers for this token or this service: retry after Retry-After. */
  ERR_RATE_LIMITED: 429,
  /** No verified registry snapshot yet, or NATS / JetStream cannot be reached. */
  ERR_UNAVAILABLE: 503,
  ERR_INTERNAL: 500,
} as const;

export type FeedErrorCode = keyof typeof FEED_ERROR_STATUS;

/** One problem with one field; `path` uses JSON names (`filter.networks[0]`), "" for the whole body. */
export interface FieldViolation {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

export interface FeedErrorOptions extends ErrorOptions {
  readonly violations?: readonly FieldViolation[];
  /** ERR_RATE_LIMITED: seconds until a retry may succeed (the Retry-After header). */
  readonly retryAfterSeconds?: number;
}

export class FeedError extends Error {
  readonly code: FeedErrorCode;
  readonly violations: readonly FieldViolation[];
  readonly retryAfterSeconds: number | undefined;

  constructor(code: FeedErrorCode, message: string, options: FeedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FeedError';
    this.code = code;
    this.violations = options.violations ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  get status(): number {
    return FEED_ERROR_STATUS[this.code];
  }

  toJSON(): { code: FeedErrorCode; message: string; violations: readonly FieldViolation[] } {
    return { code: this.code, message: this.message, violations: this.violations };
  }
}
