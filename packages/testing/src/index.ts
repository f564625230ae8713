/**
 * @enlace/testing: real nats-server instances for tests — one server or a cluster, from the
 * nats-server binary or a container (testcontainers) — and the checks that say which of those
 * this machine can run.
 */
export { startNatsServer, BACKEND_HINT } from './start-nats-server.js';
export { startNatsCluster } from './start-nats-cluster.js';
export { detectBackends } from './detect-backends.js';
export { findFreePort, findFreePorts } from './find-free-port.js';
export { HarnessError } from './harness-error.js';
export { DEFAULT_NATS_IMAGE } from './container-nats-server.js';

export type { BackendReport, BackendStatus } from './detect-backends.js';
export type { HarnessErrorCode } from './harness-error.js';
export type { NatsBackend, NatsServerHandle, StartNatsServerOptions } from './nats-server-handle.js';
export type { NatsClusterHandle, StartNatsClusterOptions } from './start-nats-cluster.js';
