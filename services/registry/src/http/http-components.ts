/**
 * What makes up the registry's HTTP API: its controllers, each in its aggregate's folder (the
 * public routes here; glossary and audit reads in the policy's, as the OpenAPI document names
 * them), and the global audit of refused commands (the bearer guard and error filter come from
 * the service kit). registryParts (app/registry-parts.ts) provides the RegistryService and the
 * registry key they inject.
 */
import { APP_INTERCEPTOR } from '@nestjs/core';

import { CountriesController } from '../countries/countries.controller.js';
import { FocalPointsController } from '../focal-points/focal-points.controller.js';
import { KeysController } from '../keys/keys.controller.js';
import { MembershipsController } from '../memberships/memberships.controller.js';
import { NetworksController } from '../networks/networks.controller.js';
import { PolicyController } from '../policy/policy.controller.js';
import { TokensController } from '../tokens/tokens.controller.js';
import { PublicController } from './public.controller.js';
import { RejectionAuditInterceptor } from './rejection-audit.interceptor.js';

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
