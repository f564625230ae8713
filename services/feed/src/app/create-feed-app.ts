/**
 * The feed service in one call: connects to NATS, makes sure the Enlace streams and the feeds
 * stream exist, loads the registry's signed state, opens the feed definitions and the matching
 * index, starts every feed's runner and the digest indexer, and serves the HTTP API (OpenAPI at
 * /docs). `close()` stops all of it, in reverse order.
 */
import 'reflect-metadata';

import { mkdir } from 'node:fs/promises';

import { TrustState } from '@enlace/node';
import { verifyToken } from '@enlace/registry/auth';
import {
  connectNats,
  createMetricsRegistry,
  createServiceApp,
  listenService,
  natsCheck,
  registryRevisionCheck,
  serviceLoggerFor,
  writableDirectoryCheck,
} from '@enlace/service-kit';
import type { NatsLink } from '@enlace/service-kit';
import { ALERTS_STREAM, FEED_INBOX_PREFIX, ensureEnlaceStreams } from '@enlace/transport';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Authenticator, NatsConnection } from '@nats-io/transport-node';
import type { LoggerService, LogLevel } from '@nestjs/common';

import { FeedAudit } from '../audit/feed-audit.js';
import { FeedError } from '../errors.js';
import { AlertVerifier } from '../feeds/alert-verifier.js';
import { FeedManager } from '../feeds/feed-manager.js';
import { FeedReader } from '../feeds/feed-reader.js';
import { FeedRepository } from '../feeds/feed-repository.js';
import { analystAccess } from '../http/analyst-access.js';
import type { FeedContext } from '../http/feed-context.js';
import { DigestIndexer } from '../indexing/digest-indexer.js';
import { registerFeedMetrics } from '../metrics/feed-metrics.js';
import { ensureFeedsStream } from '../sinks/nats-sink.js';
import { FeedAppModule } from './feed-app.module.js';

/** Largest request body: a match query of 100,000 digests in hex is about 6.7 MB. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface CreateFeedAppOptions {
  /** e.g. nats://127.0.0.1:4222 (several: comma-separated). */
  readonly natsUrl: string;
  readonly natsUser?: string;
  readonly natsPass?: string;
  /** Authenticates the NATS connection (nkey, JWT), instead of or besides user and password. */
  readonly natsAuthenticator?: Authenticator | Authenticator[];
  /** Where the matching index and the last verified registry snapshot live. */
  readonly dataDir: string;
  /** The registry's public Ed25519 JWK, pinned. */
  readonly registryPublicJwk: Readonly<Record<string, unknown>>;
  /** HTTP listen address; default 127.0.0.1. */
  readonly host?: string;
  /** HTTP port; 0 (default) picks a free one. */
  readonly port?: number;
  /**
   * Nest logger: false (silent), log levels, or a LoggerService. Default: JSON lines at
   * ENLACE_LOG_LEVEL (default info).
   */
  readonly logger?: false | LoggerService | LogLevel[];
  /** Refetch the registry snapshot this often even without events (default 30 s). */
  readonly registryPollMs?: number;
}

export interface FeedApp {
  readonly url: string;
  readonly port: number;
  readonly manager: FeedManager;
  readonly indexer: DigestIndexer;
  readonly trust: TrustState;
  readonly nc: NatsConnection;
  close(): Promise<void>;
}

