/**
 * Errors of the trust core: one class with a stable `code` from a closed union (STYLE.md 4).
 * Registry refusals rebuilt from an RPC answer keep the registry's code when it is one of these.
 */
export const TRUST_ERROR_CODES = [
  /** Bad input: the pinned registry key, token options, an RPC request the registry refused. */
  'ERR_VALIDATION',
  /** A bearer token that is missing, expired, for another audience or not signed by the registry. */
  'ERR_UNAUTHENTICATED',
  'ERR_FORBIDDEN',
  /** A signed snapshot or change event that does not verify with the pinned registry key. */
  'ERR_SIGNATURE_INVALID',
  /** Not a well-formed registry snapshot (bad JWS, JSON or content). */
  'ERR_SNAPSHOT_INVALID',
  /** Not a well-formed SignedRegistryEvent. */
  'ERR_EVENT_INVALID',
  /** A signed envelope (receipt, request) refused; `reason` is the stable rejection reason. */
  'ERR_ENVELOPE_REJECTED',
  'ERR_NOT_FOUND',
  'ERR_UNKNOWN_KEY',
  'ERR_UNKNOWN_COUNTRY',
  'ERR_UNKNOWN_NETWORK',
  /** No verified snapshot yet, or the registry does not answer. */
  'ERR_UNAVAILABLE',
  'ERR_INTERNAL',
] as const;

export type TrustErrorCode = (typeof TRUST_ERROR_CODES)[number];

export interface FieldViolation {
  /** Path of the field at fault, e.g. "publicJwk.crv"; "" for the whole input. */
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

export interface TrustErrorOptions {
  readonly violations?: readonly FieldViolation[];
  readonly cause?: unknown;
}

export function isTrustErrorCode(value: unknown): value is TrustErrorCode {
  return typeof value === 'string' && (TRUST_ERROR_CODES as readonly string[]).includes(value);
}

export class TrustError extends Error {
  readonly code: TrustErrorCode;
  readonly violations: readonly FieldViolation[];

  constructor(code: TrustErrorCode, message: string, options?: TrustErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TrustError';
    this.code = code;
    this.violations = options?.violations ?? [];
  }

  toJSON(): { code: TrustErrorCode; message: string; violations: readonly FieldViolation[] } {
    return { code: this.code, message: this.message, violations: this.violations };
  }
}
