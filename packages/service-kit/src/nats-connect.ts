/**
 * The one NATS connect of the services: servers from a comma-separated URL, the connection
 * options a service passes today (name, user/pass, an nkey or JWT authenticator, inbox prefix,
 * reconnect attempts), a watch of whether the connection is up, and a close that drains when
 * the server can answer and cuts the connection when it cannot (or takes too long).
 */
import { connect } from '@nats-io/transport-node';
import type { Authenticator, ConnectionOptions, NatsConnection, Status } from '@nats-io/transport-node';

import { ServiceError } from './service-error.js';

export interface ConnectNatsOptions extends Omit<ConnectionOptions, 'servers' | 'user' | 'pass' | 'name'> {
  /** e.g. nats://127.0.0.1:4222; several comma-separated. */
  readonly url: string;
  /** The client name the server shows, e.g. "enlace-node-MX". */
  readonly name: string;
  readonly user?: string | undefined;
  readonly pass?: string | undefined;
}

/** A NATS connection with its link state. */
export interface NatsLink {
  readonly nc: NatsConnection;
  /** Whether the connection is up now (it reconnects by itself after a disconnect). */
  connected(): boolean;
  /**
   * Drains (waiting at most `timeoutMs`, default 5 s) when connected, then closes; closes at
   * once when not connected (a drain needs the server's answers). Safe to call twice.
   */
  close(timeoutMs?: number): Promise<void>;
}

/** Thrown when no server of `url` accepts the connection (ERR_UNAVAILABLE); `cause` has the client's error. */
export class NatsConnectError extends ServiceError<'ERR_UNAVAILABLE'> {
  constructor(url: string, cause: unknown) {
    super('ERR_UNAVAILABLE', 503, `cannot connect to NATS at ${url}: ${(cause as Error).message}`, { cause });
    this.name = 'NatsConnectError';
  }
}

/** How a service is told to reach NATS (its create…App options and its main's flags). */
export interface ServiceNatsOptions {
  /** e.g. nats://127.0.0.1:4222 (several: comma-separated). */
  readonly natsUrl: string;
  readonly natsUser?: string;
  readonly natsPass?: string;
  /** Authenticates the connection (nkey, JWT), instead of or besides user and password. */
  readonly natsAuthenticator?: Authenticator | Authenticator[];
}

/** connectNats with a service's options; `extra` says what the service itself sets (name, inbox prefix). */
export function connectServiceNats(
  options: ServiceNatsOptions,
  extra: Omit<ConnectNatsOptions, 'url' | 'user' | 'pass' | 'authenticator'>,
): Promise<NatsLink> {
  return connectNats({
    ...extra,
    url: options.natsUrl,
    user: options.natsUser,
    pass: options.natsPass,
    ...(options.natsAuthenticator !== undefined && { authenticator: options.natsAuthenticator }),
  });
}

/** Servers of a comma-separated URL list. */
export function natsServers(url: string): string[] {
  return url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export async function connectNats(options: ConnectNatsOptions): Promise<NatsLink> {
  const { url, user, pass, ...rest } = options;
  let nc: NatsConnection;
  try {
    nc = await connect({
      ...rest,
      servers: natsServers(url),
      ...(user !== undefined && { user }),
      ...(pass !== undefined && { pass }),
    });
  } catch (cause) {
    throw new NatsConnectError(url, cause);
  }
  return watchNats(nc);
}

/** Follows the link state of a connection made elsewhere. */
export function watchNats(nc: NatsConnection): NatsLink {
  let up = true;
  const statuses = nc.status() as AsyncIterable<Status> & { stop?: () => void };
  void (async () => {
    for await (const status of statuses) {
      if (status.type === 'disconnect') up = false;
      else if (status.type === 'reconnect') up = true;
    }
  })().catch(() => undefined);
  const connected = (): boolean => up && !nc.isClosed();
  let closing: Promise<void> | undefined;
  return {
    nc,
    connected,
    close(timeoutMs = 5_000) {
      closing ??= (async () => {
        if (connected()) await settlesWithin(nc.drain(), timeoutMs);
        await nc.close().catch(() => undefined);
        statuses.stop?.();
      })();
      return closing;
    },
  };
}

/** Whether `promise` settled (resolved or rejected) within `ms`. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
