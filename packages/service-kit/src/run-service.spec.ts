/**
 * The services' main: options from flags and environment, exit codes, and the drain on SIGINT or
 * SIGTERM, in process (signals from an emitter) and in a real child process sent a real SIGTERM.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startNatsServer } from '@enlace/testing';
import { createNatsNkey } from '@enlace/transport';

import { connectServiceNats } from './nats-connect.js';
import { UsageError, readNkeySeed, runService } from './run-service.js';
import type { CommonOptions, ServiceMainOptions, ServiceProcess } from './run-service.js';

interface Fake {
  readonly proc: ServiceProcess;
  readonly signals: EventEmitter;
  readonly out: string[];
  readonly err: string[];
}

function fake(argv: string[], env: Record<string, string> = {}): Fake {
  const signals = new EventEmitter();
  const out: string[] = [];
  const err: string[] = [];
  return {
    signals,
    out,
    err,
    proc: {
      argv,
      env,
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
      signals,
    },
  };
}

type Options = { natsUrl: string; port: number; dataDir: string; host?: string };

function main(
  close: () => Promise<void>,
  started: Options[] = [],
): ServiceMainOptions<Options, { close(): Promise<void> }> {
  return {
    service: 'test',
    usage: 'usage: enlace-test --nats <url> --data <dir>\n',
    defaultPort: 8099,
    flags: { data: { type: 'string' } },
    options: (read) => ({ ...read.common, dataDir: read.required('data', 'ENLACE_TEST_DATA') }),
    start: async (options) => {
      started.push(options);
      return { close };
    },
    started: () => 'enlace test listening',
    drainTimeoutMs: 500,
  };
}

/** Resolves once `out` holds `text`. */
async function printed(out: string[], text: string): Promise<void> {
  while (!out.join('').includes(text)) await new Promise((r) => setTimeout(r, 5));
}

