/**
 * Sending and receiving receipts (./receipt.ts). A receiving node sends `received` when it
 * stores an alert and `read` when an officer acknowledges it; the origin node consumes
 * `enlace.v1.ack.<its country>.*` with its own durable consumer, verifies each receipt and
 * stores it once, so the originator sees who received and read what.
 *
 * The automatic `received` receipts are sent in batches (received()): the alerts of one origin
 * stored in the same turn of the event loop are acknowledged by one signed batch, one publish and
 * one message for the origin to verify, instead of one each. A batch is kept until JetStream
 * acknowledged it: a failed publish is tried again after a back-off for as long as the node runs,
 * and flush() (when the node closes) waits for what is queued.
 */
import type { PrivateKeyRecord } from '@enlace/crypto';
import { requestIdHeaders } from '@enlace/service-kit';
import {
  ALERTS_STREAM,
  RejectMessage,
  ackSubject,
  consumeDurable,
  parseMessageSubject,
  publishAlert,
} from '@enlace/transport';
import type { DurableConsumer } from '@enlace/transport';
import type { JetStreamClient } from '@nats-io/jetstream';

import type { NodeAudit } from '../audit/node-audit.js';
import { NodeError } from '../errors.js';
import type { AlertStore, StoredAlert } from '../store/alert-store.js';

/** What a receipt names: a signed message (an alert, a request) by its id and its origin. */
export type ReceiptTarget = Pick<StoredAlert, 'id' | 'origin'>;
import {
  RECEIPT_BATCH_FORMAT,
  RECEIPT_BATCH_MAX,
  RECEIPT_FORMAT,
  ReceiptError,
  signReceiptSync,
  storedTimeOf,
  verifyReceipt,
} from '@enlace/trust';
import type { ReceiptStatus, TimeRule, TrustState, VerifiedReceipt } from '@enlace/trust';

const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 10_000;
const FLUSH_TIMEOUT_MS = 4_000;

export class ReceiptExchange {
  #consumer: DurableConsumer | undefined;
  /** Alert ids waiting for a `received` batch, by origin. */
  #queued = new Map<string, string[]>();
  #scheduled = false;
  /** Batches being sent (or waiting to be sent again). */
  readonly #sending = new Set<Promise<void>>();
  #closed = false;

  constructor(
    private readonly deps: {
      readonly country: string;
      readonly js: JetStreamClient;
      readonly trust: TrustState;
      readonly store: AlertStore;
      readonly audit: NodeAudit;
      /** This node's signing keys, newest first. */
      readonly signing: readonly PrivateKeyRecord[];
      /** Bounds of a receipt's `at` around the time JetStream stored it; default DEFAULT_TIME_RULE. */
      readonly timeRule?: TimeRule | undefined;
      readonly durable?: string;
      /** Pull failures of the receipts consumer. */
      readonly onError?: (error: unknown) => void;
      /** A batch of `received` receipts that could not be sent yet (it is tried again). */
      readonly onSendError?: (error: unknown) => void;
    },
  ) {}

  /**
   * Signs and publishes a receipt for an alert of another country held here (or a request of
   * another country: the receipt names any signed message by its id and origin).
   */
  async send(alert: ReceiptTarget, status: ReceiptStatus, officer?: string): Promise<{ subject: string }> {
    const { country, trust, store, js } = this.deps;
    if (alert.origin === country)
      throw new NodeError(
        'ERR_CONFLICT',
        `alert ${alert.id} is this country's own: there is no one to acknowledge to`,
      );
    const at = new Date();
    const registered = new Set(
      trust
        .require()
        .signingKeys(country, at)
        .map((k) => k.kid),
    );
    const key = this.deps.signing.find((k) => registered.has(k.kid));
    if (key === undefined)
      throw new NodeError('ERR_UNAVAILABLE', 'no signing key of this node is registered and valid now');
    const receipt = {
      format: RECEIPT_FORMAT,
      alertId: alert.id,
      origin: alert.origin,
      from: country,
      status,
      at: at.toISOString(),
      ...(officer !== undefined && { officer }),
    } as const;
    const jws = signReceiptSync(receipt, key);
    const subject = ackSubject({ origin: alert.origin, from: country });
    // Sent on behalf of an officer's request (POST .../ack): its id travels with the receipt.
    const headers = requestIdHeaders();
    try {
      await publishAlert(js, {
        subject,
        envelope: new TextEncoder().encode(jws),
        msgId: `${alert.id}.${country}.${status}`,
        ...(headers !== undefined && { headers }),
      });
    } catch (cause) {
      throw new NodeError(
        'ERR_UNAVAILABLE',
        `JetStream did not store the receipt: ${(cause as Error).message}`,
        { cause },
      );
    }
    // Kept here too, so the receiving side shows what it acknowledged.
    store.insertReceipt({
      alertId: alert.id,
      from: country,
      status,
      at,
      kid: key.kid,
      ...(officer !== undefined && { officer }),
    });
    return { subject };
  }

