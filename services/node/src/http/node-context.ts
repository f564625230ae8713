/**
 * Everything the node's controllers and guard need, built once by createNodeApp and handed to
 * the Nest module as one value.
 */
import type { AlertPublisher } from '../alerts/alert-publisher.js';
import type { InboundAlerts } from '../inbound/inbound-alerts.js';
import type { NodeMetrics } from '../metrics/node-metrics.js';
import type { ReceiptExchange } from '../receipts/receipt-exchange.js';
import type { RequestExchange } from '../requests/request-exchange.js';
import type { AlertStore } from '../store/alert-store.js';
import type { RequestStore } from '../store/request-store.js';
import type { TrustState } from '@enlace/trust';

export interface NodeContext {
  readonly country: string;
  readonly trust: TrustState;
  readonly store: AlertStore;
  readonly metrics: NodeMetrics;
  readonly publisher: AlertPublisher;
  readonly inbound: InboundAlerts;
  readonly receipts: ReceiptExchange;
  /** Requests for information, replies and consents (requests.controller.ts). */
  readonly requests: RequestExchange;
  readonly requestStore: RequestStore;
  /** Whether NATS is connected now. */
  natsConnected(): boolean;
  /**
   * `paused` while this node's own country is suspended (per the registry snapshot in force): it
   * stops pulling from its durables, which its NATS user may not read then; `running` otherwise.
   */
  pulling(): 'running' | 'paused';
}
