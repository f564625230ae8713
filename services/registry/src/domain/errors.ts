/**
 * Errors of the registry. Each has a stable code, the HTTP status it maps to, and, for bad input,
 * the field paths at fault (`countries[3].names.fr`, `publicJwk.crv`).
 */
import { SERVICE_ERROR_STATUS, ServiceError } from '@enlace/service-kit';
import type { FieldViolation } from '@enlace/service-kit';

/** The kit's codes (validation, authentication, not found, conflict, ...) and the registry's own. */
export const REGISTRY_ERROR_STATUS = {
  ...SERVICE_ERROR_STATUS,
  ERR_UNKNOWN_COUNTRY: 404,
  ERR_UNKNOWN_NETWORK: 404,
  ERR_UNKNOWN_KEY: 404,
  ERR_ALREADY_EXISTS: 409,
  ERR_DUPLICATE_KID: 409,
  ERR_KEY_VALIDITY_OVERLAP: 409,
  ERR_INVALID_TRANSITION: 409,
  ERR_KEY_COUNTRY_MISMATCH: 422,
  ERR_SEED_INVALID: 422,
  /** A signed snapshot or change event that does not verify with the pinned registry key. */
  ERR_SIGNATURE_INVALID: 422,
  /** A snapshot that is not a well-formed registry snapshot (bad JWS, JSON or content). */
  ERR_SNAPSHOT_INVALID: 422,
  /** A change event that is not a well-formed SignedRegistryEvent. */
  ERR_EVENT_INVALID: 422,
} as const;

export type RegistryErrorCode = keyof typeof REGISTRY_ERROR_STATUS;

export type { FieldViolation };

/** The registry's error: its HTTP status from REGISTRY_ERROR_STATUS, answered in the kit's one shape. */
export class RegistryError extends ServiceError<RegistryErrorCode> {
  constructor(
    code: RegistryErrorCode,
    message: string,
    options?: { violations?: readonly FieldViolation[]; cause?: unknown },
  ) {
    super(code, REGISTRY_ERROR_STATUS[code], message, options);
    this.name = 'RegistryError';
  }
}

/**
 * A refusal that points at one field of the input: `code` with one violation at `path`, whose
 * own code is the error code in lower case without `ERR_` (ERR_UNKNOWN_NETWORK at `network` →
 * `{ path: 'network', code: 'unknown_network' }`). Core refusals carry their field this way, so
 * every client (HTTP, RPC, CLI) names the field at fault.
 */
export function fieldRefusal(
  code: RegistryErrorCode,
  path: string,
  message: string,
  options?: { cause?: unknown },
): RegistryError {
  return new RegistryError(code, message, {
    violations: [{ path, code: code.replace(/^ERR_/, '').toLowerCase(), message }],
    ...(options?.cause !== undefined && { cause: options.cause }),
  });
}
