/**
 * Who may call a registry route: the service kit's declarations, with the registry's role names.
 * Every route declares its access with one of them; the kit's bearer guard enforces it and the
 * OpenAPI document shows it. A route without one requires a valid token (fail closed).
 */
import { Roles as KitRoles } from '@enlace/service-kit';

import type { TokenRole } from '../domain/model.js';

export { Authenticated, BEARER_SCHEME, Public } from '@enlace/service-kit';

/** A valid registry token holding at least one of `roles`. */
export function Roles(...roles: TokenRole[]): MethodDecorator & ClassDecorator {
  return KitRoles(...roles);
}
