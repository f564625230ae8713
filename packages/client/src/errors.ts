/**
 * Errors of the Enlace HTTP clients. Every failure of a call is one of three:
 * - `ServiceUnreachableError` (`ERR_UNREACHABLE`): no answer (refused, DNS, TLS, timeout);
 * - `UnexpectedResponseError` (`ERR_UNEXPECTED_RESPONSE`): an answer that is not the service's API
 *   (wrong URL, a proxy's HTML page, malformed JSON);
 * - `EnlaceHttpError`: the service refused; its `code` is the service's own stable code
 *   (`ERR_VALIDATION`, `ERR_FORBIDDEN`, ...), with the status, message and field `violations`.
 * The messages are one line an officer can act on; callers that need their own wording (the CLI
 * names its flags) build it from the fields.
 */

/** Which API a client talks to; also how messages name it. */
export type ServiceKind = 'registry' | 'node' | 'feed';

const SERVICE_NAMES: Record<ServiceKind, string> = {
  registry: 'registry',
  node: 'node',
  feed: 'feed service',
};

/** `registry`, `node`, `feed service`: the service as messages name it. */
export function serviceName(service: ServiceKind): string {
  return SERVICE_NAMES[service];
}

export type ClientErrorCode =
  /** The base URL given to a client is not an http(s) URL. */
  | 'ERR_INVALID_URL'
  /** The service could not be reached, or did not answer in time. */
  | 'ERR_UNREACHABLE'
  /** The service answered something that is not its API. */
  | 'ERR_UNEXPECTED_RESPONSE';

/** The client's own codes, or (EnlaceHttpError) the code the service answered. */
export class EnlaceClientError extends Error {
  readonly code: ClientErrorCode | ServiceErrorCode;

  constructor(code: ClientErrorCode | ServiceErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'EnlaceClientError';
    this.code = code;
  }
}

export class InvalidBaseUrlError extends EnlaceClientError {
  readonly url: string;
  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super('ERR_INVALID_URL', message, options);
    this.name = 'InvalidBaseUrlError';
    this.url = url;
  }
}

export class ServiceUnreachableError extends EnlaceClientError {
  readonly service: ServiceKind;
  /** The service's origin, e.g. http://127.0.0.1:8080 */
  readonly origin: string;
  /** Why, in words: `no answer in time`, `connect ECONNREFUSED 127.0.0.1:8080`, ... */
  readonly reason: string;
  readonly timedOut: boolean;

  constructor(service: ServiceKind, origin: string, cause: unknown) {
    const error = cause as Error | undefined;
    const timedOut = error?.name === 'TimeoutError';
    // undici puts the system error (ECONNREFUSED, ENOTFOUND) in `cause`; browsers give only a TypeError.
    const reason = timedOut
      ? 'no answer in time'
      : ((error?.cause as Error | undefined)?.message ?? error?.message) || 'network error';
    super('ERR_UNREACHABLE', `cannot reach the ${serviceName(service)} at ${origin}: ${reason}`, { cause });
    this.name = 'ServiceUnreachableError';
    this.service = service;
    this.origin = origin;
    this.reason = reason;
    this.timedOut = timedOut;
  }
}

/** What was wrong with an answer that is not the service's API. */
export type UnexpectedResponseProblem =
  /** Declared JSON but does not parse. */
  | 'malformed_json'
  /** An error status without the service's error body. */
  | 'no_error_body'
  /** A success without the JSON (or content type) the operation answers. */
  | 'not_json'
  /** JSON, but not the shape the operation answers. */
  | 'unexpected_shape';

export class UnexpectedResponseError extends EnlaceClientError {
  readonly service: ServiceKind;
  readonly problem: UnexpectedResponseProblem;
  readonly status: number;
  /** The URL called, without its query. */
  readonly url: string;

  constructor(
    service: ServiceKind,
    problem: UnexpectedResponseProblem,
    status: number,
    url: URL,
    options?: { cause?: unknown },
  ) {
    const where = `${url.origin}${url.pathname}`;
    const name = serviceName(service);
    const message = {
      malformed_json: `the ${name} at ${url.origin} answered malformed JSON`,
      no_error_body: `${where} answered HTTP ${status} without an error of the ${name}; is it the ${name}?`,
      not_json: `${where} did not answer JSON; is it the ${name}?`,
      unexpected_shape: `${where} did not answer what the ${name} answers; is it the ${name}?`,
    }[problem];
    super('ERR_UNEXPECTED_RESPONSE', message, options);
    this.name = 'UnexpectedResponseError';
    this.service = service;
    this.problem = problem;
    this.status = status;
    this.url = where;
  }
}

