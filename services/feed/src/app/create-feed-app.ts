/**
 * The feed service in one call: connects to NATS, makes sure the Enlace streams and the feeds
 * stream exist, loads the registry's signed state, opens the feed definitions and the matching
 * index, starts every feed's runner and the digest indexer, and serves the HTTP API (OpenAPI at
 * /docs). `close()` stops all of it, in reverse order.
 */
import 'reflect-metadata';

import { mkdir } from 'node:fs/promises';

import { SERVICE_AUDIENCES, TrustState, timeRuleFromEnv } from '@enlace/trust';
import type { TimeRule } from '@enlace/trust';
import {
  connectServiceNats,
  createMetricsRegistry,
  createTokenVerifier,
  ConsoleModule,
  createServiceApp,
  listenService,
  serviceLoggerFor,
  serviceReadiness,
} from '@enlace/service-kit';
import type { ServiceAppOptions } from '@enlace/service-kit';
import { ALERTS_STREAM, FEED_INBOX_PREFIX, ensureEnlaceStreams } from '@enlace/transport';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

import { FeedAudit } from '../audit/feed-audit.js';
import { FeedError } from '../errors.js';
import { CollectionStore } from '../collections/collection-store.js';
import { AlertVerifier } from '../feeds/alert-verifier.js';
import { FeedManager } from '../feeds/feed-manager.js';
import { FeedReader } from '../feeds/feed-reader.js';
import { FeedsController } from '../feeds/feeds.controller.js';
import { FeedRepository } from '../feeds/feed-repository.js';
import { analystAccess, readerOf } from '../http/analyst-access.js';
import { basicCredentialsAsBearer } from '../http/basic-credentials.js';
import type { FeedContext } from '../http/feed-context.js';
import { HealthController } from '../http/health.controller.js';
import { MatchController } from '../http/match.controller.js';
import { FEED_CONTEXT } from '../http/tokens.js';
import { DigestIndexer } from '../indexing/digest-indexer.js';
import { registerFeedMetrics } from '../metrics/feed-metrics.js';
import { MispController } from '../misp/misp.controller.js';
import { TaxiiController } from '../taxii/taxii.controller.js';
import { ensureFeedsStream } from '../sinks/nats-sink.js';
import { FeedRateLimits } from '../http/rate-limit.js';
import { feedSecuritySettings } from './feed-settings.js';
import type { FeedSecurityOptions } from './feed-settings.js';

/** Largest request body: a match query of 100,000 digests in hex is about 6.7 MB. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * `fileRoot`, `webhookAllow` and `limits` (FeedSecurityOptions) fall back to the environment
 * (ENLACE_FEED_FILE_ROOT, ENLACE_FEED_WEBHOOK_ALLOW, ENLACE_FEED_READERS_PER_TOKEN, ...: see
 * feed-settings.ts), then to the defaults: file sinks under `<dataDir>/files/<CC>/`, webhooks to
 * public https:// hosts only.
 */
export interface CreateFeedAppOptions extends ServiceAppOptions, FeedSecurityOptions {
  /** Where the matching index and the last verified registry snapshot live. */
  readonly dataDir: string;
  /** The registry's public Ed25519 JWK, pinned. */
  readonly registryPublicJwk: Readonly<Record<string, unknown>>;
  /** Refetch the registry snapshot this often even without events (default 30 s). */
  readonly registryPollMs?: number;
  /** Bounds of issued_at around the time JetStream stored an alert; default timeRuleFromEnv(). */
  readonly timeRule?: TimeRule;
}

export interface FeedApp {
  readonly url: string;
  readonly port: number;
  readonly manager: FeedManager;
  readonly indexer: DigestIndexer;
  readonly trust: TrustState;
  /** Each feed's TAXII collection and MISP feed. */
  readonly collections: CollectionStore;
  readonly nc: NatsConnection;
  /** Root of file sinks: country CC's feeds write under `<fileRoot>/<CC>/<directory>`. */
  readonly fileRoot: string;
  close(): Promise<void>;
}

