/**
 * What the store keeps of an alert and how the API shows it: the row built from a verified
 * alert, and the JSON views of the inbox list and of one alert with its verification record.
 * H1 is flagged in every output; handling and grading travel unchanged.
 *
 * The store keeps what this node may read (a restricted body decrypted for its recipient); what
 * each reader sees of it is @enlace/policy's read rule (`readRow`): a reader with visibility
 * `header` (an administrator or auditor, for a restricted alert) gets the header and
 * `bodyRestricted: true`, never the body, title or summary.
 */
import { evaluateRead } from '@enlace/policy';
import type { AlertKind, HandlingCode, ReadAllowed, ReadChannel, ReadDecision, Reader } from '@enlace/policy';
import type { Alert, AlertBody, JsonObject } from '@enlace/schema';
import {
  alertToJson,
  decodeAlert,
  decodeAlertBody,
  decodeSignedAlert,
  encodeAlertBody,
  tlpName,
} from '@enlace/schema';

import { searchableText } from '../store/alert-search.js';
import { gradingCode } from '../store/alert-store.js';

import type {
  Box,
  NewAlertRow,
  StoredAlert,
  StoredReceipt,
  VerificationRecord,
} from '../store/alert-store.js';
import { H1_NOTICE } from './alert-codes.js';

export interface RowInput {
  readonly box: Box;
  readonly alert: Alert;
  /** The body in clear, when this node may read it. */
  readonly body: AlertBody['body'];
  /**
   * Title and summary as readable here: a restricted alert's come from its encrypted body (the
   * header's are empty). Default: the header's.
   */
  readonly title?: string;
  readonly summary?: string;
  readonly kind: string;
  readonly handling: string;
  readonly envelope: Uint8Array;
  readonly subject: string;
  readonly streamSeq: number | undefined;
  readonly verification: VerificationRecord;
}

/**
 * The row the store keeps of a verified alert: the columns its queries filter on and show, the
 * envelope, and (for a restricted alert readable here) the clear body. Its JSON view is built
 * when read (alertJsonOf); only its searchable text is taken now, from the decoded message.
 */
export function toRow(input: RowInput): NewAlertRow {
  const signed = input.alert.header!;
  const title = input.title !== undefined && input.title !== '' ? input.title : signed.title;
  const summary = input.summary !== undefined && input.summary !== '' ? input.summary : signed.summary;
  // The readable form: the clear body in place of the encrypted one, or the header alone, with
  // a restricted alert's title and summary where a reader looks for them.
  const header =
    title === signed.title && summary === signed.summary ? signed : { ...signed, title, summary };
  const encrypted = input.alert.body?.$case === 'encrypted';
  const clearBody =
    encrypted && input.verification.bodyReadable
      ? encodeAlertBody({ body: input.body, title: input.title ?? '', summary: input.summary ?? '' })
      : undefined;
  return {
    id: header.id,
    box: input.box,
    origin: header.origin,
    network: header.network,
    kind: input.kind,
    handling: input.handling,
    tlp: tlpName(header.tlp) ?? 'unspecified',
    grading: gradingCode(header.grading),
    issuedAt: header.issuedAt!,
    expiresAt: header.expiresAt,
    title: header.title,
    recipients: header.recipients,
    supersedesId: header.supersedesId,
    retractsId: header.retractsId,
    restricted: header.recipients.length > 0,
    readable: input.verification.bodyReadable,
    clearBody,
    envelope: input.envelope,
    subject: input.subject,
    streamSeq: input.streamSeq,
    verification: input.verification,
    searchText: searchableText({ header, body: input.body }),
  };
}

/**
 * The alert as proto3 JSON, as this node reads it: decoded from the stored envelope, with a
 * restricted alert's body, title and summary from its clear body when it could be read here,
 * and no body when it could not (what toRow's input made of it).
 */
export function alertJsonOf(row: Pick<StoredAlert, 'envelope' | 'clearBody'>): JsonObject {
  const alert = decodeAlert(decodeSignedAlert(row.envelope).alert);
  const signed = alert.header!;
  if (alert.body?.$case !== 'encrypted') return alertToJson(alert);
  if (row.clearBody === undefined) return alertToJson({ header: signed, body: undefined });
  const clear = decodeAlertBody(row.clearBody);
  return alertToJson({
    header: {
      ...signed,
      title: clear.title !== '' ? clear.title : signed.title,
      summary: clear.summary !== '' ? clear.summary : signed.summary,
    },
    body: clear.body,
  });
}