/** A field at fault: `path` is dotted (`publicJwk.crv`, `digests[0]`), "" for the whole body. */
export interface FieldViolation {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

/** The error codes the three services document; they may add others. */
export type KnownServiceErrorCode =
  | 'ERR_VALIDATION'
  | 'ERR_UNAUTHENTICATED'
  | 'ERR_FORBIDDEN'
  | 'ERR_NOT_FOUND'
  | 'ERR_CONFLICT'
  | 'ERR_TOO_LARGE'
  | 'ERR_UNAVAILABLE'
  | 'ERR_INTERNAL'
  | 'ERR_ALREADY_EXISTS'
  | 'ERR_UNKNOWN_COUNTRY'
  | 'ERR_UNKNOWN_NETWORK'
  | 'ERR_UNKNOWN_KEY'
  | 'ERR_DUPLICATE_KID'
  | 'ERR_KEY_VALIDITY_OVERLAP'
  | 'ERR_INVALID_TRANSITION'
  | 'ERR_KEY_COUNTRY_MISMATCH'
  | 'ERR_POLICY_DENIED'
  | 'ERR_HANDLING_RESTRICTED'
  | 'ERR_NO_RECIPIENT_KEY';

/** A service's stable error code: one it documents, or one added since. */
// `string & {}` keeps editor completion of the known codes while accepting any string.
export type ServiceErrorCode = KnownServiceErrorCode | (string & {});

/** The error body every service answers: `{ "error": { code, message, reason?, violations } }`. */
export interface ServiceErrorBody {
  readonly code: ServiceErrorCode;
  readonly message: string;
  /** A stable reason beside the code, e.g. the policy's `origin_suspended` for ERR_POLICY_DENIED. */
  readonly reason?: string;
  readonly violations: readonly FieldViolation[];
}

/** The service refused: `code`, `message` and `violations` are the service's own. */
export class EnlaceHttpError extends EnlaceClientError {
  declare readonly code: ServiceErrorCode;
  readonly service: ServiceKind;
  readonly status: number;
  readonly reason?: string;
  readonly violations: readonly FieldViolation[];
  /** One line with the service, code, status, message and fields (see describeServiceError). */
  readonly summary: string;

  constructor(service: ServiceKind, status: number, body: ServiceErrorBody) {
    super(body.code, body.message);
    this.name = 'EnlaceHttpError';
    this.service = service;
    this.status = status;
    if (body.reason !== undefined) this.reason = body.reason;
    this.violations = body.violations;
    this.summary = describeServiceError(service, status, body);
  }

  /** The distinct field paths at fault, "(body)" for the whole body. */
  get fields(): string[] {
    return [...new Set(this.violations.map((v) => (v.path === '' ? '(body)' : v.path)))];
  }
}

/** `registry refused (ERR_VALIDATION, HTTP 400): invalid membership: role ... [fields: role, network]` */
export function describeServiceError(service: ServiceKind, status: number, body: ServiceErrorBody): string {
  const paths = [...new Set(body.violations.map((v) => (v.path === '' ? '(body)' : v.path)))];
  const fields = paths.length > 0 ? ` [fields: ${paths.join(', ')}]` : '';
  return `${serviceName(service)} refused (${body.code}, HTTP ${status}): ${body.message}${fields}`;
}

/**
 * Reads a service's error JSON: the wrapped shape all three services answer today,
 * `{ "error": { code, message, reason?, violations: [{ path, code, message }] } }`, and the bare
 * `{ code, message, violations }` (an error line of a stream, or a service before the shared
 * filter). Returns undefined when the value holds no string `code`.
 */
export function parseServiceError(json: unknown): ServiceErrorBody | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const wrapped = (json as { error?: unknown }).error;
  const error = (typeof wrapped === 'object' && wrapped !== null ? wrapped : json) as Record<string, unknown>;
  if (typeof error['code'] !== 'string') return undefined;
  const violations: FieldViolation[] = [];
  if (Array.isArray(error['violations'])) {
    for (const v of error['violations'] as unknown[]) {
      if (typeof v !== 'object' || v === null) continue;
      const { path, code, message } = v as Record<string, unknown>;
      if (typeof path !== 'string') continue;
      violations.push({
        path,
        code: typeof code === 'string' ? code : '',
        message: typeof message === 'string' ? message : '',
      });
    }
  }
  return {
    code: error['code'],
    message: typeof error['message'] === 'string' ? error['message'].replace(/\s+/g, ' ').trim() : '',
    ...(typeof error['reason'] === 'string' && { reason: error['reason'] }),
    violations,
  };
}
