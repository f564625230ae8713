/**
 * What the node does with each message of its durable consumer: verify it (verify-inbound.ts),
 * store it once, count it, and audit a rejection. Resolving acknowledges the message; a
 * RejectMessage terminates it; any other error (no registry snapshot yet, a store failure) hands
 * it back for redelivery.
 */
import type { PrivateKeyRecord } from '@enlace/crypto';
import { decodeAlert, decodeSignedAlert } from '@enlace/schema';
import { RejectMessage, isRejectMessage, parseMessageSubject } from '@enlace/transport';

import { toRow } from '../alerts/alert-view.js';
import type { NodeAudit } from '../audit/node-audit.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { AlertStore, NewAlertRow, StoredAlert } from '../store/alert-store.js';
import { verifyConsentGrant, verifyInbound } from '@enlace/trust';
import type { InboundMessage, TimeRule, TrustState, VerifiedConsent } from '@enlace/trust';

/** How long a message waits for a first registry snapshot before it is handed back. */
const SNAPSHOT_WAIT_MS = 10_000;

/**
 * When one of this country's own alerts comes back before its outbox row is committed: the
 * waits (0 = the next turn) before looking again, ahead of the full check.
 */
const OWN_COPY_RECHECK_MS = [0, 5, 25] as const;

export interface InboundDelivery extends InboundMessage {
  readonly streamSeq?: number;
  /**
   * The SignedRequest of the origin's consent that came with a forwarded alert (header
   * `Enlace-Consent`): verified (verifyConsentGrant) before the alert, and handed to its forward
   * policy, which lifts H2/H3 for this holder and this destination only.
   */
  readonly consent?: Uint8Array;
  /** 1 on the first delivery; unknown (undefined) is taken as a possible redelivery. */
  readonly deliveryCount?: number;
}

/**
 * What the inbound side needs of the registry state: the snapshot in force (TrustState, or a
 * fixed view in benchmarks and tools that judge alerts against one snapshot).
 */
export type InboundTrust = Pick<TrustState, 'current' | 'whenAvailable' | 'viewAt'>;

export type InboundOutcome =
  | { readonly outcome: 'stored'; readonly alert: StoredAlert }
  | { readonly outcome: 'duplicate'; readonly id: string };

export class InboundAlerts {
  readonly #listeners = new Set<(event: InboundOutcome | { outcome: 'rejected'; reason: string }) => void>();
  readonly #writes: BatchedInserts;

  constructor(
    private readonly deps: {
      readonly country: string;
      readonly trust: InboundTrust;
      readonly store: AlertStore;
      readonly metrics: NodeMetrics;
      readonly audit: NodeAudit;
      readonly encryptionKeys: ReadonlyMap<string, PrivateKeyRecord> | undefined;
      /** Default DEFAULT_TIME_RULE. */
      readonly timeRule?: TimeRule | undefined;
    },
  ) {
    this.#writes = new BatchedInserts(deps.store);
  }