describe('runService', () => {
  it('reads flags with environment fallbacks and drains on SIGTERM before exiting 0', async () => {
    const f = fake(['--nats', 'nats://127.0.0.1:4999', '--port', '0'], {
      ENLACE_TEST_DATA: '/tmp/x',
      ENLACE_TEST_HOST: '::1',
    });
    const started: Options[] = [];
    let drained = false;
    const code = runService(
      main(async () => {
        await new Promise((r) => setTimeout(r, 50));
        drained = true;
      }, started),
      f.proc,
    );
    await printed(f.out, 'enlace test listening');
    expect(started).toEqual([{ natsUrl: 'nats://127.0.0.1:4999', port: 0, dataDir: '/tmp/x', host: '::1' }]);
    f.signals.emit('SIGTERM', 'SIGTERM');
    expect(await code).toBe(0);
    expect(drained).toBe(true);
    expect(f.out.join('')).toContain('received SIGTERM, shutting down');
    expect(f.signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('stops at once with 1 on a second signal, a failed drain or one that outlasts its timeout', async () => {
    const hanging = fake(['--nats', 'nats://x', '--data', 'd']);
    const never = runService(
      main(() => new Promise(() => undefined)),
      hanging.proc,
    );
    await printed(hanging.out, 'listening');
    hanging.signals.emit('SIGINT', 'SIGINT');
    hanging.signals.emit('SIGINT', 'SIGINT');
    expect(await never).toBe(1);
    expect(hanging.err.join('')).toContain('received SIGINT again, stopping without draining');

    const failing = fake(['--nats', 'nats://x', '--data', 'd']);
    const failed = runService(
      main(() => Promise.reject(new Error('store busy'))),
      failing.proc,
    );
    await printed(failing.out, 'listening');
    failing.signals.emit('SIGTERM', 'SIGTERM');
    expect(await failed).toBe(1);
    expect(failing.err.join('')).toContain('enlace-test: unclean shutdown: store busy');

    const slow = fake(['--nats', 'nats://x', '--data', 'd']);
    const timedOut = runService(
      main(() => new Promise(() => undefined)),
      slow.proc,
    );
    await printed(slow.out, 'listening');
    slow.signals.emit('SIGTERM', 'SIGTERM');
    expect(await timedOut).toBe(1);
    expect(slow.err.join('')).toContain('still draining after 500 ms');
  });

  it('exits 2 with the usage on bad options, 0 on --help, 1 when the start fails', async () => {
    const missing = fake(['--data', 'd']);
    expect(
      await runService(
        main(async () => undefined),
        missing.proc,
      ),
    ).toBe(2);
    expect(missing.err.join('')).toMatch(
      /^enlace-test: --nats \(or ENLACE_NATS_URL\) is required\nusage: enlace-test --nats <url> --data <dir>\n {2}--nats <url> /,
    );
    expect(missing.err.join('')).toContain('(env ENLACE_TEST_PORT)');
    const port = fake(['--nats', 'n', '--data', 'd', '--port', '70000']);
    expect(
      await runService(
        main(async () => undefined),
        port.proc,
      ),
    ).toBe(2);
    expect(port.err.join('')).toContain('--port must be a port number from 0 to 65535 (got "70000")');
    const unknown = fake(['--nats', 'n', '--dta', 'd']);
    expect(
      await runService(
        main(async () => undefined),
        unknown.proc,
      ),
    ).toBe(2);
    expect(unknown.err.join('')).toContain("Unknown option '--dta'");

    const help = fake(['--help']);
    expect(
      await runService(
        main(async () => undefined),
        help.proc,
      ),
    ).toBe(0);
    expect(help.out.join('')).toContain('usage: enlace-test');

    const broken = fake(['--nats', 'n', '--data', 'd']);
    const refusing = {
      ...main(async () => undefined),
      start: () =>
        Promise.reject(Object.assign(new Error('cannot connect to NATS at n'), { code: 'ERR_UNAVAILABLE' })),
    };
    expect(await runService(refusing, broken.proc)).toBe(1);
    expect(broken.err.join('')).toBe(
      'enlace-test: cannot start: ERR_UNAVAILABLE: cannot connect to NATS at n\n',
    );
    expect(new UsageError('x').code).toBe('ERR_USAGE');
  });
});

describe('a real process', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enlace-run-service-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('drains on a real SIGTERM and exits 0', async () => {
    // The built package (npx tsc -b), as a service's compiled main uses it.
    const kit = resolve(import.meta.dirname, '../dist/index.js');
    const script = join(dir, 'main.mjs');
    await writeFile(
      script,
      `import { runService } from ${JSON.stringify(kit)};
process.exitCode = await runService({
  service: 'test', usage: 'usage\\n', defaultPort: 0,
  options: (read) => read.common,
  start: async () => ({ close: async () => { await new Promise((r) => setTimeout(r, 100)); process.stdout.write('drained\\n'); } }),
  started: () => 'listening',
});
`,
    );
    const child = spawn(process.execPath, [script, '--nats', 'nats://127.0.0.1:1'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    while (!out.includes('listening')) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out).toBe('listening\nreceived SIGTERM, shutting down\ndrained\n');
  });
});

describe('--nats-nkey', () => {
  it('authenticates with the seed file against a server that knows only that nkey', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'enlace-nkey-'));
    const { seed, publicKey } = createNatsNkey();
    const server = await startNatsServer({
      jetstream: false,
      config: `authorization { users = [ { nkey: "${publicKey}" } ] }`,
    });
    try {
      const file = join(dir, 'nats-user.nk');
      await writeFile(file, `${seed}\n`, { mode: 0o600 });
      const started: Array<Options & CommonOptions> = [];
      const f = fake(['--nats', server.url, '--data', dir, '--nats-nkey', file]);
      const run = runService(
        main(async () => undefined, started),
        f.proc,
      );
      await printed(f.out, 'listening');
      f.signals.emit('SIGTERM', 'SIGTERM');
      expect(await run).toBe(0);
      const options = started[0]!;
      expect(options.natsAuthenticator).toBeTypeOf('function');
      // The options a service gets connect with the seed; without it the server refuses.
      const link = await connectServiceNats(options, { name: 'enlace-test' });
      expect(link.connected()).toBe(true);
      await link.close();
      await expect(
        connectServiceNats({ natsUrl: server.url }, { name: 'enlace-test', maxReconnectAttempts: 0 }),
      ).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file that is missing, not a user seed, or readable by others, naming the flag', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'enlace-nkey-'));
    try {
      await expect(readNkeySeed(join(dir, 'absent.nk'))).rejects.toThrow(
        /cannot read the nkey seed .*--nats-nkey/,
      );
      const bad = join(dir, 'bad.nk');
      await writeFile(bad, 'not a seed\n', { mode: 0o600 });
      await expect(readNkeySeed(bad)).rejects.toThrow(/is not a NATS user nkey seed/);
      const open = join(dir, 'open.nk');
      await writeFile(open, `${createNatsNkey().seed}\n`);
      await chmod(open, 0o644);
      const error = await readNkeySeed(open).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).toMatch(/may be read by others \(mode 644\): chmod 600 it/);
      // As a flag: exit 2 with the message and the usage.
      const f = fake(['--nats', 'nats://127.0.0.1:1', '--data', dir, '--nats-nkey', open]);
      expect(
        await runService(
          main(async () => undefined),
          f.proc,
        ),
      ).toBe(2);
      expect(f.err.join('')).toContain('--nats-nkey) may be read by others');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
