/**
 * Requests for information, replies and consents between focal points (enlace.rfi.v1), both
 * ways. Outbound: an officer's input is checked (every bad field named, nothing sent), the body
 * (subject, text, references) is encrypted to every addressed country and to this one, the whole
 * Request is signed like an alert (RFC 7797 over its exact bytes), published once per addressee
 * on `enlace.v1.direct.<dest>.<this country>` with `Enlace-Type: request` and `Nats-Msg-Id`
 * `<id>.<dest>`. The outbox row and one delivery per addressee (pending) are stored before the
 * first publish; each copy JetStream stores is marked so, and a copy that failed stays pending:
 * the answer names it (202) and retryPending() publishes it again, the same envelope under the
 * same Nats-Msg-Id (so a copy that was in fact stored is not duplicated), until it is stored.
 * Reading a thread as a focal point of an addressed country sends the sender a signed `read`
 * receipt for each of its messages (the alerts' receipt exchange). Inbound: the node's
 * direct consumer hands each request here; @enlace/trust's verifyRequest judges it (stable
 * reasons), and it is stored (acknowledged only after the commit). What a person wrote never
 * leaves the encrypted body: subjects, headers, audit records and metrics carry ids and counts.
 */
import { encryptForRecipients } from '@enlace/crypto';
import type { PrivateKeyRecord } from '@enlace/crypto';
import type { Request, RequestBody, RequestHeader } from '@enlace/schema';
import {
  ConsentPurpose,
  Priority,
  Request as RequestMessage,
  RequestType,
  describeFreeTextFinding,
  encodeRequestBody,
  handlingFromName,
  handlingName,
  isCountryCode,
  isUuidV7,
  screenFreeText,
  tlpFromName,
  tlpName,
} from '@enlace/schema';
import { requestIdHeaders } from '@enlace/service-kit';
import { RejectMessage, directSubject, isRejectMessage, publishAlert } from '@enlace/transport';
import {
  REQUEST_MESSAGE_TYPE,
  REQUEST_TYPE_HEADER,
  requestMsgId,
  signRequest,
  verifyRequest,
} from '@enlace/trust';
import type { InboundMessage, TimeRule, TrustState, TrustView, VerifiedRequest } from '@enlace/trust';
import type { JetStreamClient } from '@nats-io/jetstream';
import { v7 as uuidv7 } from 'uuid';

import type { Officer } from '../alerts/alert-publisher.js';
import type { NodeAudit } from '../audit/node-audit.js';
import { NodeError } from '../errors.js';
import type { FieldViolation } from '../errors.js';
import type { NodeKeys } from '../keys/node-keys.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { AlertStore } from '../store/alert-store.js';
import type {
  ConsentRecord,
  NewRequestMessage,
  PriorityName,
  RequestMessageType,
  RequestStore,
  RequestText,
} from '../store/request-store.js';
import { PRIORITY_NAMES } from '../store/request-store.js';

export const REQUEST_LIMITS = { subject: 200, text: 10_000, to: 32, references: 50 } as const;

/** What an officer is reminded of when writing (XII RCM 2007, victim-centred approach). */
export const VICTIM_REMINDER =
  'Requests may concern suspects and documents, never identify a victim: victims appear only as counts, age bands and vulnerability flags.';

const PRIORITIES: Readonly<Record<PriorityName, Priority>> = {
  routine: Priority.PRIORITY_ROUTINE,
  urgent: Priority.PRIORITY_URGENT,
  threat_to_life: Priority.PRIORITY_THREAT_TO_LIFE,
};
const PURPOSES = {
  forward: ConsentPurpose.CONSENT_PURPOSE_FORWARD,
  judicial_use: ConsentPurpose.CONSENT_PURPOSE_JUDICIAL_USE,
} as const;

const TYPE_NAMES: Readonly<Record<string, RequestMessageType>> = {
  information: 'information',
  reply: 'reply',
  consent: 'consent',
  consentDecision: 'consent_decision',
};

export function priorityName(priority: Priority): PriorityName {
  return (Object.entries(PRIORITIES).find(([, p]) => p === priority)?.[0] as PriorityName) ?? 'routine';
}

export function purposeName(purpose: ConsentPurpose): 'forward' | 'judicial_use' {
  return purpose === ConsentPurpose.CONSENT_PURPOSE_JUDICIAL_USE ? 'judicial_use' : 'forward';
}

export interface RequestDelivery extends InboundMessage {
  readonly streamSeq?: number;
}

