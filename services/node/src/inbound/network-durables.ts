/**
 * The node's inbound alert consumers: one durable per network its country belongs to
 * (`node-<CC>-net-<network>`, filtered to `enlace.v1.alert.<network>.>`), as the reconciler
 * (`npm start`, `enlace deploy consumers`) creates them and the country's NATS user may read
 * them (DESIGN.md trust model 4). sync() follows the memberships of the registry snapshot in
 * force: a network joined gets its durable read as soon as it exists (tried again until then),
 * one left stops being read. On an open development server the node creates its durables itself.
 */
import type { DurableConsumer } from '@enlace/transport';
import {
  ALERTS_STREAM,
  NODE_DURABLE_LIMITS,
  consumeDurable,
  exponentialNakDelay,
  nodeDurablesOf,
} from '@enlace/transport';
import { storedTimeOf } from '@enlace/trust';
import type { JetStreamClient } from '@nats-io/jetstream';

import type { InboundAlerts } from './inbound-alerts.js';

export interface NetworkDurablesOptions {
  readonly country: string;
  readonly js: JetStreamClient;
  readonly inbound: Pick<InboundAlerts, 'handle'>;
  /** Handlers at once per durable (capped by the durable's max_ack_pending). */
  readonly concurrency: number;
  /** Durable name prefix (default `node-<CC>`): `<prefix>-net-<network>`. */
  readonly prefix?: string;
  /** A durable that could not be read yet (missing, refused) or failed while read. */
  readonly onError?: (error: unknown) => void;
  /** Retry a durable that could not be started after this long (default 1 s). */
  readonly retryMs?: number;
}

export class NetworkDurables {
  readonly #options: NetworkDurablesOptions;
  readonly #running = new Map<string, DurableConsumer>();
  #wanted: readonly string[] = [];
  #paused = false;
  #closed = false;
  #retry: NodeJS.Timeout | undefined;
  #syncing: Promise<void> = Promise.resolve();

  constructor(options: NetworkDurablesOptions) {
    this.#options = options;
  }

  /** The networks whose durables are read now. */
  networks(): string[] {
    return [...this.#running.keys()].sort();
  }

  /** Reads the durables of `networks` (and only those) unless paused. */
  sync(networks: readonly string[]): Promise<void> {
    this.#wanted = [...new Set(networks)].sort();
    return this.#reconcile();
  }

  /** Stops reading every durable (a suspension) until resume(). */
  pause(): Promise<void> {
    this.#paused = true;
    return this.#reconcile();
  }

  resume(): Promise<void> {
    this.#paused = false;
    return this.#reconcile();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    await this.#reconcile();
  }

  #reconcile(): Promise<void> {
    this.#syncing = this.#syncing.then(() => this.#apply()).catch((error) => this.#options.onError?.(error));
    return this.#syncing;
  }

  async #apply(): Promise<void> {
    const { country, js, inbound } = this.#options;
    const wanted = this.#closed || this.#paused ? [] : this.#wanted;
    for (const [network, consumer] of [...this.#running]) {
      if (wanted.includes(network)) continue;
      this.#running.delete(network);
      await consumer.close();
    }
    const prefix = this.#options.prefix ?? `node-${country}`;
    let missing = false;
    for (const d of nodeDurablesOf(country, wanted)) {
      if (d.kind !== 'network' || d.network === undefined || this.#running.has(d.network)) continue;
      try {
        const consumer = await consumeDurable(
          js,
          {
            stream: ALERTS_STREAM,
            durable: `${prefix}-net-${d.network}`,
            filterSubject: d.filterSubject,
            // The reconciler's limits, so that the node finds nothing to change.
            maxDeliver: d.maxDeliver,
            ackWaitMs: d.ackWaitMs,
            maxAckPending: d.maxAckPending,
            maxInFlight: Math.min(this.#options.concurrency, NODE_DURABLE_LIMITS.alertsMaxAckPending),
            nakDelay: exponentialNakDelay({ initialMs: 250, maxMs: 15_000 }),
            pullExpiresMs: 2_000,
            ...(this.#options.onError !== undefined && { onError: this.#options.onError }),
          },
          (msg) =>
            inbound.handle({
              subject: msg.subject,
              data: msg.data,
              msgId: msg.headers?.get('Nats-Msg-Id') || undefined,
              streamSeq: msg.seq,
              deliveryCount: msg.info.deliveryCount,
              storedAt: storedTimeOf(msg),
            }),
        );
        this.#running.set(d.network, consumer);
      } catch (error) {
        // Not reconciled yet (a membership just added), or refused: try again shortly.
        missing = true;
        this.#options.onError?.(error);
      }
    }
    clearTimeout(this.#retry);
    if (missing && !this.#closed) {
      this.#retry = setTimeout(() => void this.#reconcile(), this.#options.retryMs ?? 1_000);
      this.#retry.unref();
    }
  }
}
