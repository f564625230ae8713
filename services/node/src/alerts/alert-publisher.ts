/**
 * Outbound alerts: from an officer's draft (proto3 JSON) to a signed envelope stored by
 * JetStream. The draft is read strictly and validated (400 listing every field path), the
 * registry policy is asked whether this country may publish it now (403 with the policy's
 * reason), the id (UUIDv7) and issued_at are filled in, a restricted body is encrypted to each
 * recipient's newest valid encryption key, the whole alert is signed with the node's signing
 * key, and the envelope is published with `Nats-Msg-Id` = id. Nothing is published unless every
 * step before it succeeded.
 */
import { encryptForRecipients, signAlertSync } from '@enlace/crypto';
import type { PrivateKeyRecord } from '@enlace/crypto';
import type { Alert, AlertBody } from '@enlace/schema';
import {
  AlertValidationError,
  alertFromJson,
  assertValidAlert,
  encodeAlert,
  encodeAlertBody,
  encodeSignedAlert,
  handlingName,
  kindName,
} from '@enlace/schema';
import { requestIdHeaders } from '@enlace/service-kit';
import { alertSubject, directSubject, publishAlert } from '@enlace/transport';
import type { JetStreamClient } from '@nats-io/jetstream';
import { CONSENT_HEADER } from '@enlace/trust';
import type { TrustState, TrustView } from '@enlace/trust';
import { v7 as uuidv7 } from 'uuid';

import type { NodeAudit } from '../audit/node-audit.js';
import { NodeError } from '../errors.js';
import type { NodeKeys } from '../keys/node-keys.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { AlertStore, StoredAlert } from '../store/alert-store.js';
import { alertJsonOf, toRow } from './alert-view.js';
import { OutboxWriter } from './outbox-writer.js';

/** Who asks, for the audit trail. */
export interface Officer {
  readonly id: string;
  readonly roles: readonly string[];
  readonly country?: string;
}

