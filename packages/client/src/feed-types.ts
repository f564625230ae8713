/**
 * The feed service's API as it travels (services/feed/src/feeds/feeds.controller.ts,
 * feed-manager.ts, feed-record.ts, http/match.controller.ts).
 */
import type { AlertKind, HandlingCode } from '@enlace/policy';

import type { AlertJson } from './node-types.js';

/** Which verified alerts a feed delivers; empty lists mean "any". */
export interface FeedFilterJson {
  readonly networks?: readonly string[];
  readonly kinds?: readonly AlertKind[];
  readonly origins?: readonly string[];
  readonly handling?: readonly HandlingCode[];
  /** Admiralty grading at least this good, e.g. "B2". */
  readonly minGrading?: string;
  /** Only alerts with financial indicators. */
  readonly financialOnly?: boolean;
}

export interface FileSinkJson {
  readonly type: 'file';
  /** Absolute path of the directory. */
  readonly directory: string;
  readonly maxBytes?: number;
  readonly maxFiles?: number;
}

export interface WebhookSinkJson {
  readonly type: 'webhook';
  readonly url: string;
  /** HMAC-SHA256 key of the Enlace-Signature header (at least 32 characters); answered as "[redacted]". */
  readonly secret: string;
  /** PEM certificate(s) of a private CA. */
  readonly ca?: string;
}

export interface NatsSinkJson {
  readonly type: 'nats';
  /** enlace.v1.feed.<CC>.<name> */
  readonly subject: string;
}

export type SinkJson = FileSinkJson | WebhookSinkJson | NatsSinkJson;

/** `now`, `beginning` or an ISO 8601 instant. */
export type FeedStartText = string;

/** POST /v1/feeds. */
export interface FeedDefinitionRequest {
  /** Lower-case letters, digits and hyphens; the id becomes `<cc>-<name>`. */
  readonly name?: string;
  /** The FIU's country (administrators; analysts get their own). */
  readonly country?: string;
  readonly description?: string;
  readonly filter?: FeedFilterJson;
  readonly start?: FeedStartText;
  readonly sink: SinkJson;
}

export interface FeedDefinitionJson {
  readonly id: string;
  readonly name: string;
  readonly country: string;
  readonly description: string;
  readonly filter: Required<FeedFilterJson>;
  readonly start: FeedStartText;
  /** Webhook secrets are "[redacted]". */
  readonly sink: SinkJson;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly generation: number;
}

export interface FeedCountersJson {
  readonly delivered: number;
  readonly filtered: number;
  /** Refused by the read rule for an FIU of the feed's country. */
  readonly readRefused: number;
  readonly duplicates: number;
  /** Rejected by verification, by stable reason. */
  readonly rejected: Readonly<Record<string, number>>;
  readonly lastDeliveredSeq: number;
  readonly lastDeliveredAt?: string;
}

export interface SinkStatusJson {
  readonly delivered: number;
  readonly retries: number;
  readonly retrying?: boolean;
  readonly lastDeliveredAt?: string;
  readonly lastError?: { readonly at: string; readonly message: string };
}

export interface FeedStatusJson {
  readonly feed: FeedDefinitionJson;
  readonly consumer: string;
  readonly running: boolean;
  /** Its country is suspended or withdrawn: the feed waits. */
  readonly paused: boolean;
  readonly pending?: number;
  readonly inFlight?: number;
  readonly counters?: FeedCountersJson;
  readonly sink?: SinkStatusJson;
}

/** What a feed delivers, one per alert (format enlace.feed.record.v1). */
export interface FeedRecordJson {
  readonly format: string;
  /** `<feed>:<alert id>`: the same on every redelivery. */
  readonly id: string;
  readonly feed: string;
  readonly seq: number;
  readonly subject: string;
  readonly alert: AlertJson;
  readonly financial: boolean;
  readonly verification: {
    readonly kid: string;
    readonly registryRevision: number;
    readonly rules: readonly string[];
    readonly verifiedAt: string;
    readonly bodyReadable: boolean;
  };
  /** The SignedAlert bytes, base64. */
  readonly signedAlert: string;
}

export interface RecordsQuery {
  /** `now`, `beginning` (default) or an ISO 8601 instant. */
  readonly from?: FeedStartText;
  /** Keep the stream open for new alerts (tail). */
  readonly follow?: boolean;
  readonly limit?: number;
}

export interface ExportQuery {
  /** `stix` (default): one STIX 2.1 bundle; `jsonl`: the records. */
  readonly format?: 'stix' | 'jsonl';
  readonly from?: FeedStartText;
  /** Only alerts issued up to this instant. */
  readonly until?: string;
}

export interface MatchRequest {
  readonly keyId: string;
  /** Hex HMAC-SHA256 digests, at most 100 000. */
  readonly digests: readonly string[];
}

/** An alert a hit points to. */
export interface AlertRefJson {
  readonly alertId: string;
  readonly origin: string;
  readonly network: string;
  readonly kind: string;
  readonly issuedAt: string;
  readonly field: string;
}

export interface MatchResultJson {
  readonly keyId: string;
  readonly queried: number;
  readonly matched: number;
  readonly hits: ReadonlyArray<{ readonly digest: string; readonly alerts: readonly AlertRefJson[] }>;
}

export interface FeedHealthJson {
  readonly status: 'ok' | 'degraded';
  readonly nats: 'connected' | 'disconnected';
  readonly registryRevision: number | null;
  readonly indexedDigests: number;
}
