/**
 * Entry point of a country node:
 *
 *   node services/node/dist/main.js --country MX --nats nats://127.0.0.1:4222 \
 *       --data /var/lib/enlace-node-mx --keys /etc/enlace/keys/mx \
 *       --registry-key /etc/enlace/registry.public.jwk --port 8081 [--host 0.0.0.0]
 *
 * Each option falls back to an environment variable (ENLACE_NODE_COUNTRY, ENLACE_NATS_URL,
 * ENLACE_NATS_USER, ENLACE_NATS_PASS, ENLACE_NODE_DATA, ENLACE_NODE_KEYS,
 * ENLACE_REGISTRY_PUBLIC_KEY, ENLACE_NODE_HOST, ENLACE_NODE_PORT). Prints the API's URL once it
 * listens; SIGINT or SIGTERM shut it down cleanly (consumer, HTTP, store, connection).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

import { createNodeApp } from './app/create-node-app.js';
import type { NodeApp } from './app/create-node-app.js';
import { NodeError } from './errors.js';

const USAGE = `usage: enlace-node --country <CC> --nats <url> --data <dir> --keys <dir> --registry-key <file> [--port <n>] [--host <addr>]
  --country <CC>        the country this node serves            (env ENLACE_NODE_COUNTRY)
  --nats <url>          NATS server(s), comma-separated          (env ENLACE_NATS_URL)
  --nats-user <name>    NATS user                                 (env ENLACE_NATS_USER)
  --nats-pass <pass>    NATS password                             (env ENLACE_NATS_PASS)
  --data <dir>          alert store and last registry snapshot    (env ENLACE_NODE_DATA)
  --keys <dir>          the country's <kid>.private.jwk files     (env ENLACE_NODE_KEYS)
  --registry-key <file> the registry's public JWK, pinned         (env ENLACE_REGISTRY_PUBLIC_KEY)
  --host <addr>         HTTP listen address, default 127.0.0.1    (env ENLACE_NODE_HOST)
  --port <n>            HTTP port, default 8081; 0 = any free     (env ENLACE_NODE_PORT)
  --store-sync <mode>   normal (default) or full: fsync per alert (env ENLACE_NODE_STORE_SYNC)
  --inbound-concurrency <n>  inbound messages handled at once, default 128 (env ENLACE_NODE_INBOUND_CONCURRENCY)
`;

class UsageError extends Error {}

async function options(argv: readonly string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      country: { type: 'string' },
      nats: { type: 'string' },
      'nats-user': { type: 'string' },
      'nats-pass': { type: 'string' },
      data: { type: 'string' },
      keys: { type: 'string' },
      'registry-key': { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'store-sync': { type: 'string' },
      'inbound-concurrency': { type: 'string' },
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
  const country = required(values.country, 'country', 'ENLACE_NODE_COUNTRY').toUpperCase();
  const natsUrl = required(values.nats, 'nats', 'ENLACE_NATS_URL');
  const dataDir = required(values.data, 'data', 'ENLACE_NODE_DATA');
  const keysDir = required(values.keys, 'keys', 'ENLACE_NODE_KEYS');
  const keyFile = required(values['registry-key'], 'registry-key', 'ENLACE_REGISTRY_PUBLIC_KEY');
  let registryPublicJwk: Record<string, unknown>;
  try {
    registryPublicJwk = JSON.parse(await readFile(keyFile, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`cannot read the registry public key ${keyFile}: ${(error as Error).message}`);
  }
  const portText = pick(values.port, 'ENLACE_NODE_PORT') ?? '8081';
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    throw new UsageError(`--port must be a port number from 0 to 65535 (got "${portText}")`);
  const natsUser = pick(values['nats-user'], 'ENLACE_NATS_USER');
  const natsPass = pick(values['nats-pass'], 'ENLACE_NATS_PASS');
  const host = pick(values.host, 'ENLACE_NODE_HOST');
  const storeSync = pick(values['store-sync'], 'ENLACE_NODE_STORE_SYNC');
  if (storeSync !== undefined && storeSync !== 'normal' && storeSync !== 'full')
    throw new UsageError(`--store-sync must be normal or full (got "${storeSync}")`);
  const concurrencyText = pick(values['inbound-concurrency'], 'ENLACE_NODE_INBOUND_CONCURRENCY');
  if (concurrencyText !== undefined && (!/^\d{1,4}$/.test(concurrencyText) || Number(concurrencyText) < 1))
    throw new UsageError(`--inbound-concurrency must be a number from 1 to 9999 (got "${concurrencyText}")`);
  return {
    country,
    natsUrl,
    dataDir,
    keysDir,
    registryPublicJwk,
    port: Number(portText),
    logger: ['error', 'warn'] as ('error' | 'warn')[],
    ...(natsUser !== undefined && { natsUser }),
    ...(natsPass !== undefined && { natsPass }),
    ...(host !== undefined && { host }),
    ...(storeSync !== undefined && { storeSync: storeSync as 'normal' | 'full' }),
    ...(concurrencyText !== undefined && { inboundConcurrency: Number(concurrencyText) }),
  };
}

async function run(): Promise<number> {
  let opts;
  try {
    opts = await options(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`enlace-node: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (opts === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  let app: NodeApp;
  try {
    app = await createNodeApp(opts);
  } catch (error) {
    const code = error instanceof NodeError ? `${error.code}: ` : '';
    process.stderr.write(`enlace-node: cannot start: ${code}${(error as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`enlace node ${app.country} listening on ${app.url} (API docs: ${app.url}/docs)\n`);
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
    process.stderr.write(`enlace-node: unclean shutdown: ${(error as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await run();
