/**
 * @enlace/service-kit: what every Enlace Nest service shares. The bearer guard with its role
 * table and the check of registry tokens for each service's own audience, the one error shape
 * and filter, body limits, the HTTP app and its logger, the main with graceful drain, NATS
 * connect, prom-client metrics and terminus readiness.
 */
export {
  ACCESS_METADATA,
  Authenticated,
  BEARER_AUTH,
  BEARER_SCHEME,
  BearerGuard,
  Public,
  Roles,
  parseBearer,
  routeOf,
} from './bearer-guard.js';
export type {
  Access,
  AuthenticatedRequest,
  BearerAuth,
  BearerHeader,
  Refusal,
  VerifiedToken,
} from './bearer-guard.js';
export { createTokenVerifier } from './token-verifier.js';
export type { TokenVerifierOptions } from './token-verifier.js';
export { ServiceErrorFilter, isBodyParserError, sendError, toServiceError } from './error-filter.js';
export type { BodyParserError } from './error-filter.js';
export {
  READINESS_CHECKS,
  ReadinessController,
  natsCheck,
  registryRevisionCheck,
  serviceReadiness,
  writableDirectoryCheck,
} from './health.js';
export type { ReadinessCheck } from './health.js';
export { LOG_LEVEL_ENV, createServiceLogger, logLevelFromEnv, logLevelOf } from './logging.js';
export type { ServiceLogLevel, ServiceLogger, ServiceLoggerOptions } from './logging.js';
export { METRICS_REGISTRY, MetricsController, createMetricsRegistry } from './metrics.js';
export type { MetricsRegistryOptions } from './metrics.js';
export {
  NatsConnectError,
  connectNats,
  connectServiceNats,
  natsServers,
  settlesWithin,
  watchNats,
} from './nats-connect.js';
export type { ConnectNatsOptions, NatsLink, ServiceNatsOptions } from './nats-connect.js';
export {
  NATS_REQUEST_ID_HEADER,
  REQUEST_ID_HEADER,
  currentRequestId,
  requestIdFrom,
  requestIdHeaders,
  requestIdMiddleware,
  requestIdOf,
} from './request-id.js';
export type { ServiceRequest } from './request-id.js';
export { UsageError, commonUsage, runService } from './run-service.js';
export type { CommonOptions, OptionReader, ServiceMainOptions, ServiceProcess } from './run-service.js';
export { ERROR_RESPONSE_SCHEMA, createServiceApp, listenService, serviceLoggerFor } from './service-app.js';
export type {
  BodyErrorRequest,
  CreateServiceAppOptions,
  ServiceApp,
  ServiceAppOptions,
} from './service-app.js';
export { SERVICE_ERROR_STATUS, ServiceError, serviceError } from './service-error.js';
export type {
  ErrorBody,
  ErrorJson,
  FieldViolation,
  ServiceErrorCode,
  ServiceErrorOptions,
} from './service-error.js';
export { ServiceAppModule, ServiceKitModule } from './service-kit.module.js';
export type { ServiceKitModuleOptions, ServiceParts } from './service-kit.module.js';
export { CONSOLE_CSP, ConsoleController, ConsoleModule } from './console/console.module.js';
export type { ConsoleApp, ConsoleModuleOptions } from './console/console.module.js';
export {
  CONSOLE_HEADER,
  CONSOLE_SESSIONS,
  ConsoleSessions,
  LINK_TTL_MS,
  SESSION_TTL_MS,
  consoleCookieName,
  cookieOf,
} from './console/console-sessions.js';
export type { SessionLookup } from './console/console-sessions.js';