/** What `reader` may see of `row`, held by this node's country `holder`, on `channel`. */
export function readRow(
  row: StoredAlert,
  reader: Reader,
  holder: string,
  channel: ReadChannel,
  now: Date = new Date(),
): ReadDecision {
  return evaluateRead(
    reader,
    {
      origin: row.origin,
      network: row.network,
      kind: row.kind as AlertKind,
      handling: row.handling as HandlingCode,
      recipients: row.recipients,
      issuedAt: row.issuedAt,
      ...(row.expiresAt !== undefined && { expiresAt: row.expiresAt }),
      holder,
    },
    channel,
    { at: now },
  );
}

/** The full view, for the node's own use (what it publishes, or when no reader is in question). */
const FULL: ReadAllowed = { allowed: true, visibility: 'full', bodyRestricted: false, expired: false };

function notices(row: StoredAlert, read: ReadAllowed): string[] {
  const out: string[] = [];
  if (row.handling === 'H1') out.push(H1_NOTICE);
  if (row.handling === 'H2') out.push("H2: no onward dissemination without the originator's consent");
  if (read.bodyRestricted && row.readable)
    out.push('restricted: its body, title and summary are for the focal points of its recipients and origin');
  else if (row.restricted && !row.readable)
    out.push('restricted to other countries: the body is not readable here');
  if (row.retractedBy !== undefined) out.push(`retracted by ${row.retractedBy}`);
  if (row.supersededBy !== undefined) out.push(`superseded by ${row.supersededBy}`);
  if (isExpired(row)) out.push(`expired at ${row.expiresAt!.toISOString()}: no longer to be acted on`);
  return out;
}

/** True when the alert's expires_at has passed (judged now, so an alert expires while it sits in the inbox). */
export function isExpired(row: Pick<StoredAlert, 'expiresAt'>, now: Date = new Date()): boolean {
  return row.expiresAt !== undefined && row.expiresAt.getTime() <= now.getTime();
}

/** One line of the inbox or outbox, as `read` lets its reader see it (default: in full). */
export function summaryView(row: StoredAlert, read: ReadAllowed = FULL): Record<string, unknown> {
  const header = read.visibility === 'header';
  const grading = row.grading === '' ? undefined : row.grading;
  return {
    id: row.id,
    box: row.box,
    origin: row.origin,
    network: row.network,
    kind: row.kind,
    handling: row.handling,
    h1: row.handling === 'H1',
    ...(grading !== undefined && { grading }),
    tlp: row.tlp,
    issuedAt: row.issuedAt.toISOString(),
    ...(row.expiresAt !== undefined && { expiresAt: row.expiresAt.toISOString() }),
    expired: isExpired(row),
    receivedAt: row.receivedAt.toISOString(),
    title: header ? '' : row.title,
    recipients: row.recipients,
    restricted: row.restricted,
    bodyReadable: row.readable && !header,
    bodyRestricted: header,
    ...(row.supersedesId !== '' && { supersedesId: row.supersedesId }),
    ...(row.retractsId !== '' && { retractsId: row.retractsId }),
    ...(row.retractedBy !== undefined && { retractedBy: row.retractedBy }),
    ...(row.supersededBy !== undefined && { supersededBy: row.supersededBy }),
    notices: notices(row, read),
  };
}

/** One alert: the summary, the alert as proto3 JSON (as `read` lets its reader see it), and how it was verified. */
export function detailView(
  row: StoredAlert,
  receipts: readonly StoredReceipt[] = [],
  read: ReadAllowed = FULL,
): Record<string, unknown> {
  return {
    ...summaryView(row, read),
    receipts: receipts.map((r) => ({
      from: r.from,
      status: r.status,
      at: r.at.toISOString(),
      ...(r.officer !== undefined && { officer: r.officer }),
    })),
    subject: row.subject,
    ...(row.streamSeq !== undefined && { streamSeq: row.streamSeq }),
    alert: read.visibility === 'header' ? headerOnly(alertJsonOf(row)) : alertJsonOf(row),
    verification: row.verification,
  };
}

/** The alert's JSON without its body and without the title and summary of the header. */
function headerOnly(alert: unknown): JsonObject {
  const header = { ...((alert as { header?: JsonObject } | null)?.header ?? {}) };
  delete header['title'];
  delete header['summary'];
  return { header };
}
