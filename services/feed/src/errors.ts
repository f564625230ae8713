/**
 * Errors of the feed service: one class with a stable `code` from a closed union and the HTTP
 * status it maps to; validation errors list every bad field by path (`sink.url`,
 * `filter.networks[1]`, `digests[42]`), so a malformed feed definition or match request says
 * exactly what to fix, and nothing is created.
 */
import { ServiceError } from '@enlace/service-kit';
import type { FieldViolation } from '@enlace/service-kit';

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
  /** No verified registry snapshot yet, or NATS / JetStream cannot be reached. */
  ERR_UNAVAILABLE: 503,
  ERR_INTERNAL: 500,
} as const;

export type FeedErrorCode = keyof typeof FEED_ERROR_STATUS;

export type { FieldViolation };

export interface FeedErrorOptions extends ErrorOptions {
  readonly violations?: readonly FieldViolation[];
}

/** The feed service's error: its HTTP status from FEED_ERROR_STATUS, answered in the kit's one shape. */
export class FeedError extends ServiceError<FeedErrorCode> {
  constructor(code: FeedErrorCode, message: string, options: FeedErrorOptions = {}) {
    super(code, FEED_ERROR_STATUS[code], message, options);
    this.name = 'FeedError';
  }
}
