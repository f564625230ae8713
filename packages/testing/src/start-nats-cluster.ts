/**
 * startNatsCluster(): a cluster of real nats-server processes with JetStream, fully routed on
 * 127.0.0.1, for tests of replication and of surviving a server's loss. Each member is a
 * NatsServerHandle whose kill() and restart() keep its ports and store.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { BinaryNatsServer } from './binary-nats-server.js';
import { errorText, findNatsServerBinary } from './detect-backends.js';
import { findFreePorts } from './find-free-port.js';
import { HarnessError } from './harness-error.js';
import type { NatsServerHandle } from './nats-server-handle.js';
import { BACKEND_HINT } from './start-nats-server.js';
import {
  ConnectionTracker,
  DEFAULT_START_TIMEOUT_MS,
  checkName,
  checkTimeout,
  sleep,
  waitForHealthz,
} from './server-lifecycle.js';

const DEFAULT_READY_TIMEOUT_MS = 30_000;

/** Options of startNatsCluster(). */
export interface StartNatsClusterOptions {
  /** Number of servers (default 3; JetStream replicas need at least as many). */
  readonly size?: number;
  /** Only the binary backend runs clusters. */
  readonly backend?: 'binary';
  /** Enable JetStream (default true); each server gets its own store directory. */
  readonly jetstream?: boolean;
  /** Extra nats-server configuration text for every server. */
  readonly config?: string;
  /** Extra command-line arguments for every server. */
  readonly args?: readonly string[];
  /** Cluster name; servers are named `<name>-1` ... (default `enlace-cluster`). */
  readonly name?: string;
  /** How long to wait for each server to start, in ms (default 15 000). */
  readonly startTimeoutMs?: number;
  /** How long to wait for the cluster (JetStream meta leader) to be ready, in ms (default 30 000). */
  readonly readyTimeoutMs?: number;
}

/** A running test cluster. */
export interface NatsClusterHandle extends AsyncDisposable {
  readonly name: string;
  readonly servers: readonly NatsServerHandle[];
  /** Client URLs of all servers, in order. */
  readonly urls: readonly string[];
  /** A client that knows every server (and fails over between them). Closed by stop(). */
  connect(options?: Partial<NodeConnectionOptions>): Promise<NatsConnection>;
  /**
   * Resolve when every running server answers /healthz and JetStream answers account info
   * (a meta leader is elected), e.g. after a restart().
   */
  waitUntilReady(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Stop every server and remove their stores. Idempotent. */
  stop(): Promise<void>;
}

/** Start a cluster and resolve once it is ready (see NatsClusterHandle.waitUntilReady). */
export async function startNatsCluster(options: StartNatsClusterOptions = {}): Promise<NatsClusterHandle> {
  const size = options.size ?? 3;
  if (!Number.isInteger(size) || size < 1 || size > 16) {
    throw new HarnessError(
      'ERR_INVALID_OPTIONS',
      `cluster size must be an integer from 1 to 16, got ${size}`,
    );
  }
  if (options.backend !== undefined && options.backend !== 'binary') {
    throw new HarnessError(
      'ERR_INVALID_OPTIONS',
      `clusters run on the binary backend only, got ${String(options.backend)}`,
    );
  }
  const name = checkName(options.name ?? 'enlace-cluster');
  const startTimeoutMs = checkTimeout('startTimeoutMs', options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  const readyTimeoutMs = checkTimeout('readyTimeoutMs', options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  const jetstream = options.jetstream ?? true;
  const binary = await findNatsServerBinary();
  if (!binary.ok) {
    throw new HarnessError(
      'ERR_NATS_BINARY_NOT_FOUND',
      `cannot start a nats-server cluster: ${binary.reason}. ${BACKEND_HINT}`,
    );
  }

  const ports = await findFreePorts(size * 3);
  const members = Array.from({ length: size }, (_, i) => ({
    name: `${name}-${i + 1}`,
    port: ports[i * 3] as number,
    httpPort: ports[i * 3 + 1] as number,
    clusterPort: ports[i * 3 + 2] as number,
  }));
  const started = await Promise.allSettled(
    members.map((member) =>
      BinaryNatsServer.start({
        binary: binary.value.path,
        name: member.name,
        port: member.port,
        httpPort: member.httpPort,
        jetstream,
        cluster: {
          name,
          port: member.clusterPort,
          routes: members
            .filter((other) => other !== member)
            .map((other) => `127.0.0.1:${other.clusterPort}`),
        },
        ...(options.config !== undefined && { config: options.config }),
        args: [...(options.args ?? [])],
        startTimeoutMs,
        waitForHealth: false,
      }),
    ),
  );
  const servers = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = started.find((result) => result.status === 'rejected');
  if (failure !== undefined) {
    await Promise.all(servers.map((server) => server.stop()));
    throw failure.reason;
  }

  const cluster = new NatsCluster(name, servers, jetstream);
  try {
    await cluster.waitUntilReady({ timeoutMs: readyTimeoutMs });
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

class NatsCluster implements NatsClusterHandle {
  readonly name: string;
  readonly servers: readonly NatsServerHandle[];
  readonly urls: readonly string[];
  readonly #jetstream: boolean;
  readonly #connections = new ConnectionTracker();
  #stopping: Promise<void> | undefined;

  constructor(name: string, servers: readonly NatsServerHandle[], jetstream: boolean) {
    this.name = name;
    this.servers = servers;
    this.urls = servers.map((server) => server.url);
    this.#jetstream = jetstream;
  }

  async connect(options?: Partial<NodeConnectionOptions>): Promise<NatsConnection> {
    if (this.#stopping !== undefined) {
      throw new HarnessError('ERR_NATS_SERVER_STOPPED', `cannot connect(): cluster ${this.name} was stopped`);
    }
    return this.#connections.connect([...this.urls], options);
  }

  async waitUntilReady(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = checkTimeout('timeoutMs', options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    const deadline = Date.now() + timeoutMs;
    const running = this.servers.filter((server) => server.running);
    if (running.length === 0) {
      throw new HarnessError('ERR_NATS_CLUSTER_NOT_READY', `cluster ${this.name} has no running server`);
    }
    try {
      await Promise.all(
        running.map((server) =>
          waitForHealthz(server.name, server.monitorUrl, deadline, () => server.running),
        ),
      );
    } catch (error) {
      throw new HarnessError(
        'ERR_NATS_CLUSTER_NOT_READY',
        `cluster ${this.name} is not ready: ${errorText(error)}`,
        {
          cause: error,
        },
      );
    }
    if (!this.#jetstream) return;
    let last = 'no answer yet';
    let nc: NatsConnection;
    try {
      nc = await this.#connections.connect(
        running.map((server) => server.url),
        { maxReconnectAttempts: 0 },
      );
    } catch (error) {
      throw new HarnessError(
        'ERR_NATS_CLUSTER_NOT_READY',
        `cluster ${this.name}: cannot connect: ${errorText(error)}`,
        {
          cause: error,
        },
      );
    }
    try {
      const jsm = await jetstreamManager(nc, { timeout: 2_000, checkAPI: false });
      while (Date.now() < deadline) {
        try {
          await jsm.getAccountInfo();
          return;
        } catch (error) {
          last = errorText(error);
        }
        await sleep(100);
      }
    } finally {
      await nc.close();
    }
    throw new HarnessError(
      'ERR_NATS_CLUSTER_NOT_READY',
      `cluster ${this.name}: JetStream did not answer account info within ${timeoutMs} ms (last: ${last})`,
    );
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      await this.#connections.closeAll();
      await Promise.all(this.servers.map((server) => server.stop()));
    })();
    return this.#stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}
