/**
 * The embedded nats-server of the local network: the `nats-server` binary run as a child process
 * with JetStream, its configuration and store under the state directory (kept between starts, so
 * alerts survive a restart), stopped with the launcher.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { LocalNetworkError } from './errors.js';

/** Where Debian, Homebrew and release tarballs put nats-server, besides the PATH. */
const EXTRA_BINARY_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/opt/homebrew/bin'];

export const INSTALL_HINT =
  'install nats-server (Debian/Ubuntu: `sudo apt-get install nats-server`; macOS: `brew install nats-server`; ' +
  'others: https://github.com/nats-io/nats-server/releases), set NATS_SERVER_BIN to its path, ' +
  'or use a running server with NATS_URL=nats://host:port';

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The nats-server binary: NATS_SERVER_BIN, else the PATH, else the usual install directories. */
export async function findNatsServer(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const explicit = env['NATS_SERVER_BIN'];
  if (explicit !== undefined && explicit !== '') {
    if (await isExecutable(explicit)) return explicit;
    throw new LocalNetworkError(
      'ERR_NATS_SERVER_MISSING',
      `NATS_SERVER_BIN is ${explicit}, which is not an executable file; ${INSTALL_HINT}`,
    );
  }
  const dirs = [...(env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== ''), ...EXTRA_BINARY_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, 'nats-server');
    if (await isExecutable(candidate)) return candidate;
  }
  throw new LocalNetworkError('ERR_NATS_SERVER_MISSING', `nats-server was not found; ${INSTALL_HINT}`);
}

export interface EmbeddedNatsOptions {
  readonly binary: string;
  /** Directory for nats.conf, the JetStream store and the log. */
  readonly dir: string;
  readonly host: string;
  readonly port: number;
  readonly monitorPort: number;
  /** Extra configuration (accounts, users, permissions) appended to the file. */
  readonly extraConfig?: string;
  readonly startTimeoutMs?: number;
}

export interface EmbeddedNats {
  readonly url: string;
  readonly monitorUrl: string;
  readonly pid: number;
  readonly configPath: string;
  /**
   * Rewrites the configuration and asks the server to reload it (SIGHUP); resolves once the
   * server has applied it, rejects (ERR_NATS_SERVER_FAILED) when it refused it or did not answer.
   */
  reload(extraConfig: string): Promise<void>;
  /** SIGTERM (a clean JetStream shutdown), SIGKILL after the grace period. */
  stop(): Promise<void>;
}

function renderConfig(options: EmbeddedNatsOptions, extraConfig: string | undefined): string {
  const q = (value: string): string => JSON.stringify(value);
  return [
    '# Written by `npm start` (Enlace local network). Rewritten on every start.',
    'server_name: "enlace-local"',
    `listen: ${q(`${options.host}:${options.port}`)}`,
    `http: ${q(`${options.host}:${options.monitorPort}`)}`,
    `pid_file: ${q(join(options.dir, 'nats-server.pid'))}`,
    'jetstream {',
    `  store_dir: ${q(join(options.dir, 'jetstream'))}`,
    '}',
    extraConfig === undefined || extraConfig.trim() === '' ? '' : `\n${extraConfig.trim()}`,
    '',
  ].join('\n');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops a nats-server that an earlier start left running on this state directory (the launcher was
 * killed without a chance to stop it), so its store is free again. Only a process whose command
 * line names this directory's configuration is touched. Returns its pid when there was one.
 */
export async function stopLeftoverNats(dir: string): Promise<number | undefined> {
  const pidFile = join(dir, 'nats-server.pid');
  const configPath = join(dir, 'nats.conf');
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, 'utf8')).trim());
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) {
    await rm(pidFile, { force: true });
    return undefined;
  }
  let cmdline = '';
  try {
    cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
  } catch {
    return undefined; // no /proc: leave it alone rather than risk another process
  }
  if (!cmdline.includes('nats-server') || !cmdline.includes(configPath)) return undefined;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  return pid;
}

/** Starts nats-server and resolves when it accepts clients; rejects with its last log lines. */
export async function startEmbeddedNats(options: EmbeddedNatsOptions): Promise<EmbeddedNats> {
  await mkdir(join(options.dir, 'jetstream'), { recursive: true });
  const configPath = join(options.dir, 'nats.conf');
  await writeFile(configPath, renderConfig(options, options.extraConfig), { mode: 0o600 });
  // Its own process group: a Ctrl-C in the terminal reaches the launcher only, which stops the
  // nodes and the registry first and this server last (a crashed launcher's server is stopped by
  // the next start, see stopLeftoverNats).
  const child = spawn(options.binary, ['-c', configPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const log: string[] = [];
  // Answers to SIGHUP, in order: undefined when the configuration was applied, else the error.
  const reloads: Array<string | undefined> = [];
  let reloadWaiter: (() => void) | undefined;
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() !== '') log.push(line);
      if (line.includes('Reloaded server configuration')) reloads.push(undefined);
      else if (line.includes('Failed to reload server configuration'))
        reloads.push(line.slice(line.indexOf('Failed to reload')));
      else continue;
      reloadWaiter?.();
    }
    if (log.length > 40) log.splice(0, log.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(failure(`did not become ready within ${options.startTimeoutMs ?? 15_000} ms`, log));
    }, options.startTimeoutMs ?? 15_000);
    const onData = (): void => {
      if (log.some((line) => line.includes('Server is ready'))) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        resolve();
      }
    };
    child.stderr?.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(
        new LocalNetworkError('ERR_NATS_SERVER_FAILED', `cannot run ${options.binary}: ${error.message}`),
      );
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(failure(`exited during start (${signal ?? `code ${code}`})`, log));
    });
  });

  const url = `nats://${options.host}:${options.port}`;
  let reloading: Promise<unknown> = Promise.resolve();
  return {
    url,
    monitorUrl: `http://${options.host}:${options.monitorPort}`,
    pid: child.pid ?? -1,
    configPath,
    reload(extraConfig: string): Promise<void> {
      // One reload at a time, so that each SIGHUP is matched with its own answer.
      const run = reloading.then(async () => {
        await writeFile(configPath, renderConfig(options, extraConfig), { mode: 0o600 });
        const answered = reloads.length;
        const answer = new Promise<string | undefined>((resolve, reject) => {
          const timer = setTimeout(() => {
            reloadWaiter = undefined;
            reject(failure('did not answer a configuration reload (SIGHUP) within 10 s', log));
          }, 10_000);
          reloadWaiter = () => {
            if (reloads.length <= answered) return;
            clearTimeout(timer);
            reloadWaiter = undefined;
            resolve(reloads[answered]);
          };
        });
        child.kill('SIGHUP');
        const error = await answer;
        if (error !== undefined)
          throw new LocalNetworkError(
            'ERR_NATS_SERVER_FAILED',
            `nats-server refused the new configuration: ${error}`,
          );
      });
      reloading = run.catch(() => undefined);
      return run;
    },
    stop: () => stopChild(child),
  };
}

function failure(what: string, log: readonly string[]): LocalNetworkError {
  const tail = log.slice(-5).join(' | ');
  return new LocalNetworkError(
    'ERR_NATS_SERVER_FAILED',
    `nats-server ${what}${tail === '' ? '' : `: ${tail}`}`,
  );
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
