/**
 * Entry point of the feed service:
 *
 *   node services/feed/dist/main.js --nats nats://127.0.0.1:4222 --data /var/lib/enlace-feed \
 *       --registry-key /etc/enlace/registry.public.jwk --port 8090 [--host 0.0.0.0]
 *
 * Each option falls back to an environment variable (ENLACE_NATS_URL, ENLACE_NATS_USER,
 * ENLACE_NATS_PASS, ENLACE_FEED_DATA, ENLACE_REGISTRY_PUBLIC_KEY, ENLACE_FEED_HOST,
 * ENLACE_FEED_PORT). Prints the API's URL once it listens; SIGINT or SIGTERM drain it (every
 * feed stops after the record it is delivering; nothing unacknowledged is lost) before it exits.
 */
import { runService } from '@enlace/service-kit';

import { createFeedApp } from './app/create-feed-app.js';

const USAGE = `usage: enlace-feed --nats <url> --data <dir> --registry-key <file> [--port <n>] [--host <addr>]
  --data <dir>          matching index and last registry snapshot (env ENLACE_FEED_DATA)
  --registry-key <file> the registry's public JWK, pinned         (env ENLACE_REGISTRY_PUBLIC_KEY)
`;

process.exitCode = await runService({
  service: 'feed',
  defaultPort: 8090,
  usage: USAGE,
  flags: { data: { type: 'string' }, 'registry-key': { type: 'string' } },
  async options(read) {
    return {
      ...read.common,
      dataDir: read.required('data', 'ENLACE_FEED_DATA'),
      registryPublicJwk: await read.jsonFile('registry-key', 'ENLACE_REGISTRY_PUBLIC_KEY'),
    };
  },
  start: createFeedApp,
  started: (app) => `enlace feed service listening on ${app.url} (API docs: ${app.url}/docs)`,
});
