/**
 * Errors of the `enlace` command. Each carries a stable code; the message is one line a tired
 * officer can act on (what is wrong, with which file or field, and what to do).
 */

export type CliErrorCode =
  | 'ERR_USAGE'
  | 'ERR_FILE_NOT_FOUND'
  | 'ERR_FILE_UNREADABLE'
  | 'ERR_FILE_EXISTS'
  | 'ERR_INPUT_INVALID'
  | 'ERR_KEY_INVALID'
  | 'ERR_ALERT_INVALID'
  | 'ERR_VERIFICATION_FAILED'
  /** The registry answered with an error (its code and field paths are in the message). */
  | 'ERR_REGISTRY_REFUSED'
  /** The registry could not be reached, or answered something that is not its API. */
  | 'ERR_REGISTRY_UNREACHABLE'
  /** A rendered configuration was written but the server could not be signalled to reload it. */
  | 'ERR_RELOAD_FAILED'
  /** The feed service answered with an error (its code and field paths are in the message). */
  | 'ERR_FEED_REFUSED'
  /** The feed service could not be reached, or answered something that is not its API. */
  | 'ERR_FEED_UNREACHABLE'
  /** The country node answered with an error (its code and field paths are in the message). */
  | 'ERR_NODE_REFUSED'
  /** The country node could not be reached, or answered something that is not its API. */
  | 'ERR_NODE_UNREACHABLE'
  /** nats-server could not be reached, refused the user, or JetStream refused a change. */
  | 'ERR_NATS_FAILED'
  /** A country node answered with an error (its code and field paths are in the message). */
  | 'ERR_NODE_REFUSED'
  /** A country node could not be reached, or answered something that is not its API. */
  | 'ERR_NODE_UNREACHABLE'
  /** `registry policy decide`: the registry's policy denies the action (its reason is in the message). */
  | 'ERR_POLICY_DENIED';

export class CliError extends Error {
  readonly code: CliErrorCode;
  /** Process exit code: 1 for a failed verification, 2 for bad input or usage. */
  readonly exitCode: number;

  constructor(code: CliErrorCode, message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.exitCode = options?.exitCode ?? 2;
  }
}
