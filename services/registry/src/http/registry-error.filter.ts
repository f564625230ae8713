/**
 * One error shape for the whole HTTP API: `{ "error": { code, message, violations } }`.
 * RegistryErrors keep their code and status; Nest's own HTTP errors (unknown route, body too
 * large) and body-parser failures (malformed JSON) get the nearest stable code; anything else is
 * a 500 ERR_INTERNAL that names the request id and nothing of the internals (they go to the log).
 */
import { Catch, HttpException, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { throwError } from 'rxjs';
import type { Observable } from 'rxjs';

import { RegistryError } from '../domain/errors.js';
import type { FieldViolation } from '../domain/errors.js';
import type { RegistryRequest } from './request-context.js';
import { requestIdOf } from './request-context.js';

export interface ErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly violations: readonly FieldViolation[];
  };
}

/** What body-parser (under express) throws: an Error with `status` and `type`. */
export interface BodyParserError extends Error {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/** An error of body-parser (malformed JSON, too large, unreadable), raised before any route. */
export function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    error instanceof Error &&
    typeof (error as BodyParserError).type === 'string' &&
    typeof ((error as BodyParserError).status ?? (error as BodyParserError).statusCode) === 'number'
  );
}

const HTTP_CODES: Record<number, string> = {
  400: 'ERR_VALIDATION',
  401: 'ERR_UNAUTHENTICATED',
  403: 'ERR_FORBIDDEN',
  404: 'ERR_NOT_FOUND',
  405: 'ERR_NOT_FOUND',
  409: 'ERR_CONFLICT',
  413: 'ERR_VALIDATION',
  415: 'ERR_VALIDATION',
  503: 'ERR_UNAVAILABLE',
};

/** Maps anything thrown while serving a request to a status and an ErrorBody. */
export function toErrorResponse(
  error: unknown,
  requestId: string,
  req?: RegistryRequest,
): { status: number; body: ErrorBody } {
  if (error instanceof RegistryError) {
    return { status: error.status, body: { error: error.toJSON() } };
  }
  if (isBodyParserError(error)) {
    const status = error.status ?? error.statusCode ?? 400;
    if (error.type === 'entity.parse.failed') {
      const detail = error.message.split('\n')[0] ?? '';
      return {
        status: 400,
        body: {
          error: {
            code: 'ERR_VALIDATION',
            message: `the request body is not valid JSON: ${detail}`,
            violations: [
              { path: '', code: 'malformed_json', message: `the request body is not valid JSON: ${detail}` },
            ],
          },
        },
      };
    }
    if (error.type === 'entity.too.large') {
      return {
        status: 413,
        body: {
          error: {
            code: 'ERR_VALIDATION',
            message: 'the request body is too large',
            violations: [{ path: '', code: 'too_big', message: 'the request body is too large' }],
          },
        },
      };
    }
    if (status >= 400 && status < 500) {
      return {
        status,
        body: {
          error: {
            code: 'ERR_VALIDATION',
            message: `the request body cannot be read: ${error.message}`,
            violations: [{ path: '', code: 'unreadable_body', message: error.message }],
          },
        },
      };
    }
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    if (status < 500) {
      const code = HTTP_CODES[status] ?? 'ERR_VALIDATION';
      const message =
        status === 404 && req !== undefined
          ? `no such route: ${req.method ?? ''} ${(req.originalUrl ?? req.url ?? '').split('?')[0]}`
          : error.message;
      return { status, body: { error: { code, message, violations: [] } } };
    }
  }
  return {
    status: 500,
    body: {
      error: {
        code: 'ERR_INTERNAL',
        message: `internal error; the registry log has the details under request id ${requestId}`,
        violations: [],
      },
    },
  };
}

@Catch()
export class RegistryErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('RegistryErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void | Observable<never> {
    // RPC handlers answer every request themselves; pass anything else to the transport.
    if (host.getType() !== 'http') return throwError(() => error);
    const http = host.switchToHttp();
    const req = http.getRequest<RegistryRequest>();
    const res = http.getResponse<ServerResponse>();
    const requestId = requestIdOf(req);
    const { status, body } = toErrorResponse(error, requestId, req);
    if (status >= 500) {
      this.logger.error(
        `request ${requestId} ${req.method ?? ''} ${req.originalUrl ?? req.url ?? ''} failed: ${
          error instanceof Error ? (error.stack ?? error.message) : String(error)
        }`,
      );
    }
    sendJson(res, status, body);
  }
}

/** Writes a JSON response with the node API, so the filter works whatever the adapter. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}
