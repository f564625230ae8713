/**
 * The container backend: nats-server in a testcontainers GenericContainer (image from
 * ENLACE_NATS_IMAGE, default the official nats:2.10), its ports published on 127.0.0.1 when the
 * engine is local. Ryuk is off on machines that cannot pull its image, so every container is
 * removed by stop(), by a failed start, or by the next start in a later test process.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { GenericContainer, Wait } from 'testcontainers';
import type { ContainerRuntimeClient, StartedTestContainer } from 'testcontainers';
import { errorText } from './detect-backends.js';
import { findFreePorts } from './find-free-port.js';
import { HarnessError } from './harness-error.js';
import { renderNatsConfig } from './nats-config.js';
import type { NatsServerHandle } from './nats-server-handle.js';
import { ConnectionTracker, STOP_GRACE_MS, sleep, waitForHealthz } from './server-lifecycle.js';

/** Image used when ENLACE_NATS_IMAGE is not set. */
export const DEFAULT_NATS_IMAGE = 'nats:2.10';
const CLIENT_PORT = 4222;
const MONITOR_PORT = 8222;
const CONFIG_PATH = '/enlace-nats.conf';
const STORE_DIR = '/data/jetstream';
const START_ATTEMPTS = 3;

const LABEL = 'org.enlace.testing';
const LABEL_PID = 'org.enlace.testing.pid';
const LABEL_HOSTNAME = 'org.enlace.testing.hostname';
const LABEL_INSTANCE = 'org.enlace.testing.instance';

/** What startNatsServer() passes for a container. */
export interface ContainerServerSpec {
  readonly engine: ContainerRuntimeClient;
  readonly name: string;
  readonly jetstream: boolean;
  readonly config?: string;
  readonly args: readonly string[];
  readonly startTimeoutMs: number;
}

type State = 'running' | 'killed' | 'stopped';

/** GenericContainer whose published ports can be bound to one host interface. */
class NatsContainer extends GenericContainer {
  withPublishedPorts(
    hostIp: string | undefined,
    ports: readonly { container: number; host: number }[],
  ): this {
    this.withExposedPorts(...ports);
    if (hostIp !== undefined) {
      // testcontainers publishes on every interface; a local engine needs only loopback.
      const bindings: Record<string, unknown> = { ...(this.hostConfig.PortBindings as object | undefined) };
      for (const { container, host } of ports) {
        bindings[`${container}/tcp`] = [{ HostIp: hostIp, HostPort: String(host) }];
      }
      this.hostConfig.PortBindings = bindings;
    }
    return this;
  }
}

/** A nats-server container; see NatsServerHandle. */
export class ContainerNatsServer implements NatsServerHandle {
  readonly backend = 'container' as const;
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly monitorUrl: string;
  /** The image the container runs. */
  readonly image: string;
  readonly pid = undefined;

  readonly #engine: ContainerRuntimeClient;
  readonly #container: StartedTestContainer;
  readonly #instance: string;
  readonly #startTimeoutMs: number;
  readonly #connections = new ConnectionTracker();
  #state: State = 'running';
  #stopping: Promise<void> | undefined;

  private constructor(
    spec: ContainerServerSpec,
    image: string,
    host: string,
    ports: { port: number; httpPort: number },
    container: StartedTestContainer,
    instance: string,
  ) {
    this.#engine = spec.engine;
    this.#container = container;
    this.#instance = instance;
    this.#startTimeoutMs = spec.startTimeoutMs;
    this.name = spec.name;
    this.image = image;
    this.host = host;
    this.port = ports.port;
    this.url = `nats://${host}:${ports.port}`;
    this.monitorUrl = `http://${host}:${ports.httpPort}`;
  }

