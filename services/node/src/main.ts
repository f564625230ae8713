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
 * listens; SIGINT or SIGTERM drain it (consumer, HTTP, store, connection) before it exits.
 */
import { UsageError, runService } from '@enlace/service-kit';

import { createNodeApp } from './app/create-node-app.js';

const USAGE = `usage: enlace-node --country <CC> --nats <url> --data <dir> --keys <dir> --registry-key <file> [--port <n>] [--host <addr>]
  --country <CC>        the country this node serves            (env ENLACE_NODE_COUNTRY)
  --data <dir>          alert store and last registry snapshot    (env ENLACE_NODE_DATA)
  --keys <dir>          the country's <kid>.private.jwk files     (env ENLACE_NODE_KEYS)
  --registry-key <file> the registry's public JWK, pinned         (env ENLACE_REGISTRY_PUBLIC_KEY)
  --store-sync <mode>   normal (default) or full: fsync per alert (env ENLACE_NODE_STORE_SYNC)
  --inbound-concurrency <n>  inbound messages handled at once, default 128 (env ENLACE_NODE_INBOUND_CONCURRENCY)
`;

process.exitCode = await runService({
  service: 'node',
  usage: USAGE,
  defaultPort: 8081,
  flags: {
    country: { type: 'string' },
    data: { type: 'string' },
    keys: { type: 'string' },
    'registry-key': { type: 'string' },
    'store-sync': { type: 'string' },
    'inbound-concurrency': { type: 'string' },
  },
  async options(read) {
    const country = read.required('country', 'ENLACE_NODE_COUNTRY').toUpperCase();
    const storeSync = read.optional('store-sync', 'ENLACE_NODE_STORE_SYNC');
    if (storeSync !== undefined && storeSync !== 'normal' && storeSync !== 'full')
      throw new UsageError(`--store-sync must be normal or full (got "${storeSync}")`);
    const concurrency = read.optional('inbound-concurrency', 'ENLACE_NODE_INBOUND_CONCURRENCY');
    if (concurrency !== undefined && (!/^\d{1,4}$/.test(concurrency) || Number(concurrency) < 1))
      throw new UsageError(`--inbound-concurrency must be a number from 1 to 9999 (got "${concurrency}")`);
    return {
      ...read.common,
      country,
      dataDir: read.required('data', 'ENLACE_NODE_DATA'),
      keysDir: read.required('keys', 'ENLACE_NODE_KEYS'),
      registryPublicJwk: await read.jsonFile('registry-key', 'ENLACE_REGISTRY_PUBLIC_KEY'),
      ...(storeSync !== undefined && { storeSync: storeSync as 'normal' | 'full' }),
      ...(concurrency !== undefined && { inboundConcurrency: Number(concurrency) }),
    };
  },
  start: createNodeApp,
  started: (app) => `enlace node ${app.country} listening on ${app.url} (API docs: ${app.url}/docs)`,
});
