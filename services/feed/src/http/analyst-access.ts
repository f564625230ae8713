/**
 * Who may use the feed API (the service kit's bearer guard enforces it): an FIU analyst
 * (`fiu-analyst`, with a country) manages and reads its own country's feeds and matches for its
 * country; an administrator may do so for any country; an auditor may read. Liaison officers
 * (`focal-point`) use their node, not feeds. Routes marked `@Public()` need none. Tokens are the
 * registry's, checked by the `verify` function the app is given.
 */
import type { AuthenticatedRequest, BearerAuth, VerifiedToken } from '@enlace/service-kit';
import type { TrustState } from '@enlace/trust';

import { FeedError } from '../errors.js';
import type { FeedActor } from '../feeds/feed-manager.js';

export type AnalystRequest = AuthenticatedRequest<FeedActor>;

/** The feed service's role table, on tokens `verify` checks. */
export function analystAccess(
  verify: (token: string) => Promise<VerifiedToken>,
): BearerAuth<VerifiedToken, FeedActor> {
  return {
    verify,
    defaultAccess: { kind: 'roles', roles: ['administrator', 'fiu-analyst', 'auditor'] },
    // An analyst acts for a country: a token without one is not an analyst's.
    holds: (token, role) =>
      token.roles.includes(role) && (role !== 'fiu-analyst' || token.country !== undefined),
    forbidden: () =>
      'feeds serve financial intelligence units: a token with the fiu-analyst role and a country, an administrator or an auditor is required',
    actor: (token) =>
      token.roles.includes('administrator')
        ? { id: token.id, country: undefined, canWrite: true }
        : token.roles.includes('fiu-analyst') && token.country !== undefined
          ? { id: token.id, country: token.country, canWrite: true }
          : { id: token.id, country: undefined, canWrite: false },
  };
}

/**
 * Refuses (ERR_FORBIDDEN) an analyst whose country is not a member or observer now: while a
 * country is suspended or withdrawn its feeds deliver nothing, and what they collected before is
 * not served either (TAXII collections, MISP feeds). Administrators and auditors read on.
 */
export function assertMayReadNow(trust: TrustState, actor: FeedActor): void {
  if (actor.country === undefined) return;
  const status = trust.require().policy.statusAt(actor.country, new Date());
  if (status !== 'member' && status !== 'observer')
    throw new FeedError(
      'ERR_FORBIDDEN',
      `${actor.country} is ${status ?? 'not a country of the registry'} now: its feeds are not served until it is reinstated`,
    );
}