  /** Observes outcomes (tests, logs). Returns the unsubscribe function. */
  onOutcome(listener: (event: InboundOutcome | { outcome: 'rejected'; reason: string }) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async handle(msg: InboundDelivery): Promise<InboundOutcome> {
    const { trust, store, metrics, country } = this.deps;
    const view = trust.current() ?? (await trust.whenAvailable(SNAPSHOT_WAIT_MS));
    if (view === undefined) {
      metrics.retried();
      throw new Error('no verified registry snapshot yet: the message will be redelivered');
    }
    // A redelivery of what is already stored, byte for byte: nothing to check again. Also this
    // country's own alerts, which its publisher stored already. A first delivery of another
    // country's alert skips the lookup: were it stored anyway, the insert below finds it.
    if (msg.msgId !== undefined) {
      const own = this.#ownSubject(msg.subject);
      if (own || msg.deliveryCount !== 1) {
        const existing = own ? await this.#ownCopy(msg.msgId) : store.envelopeOf(msg.msgId);
        if (existing !== undefined && Buffer.compare(existing.envelope, msg.data) === 0)
          return this.#duplicate(msg.msgId, existing.box === 'outbox');
      }
    }
    let verified;
    let consent: VerifiedConsent | undefined;
    try {
      if (msg.consent !== undefined) consent = await this.#consent(msg, msg.consent);
      verified = await verifyInbound(msg, {
        country,
        trust: view,
        trustAt: (at) => trust.viewAt(at),
        encryptionKeys: this.deps.encryptionKeys,
        timeRule: this.deps.timeRule,
        ...(consent !== undefined && { consent }),
      });
    } catch (error) {
      if (isRejectMessage(error)) await this.#rejected(error, msg);
      throw error;
    }
    const header = verified.alert.header!;
    const row = toRow({
      box: header.origin === country ? 'outbox' : 'inbox',
      alert: verified.alert,
      body: verified.body,
      title: verified.title,
      summary: verified.summary,
      kind: verified.kind,
      handling: verified.handling,
      envelope: msg.data,
      subject: msg.subject,
      streamSeq: msg.streamSeq,
      verification: {
        verifiedAt: new Date().toISOString(),
        kid: verified.kid,
        registryRevision: verified.registryRevision,
        rules: verified.rules,
        bodyReadable: verified.bodyReadable,
        ...(verified.forwardedBy !== undefined && { forwardedBy: verified.forwardedBy }),
        ...(consent !== undefined && { consentId: consent.id }),
        checks:
          consent === undefined
            ? CHECKS[header.origin === country ? 'own' : 'other'][verified.forwardedBy === undefined ? 0 : 1]
            : [...CHECKS[header.origin === country ? 'own' : 'other'][1], 'consent'],
      },
    });
    const stored = await this.#writes.insert(row);
    if (stored === undefined) return this.#duplicate(header.id, row.box === 'outbox');
    metrics.accepted(row.box);
    const outcome = { outcome: 'stored', alert: stored } as const;
    this.#emit(outcome);
    return outcome;
  }

  /**
   * The consent that came with a forward: for the alert it carries, granted by that alert's
   * origin to the forwarding country for this one, with a key valid when the forward was stored.
   */
  async #consent(msg: InboundDelivery, data: Uint8Array): Promise<VerifiedConsent> {
    let header;
    try {
      header = decodeAlert(decodeSignedAlert(msg.data).alert).header;
    } catch (cause) {
      throw new RejectMessage('malformed', 'not a SignedAlert holding an Alert', { cause });
    }
    let forwarder: string | undefined;
    try {
      const parsed = parseMessageSubject(msg.subject);
      if (parsed.type === 'direct') forwarder = parsed.origin;
    } catch {
      // verifyInbound rejects the subject.
    }
    if (header === undefined || forwarder === undefined)
      throw new RejectMessage('subject_mismatch', 'a consent comes only with a forwarded alert');
    const at = msg.storedAt ?? new Date();
    return verifyConsentGrant(
      data,
      {
        alertId: header.id,
        origin: header.origin,
        holder: forwarder,
        to: this.deps.country,
        storedAt: msg.storedAt,
        timeRule: this.deps.timeRule,
      },
      await this.deps.trust.viewAt(at),
    );
  }

