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
  readonly tlp: string;
  readonly issuedAt: string;
  readonly expiresAt?: string;
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
  /** Free text: every word, as a prefix, in the alert's searchable text (titles, places, series). */
  readonly q?: string;
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
