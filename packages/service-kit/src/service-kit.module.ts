/**
 * What every service's root module imports (ServiceAppModule builds it): the bearer guard with the service's BearerAuth, the
 * one error filter, the console's sign-in sessions, GET /metrics on the service's own prom-client Registry, and readiness
 * (GET /health/ready, /health/live) through @nestjs/terminus.
 */
import { Module } from '@nestjs/common';
import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import type { Registry } from 'prom-client';

import { BEARER_AUTH, BearerGuard } from './bearer-guard.js';
import { CONSOLE_SESSIONS, ConsoleSessions } from './console/console-sessions.js';
import type { BearerAuth, VerifiedToken } from './bearer-guard.js';
import { ServiceErrorFilter } from './error-filter.js';
import { READINESS_CHECKS, ReadinessController } from './health.js';
import type { ReadinessCheck } from './health.js';
import { METRICS_REGISTRY, MetricsController } from './metrics.js';

export interface ServiceKitModuleOptions {
  /** How the service names itself in a 500 ("the node log has the details"). */
  readonly service: string;
  // The service's verified token type is its own; the guard only reads id, roles and country.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly auth: BearerAuth<any, unknown>;
  readonly metrics: Registry;
  readonly readiness: readonly ReadinessCheck[];
}

@Module({})
export class ServiceKitModule {
  static register(options: ServiceKitModuleOptions): DynamicModule {
    return {
      module: ServiceKitModule,
      // Global: the console module (when a service registers it) uses the auth and the sessions.
      global: true,
      // Failed checks are answered (503 with the report), not logged as errors on every probe.
      imports: [TerminusModule.forRoot({ logger: false })],
      controllers: [MetricsController, ReadinessController],
      providers: [
        { provide: BEARER_AUTH, useValue: options.auth as BearerAuth<VerifiedToken, unknown> },
        { provide: METRICS_REGISTRY, useValue: options.metrics },
        { provide: READINESS_CHECKS, useValue: options.readiness },
        { provide: APP_GUARD, useClass: BearerGuard },
        { provide: APP_FILTER, useValue: new ServiceErrorFilter(options.service) },
        // Console sign-ins of this service (empty in a service that serves no console).
        { provide: CONSOLE_SESSIONS, useValue: new ConsoleSessions() },
      ],
      exports: [BEARER_AUTH, CONSOLE_SESSIONS],
    };
  }
}

/** What a service brings to its application: its own controllers and the providers they inject. */
export interface ServiceParts {
  readonly kit: ServiceKitModuleOptions;
  readonly controllers: readonly Type<unknown>[];
  readonly providers?: readonly Provider[];
  /** Feature modules of the service, if it has any. */
  readonly imports?: NonNullable<DynamicModule['imports']>;
}

/** The root module of a service's application: the kit, and the service's own parts. */
@Module({})
export class ServiceAppModule {
  static register(parts: ServiceParts): DynamicModule {
    return {
      module: ServiceAppModule,
      imports: [ServiceKitModule.register(parts.kit), ...(parts.imports ?? [])],
      controllers: [...parts.controllers],
      providers: [...(parts.providers ?? [])],
    };
  }
}
