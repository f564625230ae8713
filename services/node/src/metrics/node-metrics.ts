/**
 * The node's counters, rendered in the Prometheus text exposition format (version 0.0.4) for
 * GET /metrics. Rejections are labelled with the same reason strings as the audit trail.
 */
import { REJECTION_REASONS } from '@enlace/transport';
import type { RejectionReason } from '@enlace/transport';

import type { Box } from '../store/alert-store.js';

export class NodeMetrics {
  readonly #accepted: Record<Box, number> = { inbox: 0, outbox: 0 };
  readonly #rejected = new Map<RejectionReason, number>(REJECTION_REASONS.map((r) => [r, 0]));
  #published = 0;
  #publishRefused = 0;
  #retries = 0;

  accepted(box: Box): void {
    this.#accepted[box]++;
  }

  rejected(reason: RejectionReason): void {
    this.#rejected.set(reason, (this.#rejected.get(reason) ?? 0) + 1);
  }

  published(): void {
    this.#published++;
  }

  publishRefused(): void {
    this.#publishRefused++;
  }

  /** An inbound message that could not be judged yet (no snapshot, store error): redelivered. */
  retried(): void {
    this.#retries++;
  }

  rejectedCount(reason: RejectionReason): number {
    return this.#rejected.get(reason) ?? 0;
  }

  acceptedCount(box: Box): number {
    return this.#accepted[box];
  }

  render(gauges: {
    registryRevision: number | undefined;
    stored: Record<Box, number>;
    country: string;
  }): string {
    const c = `country="${gauges.country}"`;
    const lines = [
      '# HELP enlace_node_alerts_accepted_total Alerts verified and stored, by box.',
      '# TYPE enlace_node_alerts_accepted_total counter',
      ...(['inbox', 'outbox'] as const).map(
        (box) => `enlace_node_alerts_accepted_total{${c},box="${box}"} ${this.#accepted[box]}`,
      ),
      '# HELP enlace_node_alerts_rejected_total Inbound alerts refused (terminated), by reason.',
      '# TYPE enlace_node_alerts_rejected_total counter',
      ...[...this.#rejected].map(
        ([reason, n]) => `enlace_node_alerts_rejected_total{${c},reason="${reason}"} ${n}`,
      ),
      '# HELP enlace_node_alerts_published_total Alerts this node signed and JetStream stored.',
      '# TYPE enlace_node_alerts_published_total counter',
      `enlace_node_alerts_published_total{${c}} ${this.#published}`,
      '# HELP enlace_node_publish_refused_total Drafts refused (validation, policy, keys).',
      '# TYPE enlace_node_publish_refused_total counter',
      `enlace_node_publish_refused_total{${c}} ${this.#publishRefused}`,
      '# HELP enlace_node_inbound_retries_total Inbound messages handed back for redelivery.',
      '# TYPE enlace_node_inbound_retries_total counter',
      `enlace_node_inbound_retries_total{${c}} ${this.#retries}`,
      '# HELP enlace_node_alerts_stored Alerts held in the store, by box.',
      '# TYPE enlace_node_alerts_stored gauge',
      ...(['inbox', 'outbox'] as const).map(
        (box) => `enlace_node_alerts_stored{${c},box="${box}"} ${gauges.stored[box]}`,
      ),
      '# HELP enlace_node_registry_revision Revision of the registry snapshot in force (-1: none).',
      '# TYPE enlace_node_registry_revision gauge',
      `enlace_node_registry_revision{${c}} ${gauges.registryRevision ?? -1}`,
    ];
    return `${lines.join('\n')}\n`;
  }
}
