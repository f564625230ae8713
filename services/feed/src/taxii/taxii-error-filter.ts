/**
 * Errors of the TAXII and MISP endpoints. TAXII routes answer in the error message format of
 * TAXII 2.1 (section 3.6.1: title, description, error_code, http_status as a string, details)
 * with the TAXII media type; `error_code` is the service's stable code (ERR_NOT_FOUND, ...), and
 * `details.violations` lists bad parameters by name. A 401 says, in WWW-Authenticate, that both
 * Basic (password = the registry token) and Bearer are taken, so TAXII clients that only do Basic
 * know to send it.
 */
import { Catch, Logger } from '@nestjs/common';
import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import type { ServerResponse } from 'node:http';

import { requestIdOf, sendError, toServiceError } from '@enlace/service-kit';
import type { ServiceError, ServiceRequest } from '@enlace/service-kit';

import { TAXII_MEDIA_TYPE } from './taxii-request.js';

export const AUTHENTICATE_CHALLENGE = 'Basic realm="Enlace", charset="UTF-8", Bearer realm="Enlace"';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad request',
  401: 'Authentication required',
  403: 'Forbidden',
  404: 'Not found',
  406: 'Not acceptable',
  429: 'Too many requests',
  500: 'Internal error',
  503: 'Unavailable',
};

function answer(error: unknown, req: ServiceRequest, logger: Logger): ServiceError {
  const problem = toServiceError(error, 'feed service', req);
  if (problem.code === 'ERR_INTERNAL')
    logger.error(
      `request ${requestIdOf(req)} ${req.method ?? ''} ${(req.originalUrl ?? req.url ?? '').split('?')[0]} failed: ${
        error instanceof Error ? (error.stack ?? error.message) : String(error)
      }`,
    );
  return problem;
}

function challenge(res: ServerResponse, problem: ServiceError): void {
  if (problem.status === 401 && !res.headersSent) res.setHeader('www-authenticate', AUTHENTICATE_CHALLENGE);
}

/** TAXII 2.1 error messages. */
@Catch()
export class TaxiiErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('TaxiiErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<ServiceRequest>();
    const res = http.getResponse<ServerResponse>();
    const problem = answer(error, req, this.logger);
    challenge(res, problem);
    if (res.headersSent) {
      res.end();
      return;
    }
    const text = JSON.stringify({
      title: TITLES[problem.status] ?? 'Error',
      description: problem.message,
      error_id: requestIdOf(req),
      error_code: problem.code,
      http_status: String(problem.status),
      ...(problem.violations.length > 0 && { details: { violations: problem.violations } }),
    });
    res.statusCode = problem.status;
    res.setHeader('content-type', TAXII_MEDIA_TYPE);
    res.setHeader('content-length', Buffer.byteLength(text));
    res.end(text);
  }
}

/** The service's own error shape, with the Basic challenge on a 401 (the MISP feed). */
@Catch()
export class ChallengingErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('MispErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<ServiceRequest>();
    const res = http.getResponse<ServerResponse>();
    const problem = answer(error, req, this.logger);
    challenge(res, problem);
    sendError(res, problem);
  }
}
