/**
 * A country node's officer API as it travels (services/node/src/alerts/alerts.controller.ts,
 * alert-view.ts, http/health.controller.ts). Alerts themselves are proto3 JSON of
 * enlace.alert.v1.Alert (see @enlace/schema for the typed form).
 */
import type { HandlingCode } from '@enlace/policy';

/** An alert or a draft as proto3 JSON: `{ header: {...}, route | document | network | encrypted }`. */
export type AlertJson = Record<string, unknown>;

export type AlertBox = 'inbox' | 'outbox';
export type AlertKindName = 'route' | 'document' | 'network';

/** One line of the inbox or outbox. */
export interface AlertSummaryJson {
  readonly id: string;
  readonly box: AlertBox;
  readonly origin: string;
  readonly network: string;
  readonly kind: AlertKindName | string;
  readonly handling: HandlingCode | string;
  /** Handling H1: not for judicial proceedings without the originator's consent. */
  readonly h1: boolean;
  /** Admiralty grading, e.g. "B2" (source reliability A–F, information credibility 1–6). */
  readonly grading?: string;
  readonly tlp: string;
  readonly issuedAt: string;
  readonly expiresAt?: string;
  /** True once expires_at has passed (judged when the node answered). */
  readonly expired?: boolean;
  readonly receivedAt: string;
  readonly title: string;
  readonly recipients: readonly string[];
  readonly restricted: boolean;
  /** False when this reader may not see the body (it is encrypted to others, or withheld from it). */
  readonly bodyReadable: boolean;
  /**
   * True when the read rule (@enlace/policy evaluateRead) gives this reader the header only: a
   * restricted alert read by an administrator or auditor, or by a country not among its recipients.
   */
  readonly bodyRestricted: boolean;
  readonly supersedesId?: string;
  readonly retractsId?: string;
  readonly retractedBy?: string;
  readonly supersededBy?: string;
  /** What the reader must heed (H1, H2, unreadable body, retracted, superseded). */
  readonly notices: readonly string[];
}

export interface VerificationJson {
  readonly verifiedAt: string;
  readonly kid: string;
  readonly registryRevision: number;
  readonly rules: readonly string[];
  readonly bodyReadable: boolean;
  readonly checks: readonly string[];
  readonly forwardedBy?: string;
}

export interface ReceiptJson {
  readonly from: string;
  readonly status: 'received' | 'read';
  readonly at: string;
  readonly officer?: string;
}

/** One alert in full, with how it was verified. */
export interface AlertDetailJson extends AlertSummaryJson {
  readonly receipts: readonly ReceiptJson[];
  readonly subject: string;
  readonly streamSeq?: number;
  readonly alert: AlertJson;
  readonly verification: VerificationJson;
  /** This country's dismissal (who and when), or false while it is in the inbox. */
  readonly dismissed?: false | { readonly at: string; readonly by: string };
}

/** What POST and DELETE /v1/alerts/{id}/dismiss answer. */
/** POST /v1/alerts/{id}/judicial-use: the use recorded (with the consent that allowed it, if any). */
export interface JudicialUseJson {
  readonly alertId: string;
  readonly handling: string;
  readonly consentId?: string;
  readonly recordedAt: string;
}

export interface DismissJson {
  readonly id: string;
  readonly dismissed: boolean;
  readonly at?: string;
  readonly by?: string;
}

export interface AlertPage {
  readonly items: readonly AlertSummaryJson[];
  /** Give it as `cursor` for the next page; absent on the last one. */
  readonly next?: string;
}

export interface AlertListQuery {
  readonly box?: AlertBox;
  readonly kind?: AlertKindName;
  readonly network?: string;
  readonly origin?: string;
  readonly handling?: HandlingCode;
  /** Issued at or after (RFC 3339). */
  readonly since?: string;
  /** Issued before (RFC 3339). */
  readonly until?: string;
  /** Admiralty source reliability, A to F. */
  readonly reliability?: 'A' | 'B' | 'C' | 'D' | 'E' | 'F';
  /** Admiralty information credibility, 1 to 6. */
  readonly credibility?: '1' | '2' | '3' | '4' | '5' | '6';
  /** Free text: every word, as a prefix, in the alert's searchable text (titles, places, series). */
  readonly q?: string;
  /** Only alerts this country dismissed ('true': the archive) or did not ('false'). */
  readonly dismissed?: 'true' | 'false';
  readonly cursor?: string;
  /** 1 to 500, default 50. */
  readonly limit?: number;
}

/** What POST /v1/alerts (and retract, supersede) answers. */
export interface PublishedAlertJson {
  readonly id: string;
  readonly subject: string;
  readonly stream: string;
  readonly seq: number;
  /** The broker already held this id: nothing was published twice. */
  readonly duplicate: boolean;
  readonly alert: AlertSummaryJson;
}

export interface AckJson {
  readonly id: string;
  readonly status: 'received' | 'read';
  readonly subject: string;
}

export interface ForwardJson {
  readonly id: string;
  readonly to: string;
  readonly subject: string;
}