  /**
   * Acknowledges, as `received`, an alert of another country just stored here: queued, and sent
   * with the others of its origin stored in the same turn, in one signed batch.
   */
  received(alert: ReceiptTarget): void {
    if (alert.origin === this.deps.country) return;
    let ids = this.#queued.get(alert.origin);
    if (ids === undefined) this.#queued.set(alert.origin, (ids = []));
    ids.push(alert.id);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#sendQueued());
    }
  }

  /** Waits (at most `timeoutMs`) until every queued receipt is stored by JetStream; then stops retrying. */
  async flush(timeoutMs = FLUSH_TIMEOUT_MS): Promise<void> {
    this.#sendQueued();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.#sending]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.#closed = true;
  }

  #sendQueued(): void {
    this.#scheduled = false;
    const queued = this.#queued;
    this.#queued = new Map();
    for (const [origin, ids] of queued)
      for (let i = 0; i < ids.length; i += RECEIPT_BATCH_MAX) {
        const sending = this.#sendBatch(origin, ids.slice(i, i + RECEIPT_BATCH_MAX)).finally(() =>
          this.#sending.delete(sending),
        );
        this.#sending.add(sending);
      }
  }

  /** Signs and publishes one batch, again and again until JetStream stores it (or the node closes). */
  async #sendBatch(origin: string, alertIds: readonly string[]): Promise<void> {
    const { country, trust, store, js } = this.deps;
    const subject = ackSubject({ origin, from: country });
    const msgId = `${alertIds[0]}.${country}.received.${alertIds.length}`;
    for (let failures = 0; ; failures++) {
      try {
        const at = new Date();
        const key = this.#signingKey(trust.require().signingKeys(country, at));
        const jws = signReceiptSync(
          {
            format: RECEIPT_BATCH_FORMAT,
            alertIds,
            origin,
            from: country,
            status: 'received',
            at: at.toISOString(),
          },
          key,
        );
        await publishAlert(js, { subject, envelope: new TextEncoder().encode(jws), msgId });
        store.insertReceipts(
          alertIds.map((alertId) => ({ alertId, from: country, status: 'received', at, kid: key.kid })),
        );
        return;
      } catch (error) {
        this.deps.onSendError?.(
          new Error(
            `receipts for ${alertIds.length} alert(s) of ${origin} not sent yet: ${(error as Error).message}`,
            {
              cause: error,
            },
          ),
        );
        if (this.#closed) return;
        const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** failures);
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        if (this.#closed) return;
      }
    }
  }

  #signingKey(registered: readonly { kid: string }[]): PrivateKeyRecord {
    const kids = new Set(registered.map((k) => k.kid));
    const key = this.deps.signing.find((k) => kids.has(k.kid));
    if (key === undefined)
      throw new NodeError('ERR_UNAVAILABLE', 'no signing key of this node is registered and valid now');
    return key;
  }

  /** Starts consuming receipts addressed to this country. */
  async start(): Promise<void> {
    const { country, js } = this.deps;
    this.#consumer = await consumeDurable(
      js,
      {
        stream: ALERTS_STREAM,
        durable: this.deps.durable ?? `node-${country}-receipts`,
        filterSubject: `enlace.v1.ack.${country}.*`,
        maxDeliver: 1_000,
        pullExpiresMs: 2_000,
        ...(this.deps.onError !== undefined && { onError: this.deps.onError }),
      },
      (msg) => this.#handle(msg.subject, msg.data, storedTimeOf(msg)),
    );
  }

  async close(): Promise<void> {
    await this.#consumer?.close();
  }

  async #handle(subject: string, data: Uint8Array, storedAt: Date | undefined): Promise<void> {
    const view = this.deps.trust.current();
    if (view === undefined) throw new Error('no verified registry snapshot yet');
    let receipt: VerifiedReceipt;
    try {
      const parsed = parseMessageSubject(subject);
      if (parsed.type !== 'ack')
        throw new ReceiptError('subject_mismatch', `${subject} is not a receipt subject`);
      receipt = await verifyReceipt(
        new TextDecoder().decode(data),
        { ...parsed, storedAt, timeRule: this.deps.timeRule },
        view,
      );
    } catch (error) {
      const reason = error instanceof ReceiptError ? error.reason : 'subject_mismatch';
      await this.deps.audit.record({
        actor: 'inbound',
        action: 'receipt.reject',
        entityId: subject,
        outcome: 'rejected',
        code: reason,
        reason: (error as Error).message,
      });
      throw new RejectMessage(reason, (error as Error).message);
    }
    // Outside the try: a store error is transient, and the message comes again.
    const at = new Date(receipt.at);
    // One commit for the whole batch.
    this.deps.store.insertReceipts(
      receipt.alertIds.map((alertId) => ({
        alertId,
        from: receipt.from,
        status: receipt.status,
        at,
        kid: receipt.kid,
        ...(receipt.officer !== undefined && { officer: receipt.officer }),
      })),
    );
  }
}