export async function createFeedApp(options: CreateFeedAppOptions): Promise<FeedApp> {
  const logs = serviceLoggerFor('enlace-feed', options.logger);
  const logger = logs.nest;
  const settings = feedSecuritySettings(options, options.dataDir);
  const timeRule = options.timeRule ?? timeRuleFromEnv();
  await mkdir(options.dataDir, { recursive: true });
  await mkdir(settings.sinks.fileRoot, { recursive: true, mode: 0o700 });
  const link = await connectServiceNats(options, {
    name: 'enlace-feed',
    maxReconnectAttempts: -1,
    // Replies on the feed service's own inboxes, which its NATS user alone may read.
    inboxPrefix: FEED_INBOX_PREFIX,
  });
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
    const verifier = new AlertVerifier(trust, timeRule);
    const repository = await FeedRepository.open(nc);
    const audit = new FeedAudit(js, (error) => warn('audit record not written', error));
    const collections = CollectionStore.open(options.dataDir);
    cleanup.push(() => collections.close());
    const manager = new FeedManager({
      audit,
      js,
      jsm,
      repository,
      verifier,
      sinkPolicy: settings.sinks,
      onWarning: warn,
      // Each delivered alert joins its feed's TAXII collection and MISP feed (idempotent). One
      // that STIX cannot express is left out, with a warning, rather than stall the feed; a
      // store that cannot write has the alert redelivered.
      onDelivering: ({ feed, verified, at }) => {
        try {
          collections.append(feed, { alert: verified.alert, body: verified.body }, at);
        } catch (error) {
          if (!(error instanceof FeedError && error.code === 'ERR_VALIDATION')) throw error;
          warn(
            `feed ${feed.id}: alert ${verified.alert.header?.id ?? '?'} left out of its TAXII collection`,
            error,
          );
        }
      },
      onDeleted: (feed) => collections.deleteFeed(feed.id),
      context: () => {
        const view = trust.require();
        return {
          networks: new Set(view.snapshot.policy.networks.map((n) => n.id)),
          countries: new Set(view.snapshot.policy.countries.map((c) => c.code)),
          now: new Date(),
          sinks: settings.sinks,
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
          () => indexer.match(body, readerOf(actor)),
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
      limits: new FeedRateLimits(settings.limits),
      collections,
    };
    const metrics = createMetricsRegistry();
    registerFeedMetrics(metrics, {
      feeds: () => manager.counts(),
      indexedDigests: () => indexer.size,
      registryRevision: () => trust.current()?.revision,
    });
    const { app } = await createServiceApp(
      {
        controllers: [FeedsController, MatchController, HealthController, TaxiiController, MispController],
        imports: [ConsoleModule.register({ app: 'fiu' })],
        providers: [{ provide: FEED_CONTEXT, useValue: context }],
        kit: {
          service: 'feed service',
          // The registry's tokens for the feed service, checked with the pinned registry key and
          // refused once the snapshot in force revokes them (change events bring it within a second).
          auth: analystAccess(
            createTokenVerifier({
              registryPublicJwk: options.registryPublicJwk,
              audience: SERVICE_AUDIENCES.feed,
              revocations: () => trust.current()?.tokenRevoked,
            }),
          ),
          metrics,
          readiness: serviceReadiness({
            nats: link,
            revision: () => trust.current()?.revision,
            dataDir: options.dataDir,
          }),
        },
      },
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
    // TAXII clients and MISP often send only Basic credentials: the token is the password.
    app.use(basicCredentialsAsBearer);
    const { url, port } = await listenService(app, options.port, options.host);
    return {
      url,
      port,
      manager,
      indexer,
      trust,
      collections,
      nc,
      fileRoot: settings.sinks.fileRoot,
      close: undo,
    };
  } catch (error) {
    await undo();
    throw error;
  }
}