export interface SentRequest {
  readonly id: string;
  readonly threadId: string;
  readonly subjects: readonly string[];
  /** Addressees whose copy JetStream has not stored yet: pending, published again by retryPending(). */
  readonly undelivered: readonly string[];
  /** What the screening found in the text (the writer confirmed no victim is identified). */
  readonly screening: readonly FieldViolation[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects the violations of one input, then throws them together. */
class Check {
  readonly violations: FieldViolation[] = [];
  bad(path: string, code: string, message: string): void {
    this.violations.push({ path, code, message });
  }
  throwIfAny(what: string): void {
    if (this.violations.length > 0)
      throw new NodeError(
        'ERR_VALIDATION',
        `invalid ${what}: ${this.violations.map((v) => v.path).join(', ')}`,
        { violations: this.violations },
      );
  }
  text(input: Record<string, unknown>, path: string, max: number, required: boolean): string {
    const value = input[path];
    if (value === undefined && !required) return '';
    if (typeof value !== 'string') {
      this.bad(path, value === undefined ? 'required' : 'wrong_type', 'must be a string');
      return '';
    }
    if (required && value.trim() === '') this.bad(path, 'required', 'must not be empty');
    if (value.length > max) this.bad(path, 'too_long', `at most ${max} characters`);
    return value;
  }
  instant(input: Record<string, unknown>, path: string, now: Date): Date | undefined {
    const value = input[path];
    if (value === undefined || value === null) return undefined;
    const at = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
    if (Number.isNaN(at.getTime())) {
      this.bad(path, 'invalid_format', 'must be an RFC 3339 instant');
      return undefined;
    }
    if (at <= now) this.bad(path, 'in_past', 'must lie in the future');
    return at;
  }
}

export class RequestExchange {
  constructor(
    private readonly deps: {
      readonly country: string;
      readonly js: JetStreamClient;
      readonly trust: TrustState;
      readonly requests: RequestStore;
      readonly alerts: AlertStore;
      readonly keys: NodeKeys;
      readonly metrics: NodeMetrics;
      readonly audit: NodeAudit;
      readonly timeRule?: TimeRule | undefined;
      readonly now?: () => Date;
      /** Called once a message of another country is stored: its signed `received` receipt. */
      readonly onStored?: (message: { readonly id: string; readonly origin: string }) => void;
      /** Signs and publishes a receipt (ReceiptExchange.send): `read` when an officer opens a thread. */
      readonly sendReceipt?: (
        target: { readonly id: string; readonly origin: string },
        status: 'read',
        officer: string,
      ) => Promise<unknown>;
      /** Publish attempts per copy before it is left pending for retryPending(); default 2. */
      readonly publishAttempts?: number;
    },
  ) {}

  #retrying: Promise<number> | undefined;

  /**
   * Publishes again every copy still pending (a send that partly failed, or a node stopped
   * mid-send); returns how many JetStream stored now. One run at a time.
   */
  retryPending(): Promise<number> {
    this.#retrying ??= this.#retryPending().finally(() => {
      this.#retrying = undefined;
    });
    return this.#retrying;
  }

