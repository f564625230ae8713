/**
 * The whole registry in one call: connects to NATS, opens the core (KV state, audit stream,
 * registry key in `dataDir`), applies the seeds of `seedsDir` when given, and starts the HTTP API
 * and the NATS request/reply handlers, which share the core's connection. `close()` stops all of
 * it, in reverse order: the API (HTTP, then the RPC handlers), the core, then the connection.
 */
import { connectServiceNats, natsCheck, writableDirectoryCheck } from '@enlace/service-kit';
import type { ServiceAppOptions } from '@enlace/service-kit';

import type { RegistryService } from '../domain/service.js';
import { openRegistryCore } from '../registry.js';
import type { RegistryCore } from '../registry.js';
import { applySeeds } from '../seeds/seed-loader.js';
import type { SeedReport } from '../seeds/seed-loader.js';
import { startRegistryApi } from './registry-api.js';
import type { RegistryApi } from './registry-api.js';

export interface CreateRegistryAppOptions extends ServiceAppOptions {
  /** Where the registry key lives (created on first start). */
  readonly dataDir: string;
  /** Seed directory (countries.yaml, networks.yaml, ...): entries the registry lacks are created. */
  readonly seedsDir?: string;
  /** The time commands default to (tests). */
  readonly clock?: () => Date;
}

export interface RegistryApp {
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly service: RegistryService;
  /** The registry's public key, for nodes to pin. */
  readonly registryKey: { readonly kid: string; readonly publicJwk: Readonly<Record<string, unknown>> };
  /** What the seeds did, when seedsDir was given. */
  readonly seeds?: SeedReport;
  close(): Promise<void>;
}

export async function createRegistryApp(options: CreateRegistryAppOptions): Promise<RegistryApp> {
  const link = await connectServiceNats(options, { name: 'enlace-registry' });
  const nc = link.nc;
  let core: RegistryCore | undefined;
  let api: RegistryApi | undefined;
  try {
    core = await openRegistryCore({
      nc,
      dataDir: options.dataDir,
      ...(options.clock !== undefined && { clock: options.clock }),
    });
    const seeds =
      options.seedsDir === undefined ? undefined : await applySeeds(core.service, options.seedsDir);
    api = await startRegistryApi({
      service: core.service,
      registryKey: core.registryKey,
      // One connection for the core and the RPC handlers; the API leaves it open on close.
      nats: { connection: nc },
      ...(options.host !== undefined && { host: options.host }),
      ...(options.port !== undefined && { port: options.port }),
      ...(options.logger !== undefined && { logger: options.logger }),
      health: () => (nc.isClosed() ? 'its NATS connection is closed' : undefined),
      readiness: [natsCheck(link), writableDirectoryCheck(options.dataDir)],
    });
    const started = { core, api };
    let closing: Promise<void> | undefined;
    return {
      url: api.url,
      service: core.service,
      registryKey: core.registryKey,
      ...(seeds !== undefined && { seeds }),
      close() {
        closing ??= (async () => {
          await started.api.close();
          await started.core.close();
          // Draining needs the server's answer: without a server (Ctrl-C on `npm start` stops
          // nats-server too) it would wait out the reconnect attempts, so it just closes then.
          await link.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await api?.close().catch(() => undefined);
    await core?.close().catch(() => undefined);
    await nc.close().catch(() => undefined);
    await link.close();
    throw error;
  }
}