  /** Create and start the container; resolves when nats-server is ready and healthy. */
  static async start(spec: ContainerServerSpec): Promise<ContainerNatsServer> {
    const { engine, name, startTimeoutMs } = spec;
    const image = process.env['ENLACE_NATS_IMAGE'] || DEFAULT_NATS_IMAGE;
    await removeOrphanedContainers(engine);
    const local = isLoopback(engine.info.containerRuntime.host);
    const host = local ? '127.0.0.1' : engine.info.containerRuntime.host;
    const config = renderNatsConfig({
      serverName: name,
      listenHost: '0.0.0.0',
      port: CLIENT_PORT,
      httpPort: MONITOR_PORT,
      ...(spec.jetstream && { storeDir: STORE_DIR }),
      ...(spec.config !== undefined && { extra: spec.config }),
    });

    for (let attempt = 1; ; attempt++) {
      const deadline = Date.now() + startTimeoutMs;
      const [port, httpPort] = (await findFreePorts(2)) as [number, number];
      const instance = randomUUID();
      let container: StartedTestContainer;
      try {
        container = await new NatsContainer(image)
          .withPublishedPorts(local ? '127.0.0.1' : undefined, [
            { container: CLIENT_PORT, host: port },
            { container: MONITOR_PORT, host: httpPort },
          ])
          .withCopyContentToContainer([{ content: config, target: CONFIG_PATH }])
          .withCommand(['-c', CONFIG_PATH, ...spec.args])
          .withLabels({
            [LABEL]: 'nats-server',
            [LABEL_PID]: String(process.pid),
            [LABEL_HOSTNAME]: hostname(),
            [LABEL_INSTANCE]: instance,
          })
          .withWaitStrategy(Wait.forLogMessage('Server is ready'))
          .withStartupTimeout(startTimeoutMs)
          .start();
      } catch (error) {
        await removeContainers(engine, `${LABEL_INSTANCE}=${instance}`);
        const message = errorText(error);
        // Another process took one of the ports between findFreePorts() and the bind, or the
        // engine's runtime failed transiently (Podman: "write child: broken pipe"): try again.
        if (attempt < START_ATTEMPTS && /address already in use|already allocated|broken pipe/i.test(message))
          continue;
        const code = /not received after/.test(message) ? 'ERR_NATS_START_TIMEOUT' : 'ERR_NATS_START_FAILED';
        throw new HarnessError(code, `cannot start a nats-server container from ${image}: ${message}`, {
          cause: error,
        });
      }
      const server = new ContainerNatsServer(spec, image, host, { port, httpPort }, container, instance);
      try {
        await waitForHealthz(name, server.monitorUrl, deadline, () => true);
      } catch (error) {
        await server.stop();
        throw error;
      }
      return server;
    }
  }

  get running(): boolean {
    return this.#state === 'running';
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
    const container = this.#engine.container.getById(this.#container.getId());
    try {
      await container.kill({ signal: 'SIGKILL' });
    } catch (error) {
      // 409/304: the container is not running, which is what kill() wants.
      if (!isStatus(error, 304, 409)) throw error;
    }
    const deadline = Date.now() + STOP_GRACE_MS;
    while (Date.now() < deadline && (await container.inspect()).State.Running) await sleep(50);
  }

  async restart(): Promise<void> {
    this.#assertNotStopped('restart');
    this.#state = 'killed';
    const deadline = Date.now() + this.#startTimeoutMs;
    try {
      await this.#container.restart({ timeout: STOP_GRACE_MS });
    } catch (error) {
      throw new HarnessError(
        'ERR_NATS_START_FAILED',
        `cannot restart container ${this.name}: ${errorText(error)}`,
        {
          cause: error,
        },
      );
    }
    await waitForHealthz(this.name, this.monitorUrl, deadline, () => true);
    this.#state = 'running';
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #stop(): Promise<void> {
    this.#state = 'stopped';
    await this.#connections.closeAll();
    try {
      await this.#container.stop({ timeout: STOP_GRACE_MS, remove: true, removeVolumes: true });
    } finally {
      // Also covers a container testcontainers already gave up on (e.g. after a failed restart).
      await removeContainers(this.#engine, `${LABEL_INSTANCE}=${this.#instance}`);
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

/** Remove (forcibly, with volumes) every container carrying `label`; never throws. */
async function removeContainers(engine: ContainerRuntimeClient, label: string): Promise<void> {
  try {
    const found = await engine.container.dockerode.listContainers({ all: true, filters: { label: [label] } });
    await Promise.all(found.map((info) => removeQuietly(engine, info.Id)));
  } catch {
    // Best effort: the engine may be gone; nothing more can be done from here.
  }
}

/** Containers this harness started in processes on this machine that no longer exist. */
async function removeOrphanedContainers(engine: ContainerRuntimeClient): Promise<void> {
  try {
    const found = await engine.container.dockerode.listContainers({ all: true, filters: { label: [LABEL] } });
    const orphans = found.filter((info) => {
      const pid = Number(info.Labels[LABEL_PID]);
      return info.Labels[LABEL_HOSTNAME] === hostname() && Number.isInteger(pid) && !processExists(pid);
    });
    await Promise.all(orphans.map((info) => removeQuietly(engine, info.Id)));
  } catch {
    // Best effort, as above.
  }
}

async function removeQuietly(engine: ContainerRuntimeClient, id: string): Promise<void> {
  try {
    await engine.container.getById(id).remove({ force: true, v: true });
  } catch {
    // Already removed.
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function isStatus(error: unknown, ...codes: number[]): boolean {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && codes.includes(status);
}
