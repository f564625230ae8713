/**
 * The registry's side of bearer tokens (whose format is @enlace/trust's): verification as the
 * registry's guard wants it, every refusal a RegistryError with the trust core's code and
 * message, so the registry's error shape and audit trail stay its own.
 */
import { TrustError, verifyToken as verifyTrustToken } from '@enlace/trust';
import type { Actor, VerifyTokenOptions } from '@enlace/trust';

import { REGISTRY_ERROR_STATUS, RegistryError } from '../domain/errors.js';
import type { RegistryErrorCode } from '../domain/errors.js';

/** A TrustError as the registry's own error (same code when the registry has it). */
export function toRegistryError(error: TrustError): RegistryError {
  const code: RegistryErrorCode = Object.hasOwn(REGISTRY_ERROR_STATUS, error.code)
    ? (error.code as RegistryErrorCode)
    : 'ERR_VALIDATION';
  return new RegistryError(code, error.message, { violations: error.violations, cause: error });
}

/** verifyToken of @enlace/trust; throws RegistryError ERR_UNAUTHENTICATED saying why. */
export async function verifyToken(
  token: string,
  publicJwk: Readonly<Record<string, unknown>>,
  options: VerifyTokenOptions = {},
): Promise<Actor> {
  try {
    return await verifyTrustToken(token, publicJwk, options);
  } catch (error) {
    throw error instanceof TrustError ? toRegistryError(error) : error;
  }
}
