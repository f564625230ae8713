/**
 * Whether a verified alert goes to a feed: @enlace/policy's read rule for an FIU analyst of the
 * feed's country (the holder: the alert was verified as that country receives it), then the
 * FIU's filters. A feed of the holding country is not onward dissemination, so H2 and H3 alerts
 * the country received reach its feeds, as they reach its node. The broker-side filter subject
 * narrows what the consumer reads when the feed names one network, kind and origin; everything
 * else is decided here.
 */
import { evaluateRead } from '@enlace/policy';
import type { AlertKind, HandlingCode, ReadChannel, ReadDecision, Reader } from '@enlace/policy';
import type { AlertBody } from '@enlace/schema';
import { SUBJECT_ROOT } from '@enlace/transport';

import type { VerifiedAlert } from '@enlace/trust';

import type { FeedDefinition, FeedFilter } from './feed-definition.js';

/** Why an alert was not delivered to a feed (for metrics), or undefined when it is delivered. */
export type SkipReason = 'filtered' | 'read_refused';

/** What `reader` may see of `verified`, held by the feed's country `holder`, on `channel`. */
export function readVerified(
  reader: Reader,
  verified: VerifiedAlert,
  holder: string,
  channel: ReadChannel,
  at: Date = new Date(),
): ReadDecision {
  const header = verified.alert.header!;
  return evaluateRead(
    reader,
    {
      origin: header.origin,
      network: header.network,
      kind: verified.kind as AlertKind,
      handling: verified.handling as HandlingCode,
      recipients: header.recipients,
      issuedAt: verified.issuedAt,
      ...(header.expiresAt !== undefined && { expiresAt: header.expiresAt }),
      holder,
    },
    channel,
    { at },
  );
}

/** True when the clear body carries financial indicators (network alerts: accounts, corridors, proceeds). */
export function hasFinancialIndicators(body: AlertBody['body'] | undefined): boolean {
  if (body?.$case !== 'network') return false;
  const financial = body.network.financial;
  return (
    financial !== undefined &&
    (financial.accounts.length > 0 ||
      financial.corridors.length > 0 ||
      financial.estimatedProceeds !== undefined)
  );
}

function gradingAtLeast(verified: VerifiedAlert, min: string): boolean {
  const grading = verified.alert.header?.grading;
  if (grading === undefined) return false;
  const source = min.charCodeAt(0) - 'A'.charCodeAt(0) + 1;
  const credibility = Number(min[1]);
  return (
    grading.sourceReliability >= 1 &&
    grading.sourceReliability <= source &&
    grading.informationCredibility >= 1 &&
    grading.informationCredibility <= credibility
  );
}

/** Decides whether `verified` is delivered to `feed`. */
export function skipReason(
  feed: Pick<FeedDefinition, 'country' | 'filter'>,
  verified: VerifiedAlert,
): SkipReason | undefined {
  const header = verified.alert.header!;
  const analyst: Reader = { role: 'fiu-analyst', country: feed.country };
  if (!readVerified(analyst, verified, feed.country, 'feed').allowed) return 'read_refused';
  const f = feed.filter;
  if (f.networks.length > 0 && !f.networks.includes(header.network)) return 'filtered';
  if (f.kinds.length > 0 && !(f.kinds as readonly string[]).includes(verified.kind)) return 'filtered';
  if (f.origins.length > 0 && !f.origins.includes(header.origin)) return 'filtered';
  if (f.handling.length > 0 && !(f.handling as readonly string[]).includes(verified.handling))
    return 'filtered';
  if (f.minGrading !== undefined && !gradingAtLeast(verified, f.minGrading)) return 'filtered';
  if (f.financialOnly && !hasFinancialIndicators(verified.body)) return 'filtered';
  return undefined;
}

/** The subject filter of the feed's consumer: as narrow as one subject can be. */
export function feedSubjectFilter(filter: FeedFilter): string {
  const one = (list: readonly string[]): string => (list.length === 1 ? list[0]! : '*');
  return `${SUBJECT_ROOT}.alert.${one(filter.networks)}.${one(filter.kinds)}.${one(filter.origins)}`;
}
