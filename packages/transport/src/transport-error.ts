/**
 * The one error family of @enlace/transport: every failure carries a stable `code` from a closed
 * union, so callers branch on codes (and tests assert them), never on message text.
 */

export type TransportErrorCode =
  /** A subject or subject token is malformed (see subjects.ts). */
  | 'ERR_SUBJECT_INVALID'
  /** An option passed to a transport function is out of range. */
  | 'ERR_INVALID_OPTION'
  /** JetStream did not answer (disabled, not ready, or unreachable) while managing streams or consumers. */
  | 'ERR_JETSTREAM_UNAVAILABLE'
  /** An existing stream's configuration differs in a way JetStream cannot update in place. */
  | 'ERR_STREAM_CONFLICT'
  /** An existing durable consumer's configuration differs in a way JetStream cannot update in place. */
  | 'ERR_CONSUMER_CONFLICT'
  /** No publish acknowledgement within the timeout, after every retry. */
  | 'ERR_PUBLISH_TIMEOUT'
  /** Nobody answered the publish after every retry: no stream holds the subject, or JetStream is down. */
  | 'ERR_NO_STREAM'
  /** The stream refused the message (too large, wrong expectations, permissions, ...). */
  | 'ERR_PUBLISH_REJECTED'
  /** The NATS connection is closed or draining. */
  | 'ERR_CONNECTION_CLOSED'
  /** No handler is registered for a message's subject; the message is redelivered, then dead-lettered. */
  | 'ERR_NO_HANDLER'
  /** A message handler failed (not a rejection); the message is redelivered. */
  | 'ERR_HANDLER_FAILED'
  /** The consumer was used after close(). */
  | 'ERR_CONSUMER_CLOSED'
  /** An acknowledgement could not be sent or was not confirmed: the message will be delivered again. */
  | 'ERR_ACK_UNCONFIRMED';

/** Base class of every error this package throws. */
export class TransportError extends Error {
  readonly code: TransportErrorCode;

  constructor(code: TransportErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TransportError';
    this.code = code;
  }
}
