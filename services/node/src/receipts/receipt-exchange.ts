/**
 * Sending and receiving receipts (./receipt.ts). A receiving node sends `received` when it
 * stores an alert and `read` when an officer acknowledges it; the origin node consumes
 * `enlace.v1.ack.<its country>.*` with its own durable consumer, verifies each receipt and
 * stores it once, so the originator sees who received and read what.
 */
import type { PrivateKeyRecord } from '@enlace/crypto';
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
import type { TrustState } from '../trust/trust-state.js';
import { RECEIPT_FORMAT, ReceiptError, signReceiptSync, verifyReceipt } from './receipt.js';
import type { ReceiptStatus } from './receipt.js';

export class ReceiptExchange {
  #consumer: DurableConsumer | undefined;

  constructor(
    private readonly deps: {
      readonly country: string;
      readonly js: JetStreamClient;
      readonly trust: TrustState;
      readonly store: AlertStore;
      readonly audit: NodeAudit;
      /** This node's signing keys, newest first. */
      readonly signing: readonly PrivateKeyRecord[];
      readonly durable?: string;
      readonly onError?: (error: unknown) => void;
    },
  ) {}

  /** Signs and publishes a receipt for an alert of another country held here. */
  async send(alert: StoredAlert, status: ReceiptStatus, officer?: string): Promise<{ subject: string }> {
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
    try {
      await publishAlert(js, {
        subject,
        envelope: new TextEncoder().encode(jws),
        msgId: `${alert.id}.${country}.${status}`,
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
      (msg) => this.#handle(msg.subject, msg.data),
    );
  }

  async close(): Promise<void> {
    await this.#consumer?.close();
  }

  async #handle(subject: string, data: Uint8Array): Promise<void> {
    const view = this.deps.trust.current();
    if (view === undefined) throw new Error('no verified registry snapshot yet');
    try {
      const parsed = parseMessageSubject(subject);
      if (parsed.type !== 'ack')
        throw new ReceiptError('subject_mismatch', `${subject} is not a receipt subject`);
      const receipt = await verifyReceipt(new TextDecoder().decode(data), parsed, view);
      this.deps.store.insertReceipt({
        alertId: receipt.alertId,
        from: receipt.from,
        status: receipt.status,
        at: new Date(receipt.at),
        kid: receipt.kid,
        ...(receipt.officer !== undefined && { officer: receipt.officer }),
      });
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
  }
}
