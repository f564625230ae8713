/**
 * startNatsServer(): one real nats-server for a test, with JetStream on a file store, run from
 * the nats-server binary or in a container, behind the same NatsServerHandle.
 */
import { BinaryNatsServer } from './binary-nats-server.js';
import { ContainerNatsServer } from './container-nats-server.js';
import { detectBackends, findContainerEngine, findNatsServerBinary } from './detect-backends.js';
import { findFreePorts } from './find-free-port.js';
import { HarnessError } from './harness-error.js';
import type { NatsServerHandle, StartNatsServerOptions } from './nats-server-handle.js';
import { DEFAULT_START_TIMEOUT_MS, checkName, checkTimeout } from './server-lifecycle.js';

const START_ATTEMPTS = 3;

/** How to get a backend, printed whenever none is found. */
export const BACKEND_HINT =
  'Either install nats-server (Debian/Ubuntu: `apt-get install nats-server`, or a release binary from the ' +
  "nats-server project's GitHub releases; on PATH or named by NATS_SERVER_BIN), or make a Docker-API " +
  'container engine reachable for testcontainers (Docker, or a Podman API socket named by DOCKER_HOST, with ' +
  'TESTCONTAINERS_RYUK_DISABLED=true where the Ryuk image cannot be pulled; see shared/notes/containers.md ' +
  'and .ci/setup-containers.sh).';

/**
 * Start a nats-server and resolve once it is ready: it logged "Server is ready" and its
 * /healthz answers 200. Stop it with `stop()` or `await using`.
 */
export async function startNatsServer(options: StartNatsServerOptions = {}): Promise<NatsServerHandle> {
  const backend = options.backend ?? 'auto';
  const name = checkName(options.name ?? 'enlace-test');
  const startTimeoutMs = checkTimeout('startTimeoutMs', options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
  const jetstream = options.jetstream ?? true;
  const args = [...(options.args ?? [])];
  const common = {
    name,
    jetstream,
    args,
    startTimeoutMs,
    ...(options.config !== undefined && { config: options.config }),
  };

  if (backend === 'binary' || backend === 'auto') {
    const binary = await findNatsServerBinary();
    if (binary.ok) return startBinary({ ...common, binary: binary.value.path });
    if (backend === 'binary') {
      throw new HarnessError(
        'ERR_NATS_BINARY_NOT_FOUND',
        `cannot start nats-server: ${binary.reason}. ${BACKEND_HINT}`,
      );
    }
  }
  const engine = await findContainerEngine();
  if (engine.ok) return ContainerNatsServer.start({ ...common, engine: engine.value });
  if (backend === 'container') {
    throw new HarnessError(
      'ERR_CONTAINER_ENGINE_UNAVAILABLE',
      `cannot start a nats-server container: ${engine.reason}. ${BACKEND_HINT}`,
    );
  }
  // Report both reasons as detectBackends() sees them now.
  const report = await detectBackends();
  const reasons = [
    `binary: ${report.binary.available ? report.binary.detail : report.binary.reason}`,
    `container: ${report.container.available ? report.container.detail : report.container.reason}`,
  ];
  throw new HarnessError(
    'ERR_NO_NATS_BACKEND',
    `no way to run a test nats-server on this machine (${reasons.join('; ')}). ${BACKEND_HINT}`,
  );
}

async function startBinary(spec: {
  binary: string;
  name: string;
  jetstream: boolean;
  config?: string;
  args: string[];
  startTimeoutMs: number;
}): Promise<NatsServerHandle> {
  for (let attempt = 1; ; attempt++) {
    const [port, httpPort] = (await findFreePorts(2)) as [number, number];
    try {
      return await BinaryNatsServer.start({ ...spec, port, httpPort, waitForHealth: true });
    } catch (error) {
      // Another process took a port between findFreePorts() and the bind: try again with new ones.
      const portTaken =
        error instanceof HarnessError &&
        error.code === 'ERR_NATS_START_FAILED' &&
        /address already in use/i.test(error.message);
      if (!portTaken || attempt >= START_ATTEMPTS) throw error;
    }
  }
}