export interface NodeHealthJson {
  readonly status: 'ok' | 'degraded';
  readonly country: string;
  readonly nats: 'connected' | 'disconnected';
  readonly registry:
    | { readonly status: 'no snapshot' }
    | { readonly revision: number; readonly source: string; readonly verifiedAt: string };
  /** Alerts stored, by box. */
  readonly stored: Readonly<Record<AlertBox, number>>;
  /** `paused` while this country is suspended (its NATS user may not read its durables then). */
  readonly pulling: 'running' | 'paused';
}

/** Requests for information, replies and consents (the node's /v1/requests routes). */
export type RequestPriority = 'routine' | 'urgent' | 'threat_to_life';
export type ThreadStatus = 'open' | 'answered' | 'closed' | 'withdrawn';

/** What the writer sends; the free-text screen refuses what could identify a person unless confirmed. */
export interface RequestWriteJson {
  readonly subject?: string;
  readonly text?: string;
  readonly references?: {
    readonly alertIds?: readonly string[];
    readonly documentSeries?: readonly string[];
    readonly keyedDigests?: ReadonlyArray<{ readonly keyId: string; readonly digest: string }>;
  };
  /** Confirms, after the screen found something, that no victim is identified. */
  readonly confirmNoVictimIdentified?: boolean;
}

export interface RequestCreateJson extends RequestWriteJson {
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly priority?: RequestPriority;
  readonly dueAt?: string;
  readonly expiresAt?: string;
  readonly handling?: 'H0' | 'H1' | 'H2' | 'H3';
  readonly tlp?: 'clear' | 'green' | 'amber' | 'amber+strict' | 'red';
  readonly network?: string;
  readonly focalPointRole?: string;
}

export interface RequestReplyJson extends RequestWriteJson {
  readonly closes?: boolean;
}

/** What the request routes answer when they sent a message. */
export interface SentRequestJson {
  readonly id: string;
  readonly threadId: string;
  readonly subjects: readonly string[];
  /** Addressees whose copy JetStream has not stored yet (answer 202): the node publishes it again. */
  readonly undelivered?: readonly string[];
  readonly screening?: ReadonlyArray<{
    readonly path: string;
    readonly code: string;
    readonly message: string;
  }>;
  readonly reminder?: string;
  /** Only in a consent decision's answer. */
  readonly granted?: boolean;
}

export interface ThreadSummaryJson {
  readonly id: string;
  readonly box: AlertBox;
  readonly type: 'information' | 'consent';
  readonly from: string;
  readonly to: readonly string[];
  readonly priority: RequestPriority;
  readonly dueAt?: string;
  readonly expiresAt?: string;
  readonly status: ThreadStatus;
  readonly overdue: boolean;
  readonly openedAt: string;
  readonly lastAt: string;
  readonly messageCount: number;
  /** Only for a focal point of the node's country. */
  readonly subject?: string;
}

export interface RequestMessageJson {
  readonly id: string;
  readonly threadId: string;
  readonly box: AlertBox;
  readonly type: 'information' | 'reply' | 'consent' | 'consent_decision';
  readonly from: string;
  readonly to: readonly string[];
  readonly issuedAt: string;
  readonly receivedAt: string;
  readonly inReplyTo?: string;
  readonly handling: string;
  readonly tlp: string;
  readonly kid: string;
  readonly bodyReadable: boolean;
  readonly body?: {
    readonly subject: string;
    readonly text: string;
    readonly references: Readonly<Record<string, readonly unknown[]>>;
  };
  /** Signed receipts of the addressees: `received` when their node stored it, `read` when opened. */
  readonly receipts?: ReadonlyArray<{ readonly from: string; readonly status: string; readonly at: string }>;
  /** Outbox only: each addressee's copy, pending until JetStream stored it. */
  readonly deliveries?: ReadonlyArray<{
    readonly to: string;
    readonly status: 'pending' | 'stored';
    readonly attempts: number;
    readonly storedAt?: string;
  }>;
  readonly [content: string]: unknown;
}

export interface ThreadDetailJson extends ThreadSummaryJson {
  readonly messages: readonly RequestMessageJson[];
  readonly consent?: { readonly id: string; readonly granted: boolean };
}

export interface ThreadListQuery {
  readonly box?: AlertBox;
  readonly status?: ThreadStatus;
  readonly priority?: RequestPriority;
  readonly type?: 'information' | 'consent';
  readonly overdue?: boolean;
  readonly country?: string;
  /** Free text over subjects and texts readable here (focal points of the node's country). */
  readonly q?: string;
  readonly cursor?: string;
  readonly limit?: number;
}

export interface ThreadPage {
  readonly items: readonly ThreadSummaryJson[];
  readonly next?: string;
}

export interface ConsentRequestJson {
  readonly to?: string;
  readonly purpose?: 'forward' | 'judicial_use';
  readonly reason: string;
  readonly confirmNoVictimIdentified?: boolean;
}

export interface ConsentDecisionJson {
  readonly granted: boolean;
  readonly reason?: string;
  readonly expiresAt?: string;
}
