/**
 * The whole registry in one call: connects to NATS, opens the core (KV state, audit stream,
 * registry key in `dataDir`), applies the seeds of `seedsDir` when given, and starts the HTTP API
 * and the NATS request/reply handlers, which share the core's connection. `close()` stops all of
 * it, in reverse order: the API (HTTP, then the RPC handlers), the core, then the connection.
 */
import { connect } from '@nats-io/transport-node';
import type { NatsConnection, Status } from '@nats-io/transport-node';
import type { LoggerService, LogLevel } from '@nestjs/common';

import { RegistryError } from '../domain/errors.js';
import type { RegistryService } from '../domain/service.js';
import { openRegistryCore } from '../registry-service.js';
import type { RegistryCore } from '../registry-service.js';
import { applySeeds } from '../seeds/seed-loader.js';
import type { SeedReport } from '../seeds/seed-loader.js';
import { startRegistryApi } from './registry-api.js';
import type { RegistryApi } from './registry-api.js';

export interface CreateRegistryAppOptions {
  /** e.g. nats://127.0.0.1:4222 (several: comma-separated). */
  readonly natsUrl: string;
  readonly natsUser?: string;
  readonly natsPass?: string;
  /** Where the registry key lives (created on first start). */
  readonly dataDir: string;
  /** HTTP listen address; default 127.0.0.1. */
  readonly host?: string;
  /** HTTP port; 0 (default) picks a free one. */
  readonly port?: number;
  /** Seed directory (countries.yaml, networks.yaml, ...): entries the registry lacks are created. */
  readonly seedsDir?: string;
  /** Nest logger: false (silent), log levels, or a LoggerService. Default: warnings and errors. */
  readonly logger?: false | LoggerService | LogLevel[];
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
  const servers = options.natsUrl
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers,
      name: 'enlace-registry',
      ...(options.natsUser !== undefined && { user: options.natsUser }),
      ...(options.natsPass !== undefined && { pass: options.natsPass }),
    });
  } catch (cause) {
    throw new RegistryError(
      'ERR_UNAVAILABLE',
      `cannot connect to NATS at ${options.natsUrl}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const link = watchLink(nc);
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
          // nats-server too) it would wait out the reconnect attempts, so just close then.
          if (link.connected()) await nc.drain().catch(() => nc.close());
          else await nc.close();
          link.stop();
        })();
        return closing;
      },
    };
  } catch (error) {
    await api?.close().catch(() => undefined);
    await core?.close().catch(() => undefined);
    await nc.close().catch(() => undefined);
    link.stop();
    throw error;
  }
}

/** Follows whether `nc` is connected right now (it reconnects by itself after a disconnect). */
function watchLink(nc: NatsConnection): { connected(): boolean; stop(): void } {
  let connected = true;
  const statuses = nc.status() as AsyncIterable<Status> & { stop?: () => void };
  void (async () => {
    for await (const status of statuses) {
      if (status.type === 'disconnect') connected = false;
      else if (status.type === 'reconnect') connected = true;
    }
  })().catch(() => undefined);
  return {
    connected: () => connected && !nc.isClosed(),
    stop: () => statuses.stop?.(),
  };
}