  /**
   * The stored copy of one of this country's own alerts. Its publisher writes the outbox row once
   * JetStream acknowledged the publish, and this consumer may get the message back before that
   * (in the same read, or just before the acknowledgement): so when the row is not there yet,
   * look again after the turn and shortly after, before falling back to the full check. An
   * alert of this origin the outbox never gets (another process publishing as this country, a
   * lost store) then takes the full path, as any other.
   */
  async #ownCopy(id: string): Promise<{ readonly box: string; readonly envelope: Uint8Array } | undefined> {
    const { store } = this.deps;
    let existing = store.envelopeOf(id);
    for (const delayMs of OWN_COPY_RECHECK_MS) {
      if (existing !== undefined) break;
      await (delayMs === 0
        ? new Promise((resolve) => setImmediate(resolve))
        : new Promise((resolve) => setTimeout(resolve, delayMs)));
      existing = store.envelopeOf(id);
    }
    return existing;
  }

  /** Whether the subject names this country as the origin (its last token). */
  #ownSubject(subject: string): boolean {
    return subject.endsWith(`.${this.deps.country}`);
  }

  /** An alert stored already; the origin's own copy (stored when it published) is not counted. */
  #duplicate(id: string, own: boolean): InboundOutcome {
    if (!own) this.deps.metrics.rejected('duplicate');
    const outcome = { outcome: 'duplicate', id } as const;
    this.#emit(outcome);
    return outcome;
  }

  async #rejected(rejection: RejectMessage, msg: InboundDelivery): Promise<void> {
    this.deps.metrics.rejected(rejection.reason);
    this.#emit({ outcome: 'rejected', reason: rejection.reason });
    await this.deps.audit.record({
      actor: 'inbound',
      action: 'alert.reject',
      entityId: msg.msgId ?? `seq-${msg.streamSeq ?? 'unknown'}`,
      outcome: 'rejected',
      code: rejection.reason,
      reason: rejection.message,
      details: { subject: msg.subject, ...(msg.streamSeq !== undefined && { streamSeq: msg.streamSeq }) },
    });
  }

  #emit(event: InboundOutcome | { outcome: 'rejected'; reason: string }): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A failing observer must not change the outcome.
      }
    }
  }
}

/** The checks an alert passed, as its verification record lists them: the same few lists, shared. */
const CHECKS = deepFrozen({
  own: [
    ['schema', 'subject', 'key', 'signature', 'publish_policy'],
    ['schema', 'subject', 'key', 'signature', 'publish_policy', 'forward_policy'],
  ],
  other: [
    ['schema', 'subject', 'key', 'signature', 'publish_policy', 'receive_policy'],
    ['schema', 'subject', 'key', 'signature', 'publish_policy', 'receive_policy', 'forward_policy'],
  ],
} as const);

function deepFrozen<T extends object>(value: T): T {
  for (const v of Object.values(value)) if (typeof v === 'object' && v !== null) deepFrozen(v as object);
  return Object.freeze(value);
}

/** Rows written together in one transaction, at most. */
const MAX_BATCH = 256;

/**
 * Group commit: the rows of every message verified in the same turn of the event loop are
 * written in one transaction, and each handler resolves (so its message is acknowledged) only
 * once that transaction committed. With many messages in flight this turns one commit per alert
 * into one per batch. A batch that fails is written again row by row, so that one bad row fails
 * alone.
 */
class BatchedInserts {
  #pending: Array<{
    readonly row: NewAlertRow;
    readonly resolve: (stored: StoredAlert | undefined) => void;
    readonly reject: (error: unknown) => void;
  }> = [];
  #scheduled = false;

  constructor(private readonly store: AlertStore) {}

  /** Resolves with the stored alert once committed, or undefined when its id was there already. */
  insert(row: NewAlertRow): Promise<StoredAlert | undefined> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ row, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const batch = this.#pending.splice(0, MAX_BATCH);
    if (this.#pending.length > 0) setImmediate(() => this.#flush());
    else this.#scheduled = false;
    const receivedAt = new Date();
    let results: Array<StoredAlert | undefined> | undefined;
    try {
      results = this.store.insertMany(
        batch.map((p) => p.row),
        receivedAt,
      );
    } catch {
      // Written again one by one below.
    }
    batch.forEach((pending, i) => {
      if (results !== undefined) {
        pending.resolve(results[i]);
        return;
      }
      try {
        pending.resolve(this.store.insertMany([pending.row], receivedAt)[0]);
      } catch (error) {
        pending.reject(error);
      }
    });
  }
}
