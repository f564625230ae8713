/**
 * Starts the registry's API on a RegistryService: the HTTP server (express) with its OpenAPI
 * document at /docs (JSON at /docs-json), and the NATS request/reply handlers as a Nest hybrid
 * application on the built-in NATS transport with the protobuf serializer.
 */
import 'reflect-metadata';

import type { INestApplication, LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { MicroserviceOptions } from '@nestjs/microservices';
import type { NatsConnection } from '@nats-io/transport-node';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { SwaggerModule } from '@nestjs/swagger';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { RegistryService } from '../domain/service.js';
import { createOpenApiDocument } from '../http/openapi.js';
import { isBodyParserError, sendJson, toErrorResponse } from '../http/registry-error.filter.js';
import type { RegistryRequest } from '../http/request-context.js';
import { requestIdMiddleware, requestIdOf } from '../http/request-context.js';
import type { HealthProbe, RegistryPublicKey } from '../http/tokens.js';
import { ProtobufReplySerializer, ProtobufRequestDeserializer } from '../rpc/protobuf-codec.js';
import { RPC_REQUEST_CODECS } from '../rpc/registry-rpc.controller.js';
import { RegistryRpcServer } from '../rpc/registry-rpc.server.js';
import { RegistryAppModule } from './registry-app.module.js';

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
  /** Nest logger: false (silent), log levels, or a LoggerService. Default: warnings and errors. */
  readonly logger?: false | LoggerService | LogLevel[];
  /** Why the registry cannot serve, if it cannot (GET /health answers 503 then). */
  readonly health?: HealthProbe;
}

export interface RegistryApi {
  readonly app: INestApplication;
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  close(): Promise<void>;
}

export async function startRegistryApi(options: RegistryApiOptions): Promise<RegistryApi> {
  const host = options.host ?? '127.0.0.1';
  const app = await NestFactory.create<NestExpressApplication>(
    RegistryAppModule.register({
      service: options.service,
      registryKey: options.registryKey,
      health: options.health,
    }),
    new ExpressAdapter(),
    { logger: options.logger ?? ['error', 'warn'], bodyParser: false, abortOnError: false },
  );
  app.disable('x-powered-by');
  app.use(requestIdMiddleware);
  app.useBodyParser('json', { limit: MAX_BODY_BYTES, strict: false });
  // body-parser errors (malformed JSON, too large) happen before any route. A request that cannot
  // be read still goes through routing and the AuthGuard; the RejectionAuditInterceptor then
  // raises its error with the caller known: a stranger gets 401, and an administrator's refused
  // command is audited. Anything else is answered here, in the API's error shape.
  app.use((error: unknown, req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    if (error === undefined || error === null) {
      next();
      return;
    }
    const request = req as RegistryRequest;
    const { status, body } = toErrorResponse(error, requestIdOf(request), request);
    if (isBodyParserError(error) && status >= 400 && status < 500) {
      request.bodyError = error;
      next();
      return;
    }
    sendJson(res, status, body);
  });

  const document = createOpenApiDocument(app);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });

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
  try {
    await app.startAllMicroservices();
    await app.listen(options.port ?? 0, host);
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  const address = app.getHttpServer().address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
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
