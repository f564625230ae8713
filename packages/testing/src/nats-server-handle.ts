/**
 * The handle every test server is driven through, whichever backend runs it, and the options
 * that start one.
 */
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';

/** How a server is run: a child process of the nats-server binary, or a testcontainers container. */
export type NatsBackend = 'binary' | 'container';

/** Options of startNatsServer(). */
export interface StartNatsServerOptions {
  /** 'auto' (default): the binary when present, else a container when an engine is reachable. */
  readonly backend?: 'auto' | NatsBackend;
  /** Enable JetStream with a file store (default true). */
  readonly jetstream?: boolean;
  /** Extra nats-server configuration text (accounts, users, limits), appended to the generated file. */
  readonly config?: string;
  /** Extra command-line arguments for nats-server. */
  readonly args?: readonly string[];
  /** Server name (letters, digits, `.`, `_`, `-`); default `enlace-test`. */
  readonly name?: string;
  /** How long to wait for the server to be ready, in ms (default 15 000). */
  readonly startTimeoutMs?: number;
}

/** A running (or killed, or stopped) test nats-server. */
export interface NatsServerHandle extends AsyncDisposable {
  readonly backend: NatsBackend;
  readonly name: string;
  /** Where clients reach it (127.0.0.1 for the binary backend). */
  readonly host: string;
  readonly port: number;
  /** `nats://host:port`. */
  readonly url: string;
  /** `http://host:port` of the monitoring endpoint (/healthz, /varz, /jsz). */
  readonly monitorUrl: string;
  /** JetStream store directory on this machine (binary backend with JetStream only). */
  readonly storeDir?: string;
  /** Process id of the server (binary backend, while its process exists); undefined for containers. */
  readonly pid: number | undefined;
  /** True between a successful start or restart and the next kill() or stop(). */
  readonly running: boolean;
  /**
   * A client connected to this server (reconnecting every 100 ms, without limit, by default).
   * Connections still open are closed by stop().
   */
  connect(options?: Partial<NodeConnectionOptions>): Promise<NatsConnection>;
  /** Stop the server for good (graceful, then forced) and remove its container or directory. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL the server, keeping its port and store for restart(). */
  kill(): Promise<void>;
  /** Stop (if running) and start again on the same port with the same store; resolves when ready. */
  restart(): Promise<void>;
}
