/** Errors the local network reports to the person who ran `npm start`: one line each, with what to do. */
export type LocalNetworkErrorCode =
  | 'ERR_NATS_SERVER_MISSING'
  | 'ERR_NATS_SERVER_FAILED'
  | 'ERR_PORT_TAKEN'
  | 'ERR_USAGE'
  | 'ERR_SERVICE_FAILED';

export class LocalNetworkError extends Error {
  readonly code: LocalNetworkErrorCode;

  constructor(code: LocalNetworkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LocalNetworkError';
    this.code = code;
  }
}
