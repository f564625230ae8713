/**
 * @enlace/node: the country node. One per country: officers publish signed alerts and read an
 * inbox of alerts from other countries, each verified against the registry's signed state as it
 * stood when the alert was issued (DESIGN.md trust model 3).
 */
export { createNodeApp, MAX_BODY_BYTES } from './app/create-node-app.js';
export type { CreateNodeAppOptions, NodeApp } from './app/create-node-app.js';
export { NodeError, NODE_ERROR_STATUS } from './errors.js';
export type { FieldViolation, NodeErrorCode } from './errors.js';
export { AlertStore, STORE_FILE } from './store/alert-store.js';
export type {
  AlertPage,
  AlertQuery,
  Box,
  StoredAlert,
  StoredReceipt,
  StoreSync,
  VerificationRecord,
} from './store/alert-store.js';
export { REQUEST_STORE_FILE, RequestStore } from './store/request-store.js';
export type { StoredRequestMessage, StoredThread, ThreadQuery } from './store/request-store.js';
// The inbound pipeline a deployment runs inside createNodeApp, exported for the benchmarks,
// which drive it without the HTTP API (verification itself is @enlace/trust's).
export { InboundAlerts } from './inbound/inbound-alerts.js';
export type { InboundTrust } from './inbound/inbound-alerts.js';
export { DEFAULT_INBOUND_CONCURRENCY } from './app/create-node-app.js';
export { NodeMetrics } from './metrics/node-metrics.js';
export { NodeAudit } from './audit/node-audit.js';
export { ReceiptExchange } from './receipts/receipt-exchange.js';
export { toRow } from './alerts/alert-view.js';
export { loadNodeKeys, PRIVATE_KEY_SUFFIX } from './keys/node-keys.js';
export type { NodeKeys } from './keys/node-keys.js';
export type { NodeContext } from './http/node-context.js';
