/**
 * A nats-server process started from a whole configuration file, for suites that run the
 * deploy/ configurations themselves (rendered with free ports and temporary paths) rather
 * than the harness's generated ones. kill() is SIGKILL; start() runs it again on the same
 * file and store.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';

const READY_LINE = 'Server is ready';

/** Render `template` by replacing each `from` with `to`; every `from` must occur. */
export function renderConfig(
  template: string,
  replacements: ReadonlyArray<readonly [string, string]>,
): string {
  let text = template;
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`configuration template lacks ${JSON.stringify(from)}`);
    text = text.split(from).join(to);
  }
  return text;
}

/** Write `templatePath` rendered with `replacements` to `outputPath`. */
export async function renderConfigFile(
  templatePath: string,
  outputPath: string,
  replacements: ReadonlyArray<readonly [string, string]>,
): Promise<void> {
  await writeFile(outputPath, renderConfig(await readFile(templatePath, 'utf8'), replacements), {
    mode: 0o600,
  });
}

/** One nats-server process on a configuration file. */
export class NatsProcess {
  readonly #configPath: string;
  readonly #name: string;
  #child: ChildProcess | undefined;
  readonly #onExit = (): void => {
    this.#child?.kill('SIGKILL');
  };

  constructor(name: string, configPath: string) {
    this.#name = name;
    this.#configPath = configPath;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Start and resolve once it logs that it is ready. */
  async start(timeoutMs = 15_000): Promise<void> {
    if (this.running) throw new Error(`${this.#name} is already running`);
    const child = spawn('nats-server', ['-c', this.#configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    process.once('exit', this.#onExit);
    const log: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${this.#name} was not ready within ${timeoutMs} ms:\n${log.join('\n')}`));
      }, timeoutMs);
      for (const stream of [child.stdout, child.stderr]) {
        createInterface({ input: stream }).on('line', (line) => {
          log.push(line);
          if (log.length > 30) log.shift();
          if (line.includes(READY_LINE)) {
            clearTimeout(timer);
            resolve();
          }
        });
      }
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.#name} exited (${code ?? signal}) before it was ready:\n${log.join('\n')}`));
      });
    });
  }

  /** SIGKILL (or SIGTERM when `graceful`) and wait for the exit. Idempotent. */
  async kill(graceful = false): Promise<void> {
    const child = this.#child;
    process.removeListener('exit', this.#onExit);
    if (child === undefined || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(graceful ? 'SIGTERM' : 'SIGKILL');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}
