/**
 * Errors of the registry. Each has a stable code, the HTTP status it maps to, and, for bad input,
 * the field paths at fault (`countries[3].names.fr`, `publicJwk.crv`).
 */
export const REGISTRY_ERROR_STATUS = {
  ERR_VALIDATION: 400,
  ERR_UNAUTHENTICATED: 401,
  ERR_FORBIDDEN: 403,
  ERR_NOT_FOUND: 404,
  ERR_UNKNOWN_COUNTRY: 404,
  ERR_UNKNOWN_NETWORK: 404,
  ERR_UNKNOWN_KEY: 404,
  ERR_ALREADY_EXISTS: 409,
  ERR_DUPLICATE_KID: 409,
  ERR_KEY_VALIDITY_OVERLAP: 409,
  ERR_INVALID_TRANSITION: 409,
  ERR_CONFLICT: 409,
  ERR_KEY_COUNTRY_MISMATCH: 422,
  ERR_SEED_INVALID: 422,
  /** A signed snapshot or change event that does not verify with the pinned registry key. */
  ERR_SIGNATURE_INVALID: 422,
  /** A snapshot that is not a well-formed registry snapshot (bad JWS, JSON or content). */
  ERR_SNAPSHOT_INVALID: 422,
  /** A change event that is not a well-formed SignedRegistryEvent. */
  ERR_EVENT_INVALID: 422,
  ERR_UNAVAILABLE: 503,
} as const;

export type RegistryErrorCode = keyof typeof REGISTRY_ERROR_STATUS;

export interface FieldViolation {
  /** Path of the field at fault, e.g. "publicJwk.crv" or "countries[3].names.fr"; "" for the whole input. */
  readonly path: string;
  /** Stable code of the violation, e.g. "required", "invalid_country", "too_small". */
  readonly code: string;
  readonly message: string;
}

export class RegistryError extends Error {
  readonly code: RegistryErrorCode;
  readonly status: number;
  readonly violations: readonly FieldViolation[];

  constructor(
    code: RegistryErrorCode,
    message: string,
    options?: { violations?: readonly FieldViolation[]; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RegistryError';
    this.code = code;
    this.status = REGISTRY_ERROR_STATUS[code];
    this.violations = options?.violations ?? [];
  }

  /** The JSON body of an HTTP error response and of an RPC error. */
  toJSON(): { code: RegistryErrorCode; message: string; violations: readonly FieldViolation[] } {
    return { code: this.code, message: this.message, violations: this.violations };
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
