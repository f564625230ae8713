/**
 * The one error shape of every Enlace HTTP API, `{ "error": { code, message, reason?, violations } }`,
 * and the base error the kit itself raises (a refused token, a body it cannot read, an unknown
 * route, an internal failure). A service's own error class extends ServiceError with its own
 * closed union of codes and their HTTP statuses, so the one exception filter answers all of them.
 */

/** The codes the kit raises itself; services add their own. */
export const SERVICE_ERROR_STATUS = {
  /** Malformed JSON, a body or parameter that breaks the rules. */
  ERR_VALIDATION: 400,
  /** No bearer token, a malformed one, or one that does not verify (forged, expired). */
  ERR_UNAUTHENTICATED: 401,
  /** A valid token whose holder may not call this route. */
  ERR_FORBIDDEN: 403,
  /** No such route or entity. */
  ERR_NOT_FOUND: 404,
  ERR_CONFLICT: 409,
  /** A request body over the service's limit. */
  ERR_TOO_LARGE: 413,
  /** A dependency (NATS, the registry snapshot, the store) cannot serve now. */
  ERR_UNAVAILABLE: 503,
  ERR_INTERNAL: 500,
} as const;

export type ServiceErrorCode = keyof typeof SERVICE_ERROR_STATUS;

/** One problem with one field; `path` uses JSON names (`header.recipients[0]`), "" for the whole body. */
export interface FieldViolation {
  readonly path: string;
  /** Stable code of the violation, e.g. "required", "malformed_json", "too_big". */
  readonly code: string;
  readonly message: string;
}

/** What `error` holds in every error response. */
export interface ErrorJson {
  readonly code: string;
  readonly message: string;
  /** A policy reason (`origin_suspended`) or handling code, where the service gives one. */
  readonly reason?: string;
  readonly violations: readonly FieldViolation[];
}

/** The JSON body of every error response. */
export interface ErrorBody {
  readonly error: ErrorJson;
}

export interface ServiceErrorOptions {
  readonly violations?: readonly FieldViolation[] | undefined;
  readonly reason?: string | undefined;
  readonly cause?: unknown;
}

/**
 * Base of every error a service answers with: a stable `code`, the HTTP `status` it maps to, the
 * fields at fault. Subclasses (NodeError, FeedError, RegistryError) set `name` and narrow `code`.
 */
export class ServiceError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly status: number;
  readonly violations: readonly FieldViolation[];
  readonly reason: string | undefined;

  constructor(code: Code, status: number, message: string, options: ServiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ServiceError';
    this.code = code;
    this.status = status;
    this.violations = options.violations ?? [];
    this.reason = options.reason;
  }

  /** The `error` member of the response body (and of an RPC error). */
  toJSON(): { code: Code; message: string; reason?: string; violations: readonly FieldViolation[] } {
    return {
      code: this.code,
      message: this.message,
      ...(this.reason !== undefined && { reason: this.reason }),
      violations: this.violations,
    };
  }
}

/** An error with one of the kit's own codes. */
export function serviceError(
  code: ServiceErrorCode,
  message: string,
  options?: ServiceErrorOptions,
): ServiceError<ServiceErrorCode> {
  return new ServiceError(code, SERVICE_ERROR_STATUS[code], message, options);
}
