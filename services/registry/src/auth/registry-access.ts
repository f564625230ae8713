/**
 * The registry API's role table for the service kit's bearer guard: any valid token by default,
 * the roles a route's @Roles() asks for otherwise, and every refusal (401 and 403) recorded in
 * the audit trail before it is answered. Tokens are checked by the `verify` function the app is
 * given (the registry's own key).
 */
import type { BearerAuth } from '@enlace/service-kit';

import type { Actor } from '../domain/model.js';
import type { RegistryService } from '../domain/service.js';

export function registryAccess(
  service: Pick<RegistryService, 'auditDenied'>,
  verify: (token: string) => Promise<Actor>,
): BearerAuth<Actor> {
  return {
    verify,
    defaultAccess: { kind: 'token' },
    onRefused: (refusal) =>
      service.auditDenied({
        actor: refusal.actor,
        ...(refusal.roles !== undefined && { roles: refusal.roles }),
        action: refusal.route,
        code: refusal.code,
        reason: refusal.reason,
        requestId: refusal.requestId,
      }),
  };
}
