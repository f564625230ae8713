/**
 * Who may use the node's API (the service kit's bearer guard enforces it): reading the inbox
 * takes a focal point of this country, an administrator or an auditor (the default of every
 * route); publishing, superseding, retracting, forwarding and acknowledging
 * (`@CountryFocalPoints()`) a focal point of this country only, since each speaks as the country
 * (an alert or a receipt signed with its key): an administrator of the process (or a leaked
 * administrator token) cannot. Routes marked `@Public()` (health, metrics) need none. Tokens are
 * the registry's, checked by the `verify` function the app is given (the node's own audience).
 * What a reader then sees of each alert is @enlace/policy's read rule (`readerOf` below,
 * alert-view.ts).
 */
import type { Reader } from '@enlace/policy';
import { Roles } from '@enlace/service-kit';
import type { AuthenticatedRequest, BearerAuth, VerifiedToken } from '@enlace/service-kit';

import type { Officer } from '../alerts/alert-publisher.js';
import { NodeError } from '../errors.js';

const READERS = ['focal-point', 'administrator', 'auditor'] as const;

/** A token that may publish, supersede, retract, forward and acknowledge as this country: its focal point. */
export const CountryFocalPoints = (): MethodDecorator & ClassDecorator => Roles('focal-point');

/** The request as the guard leaves it, with the officer it found. */
export type OfficerRequest = AuthenticatedRequest<Officer>;

/** The node's role table for `country`, on tokens `verify` checks. */
export function officerAccess(
  country: string,
  verify: (token: string) => Promise<VerifiedToken>,
): BearerAuth<VerifiedToken, Officer> {
  return {
    verify,
    defaultAccess: { kind: 'roles', roles: READERS },
    // A focal point of another country is a stranger here.
    holds: (token, role) =>
      token.roles.includes(role) && (role !== 'focal-point' || token.country === country),
    forbidden: (_token, roles) =>
      roles.length === 1 && roles[0] === 'focal-point'
        ? `this is ${country}'s node: only a focal point of ${country} may publish, supersede, retract, forward or acknowledge alerts`
        : `this is ${country}'s node: it serves focal points of ${country}` +
          (roles.includes('auditor') ? ', administrators and auditors' : ' and administrators'),
    actor: (token) => ({
      id: token.id,
      roles: token.roles,
      ...(token.country !== undefined && { country: token.country }),
    }),
  };
}

/**
 * Who reads, for @enlace/policy's evaluateRead: a focal point of this country, else an
 * administrator, else an auditor (a token may hold several roles; the one that sees most wins).
 */
export function readerOf(actor: Officer | undefined, country: string): Reader {
  const roles = actor?.roles ?? [];
  if (roles.includes('focal-point') && actor?.country === country) return { role: 'focal-point', country };
  if (roles.includes('administrator')) return { role: 'administrator' };
  if (roles.includes('auditor')) return { role: 'auditor' };
  // The guard lets no other token through; a route without one reads nothing.
  throw new NodeError('ERR_FORBIDDEN', `this is ${country}'s node: reading alerts takes a token of a reader`);
}