export interface PublishedAlertResult {
  readonly id: string;
  readonly subject: string;
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
  readonly alert: StoredAlert;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class AlertPublisher {
  readonly #outbox: OutboxWriter;

  constructor(
    private readonly deps: {
      readonly country: string;
      readonly js: JetStreamClient;
      readonly trust: TrustState;
      readonly store: AlertStore;
      readonly keys: NodeKeys;
      readonly metrics: NodeMetrics;
      readonly audit: NodeAudit;
      readonly now?: () => Date;
      /**
       * The newest decision of an alert's origin on this country passing the alert on to `to`
       * (RequestStore.consentFor): a grant lifts H2/H3 for that forward, and travels with it.
       */
      readonly consents?: (
        alertId: string,
        to: string,
      ) =>
        | {
            readonly id: string;
            readonly grantedBy: string;
            readonly granted: boolean;
            readonly envelope: Uint8Array;
          }
        | undefined;
    },
  ) {
    this.#outbox = new OutboxWriter(deps.store);
  }

  /** Writes the outbox rows still waiting for their group commit (before the store closes). */
  close(): void {
    this.#outbox.flush();
  }

  /** Publishes a draft; throws NodeError (ERR_VALIDATION, ERR_POLICY_DENIED, ERR_NO_RECIPIENT_KEY, ...). */
  async publish(
    draft: unknown,
    officer: Officer,
    requestId?: string,
    action = 'alert.publish',
  ): Promise<PublishedAlertResult> {
    try {
      return await this.#publish(draft, officer, requestId, action);
    } catch (error) {
      this.deps.metrics.publishRefused();
      if (error instanceof NodeError && error.code !== 'ERR_VALIDATION') {
        await this.deps.audit.record({
          actor: officer.id,
          roles: officer.roles,
          action,
          entityId: '-',
          outcome: 'rejected',
          code: error.reason ?? error.code,
          reason: error.message,
          ...(requestId !== undefined && { requestId }),
        });
      }
      throw error;
    }
  }

  /**
   * Withdraws an alert this country published: a new signed alert of the same network, kind,
   * handling and recipients, with `retracts_id` and no body. Receivers mark the old one.
   */
  async retract(
    id: string,
    reason: unknown,
    officer: Officer,
    requestId?: string,
  ): Promise<PublishedAlertResult> {
    if (typeof reason !== 'string' || reason.trim() === '' || reason.length > 2000)
      throw new NodeError('ERR_VALIDATION', 'a retraction needs a reason (1 to 2000 characters)', {
        violations: [{ path: 'reason', code: 'required', message: 'must be 1 to 2000 characters' }],
      });
    const original = this.#ownAlert(id);
    if (original.retractedBy !== undefined)
      throw new NodeError('ERR_CONFLICT', `alert ${id} was already retracted by ${original.retractedBy}`);
    const originalJson = alertJsonOf(original) as { header?: Record<string, unknown> };
    const header = { ...(originalJson.header ?? {}) };
    for (const field of ['id', 'issuedAt', 'supersedesId', 'relatedIds', 'handlingNote'] as const)
      delete header[field];
    const now = this.deps.now?.() ?? new Date();
    const expires =
      original.expiresAt !== undefined && original.expiresAt.getTime() > now.getTime() + 60_000
        ? original.expiresAt
        : new Date(now.getTime() + 86_400_000);
    const handlingNote = originalJson.header?.['handlingNote'];
    const draft = {
      header: {
        ...header,
        ...(handlingNote !== undefined && { handlingNote }),
        expiresAt: expires.toISOString(),
        retractsId: id,
        relatedIds: [id],
        title: [...`Retracted: ${original.title}`].slice(0, 200).join(''),
        summary: reason,
      },
    };
    return this.publish(draft, officer, requestId, 'alert.retract');
  }

  /** Publishes `draft` as the replacement of an alert this country published (`supersedes_id`). */
  async supersede(
    id: string,
    draft: unknown,
    officer: Officer,
    requestId?: string,
  ): Promise<PublishedAlertResult> {
    const original = this.#ownAlert(id);
    if (original.supersededBy !== undefined)
      throw new NodeError('ERR_CONFLICT', `alert ${id} was already superseded by ${original.supersededBy}`);
    if (!isRecord(draft) || !isRecord(draft['header']))
      throw new NodeError('ERR_VALIDATION', 'the replacement must be a draft alert with a header', {
        violations: [{ path: 'header', code: 'required', message: 'a draft with a header is required' }],
      });
    const given = draft['header']['supersedesId'] ?? draft['header']['supersedes_id'];
    if (given !== undefined && given !== id)
      throw new NodeError('ERR_VALIDATION', `the draft supersedes ${String(given)}, not ${id}`, {
        violations: [{ path: 'header.supersedesId', code: 'conflict', message: `must be ${id} or absent` }],
      });
    const { supersedes_id: _ignored, ...header } = draft['header'];
    return this.publish(
      { ...draft, header: { ...header, supersedesId: id } },
      officer,
      requestId,
      'alert.supersede',
    );
  }

  /**
   * Passes an alert held here on to another country, as the policy allows: never an H2 or H3
   * alert (ERR_HANDLING_RESTRICTED, naming the code), never to a country the alert's network or
   * recipients exclude (ERR_POLICY_DENIED). The envelope goes unchanged, so the destination
   * verifies the origin's signature itself, on `enlace.v1.direct.<to>.<this country>`.
   */
  async forward(id: string, to: unknown, officer: Officer, requestId?: string): Promise<{ subject: string }> {
    const { country } = this.deps;
    if (typeof to !== 'string' || !/^[A-Z]{2}$/.test(to))
      throw new NodeError('ERR_VALIDATION', 'to must be an ISO 3166-1 alpha-2 code', {
        violations: [{ path: 'to', code: 'invalid_format', message: 'must be two upper-case letters' }],
      });
    const alert = this.deps.store.get(id);
    if (alert === undefined) throw new NodeError('ERR_NOT_FOUND', `no alert ${id} on this node`);
    const view = this.deps.trust.require();
    const restricted = alert.handling === 'H2' || alert.handling === 'H3';
    const found = restricted ? this.deps.consents?.(id, to) : undefined;
    const grant = found?.granted === true && found.grantedBy === alert.origin ? found : undefined;
    const decision = view.policy.evaluateForward({
      from: country,
      to,
      origin: alert.origin,
      network: alert.network,
      kind: alert.kind as 'route' | 'document' | 'network',
      recipients: alert.recipients,
      handling: alert.handling as 'H0' | 'H1' | 'H2' | 'H3',
      at: alert.issuedAt,
      forwardedAt: this.deps.now?.() ?? new Date(),
      ...(grant !== undefined && { consent: { grantedBy: grant.grantedBy, holder: country, to } }),
    });
    if (!decision.allowed) {
      const error =
        decision.reason === 'handling_restricted'
          ? new NodeError('ERR_HANDLING_RESTRICTED', decision.message, { reason: alert.handling })
          : decision.reason === 'not_recipient' && alert.recipients.length > 0
            ? new NodeError(
                'ERR_RESTRICTED_FORWARD',
                restrictedForwardMessage(alert, to, grant !== undefined),
                {
                  reason: decision.reason,
                },
              )
            : new NodeError('ERR_POLICY_DENIED', decision.message, { reason: decision.reason });
      await this.deps.audit.record({
        actor: officer.id,
        roles: officer.roles,
        action: 'alert.forward',
        entityId: id,
        outcome: 'rejected',
        code: decision.reason,
        reason: decision.message,
        details: { to },
        ...(requestId !== undefined && { requestId }),
      });
      throw error;
    }
    const subject = directSubject({ dest: to, origin: country });
    try {
      await publishAlert(this.deps.js, {
        subject,
        envelope: alert.envelope,
        msgId: `${id}.fwd.${to}`,
        ...withHeaders(
          requestId,
          grant === undefined ? {} : { [CONSENT_HEADER]: Buffer.from(grant.envelope).toString('base64url') },
        ),
      });
    } catch (cause) {
      throw new NodeError(
        'ERR_UNAVAILABLE',
        `JetStream did not store the forwarded alert: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    await this.deps.audit.record({
      actor: officer.id,
      roles: officer.roles,
      action: 'alert.forward',
      entityId: id,
      outcome: 'ok',
      details: { to, subject, ...(grant !== undefined && { consentId: grant.id }) },
      ...(requestId !== undefined && { requestId }),
    });
    return { subject };
  }

  #ownAlert(id: string): StoredAlert {
    const original = this.deps.store.get(id);
    if (original === undefined) throw new NodeError('ERR_NOT_FOUND', `no alert ${id} on this node`);
    if (original.origin !== this.deps.country)
      throw new NodeError(
        'ERR_FORBIDDEN',
        `alert ${id} is ${original.origin}'s: only its origin may retract or supersede it`,
      );
    return original;
  }

  async #publish(
    draft: unknown,
    officer: Officer,
    requestId: string | undefined,
    action: string,
  ): Promise<PublishedAlertResult> {
    const { country } = this.deps;
    const now = this.deps.now?.() ?? new Date();
    const view = this.deps.trust.require();
    const alert = this.#readDraft(draft, view, now);
    const header = alert.header!;
    if (header.origin !== country)
      throw new NodeError('ERR_FORBIDDEN', `this node publishes for ${country}, not for ${header.origin}`, {
        violations: [{ path: 'header.origin', code: 'not_this_node', message: `must be ${country}` }],
      });
    const kind = kindName(header.kind)!;
    const handling = handlingName(header.handling)!;

    // Milliseconds, as the header keeps them; the id is made at the same instant.
    const issuedAt = new Date(now.getTime());
    const decision = view.policy.evaluatePublish({
      origin: country,
      network: header.network,
      kind,
      at: issuedAt,
    });
    if (!decision.allowed)
      throw new NodeError('ERR_POLICY_DENIED', decision.message, { reason: decision.reason });

    header.id = uuidv7({ msecs: issuedAt.getTime() });
    header.issuedAt = issuedAt;
    const clearBody: AlertBody['body'] = alert.body?.$case === 'encrypted' ? undefined : alert.body;
    // What the officer wrote, as this node keeps it in its outbox.
    const { title, summary } = header;
    if (header.recipients.length > 0 && alert.body?.$case !== 'encrypted') {
      // A restricted alert's free text is for its recipients only: title and summary go into
      // the encrypted body with it (a retraction's alone), and the clear header keeps neither.
      const jwe = await this.#encrypt({ body: clearBody, title, summary }, header.recipients, view, issuedAt);
      alert.body = { $case: 'encrypted', encrypted: { jwe } };
      header.title = '';
      header.summary = '';
    }
    try {
      assertValidAlert(alert, { now: issuedAt });
    } catch (error) {
      if (error instanceof AlertValidationError) throw validationError(error);
      throw error;
    }

    const signingKey = this.#signingKey(view, issuedAt);
    const parts = signAlertSync(encodeAlert(alert), signingKey, { at: issuedAt });
    const envelope = encodeSignedAlert({
      alert: parts.alert,
      protectedHeader: parts.protectedHeader,
      signature: parts.signature,
    });
    const subject = alertSubject({ network: header.network, kind, origin: country });
    let published;
    try {
      published = await publishAlert(this.deps.js, {
        subject,
        envelope,
        msgId: header.id,
        ...withRequestId(requestId),
      });
    } catch (cause) {
      throw new NodeError(
        'ERR_UNAVAILABLE',
        `JetStream did not store the alert: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    // Committed with the other rows of this turn; the row comes back as stored (no read back).
    const stored = await this.#outbox.write(
      toRow({
        box: 'outbox',
        alert,
        body: clearBody,
        title,
        summary,
        kind,
        handling,
        envelope,
        subject,
        streamSeq: published.seq,
        verification: {
          verifiedAt: new Date().toISOString(),
          kid: signingKey.kid,
          registryRevision: view.revision,
          rules: decision.rules,
          bodyReadable: true,
          checks: ['schema', 'publish_policy', 'signed_here'],
        },
      }),
    );
    this.deps.metrics.published();
    // Queued, not awaited to the stream: NodeAudit writes it behind (it waits only when full).
    await this.deps.audit.record({
      actor: officer.id,
      roles: officer.roles,
      action,
      entityId: header.id,
      outcome: 'ok',
      details: { subject, stream: published.stream, seq: published.seq },
      ...(requestId !== undefined && { requestId }),
    });
    return {
      id: header.id,
      subject,
      stream: published.stream,
      seq: published.seq,
      duplicate: published.duplicate,
      alert: stored,
    };
  }

  #readDraft(draft: unknown, view: TrustView, now: Date): Alert {
    if (!isRecord(draft))
      throw new NodeError('ERR_VALIDATION', 'the draft must be a JSON object (an Alert in proto3 JSON)', {
        violations: [{ path: '', code: 'wrong_type', message: 'must be a JSON object' }],
      });
    // The origin is this node's country unless the draft says otherwise.
    const value =
      isRecord(draft['header']) && draft['header']['origin'] === undefined
        ? { ...draft, header: { ...draft['header'], origin: this.deps.country } }
        : draft;
    try {
      return alertFromJson(value, {
        draft: true,
        validate: {
          knownNetworks: view.snapshot.policy.networks.map((n) => n.id),
          knownRecipients: view.snapshot.policy.countries.map((c) => c.code),
          now,
        },
      });
    } catch (error) {
      if (error instanceof AlertValidationError) throw validationError(error);
      throw error;
    }
  }

  async #encrypt(
    plaintext: AlertBody,
    recipients: readonly string[],
    view: TrustView,
    at: Date,
  ): Promise<string> {
    const keys = recipients.map((recipient, i) => {
      const key = view.encryptionKeys(recipient, at)[0];
      if (key === undefined)
        throw new NodeError(
          'ERR_NO_RECIPIENT_KEY',
          `${recipient} has no valid encryption key in the registry`,
          {
            violations: [
              {
                path: `header.recipients[${i}]`,
                code: 'no_encryption_key',
                message: `${recipient} has no valid encryption key`,
              },
            ],
          },
        );
      return { kid: key.kid, publicJwk: key.publicJwk as never };
    });
    return encryptForRecipients(encodeAlertBody(plaintext), keys);
  }

  /** The node's newest signing key that the registry holds as valid now. */
  #signingKey(view: TrustView, at: Date): PrivateKeyRecord {
    const registered = new Set(view.signingKeys(this.deps.country, at).map((k) => k.kid));
    const key = this.deps.keys.signing.find((k) => registered.has(k.kid));
    if (key === undefined)
      throw new NodeError(
        'ERR_UNAVAILABLE',
        `none of this node's signing keys (${this.deps.keys.signing.map((k) => k.kid).join(', ')}) is registered and valid now`,
      );
    return key;
  }
}

function validationError(error: AlertValidationError): NodeError {
  const count = error.violations.length;
  return new NodeError(
    'ERR_VALIDATION',
    `the draft is not a valid alert (${count} violation${count === 1 ? '' : 's'})`,
    {
      violations: error.violations.map((v) => ({ path: v.path, code: v.code, message: v.message })),
      cause: error,
    },
  );
}

/** withRequestId, with further headers (a forward's consent). */
function withHeaders(
  requestId: string | undefined,
  extra: Readonly<Record<string, string>>,
): { headers?: Readonly<Record<string, string>> } {
  const headers = { ...requestIdHeaders(requestId), ...extra };
  return Object.keys(headers).length === 0 ? {} : { headers };
}

/** The NATS header `Enlace-Request-Id` of the HTTP request that asked for a publication, if any. */
function withRequestId(requestId: string | undefined): { headers?: Readonly<Record<string, string>> } {
  const headers = requestIdHeaders(requestId);
  return headers === undefined ? {} : { headers };
}

/**
 * Why a restricted alert cannot be forwarded outside its recipients, and what to do instead. Its
 * recipients and its JWE are inside the bytes the origin signed: a forwarder cannot add a
 * recipient (nor re-wrap the content key) without breaking that signature, and must not hold the
 * content key for someone else anyway. Only the origin can open it to another country, by
 * superseding the alert with that country among the recipients (POST /v1/alerts/{id}/supersede).
 */
function restrictedForwardMessage(
  alert: { id: string; origin: string; recipients: readonly string[] },
  to: string,
  consented: boolean,
): string {
  return (
    `alert ${alert.id} is restricted to ${alert.recipients.join(', ')}: its body is encrypted to them inside ` +
    `the bytes ${alert.origin} signed, so no forwarder can open it to ${to} without breaking that signature` +
    (consented ? ` (the consent of ${alert.origin} does not change this)` : '') +
    `; only ${alert.origin} can share it with ${to}, by superseding it with ${to} among its recipients`
  );
}
