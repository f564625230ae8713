/**
 * The request id: taken from a well-formed `x-request-id` header or generated, echoed back on the
 * response, written on every log line of the request, and carried on what the request publishes
 * (NATS header `Enlace-Request-Id`), so one id follows an action across services.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';
/** The NATS header that carries the id of the HTTP request a message was published for. */
export const NATS_REQUEST_ID_HEADER = 'Enlace-Request-Id';

const REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** A request as the kit leaves it: `requestId` set by the request id middleware. */
export interface ServiceRequest extends IncomingMessage {
  requestId?: string;
  body?: unknown;
  originalUrl?: string;
  /** Path parameters of the matched route (express). */
  params?: Record<string, string>;
  /** Path of the matched route, e.g. "/v1/countries/:code" (express). */
  route?: { path?: string };
}

const current = new AsyncLocalStorage<string>();

/** The request id adopted from `header` when well-formed (one value, safe characters), else a new one. */
export function requestIdFrom(header: string | readonly string[] | undefined): string {
  const given = Array.isArray(header) ? header[0] : header;
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Express middleware: sets `req.requestId`, echoes it as `x-request-id`, and runs the rest of the
 * request inside its context, so currentRequestId() finds it in any code the request calls.
 */
export function requestIdMiddleware(req: ServiceRequest, res: ServerResponse, next: () => void): void {
  const id = (req.requestId ??= requestIdFrom(req.headers[REQUEST_ID_HEADER]));
  res.setHeader(REQUEST_ID_HEADER, id);
  current.run(id, next);
}

/** The id of `req` (one is made if the middleware did not run). */
export function requestIdOf(req: ServiceRequest): string {
  req.requestId ??= randomUUID();
  return req.requestId;
}

/** The id of the HTTP request being served, if this code runs on behalf of one. */
export function currentRequestId(): string | undefined {
  return current.getStore();
}

/**
 * NATS headers carrying `requestId` (default: the request being served), to pass as the
 * `headers` of a publish; undefined when there is none, so nothing is added.
 */
export function requestIdHeaders(
  requestId: string | undefined = currentRequestId(),
): Readonly<Record<string, string>> | undefined {
  return requestId === undefined ? undefined : { [NATS_REQUEST_ID_HEADER]: requestId };
}
