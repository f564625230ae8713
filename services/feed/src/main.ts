/**
 * Entry point of the feed service:
 *
 *   node services/feed/dist/main.js --nats nats://127.0.0.1:4222 --data /var/lib/enlace-feed \
 *       --registry-key /etc/enlace/registry.public.jwk --port 8090 [--host 0.0.0.0]
 *
 * Each option falls back to an environment variable (ENLACE_NATS_URL, ENLACE_NATS_USER,
 * ENLACE_NATS_PASS, ENLACE_FEED_DATA, ENLACE_REGISTRY_PUBLIC_KEY, ENLACE_FEED_HOST,
 * ENLACE_FEED_PORT). Prints the API's URL once it listens; SIGINT or SIGTERM stop it cleanly
 * (every feed stops after the record it is delivering; nothing unacknowledged is lost).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { createFeedApp } from './app/create-feed-app.js';
import type { FeedApp } from './app/create-feed-app.js';
import { FeedError } from './errors.js';

const USAGE = `usage: enlace-feed --nats <url> --data <dir> --registry-key <file> [--port <n>] [--host <addr>]
  --nats <url>          NATS server(s), comma-separated          (env ENLACE_NATS_URL)
  --nats-user <name>    NATS user (the feed service's own)        (env ENLACE_NATS_USER)
  --nats-pass <pass>    NATS password                             (env ENLACE_NATS_PASS)
  --data <dir>          matching index and last registry snapshot (env ENLACE_FEED_DATA)
  --registry-key <file> the registry's public JWK, pinned         (env ENLACE_REGISTRY_PUBLIC_KEY)
  --host <addr>         HTTP listen address, default 127.0.0.1    (env ENLACE_FEED_HOST)
  --port <n>            HTTP port, default 8090; 0 = any free     (env ENLACE_FEED_PORT)
`;

class UsageError extends Error {}

async function options(argv: readonly string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      nats: { type: 'string' },
      'nats-user': { type: 'string' },
      'nats-pass': { type: 'string' },
      data: { type: 'string' },
      'registry-key': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return undefined;
  const pick = (value: string | undefined, name: string): string | undefined =>
    value ?? (env[name] === '' ? undefined : env[name]);
  const required = (value: string | undefined, flag: string, name: string): string => {
    const v = pick(value, name);
    if (v === undefined) throw new UsageError(`--${flag} (or ${name}) is required`);
    return v;
  };
  const natsUrl = required(values.nats, 'nats', 'ENLACE_NATS_URL');
  const dataDir = required(values.data, 'data', 'ENLACE_FEED_DATA');
  const keyFile = required(values['registry-key'], 'registry-key', 'ENLACE_REGISTRY_PUBLIC_KEY');
  let registryPublicJwk: Record<string, unknown>;
  try {
    registryPublicJwk = JSON.parse(await readFile(keyFile, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`cannot read the registry public key ${keyFile}: ${(error as Error).message}`);
  }
  const portText = pick(values.port, 'ENLACE_FEED_PORT') ?? '8090';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    throw new UsageError(`--port must be a port number from 0 to 65535 (got "${portText}")`);
  const natsUser = pick(values['nats-user'], 'ENLACE_NATS_USER');
  const natsPass = pick(values['nats-pass'], 'ENLACE_NATS_PASS');
  const host = pick(values.host, 'ENLACE_FEED_HOST');
  return {
    natsUrl,
    dataDir,
    registryPublicJwk,
    port: Number(portText),
    logger: ['error', 'warn'] as ('error' | 'warn')[],
    ...(natsUser !== undefined && { natsUser }),
    ...(natsPass !== undefined && { natsPass }),
    ...(host !== undefined && { host }),
  };
}

async function run(): Promise<number> {
  let opts;
  try {
    opts = await options(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`enlace-feed: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (opts === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  let app: FeedApp;
  try {
    app = await createFeedApp(opts);
  } catch (error) {
    const code = error instanceof FeedError ? `${error.code}: ` : '';
    process.stderr.write(`enlace-feed: cannot start: ${code}${(error as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`enlace feed service listening on ${app.url} (API docs: ${app.url}/docs)\n`);
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
    process.stderr.write(`enlace-feed: unclean shutdown: ${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await run();
