/**
 * Who may use the feed API (the service kit's bearer guard enforces it): an FIU analyst
 * (`fiu-analyst`, with a country) manages and reads its own country's feeds and matches for its
 * country; an administrator may do so for any country; an auditor may read. Liaison officers
 * (`focal-point`) use their node, not feeds. Routes marked `@Public()` need none. Tokens are the
 * registry's, checked by the `verify` function the app is given.
 */
import type { Reader } from '@enlace/policy';
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

/** Who reads, for @enlace/policy's evaluateRead: an FIU analyst of a country, an administrator or an auditor. */
export function readerOf(actor: FeedActor): Reader {
  if (actor.country !== undefined) return { role: 'fiu-analyst', country: actor.country };
  return actor.canWrite ? { role: 'administrator' } : { role: 'auditor' };
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

/**
 * Refuses (ERR_FORBIDDEN) the content of a collection (TAXII objects, manifest, versions; MISP
 * events) to a reader of no country. A collection holds what its country's FIU may read under
 * the read rule, H2 and H3 of that holder included; administrators and auditors belong to no
 * country, and the rule keeps H2 and H3 from them (evaluateRead, channel `export`). They see the
 * collections themselves, and export a feed through /v1/feeds/{id}/export, which applies the
 * rule to them.
 */
export function assertReadsCollectionContent(actor: FeedActor): void {
  if (actor.country !== undefined) return;
  throw new FeedError(
    'ERR_FORBIDDEN',
    "a collection holds what its country's FIU may read; administrators and auditors export a feed through /v1/feeds/{id}/export instead",
  );
}
