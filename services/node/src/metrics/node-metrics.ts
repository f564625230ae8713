/**
 * The node's counters and gauges, on a prom-client Registry (the service instance's own, served
 * at GET /metrics with the process and event-loop metrics). Rejections are labelled with the same
 * reason strings as the audit trail. The counts are also kept here to read synchronously (specs,
 * the benchmark).
 */
import { REJECTION_REASONS } from '@enlace/transport';
import type { RejectionReason } from '@enlace/transport';
import { Counter, Gauge, Registry } from 'prom-client';

import type { Box } from '../store/alert-store.js';

const BOXES = ['inbox', 'outbox'] as const;

export interface NodeMetricsOptions {
  /** Where the metrics are registered (default: a Registry of their own). */
  readonly registry?: Registry;
  /** The `country` label of every series. */
  readonly country?: string;
  /** Read at each scrape: the gauges of the store and of the registry snapshot in force. */
  readonly gauges?: () => { registryRevision: number | undefined; stored: Record<Box, number> };
  /** Read at each scrape: open request threads past their due time. */
  readonly overdueRequests?: () => number;
}

export class NodeMetrics {
  readonly registry: Registry;
  readonly #accepted: Record<Box, number> = { inbox: 0, outbox: 0 };
  readonly #rejected = new Map<RejectionReason, number>(REJECTION_REASONS.map((r) => [r, 0]));
  readonly #country: string;
  readonly #acceptedTotal: Counter<'country' | 'box'>;
  readonly #rejectedTotal: Counter<'country' | 'reason'>;
  readonly #publishedTotal: Counter<'country'>;
  readonly #refusedTotal: Counter<'country'>;
  readonly #retriesTotal: Counter<'country'>;
  readonly #requestsSent: Counter<'country' | 'type'>;
  readonly #requestsReceived: Counter<'country' | 'type'>;
  readonly #requestsRejected: Counter<'country' | 'reason'>;
  readonly #requestsUndelivered: Counter<'country'>;

  constructor(options: NodeMetricsOptions = {}) {
    this.registry = options.registry ?? new Registry();
    const country = (this.#country = options.country ?? '');
    const registers = [this.registry];
    this.#acceptedTotal = new Counter({
      name: 'enlace_node_alerts_accepted_total',
      help: 'Alerts verified and stored, by box.',
      labelNames: ['country', 'box'],
      registers,
    });
    this.#rejectedTotal = new Counter({
      name: 'enlace_node_alerts_rejected_total',
      help: 'Inbound alerts refused (terminated), by reason.',
      labelNames: ['country', 'reason'],
      registers,
    });
    this.#publishedTotal = new Counter({
      name: 'enlace_node_alerts_published_total',
      help: 'Alerts this node signed and JetStream stored.',
      labelNames: ['country'],
      registers,
    });
    this.#refusedTotal = new Counter({
      name: 'enlace_node_publish_refused_total',
      help: 'Drafts refused (validation, policy, keys).',
      labelNames: ['country'],
      registers,
    });
    this.#retriesTotal = new Counter({
      name: 'enlace_node_inbound_retries_total',
      help: 'Inbound messages handed back for redelivery.',
      labelNames: ['country'],
      registers,
    });
    // Requests for information, replies and consents (ids and counts only, never their text).
    this.#requestsUndelivered = new Counter({
      name: 'enlace_node_requests_undelivered_total',
      help: 'Copies of a request for one addressee that JetStream did not store on an attempt (left pending, retried).',
      labelNames: ['country'],
      registers,
    });
    this.#requestsSent = new Counter({
      name: 'enlace_node_requests_sent_total',
      help: 'Requests, replies and consents this node signed and stored in its outbox, by type.',
      labelNames: ['country', 'type'],
      registers,
    });
    this.#requestsReceived = new Counter({
      name: 'enlace_node_requests_received_total',
      help: 'Requests, replies and consents verified and stored, by type.',
      labelNames: ['country', 'type'],
      registers,
    });
    this.#requestsRejected = new Counter({
      name: 'enlace_node_requests_rejected_total',
      help: 'Inbound requests refused (terminated), by reason.',
      labelNames: ['country', 'reason'],
      registers,
    });
    for (const reason of REJECTION_REASONS) this.#requestsRejected.inc({ country, reason }, 0);
    // Every series from the start, at 0, as scrapers expect.
    for (const box of BOXES) this.#acceptedTotal.inc({ country, box }, 0);
    for (const reason of REJECTION_REASONS) this.#rejectedTotal.inc({ country, reason }, 0);
    for (const counter of [this.#publishedTotal, this.#refusedTotal, this.#retriesTotal])
      counter.inc({ country }, 0);
    const gauges = options.gauges;
    if (gauges !== undefined) {
      new Gauge({
        name: 'enlace_node_alerts_stored',
        help: 'Alerts held in the store, by box.',
        labelNames: ['country', 'box'],
        registers,
        collect() {
          const { stored } = gauges();
          for (const box of BOXES) this.set({ country, box }, stored[box]);
        },
      });
      if (options.overdueRequests !== undefined) {
        const overdue = options.overdueRequests;
        new Gauge({
          name: 'enlace_node_requests_overdue',
          help: 'Open threads past their due time.',
          labelNames: ['country'],
          registers,
          collect() {
            this.set({ country }, overdue());
          },
        });
      }
      new Gauge({
        name: 'enlace_node_registry_revision',
        help: 'Revision of the registry snapshot in force (-1: none).',
        labelNames: ['country'],
        registers,
        collect() {
          this.set({ country }, gauges().registryRevision ?? -1);
        },
      });
    }
  }

  accepted(box: Box): void {
    this.#accepted[box]++;
    this.#acceptedTotal.inc({ country: this.#country, box });
  }

  rejected(reason: RejectionReason): void {
    this.#rejected.set(reason, (this.#rejected.get(reason) ?? 0) + 1);
    this.#rejectedTotal.inc({ country: this.#country, reason });
  }

  published(): void {
    this.#publishedTotal.inc({ country: this.#country });
  }

  publishRefused(): void {
    this.#refusedTotal.inc({ country: this.#country });
  }

  requestSent(type: string): void {
    this.#requestsSent.inc({ country: this.#country, type });
  }

  requestUndelivered(): void {
    this.#requestsUndelivered.inc({ country: this.#country });
  }

  requestReceived(type: string): void {
    this.#requestsReceived.inc({ country: this.#country, type });
  }

  requestRejected(reason: RejectionReason): void {
    this.#requestsRejected.inc({ country: this.#country, reason });
  }

  /** An inbound message that could not be judged yet (no snapshot, store error): redelivered. */
  retried(): void {
    this.#retriesTotal.inc({ country: this.#country });
  }

  rejectedCount(reason: RejectionReason): number {
    return this.#rejected.get(reason) ?? 0;
  }

  acceptedCount(box: Box): number {
    return this.#accepted[box];
  }
}