  async #retryPending(): Promise<number> {
    const { requests, country } = this.deps;
    let stored = 0;
    for (const d of requests.pendingDeliveries()) {
      const message = requests.message(d.messageId);
      if (message === undefined) continue;
      const ok = await this.#deliver(message.id, d.to, message.envelope, {
        [REQUEST_TYPE_HEADER]: REQUEST_MESSAGE_TYPE,
      });
      if (ok) {
        stored++;
        await this.deps.audit.record({
          actor: country,
          action: 'request.deliver',
          entityId: message.id,
          outcome: 'ok',
          details: { threadId: message.threadId, to: d.to, attempts: d.attempts + 1 },
        });
      }
    }
    return stored;
  }

  /** Publishes one copy and records the outcome; true when JetStream stored it. */
  async #deliver(
    messageId: string,
    dest: string,
    envelope: Uint8Array,
    headers: Record<string, string>,
  ): Promise<boolean> {
    const { country, js, requests } = this.deps;
    const subject = directSubject({ dest, origin: country });
    try {
      await publishAlert(js, {
        subject,
        envelope,
        msgId: requestMsgId(messageId, dest),
        headers,
        retries: Math.max(0, (this.deps.publishAttempts ?? 2) - 1),
      });
      requests.recordDelivery(messageId, dest, { stored: true, at: new Date() });
      return true;
    } catch (cause) {
      requests.recordDelivery(messageId, dest, { stored: false, error: (cause as Error).message });
      this.deps.metrics.requestUndelivered();
      return false;
    }
  }

  /**
   * An officer of this country read thread `threadId`: a signed `read` receipt to the sender of
   * each message of another country not yet acknowledged so (one per message: the receipt's
   * Nats-Msg-Id dedups a second). Returns the ids acknowledged; a receipt JetStream did not take
   * is tried on the next read.
   */
  async markRead(threadId: string, officer: Officer): Promise<string[]> {
    const { country, requests, alerts, sendReceipt } = this.deps;
    if (sendReceipt === undefined) return [];
    const acknowledged: string[] = [];
    for (const m of requests.messages(threadId)) {
      if (m.from === country || !m.to.includes(country)) continue;
      if (alerts.receipts(m.id).some((r) => r.from === country && r.status === 'read')) continue;
      try {
        await sendReceipt({ id: m.id, origin: m.from }, 'read', officer.id);
        acknowledged.push(m.id);
      } catch {
        // Not stored by JetStream: no `read` receipt is kept here either, so the next read tries again.
      }
    }
    if (acknowledged.length > 0)
      await this.deps.audit.record({
        actor: officer.id,
        roles: officer.roles,
        action: 'request.read',
        entityId: threadId,
        outcome: 'ok',
        details: { messages: acknowledged.length },
      });
    return acknowledged;
  }

  #now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** POST /v1/requests: a request for information to one or more countries. */
  async create(input: unknown, officer: Officer, requestId?: string): Promise<SentRequest> {
    const view = this.deps.trust.require();
    const now = this.#now();
    const check = new Check();
    if (!isRecord(input)) {
      check.bad('', 'wrong_type', 'must be a JSON object');
      check.throwIfAny('request');
    }
    const body = input as Record<string, unknown>;
    const to = this.#countries(body['to'], 'to', view, now, check);
    const subject = check.text(body, 'subject', REQUEST_LIMITS.subject, true);
    const text = check.text(body, 'text', REQUEST_LIMITS.text, true);
    const priorityText = body['priority'] ?? 'routine';
    if (!(PRIORITY_NAMES as readonly unknown[]).includes(priorityText))
      check.bad('priority', 'invalid_value', `must be one of ${PRIORITY_NAMES.join(', ')}`);
    const dueAt = check.instant(body, 'dueAt', now);
    const expiresAt = check.instant(body, 'expiresAt', now);
    if (dueAt !== undefined && expiresAt !== undefined && expiresAt < dueAt)
      check.bad('expiresAt', 'out_of_range', 'must not lie before dueAt');
    const network = check.text(body, 'network', 64, false);
    if (network !== '' && !view.snapshot.policy.networks.some((n) => n.id === network))
      check.bad('network', 'unknown_network', `the registry knows no network ${JSON.stringify(network)}`);
    const role = check.text(body, 'focalPointRole', 64, false);
    const { handling, tlp } = this.#marking(body, check);
    const references = this.#references(body['references'], check);
    const screening = this.#screen({ subject, text }, body, check);
    check.throwIfAny('request');
    const id = uuidv7();
    return this.#send(
      {
        header: { id, threadId: id, to, handling, tlp, inReplyTo: '', expiresAt },
        content: {
          $case: 'information',
          information: {
            priority: PRIORITIES[priorityText as PriorityName],
            dueAt,
            network,
            focalPointRole: role,
          },
        },
      },
      { subject, text, references },
      { priority: priorityText as PriorityName, dueAt, expiresAt },
      officer,
      'request.create',
      screening,
      requestId,
    );
  }

  /** POST /v1/requests/{id}/reply (also close and withdraw): a message in thread `threadId`. */
  async reply(
    threadId: string,
    input: unknown,
    officer: Officer,
    requestId?: string,
    mode: 'reply' | 'close' | 'withdraw' = 'reply',
  ): Promise<SentRequest> {
    const { country, requests } = this.deps;
    const thread = requests.thread(threadId);
    if (thread === undefined) throw new NodeError('ERR_NOT_FOUND', `no thread ${threadId} on this node`);
    const check = new Check();
    const body = isRecord(input) ? input : {};
    if (input !== undefined && !isRecord(input)) check.bad('', 'wrong_type', 'must be a JSON object');
    const text = check.text(body, 'text', REQUEST_LIMITS.text, mode === 'reply');
    const subject = check.text(body, 'subject', REQUEST_LIMITS.subject, false);
    const closes = mode === 'close' || body['closes'] === true;
    if (mode === 'withdraw' && thread.from !== country)
      check.bad('', 'not_opener', `only ${thread.from}, which opened the thread, may withdraw it`);
    if (thread.status === 'withdrawn' || thread.status === 'closed')
      check.bad('', 'thread_ended', `the thread is ${thread.status}`);
    const references = this.#references(body['references'], check);
    const screening = this.#screen({ subject, text }, body, check);
    check.throwIfAny('reply');
    const messages = requests.messages(threadId);
    const opener = messages.find((m) => m.id === threadId);
    // The opener writes to everyone it asked; an addressee answers the opener.
    const to = thread.from === country ? [...thread.to] : [thread.from];
    const lastOther = [...messages].reverse().find((m) => m.from !== country);
    const inReplyTo = lastOther?.id ?? threadId;
    return this.#send(
      {
        header: {
          id: uuidv7(),
          threadId,
          to,
          handling: handlingFromName(opener?.handling ?? 'H0')!,
          tlp: tlpFromName(opener?.tlp ?? 'amber')!,
          inReplyTo,
          expiresAt: undefined,
        },
        content: { $case: 'reply', reply: { closesThread: closes, withdraws: mode === 'withdraw' } },
      },
      { subject, text, references },
      { closes, withdraws: mode === 'withdraw' },
      officer,
      `request.${mode}`,
      screening,
      requestId,
    );
  }

  /** POST /v1/alerts/{id}/consent-requests: asks the origin of alert `alertId` for onward use. */
  async requestConsent(
    alertId: string,
    input: unknown,
    officer: Officer,
    requestId?: string,
  ): Promise<SentRequest> {
    const { country, alerts } = this.deps;
    const view = this.deps.trust.require();
    const alert = alerts.get(alertId);
    if (alert === undefined) throw new NodeError('ERR_NOT_FOUND', `no alert ${alertId} on this node`);
    const check = new Check();
    const body = isRecord(input) ? input : {};
    if (!isRecord(input)) check.bad('', 'wrong_type', 'must be a JSON object');
    if (alert.origin === country)
      check.bad('', 'own_alert', `alert ${alertId} is ${country}'s own: no consent to ask`);
    const purpose = body['purpose'] ?? 'forward';
    if (purpose !== 'forward' && purpose !== 'judicial_use')
      check.bad('purpose', 'invalid_value', 'must be forward or judicial_use');
    const toCountry = body['to'];
    if (purpose === 'forward') {
      if (typeof toCountry !== 'string' || !isCountryCode(toCountry))
        check.bad('to', 'invalid_format', 'must be an ISO 3166-1 alpha-2 code');
      else if (!view.snapshot.policy.countries.some((c) => c.code === toCountry))
        check.bad('to', 'unknown_country', `the registry knows no country ${toCountry}`);
      else if (toCountry === country || toCountry === alert.origin)
        check.bad('to', 'invalid_value', 'must be a third country');
    }
    const text = check.text(body, 'reason', REQUEST_LIMITS.text, true);
    const screening = this.#screen({ subject: '', text }, body, check, 'reason');
    check.throwIfAny('consent request');
    const id = uuidv7();
    const handling = handlingFromName(alert.handling)!;
    return this.#send(
      {
        header: {
          id,
          threadId: id,
          to: [alert.origin],
          handling,
          tlp: tlpFromName(alert.tlp)!,
          inReplyTo: '',
          expiresAt: undefined,
        },
        content: {
          $case: 'consent',
          consent: {
            alertId,
            purpose: PURPOSES[purpose as 'forward' | 'judicial_use'],
            toCountry: purpose === 'forward' ? (toCountry as string) : '',
          },
        },
      },
      {
        subject: `consent: alert ${alertId}`,
        text,
        references: { alertIds: [alertId], documentSeries: [], keyedDigests: [] },
      },
      {},
      officer,
      'consent.request',
      screening,
      requestId,
    );
  }

  /**
   * POST /v1/alerts/{id}/judicial-use: records that an officer of this country uses alert
   * `alertId` in judicial proceedings. An H0 alert, or one of this country's own, needs nothing
   * more; an H1 alert (and H2, H3: use in proceedings passes it on) needs the origin's signed
   * grant of purpose judicial_use to this country for that alert (ERR_HANDLING_RESTRICTED
   * otherwise, naming the code). Recorded in the audit trail, ids only.
   */
  async judicialUse(
    alertId: string,
    officer: Officer,
    requestId?: string,
  ): Promise<{ alertId: string; handling: string; consentId?: string; recordedAt: string }> {
    const { country, alerts, requests } = this.deps;
    const alert = alerts.get(alertId);
    if (alert === undefined) throw new NodeError('ERR_NOT_FOUND', `no alert ${alertId} on this node`);
    const now = this.#now();
    const needsConsent = alert.origin !== country && alert.handling !== 'H0';
    const found = needsConsent ? requests.consentFor(alertId, country, '', now) : undefined;
    const grant =
      found?.granted === true && found.purpose === 'judicial_use' && found.grantedBy === alert.origin
        ? found
        : undefined;
    if (needsConsent && grant === undefined) {
      const message =
        `alert ${alertId} of ${alert.origin} is ${alert.handling}: its use in judicial proceedings needs ` +
        `${alert.origin}'s consent (POST /v1/alerts/${alertId}/consent-requests, purpose judicial_use)` +
        (found !== undefined && !found.granted ? `, which it refused (${found.id})` : '');
      await this.deps.audit.record({
        actor: officer.id,
        roles: officer.roles,
        action: 'alert.judicial-use',
        entityId: alertId,
        outcome: 'rejected',
        code: 'handling_restricted',
        reason: message,
        ...(requestId !== undefined && { requestId }),
      });
      throw new NodeError('ERR_HANDLING_RESTRICTED', message, { reason: alert.handling });
    }
    await this.deps.audit.record({
      actor: officer.id,
      roles: officer.roles,
      action: 'alert.judicial-use',
      entityId: alertId,
      outcome: 'ok',
      details: {
        origin: alert.origin,
        handling: alert.handling,
        ...(grant !== undefined && { consentId: grant.id }),
      },
      ...(requestId !== undefined && { requestId }),
    });
    return {
      alertId,
      handling: alert.handling,
      ...(grant !== undefined && { consentId: grant.id }),
      recordedAt: now.toISOString(),
    };
  }

  /** POST /v1/consents/{id}/decision: the originator grants or refuses consent request `id`. */
  async decide(
    consentRequestId: string,
    input: unknown,
    officer: Officer,
    requestId?: string,
  ): Promise<SentRequest> {
    const { country, requests } = this.deps;
    const asked = requests.message(consentRequestId);
    if (asked === undefined || asked.type !== 'consent')
      throw new NodeError('ERR_NOT_FOUND', `no consent request ${consentRequestId} on this node`);
    const check = new Check();
    const body = isRecord(input) ? input : {};
    if (!isRecord(input)) check.bad('', 'wrong_type', 'must be a JSON object');
    if (asked.from === country)
      check.bad('', 'not_addressee', 'this country asked: only the alert origin decides');
    if (typeof body['granted'] !== 'boolean') check.bad('granted', 'required', 'must be true or false');
    if (requests.decisionOf(consentRequestId) !== undefined)
      check.bad('', 'already_decided', `consent request ${consentRequestId} was decided already`);
    const text = check.text(body, 'reason', REQUEST_LIMITS.text, false);
    const expiresAt = check.instant(body, 'expiresAt', this.#now());
    const screening = this.#screen({ subject: '', text }, body, check, 'reason');
    check.throwIfAny('decision');
    const consent = asked.content['consent'] as { alertId: string; purpose: string; toCountry: string };
    const granted = body['granted'] as boolean;
    const id = uuidv7();
    return this.#send(
      {
        header: {
          id,
          threadId: asked.threadId,
          to: [asked.from],
          handling: handlingFromName(asked.handling)!,
          tlp: tlpFromName(asked.tlp)!,
          inReplyTo: consentRequestId,
          expiresAt,
        },
        content: {
          $case: 'consentDecision',
          consentDecision: {
            consentRequestId,
            alertId: consent.alertId,
            holder: asked.from,
            purpose: consent.purpose === 'judicial_use' ? PURPOSES.judicial_use : PURPOSES.forward,
            toCountry: consent.toCountry,
            granted,
          },
        },
      },
      {
        subject: '',
        text,
        references: { alertIds: [consent.alertId], documentSeries: [], keyedDigests: [] },
      },
      { closes: true },
      officer,
      granted ? 'consent.grant' : 'consent.refuse',
      screening,
      requestId,
    );
  }

  /** A request from the direct consumer: verified, stored once; resolving acknowledges it. */
  async handle(msg: RequestDelivery): Promise<'stored' | 'duplicate'> {
    const { trust, requests, metrics, country } = this.deps;
    const view = trust.current() ?? (await trust.whenAvailable(10_000));
    if (view === undefined) {
      metrics.retried();
      throw new Error('no verified registry snapshot yet: the request will be redelivered');
    }
    let verified: VerifiedRequest;
    try {
      verified = await verifyRequest(msg, {
        country,
        trust: view,
        trustAt: (at) => trust.viewAt(at),
        timeRule: this.deps.timeRule,
        encryptionKeys: this.deps.keys.encryption,
      });
    } catch (error) {
      if (isRejectMessage(error)) await this.#rejected(error, msg);
      throw error;
    }
    const { header, request } = verified;
    // A message in a thread this node holds must come from one of its parties: no third country
    // writes itself into a thread by naming its id.
    const thread = requests.thread(header.threadId);
    if (thread !== undefined && thread.from !== header.from && !thread.to.includes(header.from)) {
      const rejection = new RejectMessage(
        'not_recipient',
        `${header.from} is not a party to thread ${header.threadId} (${thread.from} → ${thread.to.join(', ')})`,
      );
      await this.#rejected(rejection, msg);
      throw rejection;
    }
    const row = rowOf(request, header, verified.body, 'inbox', msg.data, verified.kid);
    const consent = consentOf(request, header, msg.data);
    const stored = requests.insert(row, consent);
    if (!stored) {
      metrics.requestRejected('duplicate');
      return 'duplicate';
    }
    metrics.requestReceived(row.type);
    this.deps.onStored?.({ id: header.id, origin: header.from });
    await this.deps.audit.record({
      actor: 'inbound',
      action: `request.receive`,
      entityId: header.id,
      outcome: 'ok',
      details: { threadId: header.threadId, type: row.type, from: header.from },
    });
    return 'stored';
  }

  async #rejected(rejection: RejectMessage, msg: RequestDelivery): Promise<void> {
    this.deps.metrics.requestRejected(rejection.reason);
    await this.deps.audit.record({
      actor: 'inbound',
      action: 'request.reject',
      entityId: msg.msgId ?? `seq-${msg.streamSeq ?? 'unknown'}`,
      outcome: 'rejected',
      code: rejection.reason,
      // The reason names ids, countries and keys, never the encrypted text.
      reason: rejection.message,
      details: { subject: msg.subject, ...(msg.streamSeq !== undefined && { streamSeq: msg.streamSeq }) },
    });
  }

  async #send(
    draft: {
      header: Omit<RequestHeader, 'from' | 'type' | 'issuedAt'>;
      content: NonNullable<Request['content']>;
    },
    text: RequestText,
    thread: Partial<Pick<NewRequestMessage, 'priority' | 'dueAt' | 'expiresAt' | 'closes' | 'withdraws'>>,
    officer: Officer,
    action: string,
    screening: readonly FieldViolation[],
    requestId: string | undefined,
  ): Promise<SentRequest> {
    const { country } = this.deps;
    const view = this.deps.trust.require();
    const issuedAt = this.#now();
    const plain: RequestBody = {
      subject: text.subject,
      text: text.text,
      references: {
        alertIds: [...text.references.alertIds],
        documentSeries: [...text.references.documentSeries],
        keyedDigests: text.references.keyedDigests as never,
      },
    };
    const encryptedBody = await this.#encrypt(plain, [...draft.header.to, country], view, issuedAt);
    const request: Request = RequestMessage.fromPartial({
      header: {
        ...draft.header,
        from: country,
        type: typeOfContent(draft.content.$case),
        issuedAt,
      },
      content: draft.content,
      encryptedBody,
    });
    const key = this.#signingKey(view, issuedAt);
    const envelope = signRequest(request, key, { at: issuedAt });
    const headers = { [REQUEST_TYPE_HEADER]: REQUEST_MESSAGE_TYPE, ...requestIdHeaders(requestId) };
    const header = request.header!;
    const row = { ...rowOf(request, header, plain, 'outbox', envelope, key.kid), ...thread };
    // Stored with a pending copy per addressee before the first publish: whatever happens next,
    // what is owed to whom is on disk.
    this.deps.requests.insert(row, consentOf(request, header, envelope), new Date(), header.to);
    const subjects: string[] = [];
    const undelivered: string[] = [];
    for (const dest of header.to) {
      if (await this.#deliver(header.id, dest, envelope, headers))
        subjects.push(directSubject({ dest, origin: country }));
      else undelivered.push(dest);
    }
    this.deps.metrics.requestSent(row.type);
    await this.deps.audit.record({
      actor: officer.id,
      roles: officer.roles,
      action,
      entityId: header.id,
      outcome: 'ok',
      // Ids and counts only: never the subject or the text.
      details: {
        threadId: header.threadId,
        to: header.to,
        screeningFindings: screening.length,
        ...(undelivered.length > 0 && { undelivered }),
      },
      ...(requestId !== undefined && { requestId }),
    });
    return { id: header.id, threadId: header.threadId, subjects, undelivered, screening };
  }

  #countries(value: unknown, path: string, view: TrustView, now: Date, check: Check): string[] {
    if (!Array.isArray(value) || value.length === 0 || value.length > REQUEST_LIMITS.to) {
      check.bad(path, 'required', `one to ${REQUEST_LIMITS.to} country codes`);
      return [];
    }
    const seen = new Set<string>();
    value.forEach((c: unknown, i) => {
      const where = `${path}[${i}]`;
      if (typeof c !== 'string' || !isCountryCode(c))
        check.bad(where, 'invalid_format', 'must be an ISO 3166-1 alpha-2 code');
      else if (c === this.deps.country) check.bad(where, 'invalid_value', 'must not be this country');
      else if (seen.has(c)) check.bad(where, 'duplicate', `${c} is named twice`);
      else if (!view.snapshot.policy.countries.some((k) => k.code === c))
        check.bad(where, 'unknown_country', `the registry knows no country ${c}`);
      else {
        const status = view.policy.statusAt(c, now);
        if (status !== 'member' && status !== 'observer')
          check.bad(where, 'not_member', `${c} is ${status ?? 'not a member'} now`);
      }
      if (typeof c === 'string') seen.add(c);
    });
    return value.filter((c): c is string => typeof c === 'string');
  }

  #marking(body: Record<string, unknown>, check: Check) {
    const h = body['handling'] ?? 'H0';
    const t = body['tlp'] ?? 'amber';
    const handling = typeof h === 'string' ? handlingFromName(h) : undefined;
    const tlp = typeof t === 'string' ? tlpFromName(t) : undefined;
    if (handling === undefined) check.bad('handling', 'invalid_value', 'must be H0, H1, H2 or H3');
    if (tlp === undefined)
      check.bad('tlp', 'invalid_value', 'must be clear, green, amber, amber+strict or red');
    return { handling: handling ?? 0, tlp: tlp ?? 0 };
  }

  #references(value: unknown, check: Check): RequestText['references'] {
    const empty = { alertIds: [], documentSeries: [], keyedDigests: [] };
    if (value === undefined) return empty;
    if (!isRecord(value)) {
      check.bad('references', 'wrong_type', 'must be an object');
      return empty;
    }
    const list = (name: string, ok: (v: unknown) => boolean, message: string): string[] => {
      const items = value[name] ?? [];
      if (!Array.isArray(items) || items.length > REQUEST_LIMITS.references) {
        check.bad(
          `references.${name}`,
          'wrong_type',
          `must be a list of at most ${REQUEST_LIMITS.references}`,
        );
        return [];
      }
      items.forEach((v: unknown, i) => {
        if (!ok(v)) check.bad(`references.${name}[${i}]`, 'invalid_value', message);
      });
      return items as string[];
    };
    const alertIds = list('alertIds', isUuidV7, 'must be an alert id (UUIDv7)');
    const documentSeries = list(
      'documentSeries',
      (v) => typeof v === 'string' && v.length > 0 && v.length <= 200,
      'a series of 1 to 200 characters',
    );
    const keyedDigests = list(
      'keyedDigests',
      (v) =>
        isRecord(v) &&
        typeof v['keyId'] === 'string' &&
        typeof v['digest'] === 'string' &&
        digestBytes(v['digest']) !== undefined,
      'must be { keyId, digest } with the digest in hex (as `enlace match digest` prints it) or base64url',
    ) as unknown as Array<{ keyId: string; digest: string }>;
    return {
      alertIds,
      documentSeries,
      keyedDigests: keyedDigests.map((d) => ({
        keyId: d.keyId,
        digest: digestBytes(d.digest) ?? new Uint8Array(),
      })),
    };
  }

  /**
   * The free-text screen (packages/schema): requests may name suspects, so what it finds does not
   * forbid sending; it asks the writer to confirm (`confirmNoVictimIdentified: true`) that no
   * victim is identified, and the answer lists the findings.
   */
  #screen(
    fields: { subject: string; text: string },
    body: Record<string, unknown>,
    check: Check,
    textPath = 'text',
  ): FieldViolation[] {
    const findings: FieldViolation[] = [];
    for (const [path, value] of [
      ['subject', fields.subject],
      [textPath, fields.text],
    ] as const)
      for (const f of screenFreeText(value))
        findings.push({
          path,
          code: `may_identify_person.${f.kind}`,
          message: `${describeFreeTextFinding(f.kind)} at ${f.start}–${f.end}. ${VICTIM_REMINDER}`,
        });
    if (findings.length > 0 && body['confirmNoVictimIdentified'] !== true)
      for (const f of findings)
        check.bad(
          f.path,
          'may_identify_person',
          `${f.message} Send again with confirmNoVictimIdentified: true if no victim is identified.`,
        );
    return findings;
  }

  async #encrypt(
    plain: RequestBody,
    countries: readonly string[],
    view: TrustView,
    at: Date,
  ): Promise<string> {
    const keys = countries.map((c, i) => {
      const key = view.encryptionKeys(c, at)[0];
      if (key === undefined)
        throw new NodeError('ERR_NO_RECIPIENT_KEY', `${c} has no valid encryption key in the registry`, {
          violations: [
            { path: `to[${i}]`, code: 'no_encryption_key', message: `${c} has no valid encryption key` },
          ],
        });
      return { kid: key.kid, publicJwk: key.publicJwk as never };
    });
    return encryptForRecipients(encodeRequestBody(plain), keys);
  }

  #signingKey(view: TrustView, at: Date): PrivateKeyRecord {
    const registered = new Set(view.signingKeys(this.deps.country, at).map((k) => k.kid));
    const key = this.deps.keys.signing.find((k) => registered.has(k.kid));
    if (key === undefined)
      throw new NodeError('ERR_UNAVAILABLE', "none of this node's signing keys is registered and valid now");
    return key;
  }
}

