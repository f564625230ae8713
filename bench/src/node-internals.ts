/**
 * The parts of the country node that the benchmarks drive without its HTTP API: the inbound
 * pipeline (InboundAlerts: verify, store, count, audit) and a registry state built straight from
 * a snapshot. @enlace/node does not export them (a deployment only needs createNodeApp), so they
 * are taken from its compiled dist/ here, in one place: the same code createNodeApp runs.
 */
export { InboundAlerts } from '../../services/node/dist/inbound/inbound-alerts.js';
export type { InboundTrust } from '../../services/node/dist/inbound/inbound-alerts.js';
export { createTrustView } from '../../services/node/dist/trust/trust-view.js';
export { NodeMetrics } from '../../services/node/dist/metrics/node-metrics.js';
export { NodeAudit } from '../../services/node/dist/audit/node-audit.js';
export { DEFAULT_INBOUND_CONCURRENCY } from '../../services/node/dist/app/create-node-app.js';
