/**
 * What the registry brings to its application on the service kit (bearer guard with the
 * registry's role table and audit of refusals, error filter, metrics, readiness): the HTTP
 * controllers, the NATS RPC controller, and the RegistryService and registry key they are given.
 */
import { ConsoleModule } from '@enlace/service-kit';
import type { ServiceKitModuleOptions, ServiceParts } from '@enlace/service-kit';

import type { RegistryService } from '../domain/service.js';
import { HTTP_CONTROLLERS, HTTP_PROVIDERS } from '../http/http-components.js';
import { REGISTRY_HEALTH, REGISTRY_KEY, REGISTRY_SERVICE } from '../http/tokens.js';
import type { HealthProbe, RegistryPublicKey } from '../http/tokens.js';
import { RegistryRpcController } from '../rpc/registry-rpc.controller.js';

export function registryParts(
  deps: {
    service: RegistryService;
    registryKey: RegistryPublicKey;
    health?: HealthProbe | undefined;
  },
  kit: ServiceKitModuleOptions,
): ServiceParts {
  return {
    kit,
    controllers: [...HTTP_CONTROLLERS, RegistryRpcController],
    imports: [ConsoleModule.register({ app: 'administrator' })],
    providers: [
      { provide: REGISTRY_SERVICE, useValue: deps.service },
      {
        provide: REGISTRY_KEY,
        useValue: { kid: deps.registryKey.kid, publicJwk: deps.registryKey.publicJwk },
      },
      { provide: REGISTRY_HEALTH, useValue: deps.health ?? (() => undefined) },
      ...HTTP_PROVIDERS,
    ],
  };
}
