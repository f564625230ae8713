/**
 * Turns a verified alert into the FeedRecord every sink delivers (see feed-record.ts).
 */
import type { VerifiedAlert } from '@enlace/trust';
import { alertToJson } from '@enlace/schema';

import { FEED_RECORD_FORMAT } from '../feed-record.js';
import type { FeedRecord } from '../feed-record.js';
import { hasFinancialIndicators } from './feed-filter.js';

export interface RecordSource {
  readonly feed: string;
  readonly seq: number;
  readonly subject: string;
  /** The message bytes exactly as received: the SignedAlert. */
  readonly data: Uint8Array;
  readonly verified: VerifiedAlert;
  readonly verifiedAt: Date;
}

export function buildFeedRecord(source: RecordSource): FeedRecord {
  const { verified } = source;
  const alertId = verified.alert.header!.id;
  return {
    format: FEED_RECORD_FORMAT,
    id: `${source.feed}:${alertId}`,
    feed: source.feed,
    seq: source.seq,
    subject: source.subject,
    alert: alertToJson(verified.alert),
    financial: hasFinancialIndicators(verified.body),
    verification: {
      kid: verified.kid,
      registryRevision: verified.registryRevision,
      rules: verified.rules,
      verifiedAt: source.verifiedAt.toISOString(),
      bodyReadable: verified.bodyReadable,
      expired: isExpired(verified, source.verifiedAt),
    },
    signedAlert: Buffer.from(source.data).toString('base64'),
  };
}

/** True when the alert carries an `expires_at` at or before `at`. */
export function isExpired(verified: Pick<VerifiedAlert, 'alert'>, at: Date): boolean {
  const expiresAt = verified.alert.header?.expiresAt;
  return expiresAt !== undefined && expiresAt.getTime() <= at.getTime();
}
