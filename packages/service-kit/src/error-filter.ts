/**
 * The one exception filter of every Enlace HTTP API. A ServiceError (and so a NodeError,
 * FeedError or RegistryError) keeps its code and status; body-parser failures become
 * ERR_VALIDATION (malformed JSON, unreadable) or ERR_TOO_LARGE; Nest's own HTTP errors (unknown
 * route) the nearest code; the trust core's TrustErrors (no verified snapshot yet, a token
 * refused) keep their code with its HTTP status; anything else a 500 ERR_INTERNAL that names the request id and nothing
 * of the internals, which go to the log. Non-HTTP contexts (NATS handlers) are left to their
 * transport.
 */
import { Catch, HttpException, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { throwError } from 'rxjs';
import type { Observable } from 'rxjs';
import { TrustError } from '@enlace/trust';
import type { TrustErrorCode } from '@enlace/trust';

import type { ServiceRequest } from './request-id.js';
import { requestIdOf } from './request-id.js';
import { ServiceError, serviceError } from './service-error.js';
import type { ServiceErrorCode } from './service-error.js';

/** What body-parser (under express) throws: an Error with `status` and `type`. */
export interface BodyParserError extends Error {
  status?: number;
  statusCode?: number;
  type?: string;
}

/** An error of body-parser (malformed JSON, too large, unreadable), raised before any route. */
export function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    error instanceof Error &&
    typeof (error as BodyParserError).type === 'string' &&
    typeof ((error as BodyParserError).status ?? (error as BodyParserError).statusCode) === 'number'
  );
}

const HTTP_CODES: Readonly<Record<number, ServiceErrorCode>> = {
  400: 'ERR_VALIDATION',
  401: 'ERR_UNAUTHENTICATED',
  403: 'ERR_FORBIDDEN',
  404: 'ERR_NOT_FOUND',
  405: 'ERR_NOT_FOUND',
  409: 'ERR_CONFLICT',
  413: 'ERR_TOO_LARGE',
  415: 'ERR_VALIDATION',
};

/** The HTTP status of each TrustError code. */
const TRUST_STATUS: Readonly<Record<TrustErrorCode, number>> = {
  ERR_VALIDATION: 400,
  ERR_UNAUTHENTICATED: 401,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_UNKNOWN_KEY: 404,
  ERR_UNKNOWN_COUNTRY: 404,
  ERR_UNKNOWN_NETWORK: 404,
  ERR_SIGNATURE_INVALID: 422,
  ERR_SNAPSHOT_INVALID: 422,
  ERR_EVENT_INVALID: 422,
  ERR_ENVELOPE_REJECTED: 422,
  ERR_UNAVAILABLE: 503,
  ERR_INTERNAL: 500,
};

/**
 * Maps anything thrown while serving a request of `service` ("node", "feed service", "registry":
 * named in the 500 message) to a ServiceError.
 */
export function toServiceError(error: unknown, service: string, req?: ServiceRequest): ServiceError {
  if (error instanceof ServiceError) return error;
  if (error instanceof TrustError && error.code !== 'ERR_INTERNAL')
    return new ServiceError(error.code, TRUST_STATUS[error.code], error.message, {
      cause: error,
      violations: error.violations,
    });
  if (isBodyParserError(error)) {
    const status = error.status ?? error.statusCode ?? 400;
    if (error.type === 'entity.parse.failed') {
      const detail = (error.message.split('\n')[0] ?? '').slice(0, 200);
      return serviceError('ERR_VALIDATION', `the request body is not valid JSON: ${detail}`, {
        violations: [{ path: '', code: 'malformed_json', message: `not valid JSON: ${detail}` }],
      });
    }
    if (error.type === 'entity.too.large')
      return serviceError('ERR_TOO_LARGE', 'the request body is too large', {
        violations: [{ path: '', code: 'too_big', message: 'the request body is too large' }],
      });
    if (status >= 400 && status < 500)
      return serviceError('ERR_VALIDATION', `the request body cannot be read: ${error.message}`, {
        violations: [{ path: '', code: 'unreadable_body', message: error.message }],
      });
  }
  if (error instanceof HttpException && error.getStatus() < 500) {
    const status = error.getStatus();
    const message =
      status === 404 && req !== undefined
        ? `no such route: ${req.method ?? ''} ${(req.originalUrl ?? req.url ?? '').split('?')[0]}`
        : error.message;
    const code = HTTP_CODES[status] ?? 'ERR_VALIDATION';
    return new ServiceError(code, status, message);
  }
  const requestId = req === undefined ? undefined : requestIdOf(req);
  return serviceError(
    'ERR_INTERNAL',
    `internal error; the ${service} log has the details` +
      (requestId === undefined ? '' : ` under request id ${requestId}`),
    { cause: error },
  );
}

/**
 * Writes `error` as the response, with the node API so it works whatever the adapter. Once a
 * streamed response has begun, it ends with one error line instead (what the CLI recognises).
 */
export function sendError(res: ServerResponse, error: ServiceError): void {
  const text = JSON.stringify({ error: error.toJSON() });
  if (res.headersSent) {
    if (!res.writableEnded) res.end(`${text}\n`);
    return;
  }
  res.statusCode = error.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/** The global filter: every HTTP error in the one shape; anything unexpected logged, never shown. */
@Catch()
export class ServiceErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ServiceErrorFilter');

  /** `service` names the service in the 500 message ("the node log has the details"). */
  constructor(private readonly service: string) {}

  catch(error: unknown, host: ArgumentsHost): void | Observable<never> {
    if (host.getType() !== 'http') return throwError(() => error);
    const http = host.switchToHttp();
    const req = http.getRequest<ServiceRequest>();
    const answer = toServiceError(error, this.service, req);
    // Anything unexpected, and a service's own 5xx with a cause (a store that failed): the
    // caller got a fixed message, the log gets what happened.
    const cause = answer.code === 'ERR_INTERNAL' ? error : answer.status >= 500 ? answer.cause : undefined;
    if (cause !== undefined)
      this.logger.error(
        `request ${requestIdOf(req)} ${req.method ?? ''} ${(req.originalUrl ?? req.url ?? '').split('?')[0]} failed: ${
          cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)
        }`,
      );
    sendError(http.getResponse<ServerResponse>(), answer);
  }
}
