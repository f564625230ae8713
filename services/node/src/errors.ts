/**
 * Errors of the country node: one class with a stable `code` from a closed union and the HTTP
 * status it maps to. Policy refusals also carry the policy's own `reason` (e.g.
 * `origin_suspended`), the same string the policy package, metrics and the audit trail use.
 */
import { SERVICE_ERROR_STATUS, ServiceError } from '@enlace/service-kit';
import type { FieldViolation } from '@enlace/service-kit';

/** The kit's codes (validation, authentication, not found, too large, ...) and the node's own. */
export const NODE_ERROR_STATUS = {
  ...SERVICE_ERROR_STATUS,
  /** The registry policy refuses the publication; `reason` says why. */
  ERR_POLICY_DENIED: 403,
  /** The alert's handling code forbids it (H2: no onward dissemination). */
  ERR_HANDLING_RESTRICTED: 403,
  /**
   * A restricted alert (body encrypted to its recipients) cannot be passed to a country outside
   * them by anyone but its origin: the recipients and the JWE are inside the signed bytes, so a
   * forwarder adding one would break the origin's signature. The origin supersedes it instead.
   */
  ERR_RESTRICTED_FORWARD: 403,
  /** A recipient of a restricted alert has no valid encryption key in the registry. */
  ERR_NO_RECIPIENT_KEY: 422,
} as const;

export type NodeErrorCode = keyof typeof NODE_ERROR_STATUS;

export type { FieldViolation };

export interface NodeErrorOptions extends ErrorOptions {
  readonly violations?: readonly FieldViolation[];
  /** The policy reason of an ERR_POLICY_DENIED or the handling code of ERR_HANDLING_RESTRICTED. */
  readonly reason?: string;
}

/** The node's error: its HTTP status from NODE_ERROR_STATUS, answered in the kit's one shape. */
export class NodeError extends ServiceError<NodeErrorCode> {
  constructor(code: NodeErrorCode, message: string, options: NodeErrorOptions = {}) {
    super(code, NODE_ERROR_STATUS[code], message, options);
    this.name = 'NodeError';
  }
}
