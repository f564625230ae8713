/**
 * The HTTP application of a service: Nest on express with the kit's logger (pino), the request
 * id, JSON body parsing with the service's size limit (errors in the one shape), and its OpenAPI
 * document at /docs (JSON at /docs-json). `listenService` starts it and says where.
 */
import 'reflect-metadata';

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { LoggerService, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';

import { BEARER_SCHEME } from './bearer-guard.js';
import { sendError, toServiceError, isBodyParserError } from './error-filter.js';
import { createServiceLogger, logLevelFromEnv, logLevelOf } from './logging.js';
import type { ServiceLogger, ServiceLogLevel } from './logging.js';
import type { ServiceNatsOptions } from './nats-connect.js';
import { requestIdMiddleware } from './request-id.js';
import { ServiceAppModule } from './service-kit.module.js';
import type { ServiceParts } from './service-kit.module.js';
import type { ServiceRequest } from './request-id.js';

/** A request whose body could not be read, when the service defers that error (see deferBodyErrors). */
type SchemaObject = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string];

export interface BodyErrorRequest extends ServiceRequest {
  bodyError?: unknown;
}

export interface CreateServiceAppOptions {
  /** The `service` field of the logs, e.g. "enlace-node-MX". */
  readonly logName: string;
  /** How the service names itself in a 500 ("node", "feed service", "registry"). */
  readonly service: string;
  /** Largest JSON body read, in bytes. */
  readonly maxBodyBytes: number;
  /**
   * Keep a body-parser failure on `req.bodyError` and go on routing (so the guard answers a
   * stranger first and the service can audit the refusal), instead of answering it at once.
   */
  readonly deferBodyErrors?: boolean;
  /**
   * Nest logger: false (silent), log levels, or a LoggerService. Default: the kit's pino logger
   * at ENLACE_LOG_LEVEL (default info).
   */
  readonly logger?: false | LoggerService | LogLevel[] | undefined;
  /** The OpenAPI document: title and description, or a function that makes it. */
  readonly openapi:
    | { readonly title: string; readonly description: string }
    | ((app: NestExpressApplication) => OpenAPIObject);
  /** The logger serviceLoggerFor made, when the service made one before the app. */
  readonly serviceLogger?: ReturnType<typeof serviceLoggerFor>;
  /** Extra OpenAPI document routes (e.g. YAML). */
  readonly docsYaml?: boolean;
}

/** The OpenAPI schema of every error response (`#/components/schemas/ErrorResponse`). */
export const ERROR_RESPONSE_SCHEMA = {
  type: 'object',
  description: 'Every error of the API has this shape.',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'violations'],
      properties: {
        code: { type: 'string', example: 'ERR_VALIDATION', description: 'Stable error code' },
        message: { type: 'string', description: 'One line for people' },
        reason: { type: 'string', description: 'Policy reason or handling code, where one applies' },
        violations: {
          type: 'array',
          items: {
            type: 'object',
            required: ['path', 'code', 'message'],
            properties: {
              path: { type: 'string', description: 'Field at fault; "" for the whole body' },
              code: { type: 'string', example: 'required' },
              message: { type: 'string' },
            },
          },
        },
      },
    },
  },
} as const;

/** The options every service's create…App takes besides its own. */
export interface ServiceAppOptions extends ServiceNatsOptions {
  /** HTTP listen address; default 127.0.0.1. */
  readonly host?: string;
  /** HTTP port; 0 (default) picks a free one. */
  readonly port?: number;
  /**
   * Nest logger: false (silent), log levels, or a LoggerService. Default: JSON lines at
   * ENLACE_LOG_LEVEL (default info).
   */
  readonly logger?: false | LoggerService | LogLevel[];
}

export interface ServiceApp {
  readonly app: NestExpressApplication;
  readonly logger: ServiceLogger;
}

/** The pino level for a service's `logger` option. */
function levelOf(logger: CreateServiceAppOptions['logger']): ServiceLogLevel {
  if (logger === undefined || (typeof logger === 'object' && !Array.isArray(logger)))
    return logLevelFromEnv();
  return logLevelOf(logger as false | LogLevel[]);
}

/**
 * The logger of a service for its `logger` option: the kit's pino logger at the level the option
 * (or ENLACE_LOG_LEVEL) asks for, and the Nest logger to write with (the option's own
 * LoggerService when it is one). Make it first, so that what the service logs while it starts
 * goes the same way, and give it to createServiceApp.
 */
export function serviceLoggerFor(
  logName: string,
  logger: CreateServiceAppOptions['logger'],
  destination?: NodeJS.WritableStream,
): { readonly logger: ServiceLogger; readonly nest: LoggerService } {
  const service = createServiceLogger({
    service: logName,
    level: levelOf(logger),
    ...(destination !== undefined && { destination }),
  });
  const nest = logger !== undefined && logger !== false && !Array.isArray(logger) ? logger : service.nest;
  return { logger: service, nest };
}

/** The application of a service made of `parts` (its controllers and providers, on the kit). */
export async function createServiceApp(
  parts: ServiceParts,
  options: CreateServiceAppOptions,
): Promise<ServiceApp> {
  const { logger, nest: nestLogger } =
    options.serviceLogger ?? serviceLoggerFor(options.logName, options.logger);
  const app = await NestFactory.create<NestExpressApplication>(
    ServiceAppModule.register(parts),
    new ExpressAdapter(),
    {
      logger: nestLogger,
      bodyParser: false,
      abortOnError: false,
    },
  );
  app.disable('x-powered-by');
  app.use(requestIdMiddleware);
  app.use(logger.http);
  app.useBodyParser('json', { limit: options.maxBodyBytes, strict: false });
  // body-parser errors (malformed JSON, too large) happen before any route.
  app.use((error: unknown, req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    if (error === undefined || error === null) {
      next();
      return;
    }
    const request = req as BodyErrorRequest;
    const answer = toServiceError(error, options.service, request);
    if (options.deferBodyErrors === true && isBodyParserError(error) && answer.status < 500) {
      request.bodyError = error;
      next();
      return;
    }
    sendError(res, answer);
  });
  const openapi = options.openapi;
  const document =
    typeof openapi === 'function'
      ? openapi(app)
      : SwaggerModule.createDocument(
          app,
          new DocumentBuilder()
            .setTitle(openapi.title)
            .setDescription(openapi.description)
            .setVersion('1')
            .addBearerAuth(
              {
                type: 'http',
                scheme: 'bearer',
                bearerFormat: 'JWT',
                description: 'Registry token (EdDSA JWT)',
              },
              BEARER_SCHEME,
            )
            .build(),
        );
  document.components = {
    ...document.components,
    schemas: {
      ErrorResponse: ERROR_RESPONSE_SCHEMA as unknown as SchemaObject,
      ...document.components?.schemas,
    },
  };
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    ...(options.docsYaml === true && { yamlDocumentUrl: 'docs-yaml' }),
  });
  return { app, logger };
}

/** Listens on `host` (default 127.0.0.1) and `port` (default 0: any free); returns the base URL. */
export async function listenService(
  app: NestExpressApplication,
  port: number | undefined,
  host: string | undefined,
): Promise<{ url: string; port: number }> {
  const address = host ?? '127.0.0.1';
  await app.listen(port ?? 0, address);
  const bound = (app.getHttpServer() as { address(): AddressInfo }).address();
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${bound.port}`,
    port: bound.port,
  };
}
