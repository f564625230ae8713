/**
 * How the CLI calls a service through @enlace/client: the clients' errors become one CliError
 * line each — the service's code, status, message and field paths when it refused (exit 1), why
 * it could not be reached or what it answered instead of its API (exit 1) — worded with the
 * flag the user gave (`--url`, `--feed-url`).
 */
import {
  EnlaceClientError,
  EnlaceHttpError,
  InvalidBaseUrlError,
  serviceName,
  ServiceUnreachableError,
  UnexpectedResponseError,
} from '@enlace/client';
import type { ServiceKind } from '@enlace/client';

import { CliError } from './errors.js';
import type { CliErrorCode } from './errors.js';

/** The services the CLI calls. */
export type CalledService = ServiceKind;

const CODES: Record<CalledService, { refused: CliErrorCode; unreachable: CliErrorCode }> = {
  registry: { refused: 'ERR_REGISTRY_REFUSED', unreachable: 'ERR_REGISTRY_UNREACHABLE' },
  feed: { refused: 'ERR_FEED_REFUSED', unreachable: 'ERR_FEED_UNREACHABLE' },
  node: { refused: 'ERR_NODE_REFUSED', unreachable: 'ERR_NODE_UNREACHABLE' },
};

export interface CallWording {
  /** The flag that gave the URL, e.g. --url */
  readonly flag: string;
  /** What the operation answers, for an answer of the wrong shape: "a match result". */
  readonly answer?: string;
  /** Say "without JSON" rather than "without a <service> error" for an error status (match). */
  readonly errorWithoutJson?: boolean;
}

/** Creates a client, turning a bad base URL into the usage error of its flag. */
export function createClientFor<T>(create: () => T, wording: { flag: string; example: string }): T {
  try {
    return create();
  } catch (error) {
    if (error instanceof InvalidBaseUrlError) {
      throw new CliError(
        'ERR_USAGE',
        error.cause !== undefined
          ? `${wording.flag} must be an http(s) URL such as ${wording.example} (got "${error.url}")`
          : `${wording.flag} must be an http(s) URL (got "${error.url}")`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** The CliError of a client error; anything else is returned as is. */
export function toCliError(service: CalledService, error: unknown, wording: CallWording): unknown {
  if (!(error instanceof EnlaceClientError)) return error;
  const codes = CODES[service];
  const name = serviceName(service);
  if (error instanceof EnlaceHttpError)
    return new CliError(codes.refused, error.summary, { cause: error, exitCode: 1 });
  if (error instanceof ServiceUnreachableError)
    return new CliError(codes.unreachable, error.message, { cause: error, exitCode: 1 });
  if (error instanceof UnexpectedResponseError) {
    const is = `is ${wording.flag} the ${name}?`;
    let message: string;
    if (wording.errorWithoutJson === true && error.problem !== 'unexpected_shape')
      message = `${error.url} answered HTTP ${error.status} without JSON; ${is}`;
    else if (error.problem === 'no_error_body')
      message = `${error.url} answered HTTP ${error.status} without a ${name} error; ${is}`;
    else if (error.problem === 'not_json') message = `${error.url} did not answer JSON; ${is}`;
    else if (error.problem === 'unexpected_shape')
      message = `${error.url} did not answer ${wording.answer ?? 'its API'}; ${is}`;
    else message = error.message;
    return new CliError(codes.unreachable, message, { cause: error, exitCode: 1 });
  }
  return new CliError(codes.unreachable, error.message, { cause: error, exitCode: 1 });
}

/** Runs a call of a client, throwing its failures as CliErrors. */
export async function call<T>(service: CalledService, run: Promise<T>, wording: CallWording): Promise<T> {
  try {
    return await run;
  } catch (error) {
    throw toCliError(service, error, wording);
  }
}
