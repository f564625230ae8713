/**
 * The binary backend: nats-server as a child process of the test, listening on 127.0.0.1 only,
 * with its configuration and JetStream store in a temporary directory that stop() removes.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { HarnessError } from './harness-error.js';
import { renderNatsConfig } from './nats-config.js';
import type { NatsServerHandle } from './nats-server-handle.js';
import { trackChild, trackDirectory, untrackDirectory } from './process-cleanup.js';
import { ConnectionTracker, STOP_GRACE_MS, waitForHealthz } from './server-lifecycle.js';

const HOST = '127.0.0.1';
const READY_LINE = 'Server is ready';
const LOG_LINES_KEPT = 60;

/** Everything needed to start (and restart) one nats-server process. */
export interface BinaryServerSpec {
  readonly binary: string;
  readonly name: string;
  readonly port: number;
  readonly httpPort: number;
  readonly jetstream: boolean;
  readonly cluster?: { readonly name: string; readonly port: number; readonly routes: readonly string[] };
  readonly config?: string;
  readonly args: readonly string[];
  readonly startTimeoutMs: number;
  /**
   * Also wait for /healthz. Off for cluster members: a lone member is unhealthy until its peers
   * elect a JetStream meta leader; the cluster waits for that itself.
   */
  readonly waitForHealth: boolean;
}

type State = 'running' | 'killed' | 'stopped';

/** A nats-server child process; see NatsServerHandle. */
export class BinaryNatsServer implements NatsServerHandle {
  readonly backend = 'binary' as const;
  readonly name: string;
  readonly host = HOST;
  readonly port: number;
  readonly url: string;
  readonly monitorUrl: string;
  readonly storeDir?: string;
  /** Port of the cluster listener, for cluster members. */
  readonly clusterPort?: number;

  readonly #spec: BinaryServerSpec;
  readonly #directory: string;
  readonly #configPath: string;
  readonly #connections = new ConnectionTracker();
  #child: ChildProcess | undefined;
  #state: State = 'killed';
  #stopping: Promise<void> | undefined;

  private constructor(spec: BinaryServerSpec, directory: string) {
    this.#spec = spec;
    this.#directory = directory;
    this.#configPath = join(directory, 'nats-server.conf');
    this.name = spec.name;
    this.port = spec.port;
    this.url = `nats://${HOST}:${spec.port}`;
    this.monitorUrl = `http://${HOST}:${spec.httpPort}`;
    if (spec.jetstream) this.storeDir = join(directory, 'jetstream');
    if (spec.cluster !== undefined) this.clusterPort = spec.cluster.port;
  }

  /** Write the configuration into a new temporary directory and start the server in it. */
  static async start(spec: BinaryServerSpec): Promise<BinaryNatsServer> {
    const directory = await mkdtemp(join(tmpdir(), `enlace-nats-${spec.name}-`));
    trackDirectory(directory);
    const server = new BinaryNatsServer(spec, directory);
    try {
      await writeFile(server.#configPath, server.#renderConfig(), { mode: 0o600 });
      await server.#spawn();
      return server;
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  get pid(): number | undefined {
    return this.#child !== undefined && isAlive(this.#child) ? this.#child.pid : undefined;
  }

  get running(): boolean {
    return this.#state === 'running' && this.#child !== undefined && isAlive(this.#child);
  }

  async connect(options?: Partial<NodeConnectionOptions>): Promise<NatsConnection> {
    this.#assertNotStopped('connect');
    return this.#connections.connect(this.url, options);
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async kill(): Promise<void> {
    this.#assertNotStopped('kill');
    this.#state = 'killed';
    if (this.#child !== undefined) await killNow(this.#child);
  }

  async restart(): Promise<void> {
    this.#assertNotStopped('restart');
    this.#state = 'killed';
    if (this.#child !== undefined) await terminate(this.#child);
    await this.#spawn();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #stop(): Promise<void> {
    this.#state = 'stopped';
    await this.#connections.closeAll();
    if (this.#child !== undefined) await terminate(this.#child);
    await rm(this.#directory, { recursive: true, force: true, maxRetries: 3 });
    untrackDirectory(this.#directory);
  }

  #renderConfig(): string {
    const { name, port, httpPort, cluster, config } = this.#spec;
    return renderNatsConfig({
      serverName: name,
      listenHost: HOST,
      port,
      httpPort,
      ...(this.storeDir !== undefined && { storeDir: this.storeDir }),
      ...(cluster !== undefined && { cluster }),
      ...(config !== undefined && { extra: config }),
    });
  }

  /** Start the process and resolve once it is ready; on failure the process is gone. */
  async #spawn(): Promise<void> {
    const { binary, name, args, startTimeoutMs, waitForHealth } = this.#spec;
    const deadline = Date.now() + startTimeoutMs;
    const child = spawn(binary, ['-c', this.#configPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    trackChild(child, this.#configPath);
    this.#child = child;
    const log: string[] = [];
    // A forgotten server must not keep the test process alive; process-cleanup kills it on exit.
    child.unref();
    (child.stdout as Socket | null)?.unref();
    (child.stderr as Socket | null)?.unref();

    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new HarnessError(
            'ERR_NATS_START_TIMEOUT',
            `nats-server ${name} did not log "${READY_LINE}" within ${startTimeoutMs} ms${logTail(log)}`,
          ),
        );
      }, startTimeoutMs);
      const onLine = (line: string): void => {
        log.push(line);
        if (log.length > LOG_LINES_KEPT) log.shift();
        if (line.includes(READY_LINE)) {
          clearTimeout(timer);
          resolve();
        }
      };
      for (const stream of [child.stdout, child.stderr]) {
        if (stream !== null) createInterface({ input: stream }).on('line', onLine);
      }
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(
          new HarnessError('ERR_NATS_START_FAILED', `cannot run ${binary}: ${error.message}`, {
            cause: error,
          }),
        );
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        const how = code !== null ? `with code ${code}` : `by ${signal ?? 'unknown signal'}`;
        reject(
          new HarnessError(
            'ERR_NATS_START_FAILED',
            `nats-server ${name} exited ${how} before it was ready (configuration ${this.#configPath})${logTail(log)}`,
          ),
        );
      });
    });

    try {
      await ready;
      if (waitForHealth) await waitForHealthz(name, this.monitorUrl, deadline, () => isAlive(child));
      this.#state = 'running';
    } catch (error) {
      await killNow(child);
      throw error;
    }
  }

  #assertNotStopped(operation: string): void {
    if (this.#state === 'stopped') {
      throw new HarnessError(
        'ERR_NATS_SERVER_STOPPED',
        `cannot ${operation}(): nats-server ${this.name} was stopped`,
      );
    }
  }
}

function logTail(log: readonly string[]): string {
  return log.length === 0 ? ' (it logged nothing)' : `; its last log lines:\n${log.slice(-15).join('\n')}`;
}

function isAlive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (!isAlive(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.removeListener('exit', onExit);
      resolve(false);
    }, timeoutMs);
    const onExit = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    child.once('exit', onExit);
  });
}

/** SIGTERM, then SIGKILL if the process is still there after the grace period. */
async function terminate(child: ChildProcess): Promise<void> {
  if (!isAlive(child)) return;
  child.kill('SIGTERM');
  if (!(await waitForExit(child, STOP_GRACE_MS))) await killNow(child);
}

async function killNow(child: ChildProcess): Promise<void> {
  if (!isAlive(child)) return;
  child.kill('SIGKILL');
  await waitForExit(child, STOP_GRACE_MS);
}
