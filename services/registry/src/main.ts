/**
 * Entry point of the registry service:
 *
 *   node services/registry/dist/main.js --nats nats://127.0.0.1:4222 --data /var/lib/enlace-registry \
 *       --port 8080 [--host 0.0.0.0] [--seeds seeds/registry]
 *
 * Each option falls back to an environment variable (ENLACE_NATS_URL, ENLACE_NATS_USER,
 * ENLACE_NATS_PASS, ENLACE_REGISTRY_DATA, ENLACE_REGISTRY_HOST, ENLACE_REGISTRY_PORT,
 * ENLACE_REGISTRY_SEEDS). Prints the API's URL once it listens; SIGINT or SIGTERM drain it (HTTP,
 * NATS handlers, state watch, connection) before it exits.
 */
import { runService } from '@enlace/service-kit';

import { createRegistryApp } from './app/create-registry-app.js';
import type { RegistryApp } from './app/create-registry-app.js';

const USAGE = `usage: enlace-registry --nats <url> --data <dir> [--port <n>] [--host <addr>] [--seeds <dir>]
  --data <dir>          registry data directory (its key)         (env ENLACE_REGISTRY_DATA)
  --seeds <dir>         seed directory to apply at start          (env ENLACE_REGISTRY_SEEDS)
`;

/** What the seeds did, in one line. */
function seedsLine(seeds: NonNullable<RegistryApp['seeds']>): string {
  const created = Object.entries(seeds.created)
    .filter(([, n]) => n > 0)
    .map(([part, n]) => `${n} ${part}`);
  return (
    `seeds applied: ${created.length === 0 ? 'nothing new' : `created ${created.join(', ')}`}` +
    (seeds.differing.length > 0 ? `; ${seeds.differing.length} entries differ and were left as they are` : '')
  );
}

process.exitCode = await runService({
  service: 'registry',
  usage: USAGE,
  defaultPort: 8080,
  flags: { data: { type: 'string' }, seeds: { type: 'string' } },
  options(read) {
    const seedsDir = read.optional('seeds', 'ENLACE_REGISTRY_SEEDS');
    return {
      ...read.common,
      dataDir: read.required('data', 'ENLACE_REGISTRY_DATA'),
      ...(seedsDir !== undefined && { seedsDir }),
    };
  },
  start: createRegistryApp,
  started: (app) =>
    (app.seeds === undefined ? '' : `${seedsLine(app.seeds)}\n`) +
    `enlace registry listening on ${app.url} (registry key ${app.registryKey.kid})`,
});
