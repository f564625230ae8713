/**
 * Who may call a route. Every route of the registry API declares its access with one of these
 * decorators; the AuthGuard enforces it and the OpenAPI document shows it. A route without one
 * requires a valid token (fail closed).
 */
import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiResponse } from '@nestjs/swagger';

import type { TokenRole } from '../domain/model.js';

export const ACCESS_METADATA = 'enlace:registry:access';
/** Name of the bearer security scheme in the OpenAPI document. */
export const BEARER_SCHEME = 'registry-token';

/** `public`: no token; `token`: any valid token; a role list: a valid token holding one of them. */
export type Access =
  | { readonly kind: 'public' }
  | { readonly kind: 'token' }
  | { readonly kind: 'roles'; readonly roles: readonly TokenRole[] };

const errorRef = { $ref: '#/components/schemas/ErrorResponse' };

/** No token needed. */
export function Public(): MethodDecorator & ClassDecorator {
  return SetMetadata(ACCESS_METADATA, { kind: 'public' } satisfies Access);
}

/** Any valid registry token. */
export function Authenticated(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, { kind: 'token' } satisfies Access),
    ApiBearerAuth(BEARER_SCHEME),
    ApiResponse({
      status: 401,
      description: 'ERR_UNAUTHENTICATED: missing, invalid or expired token',
      schema: errorRef,
    }),
  );
}

/** A valid registry token holding at least one of `roles`. */
export function Roles(...roles: TokenRole[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_METADATA, { kind: 'roles', roles } satisfies Access),
    ApiBearerAuth(BEARER_SCHEME),
    ApiResponse({
      status: 401,
      description: 'ERR_UNAUTHENTICATED: missing, invalid or expired token',
      schema: errorRef,
    }),
    ApiResponse({
      status: 403,
      description: `ERR_FORBIDDEN: the token lacks the role ${roles.join(' or ')}`,
      schema: errorRef,
    }),
  );
}
