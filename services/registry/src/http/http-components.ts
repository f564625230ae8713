/**
 * What makes up the registry's HTTP API: its controllers, and the global AuthGuard, error
 * filter and audit of refused commands. The root module (app/registry-app.module.ts) provides the RegistryService and the
 * registry key they inject.
 */
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';

import { AuthGuard } from '../auth/auth.guard.js';
import { CountriesController, NetworksController } from './countries.controller.js';
import { KeysController } from './keys.controller.js';
import { FocalPointsController, MembershipsController } from './memberships.controller.js';
import { PolicyController } from './policy.controller.js';
import { PublicController } from './public.controller.js';
import { RegistryErrorFilter } from './registry-error.filter.js';
import { RejectionAuditInterceptor } from './rejection-audit.interceptor.js';

export const HTTP_CONTROLLERS = [
  PublicController,
  CountriesController,
  NetworksController,
  MembershipsController,
  FocalPointsController,
  KeysController,
  PolicyController,
];

export const HTTP_PROVIDERS = [
  { provide: APP_GUARD, useClass: AuthGuard },
  { provide: APP_FILTER, useClass: RegistryErrorFilter },
  { provide: APP_INTERCEPTOR, useClass: RejectionAuditInterceptor },
];