/** A keyed digest given as hex (as the matching tools print it) or base64url; undefined if neither. */
function digestBytes(text: string): Uint8Array | undefined {
  if (/^(?:[0-9a-f]{2})+$/i.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9_-]+$/.test(text) && Buffer.from(text, 'base64url').toString('base64url') === text)
    return Buffer.from(text, 'base64url');
  return undefined;
}

function typeOfContent(name: string): RequestType {
  switch (name) {
    case 'information':
      return RequestType.REQUEST_TYPE_INFORMATION;
    case 'reply':
      return RequestType.REQUEST_TYPE_REPLY;
    case 'consent':
      return RequestType.REQUEST_TYPE_CONSENT;
    default:
      return RequestType.REQUEST_TYPE_CONSENT_DECISION;
  }
}

/** The store row of a request (header and content in JSON; the body only as readable here). */
function rowOf(
  request: Request,
  header: RequestHeader,
  body: RequestBody | undefined,
  box: 'inbox' | 'outbox',
  envelope: Uint8Array,
  kid: string,
): NewRequestMessage {
  const content = request.content!;
  const type = TYPE_NAMES[content.$case]!;
  const json: Record<string, unknown> = {};
  if (content.$case === 'information') {
    const i = content.information;
    json['information'] = {
      priority: priorityName(i.priority),
      ...(i.dueAt !== undefined && { dueAt: i.dueAt.toISOString() }),
      ...(i.network !== '' && { network: i.network }),
      ...(i.focalPointRole !== '' && { focalPointRole: i.focalPointRole }),
    };
  } else if (content.$case === 'reply') {
    json['reply'] = { closesThread: content.reply.closesThread, withdraws: content.reply.withdraws };
  } else if (content.$case === 'consent') {
    const c = content.consent;
    json['consent'] = { alertId: c.alertId, purpose: purposeName(c.purpose), toCountry: c.toCountry };
  } else {
    const d = content.consentDecision;
    json['consentDecision'] = {
      consentRequestId: d.consentRequestId,
      alertId: d.alertId,
      holder: d.holder,
      purpose: purposeName(d.purpose),
      toCountry: d.toCountry,
      granted: d.granted,
    };
  }
  const info = content.$case === 'information' ? content.information : undefined;
  const reply = content.$case === 'reply' ? content.reply : undefined;
  return {
    id: header.id,
    threadId: header.threadId,
    box,
    type,
    from: header.from,
    to: [...header.to],
    issuedAt: header.issuedAt!,
    inReplyTo: header.inReplyTo,
    handling: handlingName(header.handling) ?? 'H0',
    tlp: tlpName(header.tlp) ?? 'amber',
    content: json,
    body:
      body === undefined
        ? undefined
        : {
            subject: body.subject,
            text: body.text,
            references: {
              alertIds: body.references?.alertIds ?? [],
              documentSeries: body.references?.documentSeries ?? [],
              keyedDigests: (body.references?.keyedDigests ?? []).map((d) => ({
                keyId: d.keyId,
                digest: Buffer.from(d.digest).toString('hex'),
              })),
            },
          },
    envelope,
    kid,
    ...(info !== undefined && { priority: priorityName(info.priority), dueAt: info.dueAt }),
    expiresAt: header.expiresAt,
    closes: reply?.closesThread === true || content.$case === 'consentDecision',
    withdraws: reply?.withdraws === true,
  };
}

/** The consent record of a decision, with its envelope (which travels with a forward). */
function consentOf(request: Request, header: RequestHeader, envelope: Uint8Array): ConsentRecord | undefined {
  if (request.content?.$case !== 'consentDecision') return undefined;
  const d = request.content.consentDecision;
  return {
    id: header.id,
    consentRequestId: d.consentRequestId,
    alertId: d.alertId,
    grantedBy: header.from,
    holder: d.holder,
    toCountry: d.toCountry,
    purpose: purposeName(d.purpose),
    granted: d.granted,
    issuedAt: header.issuedAt!,
    expiresAt: header.expiresAt,
    envelope,
  };
}
