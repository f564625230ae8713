/**
 * Which ways of running a test nats-server this machine offers: the nats-server binary, or a
 * Docker-API container engine through testcontainers. Each answer says why a backend is missing,
 * so suites can print a real reason when they skip.
 */
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { getContainerRuntimeClient } from 'testcontainers';
import type { ContainerRuntimeClient } from 'testcontainers';

/** A backend is available (with a line saying what was found), or not (with the reason). */
export type BackendStatus =
  | { readonly available: true; readonly detail: string }
  | { readonly available: false; readonly reason: string };

/** What detectBackends() found for each backend. */
export interface BackendReport {
  readonly binary: BackendStatus;
  readonly container: BackendStatus;
}

/** A nats-server executable and the version it reports. */
export interface NatsServerBinary {
  readonly path: string;
  readonly version: string;
}

type Found<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

/** Debian installs nats-server in /usr/sbin, which an unprivileged user's PATH often lacks. */
const FALLBACK_DIRECTORIES = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const ENGINE_TIMEOUT_MS = 10_000;
const execFileAsync = promisify(execFile);

/** Probe both backends (in parallel); never throws. */
export async function detectBackends(): Promise<BackendReport> {
  const [binary, engine] = await Promise.all([findNatsServerBinary(), findContainerEngine()]);
  return {
    binary: binary.ok
      ? { available: true, detail: `${binary.value.path} (${binary.value.version})` }
      : { available: false, reason: binary.reason },
    container: engine.ok
      ? { available: true, detail: describeEngine(engine.value) }
      : { available: false, reason: engine.reason },
  };
}

/**
 * The nats-server binary: `NATS_SERVER_BIN` when set (and then only that), else the first
 * `nats-server` on PATH or in the sbin directories.
 */
export async function findNatsServerBinary(): Promise<Found<NatsServerBinary>> {
  const explicit = process.env['NATS_SERVER_BIN'];
  let path: string | undefined;
  if (explicit !== undefined && explicit !== '') {
    if (!(await isExecutableFile(explicit))) {
      return { ok: false, reason: `NATS_SERVER_BIN=${explicit} is not an executable file` };
    }
    path = explicit;
  } else {
    const pathDirectories = (process.env['PATH'] ?? '').split(delimiter).filter((d) => d !== '');
    for (const directory of [...pathDirectories, ...FALLBACK_DIRECTORIES]) {
      const candidate = join(directory, 'nats-server');
      if (await isExecutableFile(candidate)) {
        path = candidate;
        break;
      }
    }
    if (path === undefined) {
      return {
        ok: false,
        reason: `no nats-server on PATH or in ${FALLBACK_DIRECTORIES.join(', ')}, and NATS_SERVER_BIN is not set`,
      };
    }
  }
  try {
    const { stdout } = await execFileAsync(path, ['--version'], { timeout: 5_000 });
    return { ok: true, value: { path, version: stdout.trim().replace(/^nats-server:\s*/, '') } };
  } catch (error) {
    return { ok: false, reason: `${path} --version failed: ${errorText(error)}` };
  }
}

/**
 * The container engine testcontainers would use. An explicit unix-socket DOCKER_HOST must
 * answer itself: testcontainers would otherwise quietly fall back to another engine.
 */
export async function findContainerEngine(): Promise<Found<ContainerRuntimeClient>> {
  const dockerHost = process.env['DOCKER_HOST'];
  if (dockerHost !== undefined && dockerHost.startsWith('unix://')) {
    const socketPath = dockerHost.slice('unix://'.length);
    const answer = await pingUnixSocket(socketPath);
    if (answer !== undefined)
      return { ok: false, reason: `DOCKER_HOST=${dockerHost} does not answer: ${answer}` };
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const client = await Promise.race([
      getContainerRuntimeClient(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${ENGINE_TIMEOUT_MS} ms`)),
          ENGINE_TIMEOUT_MS,
        );
      }),
    ]);
    return { ok: true, value: client };
  } catch (error) {
    const where =
      dockerHost === undefined || dockerHost === ''
        ? 'DOCKER_HOST is not set and no Docker socket was found where testcontainers looks'
        : `DOCKER_HOST=${dockerHost}`;
    return { ok: false, reason: `no Docker-API container engine reachable (${where}): ${errorText(error)}` };
  } finally {
    clearTimeout(timer);
  }
}

function describeEngine(client: ContainerRuntimeClient): string {
  const runtime = client.info.containerRuntime;
  return `engine ${runtime.serverVersion} (${runtime.operatingSystem}), ports reached at ${runtime.host}`;
}

/** undefined when the Docker API on `socketPath` answers /_ping, else why not. */
async function pingUnixSocket(socketPath: string): Promise<string | undefined> {
  try {
    await access(socketPath);
  } catch {
    return `${socketPath} does not exist`;
  }
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: 3_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200 ? undefined : `GET /_ping answered HTTP ${res.statusCode ?? '?'}`);
    });
    req.on('timeout', () => req.destroy(new Error('GET /_ping timed out')));
    req.on('error', (error) => resolve(errorText(error)));
    req.end();
  });
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
