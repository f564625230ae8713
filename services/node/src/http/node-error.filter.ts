/**
 * One error shape for the node's HTTP API, the registry's: `{ "error": { code, message,
 * reason?, violations } }`. NodeErrors keep their code and status; body-parser failures
 * (malformed JSON, too large) become ERR_VALIDATION; Nest's own HTTP errors the nearest code;
 * anything else a 500 that reveals nothing of the internals (they go to the log).
 */
import { Catch, HttpException, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { throwError } from 'rxjs';
import type { Observable } from 'rxjs';

import { TrustError } from '@enlace/trust';

import { NODE_ERROR_STATUS, NodeError } from '../errors.js';
import type { NodeErrorCode } from '../errors.js';

interface BodyParserError extends Error {
  status?: number;
  type?: string;
}

const HTTP_CODES: Record<number, NodeErrorCode> = {
  400: 'ERR_VALIDATION',
  401: 'ERR_UNAUTHENTICATED',
  403: 'ERR_FORBIDDEN',
  404: 'ERR_NOT_FOUND',
  405: 'ERR_NOT_FOUND',
  409: 'ERR_CONFLICT',
  413: 'ERR_VALIDATION',
  415: 'ERR_VALIDATION',
};

/** Maps anything thrown while serving a request to a NodeError. */
export function toNodeError(error: unknown, req?: IncomingMessage & { originalUrl?: string }): NodeError {
  if (error instanceof NodeError) return error;
  // The trust core's refusals (no snapshot yet: ERR_UNAVAILABLE) keep their code where the node has it.
  if (error instanceof TrustError && Object.hasOwn(NODE_ERROR_STATUS, error.code))
    return new NodeError(error.code as NodeErrorCode, error.message, { cause: error, violations: error.violations });
  const parser = error as BodyParserError;
  if (error instanceof Error && typeof parser.type === 'string' && typeof parser.status === 'number') {
    if (parser.type === 'entity.parse.failed') {
      const detail = (error.message.split('\n')[0] ?? '').slice(0, 200);
      return new NodeError('ERR_VALIDATION', `the request body is not valid JSON: ${detail}`, {
        violations: [{ path: '', code: 'malformed_json', message: `not valid JSON: ${detail}` }],
      });
    }
    if (parser.type === 'entity.too.large')
      return new NodeError('ERR_VALIDATION', 'the request body is too large', {
        violations: [{ path: '', code: 'too_big', message: 'the request body is too large' }],
      });
    if (parser.status < 500)
      return new NodeError('ERR_VALIDATION', `the request body cannot be read: ${error.message}`, {
        violations: [{ path: '', code: 'unreadable_body', message: error.message }],
      });
  }
  if (error instanceof HttpException && error.getStatus() < 500) {
    const status = error.getStatus();
    const message =
      status === 404 && req !== undefined
        ? `no such route: ${req.method ?? ''} ${(req.originalUrl ?? req.url ?? '').split('?')[0]}`
        : error.message;
    return new NodeError(HTTP_CODES[status] ?? 'ERR_VALIDATION', message);
  }
  return new NodeError('ERR_INTERNAL', 'internal error; the node log has the details', { cause: error });
}

export function sendError(res: ServerResponse, error: NodeError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.statusCode = error.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ error: error.toJSON() }));
}

@Catch()
export class NodeErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('NodeErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void | Observable<never> {
    // Inbound (JetStream) handlers: leave the outcome to the transport (term, nak).
    if (host.getType() !== 'http') return throwError(() => error);
    const http = host.switchToHttp();
    const nodeError = toNodeError(error, http.getRequest<IncomingMessage>());
    if (nodeError.code === 'ERR_INTERNAL')
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    sendError(http.getResponse<ServerResponse>(), nodeError);
  }
}
