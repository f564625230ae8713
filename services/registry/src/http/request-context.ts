/**
 * What the registry API attaches to each request: its id (from the `x-request-id` header or
 * generated) and, once the AuthGuard has checked the bearer token, the Actor. Commands take
 * their CommandContext from here.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Actor, CommandContext } from '../domain/model.js';
import { RegistryError } from '../domain/errors.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** The express request as the registry API uses it (express types are not a dependency). */
export interface RegistryRequest extends IncomingMessage {
  requestId?: string;
  actor?: Actor;
  body?: unknown;
  /** Path parameters of the matched route (express). */
  params?: Record<string, string>;
  /**
   * Why the body could not be read (malformed JSON, too large): kept by the API's body error
   * handler and raised after the AuthGuard, so the refusal is answered with the actor known.
   */
  bodyError?: unknown;
  /** Set when a command's context is handed to the RegistryService: from then on it audits. */
  commandSubmitted?: boolean;
  /** Path of the matched route, e.g. "/v1/countries/:code" (express). */
  route?: { path?: string };
  originalUrl?: string;
}

const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** Express middleware: adopts a well-formed `x-request-id` or makes one, and echoes it back. */
export function requestIdMiddleware(req: RegistryRequest, res: ServerResponse, next: () => void): void {
  const header = req.headers[REQUEST_ID_HEADER];
  const given = Array.isArray(header) ? header[0] : header;
  req.requestId = given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, req.requestId);
  next();
}

export function requestIdOf(req: RegistryRequest): string {
  return req.requestId ?? randomUUID();
}

/** The actor the AuthGuard put on the request; a route without a token has none. */
export function actorOf(req: RegistryRequest): Actor {
  if (req.actor === undefined) {
    // Only reachable if a command route were declared public: refuse rather than act anonymously.
    throw new RegistryError('ERR_UNAUTHENTICATED', 'this operation needs a bearer token');
  }
  return req.actor;
}

/**
 * The CommandContext of a command: who (from the token), why, on what decision, which request.
 * Call it as the command is handed to the RegistryService, after the request has been parsed:
 * it marks the request as submitted, and the core audits whatever becomes of it from there.
 */
export function commandContext(
  req: RegistryRequest,
  why: { reason?: string | undefined; decision?: string | undefined } = {},
): CommandContext {
  const actor = actorOf(req);
  req.commandSubmitted = true;
  return {
    actor,
    requestId: requestIdOf(req),
    ...(why.reason !== undefined && { reason: why.reason }),
    ...(why.decision !== undefined && { decision: why.decision }),
  };
}

/** "POST /v1/countries/:code/suspend": the route a request matched, for the audit trail. */
export function routeOf(req: RegistryRequest): string {
  const path = req.route?.path ?? (req.originalUrl ?? req.url ?? '').split('?')[0];
  return `${req.method ?? 'GET'} ${path}`;
}
