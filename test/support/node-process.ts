/**
 * A country node as its own process (services/node/dist/main.js, the production entry point),
 * so that a suite can SIGKILL it the way a crash or an OOM kill would: no drain, no acks for
 * what was in flight, the SQLite store left as the kernel found it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const MAIN = resolve(import.meta.dirname, '../../services/node/dist/main.js');

/** Options passed to main.js as flags. */
export interface NodeProcessOptions {
  readonly country: string;
  readonly natsUrl: string;
  readonly dataDir: string;
  readonly keysDir: string;
  /** File holding the registry's public JWK. */
  readonly registryKeyFile: string;
  /** Extra Node.js flags, e.g. `--cpu-prof` to see where a node spends its time. */
  readonly nodeArgs?: readonly string[];
}

/** A running node process. */
export interface NodeProcess {
  readonly url: string;
  readonly pid: number;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (clean shutdown) and wait for the exit; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Start the node and resolve with its URL once it listens. */
export async function startNodeProcess(
  options: NodeProcessOptions,
  startTimeoutMs = 30_000,
): Promise<NodeProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -b)`);
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      MAIN,
      '--country',
      options.country,
      '--nats',
      options.natsUrl,
      '--data',
      options.dataDir,
      '--keys',
      options.keysDir,
      '--registry-key',
      options.registryKeyFile,
      '--port',
      '0',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Whatever happens to the test, the node must not outlive it.
  const onExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', onExit);
  const log: string[] = [];
  const url = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `node ${options.country} did not print its URL within ${startTimeoutMs} ms:\n${log.join('\n')}`,
        ),
      );
    }, startTimeoutMs);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        log.push(line);
        if (log.length > 40) log.shift();
        const match = /(https?:\/\/[^\s]+)/.exec(line);
        if (match !== null) {
          clearTimeout(timer);
          resolvePromise(match[1] as string);
        }
      });
    }
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `node ${options.country} exited (${code ?? signal}) before it listened:\n${log.join('\n')}`,
        ),
      );
    });
  });
  const exited = (): Promise<void> =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((r) => child.once('exit', () => r()));
  const done = (): void => {
    process.removeListener('exit', onExit);
  };
  return {
    url,
    pid: child.pid as number,
    async kill() {
      child.kill('SIGKILL');
      await exited();
      done();
    },
    async stop(graceMs = 10_000) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited();
      clearTimeout(timer);
      done();
    },
  };
}
