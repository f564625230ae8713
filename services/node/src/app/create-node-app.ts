/**
 * A country node in one call: connects to NATS, makes sure the Enlace streams exist, loads the
 * country's private keys, opens the alert store, loads the registry's signed state, and starts
 * the HTTP API (OpenAPI at /docs) and the durable inbound consumers (one per network its country
 * belongs to, NetworkDurables; bilateral messages; receipts). `close()` stops all of it, in
 * reverse order.
 */
import 'reflect-metadata';

import { mkdir } from 'node:fs/promises';

import {
  ALERTS_STREAM,
  AUDIT_STREAM,
  NODE_DURABLE_LIMITS,
  consumeDurable,
  ensureEnlaceStreams,
  exponentialNakDelay,
  inboxPrefixOf,
} from '@enlace/transport';
import { membershipsAt, statusAt } from '@enlace/policy';
import {
  CONSENT_HEADER,
  REQUEST_MESSAGE_TYPE,
  REQUEST_TYPE_HEADER,
  SERVICE_AUDIENCES,
  storedTimeOf,
  timeRuleFromEnv,
} from '@enlace/trust';
import type { TimeRule } from '@enlace/trust';
import {
  ConsoleModule,
  connectServiceNats,
  createMetricsRegistry,
  createTokenVerifier,
  createServiceApp,
  listenService,
  serviceLoggerFor,
  serviceReadiness,
  settlesWithin,
} from '@enlace/service-kit';
import type { ServiceAppOptions } from '@enlace/service-kit';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { INestApplication, LoggerService } from '@nestjs/common';

import { AlertPublisher } from '../alerts/alert-publisher.js';
import { AlertEventsController } from '../alerts/alert-events.controller.js';
import { AlertsController } from '../alerts/alerts.controller.js';
import { NodeAudit } from '../audit/node-audit.js';
import { officerAccess } from '../auth/officer-access.js';
import { NodeError } from '../errors.js';
import { HealthController } from '../http/health.controller.js';
import type { NodeContext } from '../http/node-context.js';
import { NODE_CONTEXT } from '../http/tokens.js';
import { InboundAlerts } from '../inbound/inbound-alerts.js';
import { NetworkDurables } from '../inbound/network-durables.js';
import { loadNodeKeys } from '../keys/node-keys.js';
import { NodeMetrics } from '../metrics/node-metrics.js';
import { ReceiptExchange } from '../receipts/receipt-exchange.js';
import { RequestExchange } from '../requests/request-exchange.js';
import { RequestsController } from '../requests/requests.controller.js';
import { AlertStore } from '../store/alert-store.js';
import type { StoreSync } from '../store/alert-store.js';
import { RequestStore } from '../store/request-store.js';
import { TrustState } from '@enlace/trust';

/** Largest request body the API reads (drafts are far smaller). */
export const MAX_BODY_BYTES = 512 * 1024;

/** Inbound messages verified and stored at once, and pulled per request, by default. */
export const DEFAULT_INBOUND_CONCURRENCY = 128;

/** How often the node checks whether its own country's suspension began or ended. */
const SUSPENSION_CHECK_MS = 1_000;
/** How often copies of requests JetStream has not stored yet are published again. */
export const REQUEST_RETRY_MS = 5_000;

/** How long close() waits for each part (and the connection's drain) before cutting the connection. */
const CLOSE_STEP_TIMEOUT_MS = 5_000;

export interface CreateNodeAppOptions extends ServiceAppOptions {
  /** ISO 3166-1 alpha-2 code of the country this node serves, e.g. "MX". */
  readonly country: string;
  /** Where the alert store and the last verified registry snapshot live. */
  readonly dataDir: string;
  /** Holds the country's `<kid>.private.jwk` files (signing and encryption). */
  readonly keysDir: string;
  /** The registry's public Ed25519 JWK, pinned. */
  readonly registryPublicJwk: Readonly<Record<string, unknown>>;
  /** How the alert store commits (see StoreSync); default 'normal'. */
  readonly storeSync?: StoreSync;
  /**
   * Inbound messages verified and stored at once, which is also the most one pull asks for
   * (default DEFAULT_INBOUND_CONCURRENCY); the server keeps 4× that unacknowledged at most.
   */
  readonly inboundConcurrency?: number;
  /** Replicas of the streams when this node has to create them (default 1). */
  readonly streamReplicas?: 1 | 3;
  /** Refetch the registry snapshot this often even without events (default 30 s). */
  readonly registryPollMs?: number;
  /**
   * Durable consumer name (default `node-<CC>`); receipts and forwards use `<durable>-receipts`
   * and `<durable>-direct`, the names the per-country NATS permissions allow.
   */
  readonly durable?: string;
  /** How often pending copies of requests are published again (default REQUEST_RETRY_MS). */
  readonly requestRetryMs?: number;
  /**
   * Bounds of a signed message's issued_at around the time JetStream stored it (DESIGN.md trust
   * model 5); default timeRuleFromEnv() (ENLACE_MAX_CLOCK_SKEW_SECONDS, 120;
   * ENLACE_MAX_DELIVERY_DELAY_SECONDS, 86400).
   */
  readonly timeRule?: TimeRule;
}

