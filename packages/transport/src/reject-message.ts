/**
 * RejectMessage: a handler's verdict that a message can never be processed (forged, malformed,
 * from a suspended origin, ...). The consumer terminates it, so JetStream never redelivers it,
 * and reports it to `onRejected` with the stable reason code that metrics and the audit trail
 * use. A handler may throw it or return it.
 *
 * It extends Nest's RpcException only so that it passes through Nest's exception filters
 * unchanged: the default filter replaces any other error by a generic "Internal server error"
 * before the transport sees it, which would turn a rejection into a retry.
 */
import { RpcException } from '@nestjs/microservices';

/**
 * Why a receiving node refuses a message (DESIGN.md trust model 3; issue 4). The same strings
 * appear in metrics labels, the audit stream and the node's API.
 */
export const REJECTION_REASONS = [
  'malformed',
  'subject_mismatch',
  'unknown_key',
  'revoked_key',
  'expired_key',
  'bad_signature',
  // DESIGN.md trust model 5: issued_at after the broker's stored time plus the clock skew, or
  // before it by more than the delivery delay.
  'issued_in_future',
  'backdated',
  'origin_not_member',
  'origin_suspended',
  'kind_not_allowed',
  'not_recipient',
  'duplicate',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export class RejectMessage extends RpcException {
  readonly code = 'ERR_MESSAGE_REJECTED';
  readonly reason: RejectionReason;

  constructor(reason: RejectionReason, message?: string, options?: ErrorOptions) {
    if (!(REJECTION_REASONS as readonly string[]).includes(reason)) {
      throw new TypeError(`unknown rejection reason ${JSON.stringify(reason)}`);
    }
    super(message ?? reason);
    this.name = 'RejectMessage';
    this.reason = reason;
    if (options?.cause !== undefined) this.cause = options.cause;
  }

  /** Nest's exception filter rethrows what this returns: the rejection itself, so it survives. */
  override getError(): this {
    return this;
  }
}

/** Whether `value` is a RejectMessage (also across duplicate copies of this package). */
export function isRejectMessage(value: unknown): value is RejectMessage {
  return (
    value instanceof RejectMessage ||
    (value instanceof Error &&
      (value as { code?: unknown }).code === 'ERR_MESSAGE_REJECTED' &&
      typeof (value as { reason?: unknown }).reason === 'string')
  );
}
