/**
 * Errors of @enlace/testing: one base class whose `code` says what went wrong with a test
 * nats-server, so suites can tell "no backend here" (skip) from "the server broke" (fail).
 */

/** Stable codes of every error this package throws. */
export type HarnessErrorCode =
  /** `backend: 'auto'` found neither a nats-server binary nor a reachable container engine. */
  | 'ERR_NO_NATS_BACKEND'
  /** `backend: 'binary'` (or a cluster) was asked for, but no nats-server binary was found. */
  | 'ERR_NATS_BINARY_NOT_FOUND'
  /** `backend: 'container'` was asked for, but no Docker-API container engine answers. */
  | 'ERR_CONTAINER_ENGINE_UNAVAILABLE'
  /** The server process or container exited, or could not be created, before it was ready. */
  | 'ERR_NATS_START_FAILED'
  /** The server did not report ready (or answer its health check) in time. */
  | 'ERR_NATS_START_TIMEOUT'
  /** A cluster's servers started, but JetStream did not elect a meta leader in time. */
  | 'ERR_NATS_CLUSTER_NOT_READY'
  /** kill(), restart() or connect() on a server whose stop() was already called. */
  | 'ERR_NATS_SERVER_STOPPED'
  /** Options that cannot describe a server or cluster (e.g. a cluster of 0 servers). */
  | 'ERR_INVALID_OPTIONS';

/** Base (and only) class of the errors thrown by @enlace/testing. */
export class HarnessError extends Error {
  readonly code: HarnessErrorCode;

  constructor(code: HarnessErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'HarnessError';
    this.code = code;
  }
}