/**
 * Creates the Enlace streams when they are missing (a development network); streams that exist
 * are left exactly as the operator made them (replicas, limits): a node never reconfigures them,
 * and a country's NATS user may not (DESIGN.md trust model 4).
 */
async function ensureStreams(
  jsm: JetStreamManager,
  replicas: 1 | 3 | undefined,
  logger: LoggerService,
): Promise<void> {
  const exists = async (name: string): Promise<boolean> =>
    jsm.streams.info(name).then(
      () => true,
      () => false,
    );
  if ((await exists(ALERTS_STREAM)) && (await exists(AUDIT_STREAM))) return;
  try {
    await ensureEnlaceStreams(jsm, replicas === undefined ? {} : { replicas });
  } catch (error) {
    if (!(await exists(ALERTS_STREAM))) throw error;
    logger.warn(`streams not created (${(error as Error).message}); using the existing ${ALERTS_STREAM}`);
  }
}

export interface NodeApp {
  readonly country: string;
  /** Base URL of the HTTP API, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly app: INestApplication;
  readonly context: NodeContext;
  close(): Promise<void>;
}

export async function createNodeApp(options: CreateNodeAppOptions): Promise<NodeApp> {
  const country = options.country;
  if (!/^[A-Z]{2}$/.test(country))
    throw new NodeError(
      'ERR_VALIDATION',
      `country must be an ISO 3166-1 alpha-2 code, got ${JSON.stringify(country)}`,
    );
  // Read before anything starts, so that a bad setting fails the start and names the variable.
  const timeRule = options.timeRule ?? timeRuleFromEnv();
  const logs = serviceLoggerFor(`enlace-node-${country}`, options.logger);
  const logger = logs.nest;
  const keys = await loadNodeKeys(options.keysDir, country);
  await mkdir(options.dataDir, { recursive: true });

  const link = await connectServiceNats(options, {
    name: `enlace-node-${country}`,
    maxReconnectAttempts: -1,
    // Replies come on _INBOX.node-<cc>.*, which only this country's NATS user may subscribe to.
    inboxPrefix: inboxPrefixOf(country),
  });
  const nc = link.nc;

  // Draining needs the server's answers: when the connection is down it closes at once.
  const cleanup: Array<() => Promise<unknown> | void> = [() => link.close(CLOSE_STEP_TIMEOUT_MS)];
  const undo = async (): Promise<void> => {
    // Without the server (stopped, or it removed this country's user on withdrawal) the consumers
    // and the connection would wait for answers that never come: close the connection first, so
    // that every step below fails fast instead.
    if (!link.connected()) await nc.close().catch(() => undefined);
    for (const step of cleanup.reverse()) {
      const done = await settlesWithin(Promise.resolve().then(step), CLOSE_STEP_TIMEOUT_MS);
      // Stuck anyway (the server went away meanwhile): cut the connection for the steps left.
      if (!done) await nc.close().catch(() => undefined);
    }
  };
  let onTrustChange = (): void => undefined;
  try {
    await ensureStreams(await jetstreamManager(nc), options.streamReplicas, logger);
    const js = jetstream(nc);
    const store = AlertStore.open(options.dataDir, { sync: options.storeSync ?? 'normal' });
    cleanup.push(() => store.close());
    // Requests, replies and consents: their own file, apart from the alert tables.
    const requestStore = RequestStore.open(options.dataDir, { sync: options.storeSync ?? 'normal' });
    cleanup.push(() => requestStore.close());
    const trust = new TrustState({
      nc,
      dataDir: options.dataDir,
      registryPublicJwk: options.registryPublicJwk,
      ...(options.registryPollMs !== undefined && { pollIntervalMs: options.registryPollMs }),
      onChange: () => onTrustChange(),
      onWarning: (message, cause) =>
        logger.warn(`${message}${cause instanceof Error ? `: ${cause.message}` : ''}`),
    });
    await trust.start();
    cleanup.push(() => trust.close());
    if (trust.current() === undefined)
      logger.warn(
        'no registry snapshot yet: inbound alerts wait and publishing answers 503 until one verifies',
      );

    const metricsRegistry = createMetricsRegistry();
    const metrics = new NodeMetrics({
      registry: metricsRegistry,
      country,
      gauges: () => ({ registryRevision: trust.current()?.revision, stored: store.counts() }),
      overdueRequests: () => requestStore.overdueCount(),
    });
    const audit = new NodeAudit(js, country, (error) =>
      logger.warn(`audit record not written: ${(error as Error).message}`),
    );
    // Records are written behind: what is queued goes out after everything that records has
    // stopped (cleanup runs in reverse), before the connection drains.
    cleanup.push(() => audit.close());
    const receipts = new ReceiptExchange({
      country,
      js,
      trust,
      store,
      audit,
      signing: keys.signing,
      timeRule,
      durable: `${options.durable ?? `node-${country}`}-receipts`,
      onError: (error) => logger.debug?.(`receipts: ${(error as Error).message}`),
      onSendError: (error) => logger.warn((error as Error).message),
    });
    const inbound = new InboundAlerts({
      country,
      trust,
      store,
      metrics,
      audit,
      encryptionKeys: keys.encryption,
      timeRule,
    });
    // Tell the origin that this country received each alert it stores.
    // (In batches, kept until JetStream stores them; sent before the connection drains on close.)
    inbound.onOutcome((event) => {
      if (event.outcome === 'stored' && event.alert.box === 'inbox') receipts.received(event.alert);
    });
    cleanup.push(() => receipts.flush());
    const publisher = new AlertPublisher({
      country,
      js,
      trust,
      store,
      keys,
      metrics,
      audit,
      consents: (alertId, to) => requestStore.consentFor(alertId, country, to),
    });
    const requests = new RequestExchange({
      country,
      js,
      trust,
      requests: requestStore,
      alerts: store,
      keys,
      metrics,
      audit,
      timeRule,
      // The sender learns, signed, that this country stored its request, and read it (as for alerts).
      onStored: (message) => receipts.received(message),
      sendReceipt: (target, status, officer) => receipts.send(target, status, officer),
    });
    // Copies of a request JetStream did not store (a send that partly failed, a node stopped
    // mid-send) are published again: now, and every REQUEST_RETRY_MS while the node runs.
    const retryRequests = (): void => {
      requests
        .retryPending()
        .catch((error: unknown) => logger.debug?.(`requests: ${(error as Error).message}`));
    };
    const requestRetry = setInterval(retryRequests, options.requestRetryMs ?? REQUEST_RETRY_MS);
    requestRetry.unref();
    cleanup.push(() => clearInterval(requestRetry));
    // Outbox rows waiting for their group commit are written before the store closes.
    cleanup.push(() => publisher.close());
    const context: NodeContext = {
      country,
      trust,
      store,
      metrics,
      publisher,
      inbound,
      receipts,
      requests,
      requestStore,
      natsConnected: () => link.connected(),
      pulling: () => (pulling.paused ? 'paused' : 'running'),
    };
    const pulling = { paused: false };

    const { app } = await createServiceApp(
      {
        controllers: [AlertsController, AlertEventsController, RequestsController, HealthController],
        imports: [ConsoleModule.register({ app: 'officer' })],
        providers: [{ provide: NODE_CONTEXT, useValue: context }],
        kit: {
          service: 'node',
          // The registry's tokens for nodes, checked with the pinned registry key and refused
          // once the snapshot in force revokes them (change events bring it within a second).
          auth: officerAccess(
            country,
            createTokenVerifier({
              registryPublicJwk: options.registryPublicJwk,
              audience: SERVICE_AUDIENCES.node,
              revocations: () => trust.current()?.tokenRevoked,
            }),
          ),
          metrics: metricsRegistry,
          readiness: serviceReadiness({
            nats: link,
            revision: () => trust.current()?.revision,
            dataDir: options.dataDir,
          }),
        },
      },
      {
        logName: `enlace-node-${country}`,
        service: 'node',
        maxBodyBytes: MAX_BODY_BYTES,
        serviceLogger: logs,
        openapi: {
          title: `Enlace country node (${country})`,
          description:
            'Publish signed alerts, read the inbox of verified alerts from other countries, fetch envelopes. ' +
            'Bearer tokens are issued by the registry.',
        },
      },
    );
    cleanup.push(() => app.close());

    // Alerts of the networks this country belongs to: one durable each, following the
    // memberships of the snapshot in force (a network joined is read once its durable exists).
    const networks = new NetworkDurables({
      country,
      js,
      inbound,
      concurrency: options.inboundConcurrency ?? DEFAULT_INBOUND_CONCURRENCY,
      ...(options.durable !== undefined && { prefix: options.durable }),
      onError: (error) => logger.debug?.(`inbound: ${(error as Error).message}`),
    });
    cleanup.push(() => networks.close());
    const networksNow = (): string[] => {
      const view = trust.current();
      if (view === undefined) return [];
      return membershipsAt(view.snapshot.policy, { country, at: new Date() }).map((m) => m.network);
    };
    await receipts.start();
    // Before the app (and the connection) close: cleanup runs in reverse order.
    cleanup.push(() => receipts.close());
    // What a previous run left pending (stopped mid-send) goes out now.
    retryRequests();
    // Alerts other countries pass on to this one (POST /v1/alerts/{id}/forward), checked alike,
    // and requests for information, replies and consents, told apart by `Enlace-Type: request`
    // (a SignedRequest and a SignedAlert have the same wire shape, so the header decides which
    // front end judges it; a mislabelled message fails that front end's checks as `malformed`).
    const startDirect = () =>
      consumeDurable(
        js,
        {
          stream: ALERTS_STREAM,
          durable: `${options.durable ?? `node-${country}`}-direct`,
          filterSubject: `enlace.v1.direct.${country}.*`,
          maxDeliver: NODE_DURABLE_LIMITS.maxDeliver,
          maxAckPending: NODE_DURABLE_LIMITS.otherMaxAckPending,
          nakDelay: exponentialNakDelay({ initialMs: 250, maxMs: 15_000 }),
          pullExpiresMs: 2_000,
          onError: (error) => logger.debug?.(`direct: ${(error as Error).message}`),
        },
        (msg) => {
          const delivery = {
            subject: msg.subject,
            data: msg.data,
            msgId: msg.headers?.get('Nats-Msg-Id') || undefined,
            streamSeq: msg.seq,
            storedAt: storedTimeOf(msg),
          };
          if (msg.headers?.get(REQUEST_TYPE_HEADER) === REQUEST_MESSAGE_TYPE)
            return requests.handle(delivery);
          const consent = msg.headers?.get(CONSENT_HEADER) || undefined;
          return inbound.handle({
            ...delivery,
            ...(consent !== undefined && { consent: Buffer.from(consent, 'base64url') }),
          });
        },
      );
    let direct = await startDirect();
    cleanup.push(() => direct.close());
    // While this country is suspended its NATS user may not pull (the server refuses each pull
    // and logs a violation): stop the three durables, and start them again on reinstatement.
    const pullers = [
      {
        name: 'inbound alerts',
        running: true,
        stop: () => networks.pause(),
        start: () => networks.resume(),
      },
      { name: 'receipts', running: true, stop: () => receipts.close(), start: () => receipts.start() },
      {
        name: 'forwards',
        running: true,
        stop: () => direct.close(),
        start: async () => {
          direct = await startDirect();
        },
      },
    ];
    let stopped = false;
    let syncing: Promise<void> = Promise.resolve();
    const syncPulling = (): Promise<void> => {
      syncing = syncing.then(async () => {
        if (stopped) return;
        const own = trust.current()?.snapshot.policy.countries.find((c) => c.code === country);
        const suspended = own !== undefined && statusAt(own, new Date()) === 'suspended';
        if (suspended !== pulling.paused)
          logger.warn(
            suspended
              ? `${country} is suspended in the registry: inbound paused until it is reinstated`
              : `${country} is no longer suspended: inbound resumed`,
          );
        pulling.paused = suspended;
        // A membership added or ended (a registry event refetched the snapshot).
        await networks.sync(networksNow());
        for (const puller of pullers) {
          if (puller.running !== suspended) continue;
          try {
            if (suspended) await puller.stop();
            else await puller.start();
            puller.running = !suspended;
          } catch (error) {
            // Tried again on the next check (the server may not have restored the rights yet).
            logger.debug?.(
              `${puller.name} not ${suspended ? 'paused' : 'resumed'}: ${(error as Error).message}`,
            );
          }
        }
      });
      return syncing;
    };
    onTrustChange = () => void syncPulling();
    const suspensionCheck = setInterval(() => void syncPulling(), SUSPENSION_CHECK_MS);
    suspensionCheck.unref();
    cleanup.push(async () => {
      stopped = true;
      clearInterval(suspensionCheck);
      await syncing;
    });
    await syncPulling();
    const { url } = await listenService(app, options.port, options.host);
    let closing: Promise<void> | undefined;
    return {
      country,
      url,
      app,
      context,
      close() {
        closing ??= undo();
        return closing;
      },
    };
  } catch (error) {
    await undo();
    throw error;
  }
}
