/**
 * What the registry API attaches to each request: its id (the service kit's, from the
 * `x-request-id` header or generated) and, once the bearer guard has checked the token, the
 * Actor. Commands take their CommandContext from here.
 */
import { requestIdOf } from '@enlace/service-kit';
import type { AuthenticatedRequest } from '@enlace/service-kit';

import type { Actor, CommandContext } from '../domain/model.js';
import { RegistryError } from '../domain/errors.js';

/** The express request as the registry API uses it (express types are not a dependency). */
export interface RegistryRequest extends AuthenticatedRequest<Actor> {
  /**
   * Why the body could not be read (malformed JSON, too large): kept by the API's body error
   * handler and raised after the bearer guard, so the refusal is answered with the actor known.
   */
  bodyError?: unknown;
  /** Set when a command's context is handed to the RegistryService: from then on it audits. */
  commandSubmitted?: boolean;
}

/** The actor the bearer guard put on the request; a route without a token has none. */
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
