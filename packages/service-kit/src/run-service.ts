/**
 * The `main` of every service: reads its options from flags with environment fallbacks (the NATS
 * and HTTP options all share, plus its own), starts it, prints where it listens, and on SIGINT or
 * SIGTERM drains it (`close()`: consumers, HTTP, store, connection) before the process exits. A
 * second signal, or a drain that outlasts `drainTimeoutMs`, ends the process at once with code 1.
 * Exit codes: 0 clean stop, 1 failed start or unclean stop, 2 bad usage.
 */
import { readFile, stat } from 'node:fs/promises';

import { nkeyAuthenticator } from '@nats-io/transport-node';
import type { Authenticator } from '@nats-io/transport-node';
import { parseArgs } from 'node:util';
import type { ParseArgsConfig } from 'node:util';

/** Bad flags or environment: printed with the usage, exit code 2. */
export class UsageError extends Error {
  readonly code = 'ERR_USAGE' as const;

  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Flags = NonNullable<ParseArgsConfig['options']>;

/** The options every service takes (besides its own). */
export interface CommonOptions {
  readonly natsUrl: string;
  readonly natsUser?: string;
  readonly natsPass?: string;
  /** From --nats-nkey: the nkey seed `enlace keys generate` wrote (Ed25519 challenge, no password). */
  readonly natsAuthenticator?: Authenticator;
  readonly host?: string;
  readonly port: number;
}

/** Reads one option: its flag, else its environment variable (empty counts as unset). */
export interface OptionReader {
  optional(flag: string, env: string): string | undefined;
  required(flag: string, env: string): string;
  /** A JSON file (e.g. the pinned registry public JWK), read and parsed. */
  jsonFile(flag: string, env: string): Promise<Record<string, unknown>>;
  readonly common: CommonOptions;
}

/** The usage lines of the common options (runService adds them to a service's usage text). */
export function commonUsage(envPrefix: string, defaultPort: number): string {
  return [
    `  --nats <url>          NATS server(s), comma-separated          (env ENLACE_NATS_URL)`,
    `  --nats-user <name>    NATS user                                 (env ENLACE_NATS_USER)`,
    `  --nats-pass <pass>    NATS password                             (env ENLACE_NATS_PASS)`,
    `  --nats-nkey <file>    NATS nkey seed file (nats-user.nk, 0600)  (env ENLACE_NATS_NKEY_FILE)`,
    `  --host <addr>         HTTP listen address, default 127.0.0.1    (env ${envPrefix}_HOST)`,
    `  --port <n>            HTTP port, default ${defaultPort}; 0 = any free     (env ${envPrefix}_PORT)`,
    `  log level: env ENLACE_LOG_LEVEL (trace, debug, info (default), warn, error, fatal, silent)`,
  ].join('\n');
}

export interface ServiceMainOptions<Options, App extends { close(): Promise<void> }> {
  /**
   * e.g. "node": the command is `enlace-node` (it prefixes every message) and its host and port
   * variables ENLACE_NODE_HOST and ENLACE_NODE_PORT.
   */
  readonly service: string;
  /** The usage text of the service's own options (--help, and after a usage error); the common ones follow. */
  readonly usage: string;
  readonly defaultPort: number;
  /** The service's own flags (the common ones are added). */
  readonly flags?: Flags;
  /** Builds the service's options; throw UsageError for a bad one. */
  options(read: OptionReader): Promise<Options> | Options;
  start(options: Options): Promise<App>;
  /** The line printed once it listens. */
  started(app: App): string;
  /** How a start failure reads (default: `code: message` when the error has a string code). */
  describe?(error: unknown): string;
  /** Longest wait for close() after a signal (default 30 s). */
  readonly drainTimeoutMs?: number;
}

/** Where the process's inputs and outputs come from (the process itself by default; tests pass others). */
export interface ServiceProcess {
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  /** Emits 'SIGINT' and 'SIGTERM'. */
  readonly signals: Pick<NodeJS.EventEmitter, 'on' | 'off'>;
}

const COMMON_FLAGS: Flags = {
  nats: { type: 'string' },
  'nats-user': { type: 'string' },
  'nats-pass': { type: 'string' },
  'nats-nkey': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

function describeError(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return `${typeof code === 'string' ? `${code}: ` : ''}${(error as Error).message}`;
}

/** Runs a service until a signal has drained it; resolves the exit code. */
export async function runService<Options, App extends { close(): Promise<void> }>(
  main: ServiceMainOptions<Options, App>,
  proc: ServiceProcess = {
    argv: process.argv.slice(2),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    signals: process,
  },
): Promise<number> {
  const name = `enlace-${main.service}`;
  const envPrefix = `ENLACE_${main.service.toUpperCase()}`;
  const usage = `${main.usage.replace(/\n*$/, '\n')}${commonUsage(envPrefix, main.defaultPort)}\n`;
  let options: Options | undefined;
  try {
    options = await readOptions(main, envPrefix, proc);
  } catch (error) {
    proc.stderr.write(`${name}: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (options === undefined) {
    proc.stdout.write(usage);
    return 0;
  }
  let app: App;
  try {
    app = await main.start(options);
  } catch (error) {
    proc.stderr.write(`${name}: cannot start: ${(main.describe ?? describeError)(error)}\n`);
    return 1;
  }
  proc.stdout.write(`${main.started(app)}\n`);
  const drainTimeoutMs = main.drainTimeoutMs ?? 30_000;
  return new Promise<number>((resolve) => {
    let draining = false;
    let timer: NodeJS.Timeout | undefined;
    // Stay up until a signal even if the service holds nothing that keeps the event loop busy.
    const alive = setInterval(() => undefined, 1 << 30);
    const finish = (code: number): void => {
      clearTimeout(timer);
      clearInterval(alive);
      proc.signals.off('SIGINT', onSignal);
      proc.signals.off('SIGTERM', onSignal);
      resolve(code);
    };
    const onSignal = (signal: string): void => {
      if (draining) {
        proc.stderr.write(`${name}: received ${signal} again, stopping without draining\n`);
        finish(1);
        return;
      }
      draining = true;
      proc.stdout.write(`received ${signal}, shutting down\n`);
      timer = setTimeout(() => {
        proc.stderr.write(`${name}: still draining after ${drainTimeoutMs} ms, stopping\n`);
        finish(1);
      }, drainTimeoutMs);
      timer.unref();
      app.close().then(
        () => finish(0),
        (error: unknown) => {
          proc.stderr.write(`${name}: unclean shutdown: ${(error as Error).message}\n`);
          finish(1);
        },
      );
    };
    proc.signals.on('SIGINT', onSignal);
    proc.signals.on('SIGTERM', onSignal);
  });
}

async function readOptions<Options, App extends { close(): Promise<void> }>(
  main: ServiceMainOptions<Options, App>,
  envPrefix: string,
  proc: ServiceProcess,
): Promise<Options | undefined> {
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...proc.argv],
      options: { ...COMMON_FLAGS, ...main.flags },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) return undefined;
  const optional = (flag: string, env: string): string | undefined => {
    const value = values[flag];
    if (typeof value === 'string') return value;
    const fromEnv = proc.env[env];
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  };
  const required = (flag: string, env: string): string => {
    const value = optional(flag, env);
    if (value === undefined) throw new UsageError(`--${flag} (or ${env}) is required`);
    return value;
  };
  const portText = optional('port', `${envPrefix}_PORT`) ?? String(main.defaultPort);
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    throw new UsageError(`--port must be a port number from 0 to 65535 (got "${portText}")`);
  const natsUser = optional('nats-user', 'ENLACE_NATS_USER');
  const natsPass = optional('nats-pass', 'ENLACE_NATS_PASS');
  const nkeyFile = optional('nats-nkey', 'ENLACE_NATS_NKEY_FILE');
  const natsAuthenticator = nkeyFile === undefined ? undefined : await readNkeySeed(nkeyFile);
  const host = optional('host', `${envPrefix}_HOST`);
  const common: CommonOptions = {
    natsUrl: required('nats', 'ENLACE_NATS_URL'),
    port: Number(portText),
    ...(natsUser !== undefined && { natsUser }),
    ...(natsPass !== undefined && { natsPass }),
    ...(natsAuthenticator !== undefined && { natsAuthenticator }),
    ...(host !== undefined && { host }),
  };
  return main.options({
    optional,
    required,
    common,
    async jsonFile(flag, env) {
      const file = required(flag, env);
      try {
        return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      } catch (error) {
        throw new UsageError(`cannot read ${file} (--${flag}): ${(error as Error).message}`);
      }
    },
  });
}

/**
 * The authenticator of the nkey seed in `file` (a user seed, "SU..."): UsageError when it cannot
 * be read, is not a user seed, or others may read it (the seed is the NATS user's secret).
 */
export async function readNkeySeed(file: string): Promise<Authenticator> {
  let seed: string;
  let mode: number;
  try {
    [seed, mode] = await Promise.all([readFile(file, 'utf8'), stat(file).then((s) => s.mode)]);
  } catch (error) {
    throw new UsageError(`cannot read the nkey seed ${file} (--nats-nkey): ${(error as Error).message}`);
  }
  seed = seed.trim();
  if (!/^SU[A-Z2-7]{56}$/.test(seed))
    throw new UsageError(`${file} (--nats-nkey) is not a NATS user nkey seed (one line starting with SU)`);
  if (process.platform !== 'win32' && (mode & 0o077) !== 0)
    throw new UsageError(
      `${file} (--nats-nkey) may be read by others (mode ${(mode & 0o777).toString(8)}): chmod 600 it`,
    );
  return nkeyAuthenticator(new TextEncoder().encode(seed));
}
