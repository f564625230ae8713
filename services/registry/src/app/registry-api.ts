/**
 * Starts the registry's API on a RegistryService: the HTTP server (express) with its OpenAPI
 * document at /docs (JSON at /docs-json), and the NATS request/reply handlers as a Nest hybrid
 * application on the built-in NATS transport with the protobuf serializer.
 */
import 'reflect-metadata';

import {
  createMetricsRegistry,
  createServiceApp,
  listenService,
  registryRevisionCheck,
} from '@enlace/service-kit';
import type { ReadinessCheck } from '@enlace/service-kit';
import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { Gauge } from 'prom-client';

import { registryAccess } from '../auth/registry-access.js';
import { registryTokenVerifier } from '../auth/registry-token.js';
import type { RegistryService } from '../domain/service.js';
import { createOpenApiDocument } from '../http/openapi.js';
import type { HealthProbe, RegistryPublicKey } from '../http/tokens.js';
import { ProtobufReplySerializer, ProtobufRequestDeserializer } from '../rpc/protobuf-codec.js';
import { RPC_REQUEST_CODECS } from '../rpc/registry-rpc.controller.js';
import { RegistryRpcServer } from '../rpc/registry-rpc.server.js';
import { registryParts } from './registry-parts.js';

/** NATS queue group of the RPC subscriptions: several registries share the requests. */
export const RPC_QUEUE_GROUP = 'enlace-registry';
/** Largest request body the API reads. */
export const MAX_BODY_BYTES = 256 * 1024;

export interface RegistryApiOptions {
  readonly service: RegistryService;
  readonly registryKey: RegistryPublicKey;
  /**
   * Where the RPC handlers listen: a connection of the caller's to share (it stays open when the
   * API closes), or servers to open one of the API's own.
   */
  readonly nats:
    | { readonly servers: readonly string[]; readonly user?: string; readonly pass?: string }
    | { readonly connection: NatsConnection };
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 0: a free port. */
  readonly port?: number;
  /**
   * Nest logger: false (silent), log levels, or a LoggerService. Default: JSON lines at
   * ENLACE_LOG_LEVEL (default info).
   */
  readonly logger?: false | LoggerService | LogLevel[];
  /** Why the registry cannot serve, if it cannot (GET /health answers 503 then). */
  readonly health?: HealthProbe;
  /** Checks of GET /health/ready besides the registry revision (NATS, the data directory). */
  readonly readiness?: readonly ReadinessCheck[];
}

export interface RegistryApi {
  readonly app: INestApplication;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  close(): Promise<void>;
}

export async function startRegistryApi(options: RegistryApiOptions): Promise<RegistryApi> {
  const metrics = createMetricsRegistry();
  new Gauge({
    name: 'enlace_registry_revision',
    help: 'Revision of the registry state.',
    registers: [metrics],
    collect() {
      this.set(options.service.revision());
    },
  });
  const { app } = await createServiceApp(
    registryParts(
      { service: options.service, registryKey: options.registryKey, health: options.health },
      {
        service: 'registry',
        // Tokens for the registry, checked with its own key and its own revocation list; every
        // refusal is audited.
        auth: registryAccess(
          options.service,
          registryTokenVerifier(options.registryKey.publicJwk, options.service),
        ),
        metrics,
        readiness: [registryRevisionCheck(() => options.service.revision()), ...(options.readiness ?? [])],
      },
    ),
    {
      logName: 'enlace-registry',
      service: 'registry',
      maxBodyBytes: MAX_BODY_BYTES,
      // A request that cannot be read still goes through routing and the bearer guard; the
      // RejectionAuditInterceptor then raises its error with the caller known: a stranger gets
      // 401, and an administrator's refused command is audited.
      deferBodyErrors: true,
      logger: options.logger,
      openapi: createOpenApiDocument,
      docsYaml: true,
    },
  );

  const nats = options.nats;
  const shared = 'connection' in nats ? nats.connection : undefined;
  const rpc = new RegistryRpcServer(
    {
      ...('servers' in nats && {
        servers: [...nats.servers],
        ...(nats.user !== undefined && { user: nats.user }),
        ...(nats.pass !== undefined && { pass: nats.pass }),
      }),
      name: 'enlace-registry-rpc',
      queue: RPC_QUEUE_GROUP,
      serializer: new ProtobufReplySerializer(),
      deserializer: new ProtobufRequestDeserializer(RPC_REQUEST_CODECS),
      gracefulShutdown: true,
      gracePeriod: 100,
    },
    shared,
  );
  app.connectMicroservice<MicroserviceOptions>({ strategy: rpc }, { inheritAppConfig: true });
  let url: string;
  try {
    await app.startAllMicroservices();
    ({ url } = await listenService(app, options.port, options.host));
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  let closed = false;
  return {
    app,
    url,
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
    },
  };
}