export async function createFeedApp(options: CreateFeedAppOptions): Promise<FeedApp> {
  const logs = serviceLoggerFor('enlace-feed', options.logger);
  const logger = logs.nest;
  await mkdir(options.dataDir, { recursive: true });
  let link: NatsLink;
  try {
    link = await connectNats({
      url: options.natsUrl,
      name: 'enlace-feed',
      maxReconnectAttempts: -1,
      // Replies on the feed service's own inboxes, which its NATS user alone may read.
      inboxPrefix: FEED_INBOX_PREFIX,
      user: options.natsUser,
      pass: options.natsPass,
      ...(options.natsAuthenticator !== undefined && { authenticator: options.natsAuthenticator }),
    });
  } catch (cause) {
    throw new FeedError('ERR_UNAVAILABLE', (cause as Error).message, { cause });
  }
  const nc = link.nc;
  const cleanup: Array<() => Promise<unknown> | void> = [() => link.close()];
  const undo = async (): Promise<void> => {
    for (const step of cleanup.reverse()) {
      try {
        await step();
      } catch (error) {
        logger.warn(`while closing: ${(error as Error).message}`);
      }
    }
  };
  const warn = (message: string, cause?: unknown): void =>
    logger.warn(`${message}${cause instanceof Error ? `: ${cause.message}` : ''}`);
  try {
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const haveAlerts = await jsm.streams.info(ALERTS_STREAM).then(
      () => true,
      () => false,
    );
    if (!haveAlerts) await ensureEnlaceStreams(jsm);
    await ensureFeedsStream(jsm);

    const trust = new TrustState({
      nc,
      dataDir: options.dataDir,
      registryPublicJwk: options.registryPublicJwk,
      ...(options.registryPollMs !== undefined && { pollIntervalMs: options.registryPollMs }),
      onWarning: warn,
    });
    await trust.start();
    cleanup.push(() => trust.close());
    const verifier = new AlertVerifier(trust);
    const repository = await FeedRepository.open(nc);
    const audit = new FeedAudit(js, (error) => warn('audit record not written', error));
    const manager = new FeedManager({
      audit,
      js,
      jsm,
      repository,
      verifier,
      onWarning: warn,
      context: () => {
        const view = trust.require();
        return {
          networks: new Set(view.snapshot.policy.networks.map((n) => n.id)),
          countries: new Set(view.snapshot.policy.countries.map((c) => c.code)),
          now: new Date(),
        };
      },
    });
    await manager.start();
    cleanup.push(() => manager.close());
    const indexer = await DigestIndexer.open({
      js,
      jsm,
      verifier,
      trust,
      dataDir: options.dataDir,
      onWarning: warn,
    });
    cleanup.push(() => indexer.close());

    const context: FeedContext = {
      manager,
      reader: new FeedReader({ js, jsm, verifier }),
      trust,
      match: (body, actor) =>
        audit.around(
          {
            actor: actor.id,
            ...(actor.country !== undefined && { country: actor.country }),
            action: 'match.query',
            entity: 'match',
            entityId: actor.country ?? 'all',
          },
          () => indexer.match(body, actor.country),
          // Counts only: the digests themselves are not written anywhere.
          (result) => ({
            keyId: result.keyId,
            queried: result.queried,
            matched: result.matched,
            alerts: [...new Set(result.hits.flatMap((h) => h.alerts.map((a) => a.alertId)))].length,
          }),
        ),
      indexedDigests: () => indexer.size,
      natsConnected: () => link.connected(),
    };
    const metrics = createMetricsRegistry();
    registerFeedMetrics(metrics, {
      feeds: () => manager.counts(),
      indexedDigests: () => indexer.size,
      registryRevision: () => trust.current()?.revision,
    });
    const { app } = await createServiceApp(
      FeedAppModule.register(context, {
        service: 'feed service',
        // The registry's tokens, checked with the pinned registry key.
        auth: analystAccess((token) => verifyToken(token, options.registryPublicJwk)),
        metrics,
        readiness: [
          natsCheck(link),
          registryRevisionCheck(() => trust.current()?.revision),
          writableDirectoryCheck(options.dataDir),
        ],
      }),
      {
        logName: 'enlace-feed',
        service: 'feed service',
        maxBodyBytes: MAX_BODY_BYTES,
        serviceLogger: logs,
        openapi: {
          title: 'Enlace feed service',
          description:
            'Durable, filtered, replayable feeds of verified alerts for financial intelligence units; ' +
            'hit/no-hit matching of keyed digests; STIX 2.1 export. Bearer tokens are issued by the registry.',
        },
      },
    );
    cleanup.push(() => app.close());
    const { url, port } = await listenService(app, options.port, options.host);
    return {
      url,
      port,
      manager,
      indexer,
      trust,
      nc,
      close: undo,
    };
  } catch (error) {
    await undo();
    throw error;
  }
}
