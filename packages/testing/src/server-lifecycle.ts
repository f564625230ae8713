/**
 * Pieces both backends share: waiting for a server's health endpoint, remembering the client
 * connections a handle opened so stop() can close them, and the default client options.
 */
import { connect } from '@nats-io/transport-node';
import type { NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { HarnessError } from './harness-error.js';

/** Default start timeout of one server, in ms. */
export const DEFAULT_START_TIMEOUT_MS = 15_000;
/** How long stop() and restart() give a server to exit after SIGTERM before SIGKILL, in ms. */
export const STOP_GRACE_MS = 5_000;

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

/** Check a server or cluster name: it becomes a server name and part of a temp directory name. */
export function checkName(name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new HarnessError(
      'ERR_INVALID_OPTIONS',
      `invalid server name ${JSON.stringify(name)}: use up to 63 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return name;
}

/** Check a timeout option. */
export function checkTimeout(label: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new HarnessError('ERR_INVALID_OPTIONS', `${label} must be a positive number of ms, got ${value}`);
  }
  return value;
}

/**
 * Poll `${monitorUrl}/healthz` until it answers 200 (for JetStream: a usable JetStream) or the
 * deadline passes. `stillAlive` ends the wait early when the server has died meanwhile.
 */
export async function waitForHealthz(
  name: string,
  monitorUrl: string,
  deadline: number,
  stillAlive: () => boolean,
): Promise<void> {
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (!stillAlive()) {
      throw new HarnessError(
        'ERR_NATS_START_FAILED',
        `nats-server ${name} exited while waiting for /healthz`,
      );
    }
    try {
      const response = await fetch(`${monitorUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
      const body = await response.text();
      if (response.ok) return;
      last = `HTTP ${response.status} ${body.trim()}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await sleep(100);
  }
  throw new HarnessError(
    'ERR_NATS_START_TIMEOUT',
    `nats-server ${name} did not answer ${monitorUrl}/healthz with 200 in time (last: ${last})`,
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Client connections a handle opened, closed together by its stop(). */
export class ConnectionTracker {
  readonly #open = new Set<NatsConnection>();

  /** Connect with test-friendly defaults (fast, unlimited reconnects) overridden by `options`. */
  async connect(
    servers: string | string[],
    options: Partial<NodeConnectionOptions> = {},
  ): Promise<NatsConnection> {
    const nc = await connect({ servers, reconnectTimeWait: 100, maxReconnectAttempts: -1, ...options });
    this.#open.add(nc);
    void nc.closed().then(() => this.#open.delete(nc));
    return nc;
  }

  /** Close every connection still open; never throws. */
  async closeAll(): Promise<void> {
    const open = [...this.#open];
    this.#open.clear();
    await Promise.all(
      open.map(async (nc) => {
        if (nc.isClosed()) return;
        try {
          await nc.close();
        } catch {
          // Closing a connection to a dead server may fail; it is closed either way.
        }
      }),
    );
  }
}
