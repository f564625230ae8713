/**
 * Entry point of the registry service:
 *
 *   node services/registry/dist/main.js --nats nats://127.0.0.1:4222 --data /var/lib/enlace-registry \
 *       --port 8080 [--host 0.0.0.0] [--seeds seeds/registry]
 *
 * Each option falls back to an environment variable (ENLACE_NATS_URL, ENLACE_NATS_USER,
 * ENLACE_NATS_PASS, ENLACE_REGISTRY_DATA, ENLACE_REGISTRY_HOST, ENLACE_REGISTRY_PORT,
 * ENLACE_REGISTRY_SEEDS). Prints the API's URL once it listens; SIGINT or SIGTERM shut it down
 * cleanly (HTTP, NATS handlers, state watch, connection).
 */
import { parseArgs } from 'node:util';

import { createRegistryApp } from './app/create-registry-app.js';
import type { RegistryApp } from './app/create-registry-app.js';
import { RegistryError } from './domain/errors.js';

const USAGE = `usage: enlace-registry --nats <url> --data <dir> [--port <n>] [--host <addr>] [--seeds <dir>]
  --nats <url>        NATS server(s), comma-separated        (env ENLACE_NATS_URL)
  --nats-user <name>  NATS user                               (env ENLACE_NATS_USER)
  --nats-pass <pass>  NATS password                           (env ENLACE_NATS_PASS)
  --data <dir>        registry data directory (its key)       (env ENLACE_REGISTRY_DATA)
  --host <addr>       HTTP listen address, default 127.0.0.1  (env ENLACE_REGISTRY_HOST)
  --port <n>          HTTP port, default 8080; 0 = any free   (env ENLACE_REGISTRY_PORT)
  --seeds <dir>       seed directory to apply at start        (env ENLACE_REGISTRY_SEEDS)
`;

class UsageError extends Error {}

function options(argv: readonly string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      nats: { type: 'string' },
      'nats-user': { type: 'string' },
      'nats-pass': { type: 'string' },
      data: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      seeds: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  const pick = (value: string | undefined, name: string): string | undefined =>
    value ?? (env[name] === '' ? undefined : env[name]);
  const natsUrl = pick(values.nats, 'ENLACE_NATS_URL');
  const dataDir = pick(values.data, 'ENLACE_REGISTRY_DATA');
  if (natsUrl === undefined) throw new UsageError('--nats (or ENLACE_NATS_URL) is required');
  if (dataDir === undefined) throw new UsageError('--data (or ENLACE_REGISTRY_DATA) is required');
  const portText = pick(values.port, 'ENLACE_REGISTRY_PORT') ?? '8080';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
    throw new UsageError(`--port must be a port number from 0 to 65535 (got "${portText}")`);
  }
  const natsUser = pick(values['nats-user'], 'ENLACE_NATS_USER');
  const natsPass = pick(values['nats-pass'], 'ENLACE_NATS_PASS');
  const host = pick(values.host, 'ENLACE_REGISTRY_HOST');
  const seedsDir = pick(values.seeds, 'ENLACE_REGISTRY_SEEDS');
  return {
    natsUrl,
    dataDir,
    port: Number(portText),
    logger: ['error', 'warn'] as ('error' | 'warn')[],
    ...(natsUser !== undefined && { natsUser }),
    ...(natsPass !== undefined && { natsPass }),
    ...(host !== undefined && { host }),
    ...(seedsDir !== undefined && { seedsDir }),
  };
}

async function run(): Promise<number> {
  let opts;
  try {
    opts = options(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`enlace-registry: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (opts === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  let app: RegistryApp;
  try {
    app = await createRegistryApp(opts);
  } catch (error) {
    const code = error instanceof RegistryError ? `${error.code}: ` : '';
    process.stderr.write(`enlace-registry: cannot start: ${code}${(error as Error).message}\n`);
    return 1;
  }
  if (app.seeds !== undefined) {
    const created = Object.entries(app.seeds.created)
      .filter(([, n]) => n > 0)
      .map(([part, n]) => `${n} ${part}`);
    process.stdout.write(
      `seeds applied: ${created.length === 0 ? 'nothing new' : `created ${created.join(', ')}`}` +
        (app.seeds.differing.length > 0
          ? `; ${app.seeds.differing.length} entries differ and were left as they are`
          : '') +
        '\n',
    );
  }
  process.stdout.write(`enlace registry listening on ${app.url} (registry key ${app.registryKey.kid})\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      process.stdout.write(`received ${signal}, shutting down\n`);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  try {
    await app.close();
    return 0;
  } catch (error) {
    process.stderr.write(`enlace-registry: unclean shutdown: ${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await run();
