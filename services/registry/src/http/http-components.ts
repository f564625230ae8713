/**
 * What makes up the registry's HTTP API: its controllers and the global audit of refused
 * commands (the bearer guard and error filter come from the service kit). registryParts
 * (app/registry-parts.ts) provides the RegistryService and the registry key they inject.
 */
import { APP_INTERCEPTOR } from '@nestjs/core';

import { CountriesController, NetworksController } from './countries.controller.js';
import { KeysController } from './keys.controller.js';
import { FocalPointsController, MembershipsController } from './memberships.controller.js';
import { PolicyController } from './policy.controller.js';
import { PublicController } from './public.controller.js';
import { RejectionAuditInterceptor } from './rejection-audit.interceptor.js';
import { TokensController } from './tokens.controller.js';

export const HTTP_CONTROLLERS = [
  PublicController,
  CountriesController,
  NetworksController,
  MembershipsController,
  FocalPointsController,
  KeysController,
  TokensController,
  PolicyController,
];

export const HTTP_PROVIDERS = [{ provide: APP_INTERCEPTOR, useClass: RejectionAuditInterceptor }];
