/**
 * The registry's side of bearer tokens (whose format is @enlace/trust's): verification as the
 * registry's guard wants it, every refusal a RegistryError with the trust core's code and
 * message, so the registry's error shape and audit trail stay its own.
 */
import { createTokenVerifier } from '@enlace/service-kit';
import { SERVICE_AUDIENCES, TrustError } from '@enlace/trust';
import type { Actor } from '@enlace/trust';

import { REGISTRY_ERROR_STATUS, RegistryError } from '../domain/errors.js';
import type { RegistryErrorCode } from '../domain/errors.js';
import type { RegistryService } from '../domain/service.js';

/** A TrustError as the registry's own error (same code when the registry has it). */
export function toRegistryError(error: TrustError): RegistryError {
  const code: RegistryErrorCode = Object.hasOwn(REGISTRY_ERROR_STATUS, error.code)
    ? (error.code as RegistryErrorCode)
    : 'ERR_VALIDATION';
  return new RegistryError(code, error.message, { violations: error.violations, cause: error });
}

/**
 * The service kit's token check for the registry: its own audience (`enlace-registry`) only, and
 * not revoked in its current state. Throws RegistryError ERR_UNAUTHENTICATED saying why.
 */
export function registryTokenVerifier(
  publicJwk: Readonly<Record<string, unknown>>,
  service: Pick<RegistryService, 'tokenRevoked'>,
): (token: string) => Promise<Actor> {
  const verify = createTokenVerifier({
    registryPublicJwk: publicJwk,
    audience: SERVICE_AUDIENCES.registry,
    revocations: () => service.tokenRevoked(),
  });
  return async (token) => {
    try {
      return await verify(token);
    } catch (error) {
      throw error instanceof TrustError ? toRegistryError(error) : error;
    }
  };
}
