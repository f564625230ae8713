/**
 * One error shape for the feed service's HTTP API, as the registry's and the nodes':
 * `{ "error": { code, message, violations } }`. FeedErrors keep their code and status; body-parser
 * failures (malformed JSON, too large) become ERR_VALIDATION / ERR_TOO_LARGE; Nest's own HTTP
 * errors the nearest code; anything else a 500 that reveals nothing of the internals.
 */
import { Catch, HttpException, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { TrustError } from '@enlace/trust';

import { FEED_ERROR_STATUS, FeedError } from '../errors.js';
import type { FeedErrorCode } from '../errors.js';

interface BodyParserError extends Error {
  status?: number;
  type?: string;
}

const HTTP_CODES: Record<number, FeedErrorCode> = {
  400: 'ERR_VALIDATION',
  401: 'ERR_UNAUTHENTICATED',
  403: 'ERR_FORBIDDEN',
  404: 'ERR_NOT_FOUND',
  405: 'ERR_NOT_FOUND',
  409: 'ERR_CONFLICT',
  413: 'ERR_TOO_LARGE',
  415: 'ERR_VALIDATION',
};

export function toFeedError(error: unknown, req?: IncomingMessage & { originalUrl?: string }): FeedError {
  if (error instanceof FeedError) return error;
  // The trust core's refusals (no snapshot yet: ERR_UNAVAILABLE) keep their code where the feed has it.
  if (error instanceof TrustError && Object.hasOwn(FEED_ERROR_STATUS, error.code))
    return new FeedError(error.code as FeedErrorCode, error.message, { cause: error, violations: error.violations });
  const parser = error as BodyParserError;
  if (error instanceof Error && typeof parser.type === 'string' && typeof parser.status === 'number') {
    if (parser.type === 'entity.parse.failed') {
      const detail = (error.message.split('\n')[0] ?? '').slice(0, 200);
      return new FeedError('ERR_VALIDATION', `the request body is not valid JSON: ${detail}`, {
        violations: [{ path: '', code: 'malformed_json', message: `not valid JSON: ${detail}` }],
      });
    }
    if (parser.type === 'entity.too.large')
      return new FeedError('ERR_TOO_LARGE', 'the request body is too large', {
        violations: [{ path: '', code: 'too_big', message: 'the request body is too large' }],
      });
    if (parser.status < 500)
      return new FeedError('ERR_VALIDATION', `the request body cannot be read: ${error.message}`, {
        violations: [{ path: '', code: 'unreadable_body', message: error.message }],
      });
  }
  if (error instanceof HttpException && error.getStatus() < 500) {
    const status = error.getStatus();
    const message =
      status === 404 && req !== undefined
        ? `no such route: ${req.method ?? ''} ${(req.originalUrl ?? req.url ?? '').split('?')[0]}`
        : error.message;
    return new FeedError(HTTP_CODES[status] ?? 'ERR_VALIDATION', message);
  }
  return new FeedError('ERR_INTERNAL', 'internal error; the feed service log has the details', {
    cause: error,
  });
}

export function sendError(res: ServerResponse, error: FeedError): void {
  if (res.headersSent) {
    // A stream already under way: end it with an error line the CLI recognises.
    res.end(`${JSON.stringify({ error: error.toJSON() })}\n`);
    return;
  }
  res.statusCode = error.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ error: error.toJSON() }));
}

@Catch()
export class FeedErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('FeedErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<IncomingMessage & { originalUrl?: string }>();
    const feedError = toFeedError(error, req);
    if (feedError.code === 'ERR_INTERNAL')
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    sendError(http.getResponse<ServerResponse>(), feedError);
  }
}
