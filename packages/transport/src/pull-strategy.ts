/**
 * How consume() keeps its pull requests served. Two strategies:
 *
 * - `plain`: pull requests as nats.js makes them; a pull whose idle heartbeats went missing is a
 *   server or a connection in trouble, and the next one backs off like any failed pull.
 * - `stall-workaround`, for nats-server before 2.10: there a consumer's pull requests sometimes
 *   stop being served after one delivered a message: no more messages, heartbeats or expiry,
 *   until a new pull request reaches the server (seen in about one pull in 200, with 200
 *   consumers on a busy 2-core machine, nats-server 2.9.10). A new pull request wakes the
 *   server's delivery loop for the consumer, so this strategy opens a one-message pull beside the
 *   others ("nudge") once deliveries pause while pulls wait, and when a pull goes silent for more
 *   than a heartbeat interval; it asks for heartbeats at least every second, and replaces a pull
 *   whose heartbeats went missing at once (the first two in a row) instead of backing off.
 *
 * `auto` (the default) picks the workaround when the server's version in INFO is below 2.10, or
 * unknown; 2.10 reworked pull consumers (waiting requests, their expiry and heartbeats are
 * tracked by the server's delivery loop) and nothing of the kind has been seen there.
 */
import type { ConsumerMessages } from '@nats-io/jetstream';

/** The strategies; see this module's comment. */
export type PullStrategyName = 'plain' | 'stall-workaround';

/** Which strategy to use: `auto` decides from the server's version. */
export type PullStrategySetting = 'auto' | PullStrategyName;

/** How one pull request ended, for pullRetryDelay(). */
export type PullOutcome =
  /** As the server ends one: its batch was filled or it expired. */
  | 'ended'
  /** Early and empty: the server refused or dropped it. */
  | 'refused'
  /** nats.js gave up on it after two idle heartbeats missed (JetStreamError "heartbeats missed"). */
  | 'heartbeats_missed'
  /** Failed otherwise (broker restart, no responders, ...). */
  | 'failed';

/** The first nats-server version whose pull requests are not known to stall. */
export const STALL_FIXED_IN = '2.10.0';

/**
 * True when a nats-server of `version` (as in INFO, e.g. `2.9.10`, `2.11.0-RC.1`) needs the stall
 * workaround: below 2.10, or a version that cannot be read (the safe side: it costs one small
 * pull request per pause in deliveries).
 */
export function needsStallWorkaround(version: string | undefined): boolean {
  const match = /^v?(\d+)\.(\d+)\./.exec(version ?? '');
  if (match === null) return true;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return major < 2 || (major === 2 && minor < 10);
}

/** The strategy a setting comes to for a server of `version`. */
export function choosePullStrategy(
  setting: PullStrategySetting,
  version: string | undefined,
): PullStrategyName {
  if (setting !== 'auto') return setting;
  return needsStallWorkaround(version) ? 'stall-workaround' : 'plain';
}

/** Missed-heartbeat pulls in a row replaced at once by the workaround; back-off starts after that many. */
const MISSED_HEARTBEATS_RETRIED_AT_ONCE = 2;

/**
 * Milliseconds to wait before the next pull, after one that ended with `outcome` as the
 * `failuresInARow`-th pull in a row that did not end normally (0 after one that did).
 *
 * A pull that ended normally is followed at once. With the stall workaround, so are the first two
 * in a row whose idle heartbeats went missing: on a healthy connection to nats-server 2.9 that is
 * a pull request the server stopped serving (or a heartbeat late on a busy machine), not a broker
 * in trouble, and such a pull already took two heartbeat intervals (at least one second) to fail,
 * so retrying at once is no tight loop. Refused and failed pulls, and missed heartbeats that keep
 * coming (or any, with `plain`), back off: 500 ms, 1 s, 2 s, 4 s, then 5 s.
 */
export function pullRetryDelay(
  outcome: PullOutcome,
  failuresInARow: number,
  strategy: PullStrategyName = 'stall-workaround',
): number {
  if (outcome === 'ended') return 0;
  let n = failuresInARow;
  if (outcome === 'heartbeats_missed' && strategy === 'stall-workaround') {
    if (n <= MISSED_HEARTBEATS_RETRIED_AT_ONCE) return 0;
    n -= MISSED_HEARTBEATS_RETRIED_AT_ONCE;
  }
  return Math.min(5_000, 250 * 2 ** Math.min(Math.max(n, 1), 5));
}

/** What a strategy knows of an open pull request. */
export interface OpenPull {
  /** When it last received a message or a notification (heartbeat, ...). */
  lastSign: number;
  /** It is one the strategy opened itself (a nudge). */
  readonly extra: boolean;
}

/** What consume() lets a strategy see and do. */
export interface PullHost {
  /** The pull requests open now. */
  readonly pulls: ReadonlyMap<ConsumerMessages, OpenPull>;
  /** Messages the open pulls asked for and have not received yet. */
  requested(): number;
  /** close() began or the connection closed. */
  stopped(): boolean;
  /** A pull for `max` messages expiring after `expiresMs`, beside the lanes'; resolves once it ended. */
  extraPull(max: number, expiresMs: number): Promise<void>;
}

/** A running strategy of one consume(). */
export interface PullStrategy {
  readonly name: PullStrategyName;
  /** Idle heartbeat interval to ask of the server for a pull expiring after `expiresMs`. */
  heartbeatMs(expiresMs: number): number;
  retryDelay(outcome: PullOutcome, failuresInARow: number): number;
  /** A message arrived on one of the pulls. */
  delivered(): void;
  /** Stops its timers and waits for the pulls it opened. */
  stop(): Promise<void>;
}

/** Creates the strategy `name` for `host`, its pulls expiring after `expiresMs`. */
export function createPullStrategy(name: PullStrategyName, host: PullHost, expiresMs: number): PullStrategy {
  return name === 'stall-workaround' ? new StallWorkaround(host, expiresMs) : new PlainPulls();
}

/** nats.js caps a pull's idle heartbeat at 30 s, and asks for one every half of its expiry. */
const MAX_PLAIN_HEARTBEAT_MS = 30_000;

class PlainPulls implements PullStrategy {
  readonly name = 'plain';

  heartbeatMs(expiresMs: number): number {
    return Math.min(MAX_PLAIN_HEARTBEAT_MS, Math.floor(expiresMs / 2));
  }

  retryDelay(outcome: PullOutcome, failuresInARow: number): number {
    return pullRetryDelay(outcome, failuresInARow, 'plain');
  }

  delivered(): void {}

  async stop(): Promise<void> {}
}

/** Idle heartbeats of a pull at most this far apart (nats.js's default is half the pull's expiry). */
const MAX_STALL_HEARTBEAT_MS = 1_000;
/** Expiry of a nudge pull. */
const NUDGE_EXPIRES_MS = 1_000;
/** Deliveries paused this long, with pulls waiting: nudge. */
const NUDGE_AFTER_DELIVERIES_MS = 100;

class StallWorkaround implements PullStrategy {
  readonly name = 'stall-workaround';
  readonly #heartbeatMs: number;
  readonly #watchdog: ReturnType<typeof setInterval>;
  /** The nudge pull open now, if any. */
  #nudge: Promise<void> | undefined;
  /** Fires NUDGE_AFTER_DELIVERIES_MS after the last delivery (refreshed by each). */
  #quiet: ReturnType<typeof setTimeout> | undefined;
  /** Messages were delivered since the last nudge. */
  #deliveredSinceNudge = false;
  /** The pulls nudged for, with their last sign of life then: one nudge per silence. */
  readonly #nudgedAt = new WeakMap<OpenPull, number>();

  constructor(
    private readonly host: PullHost,
    expiresMs: number,
  ) {
    this.#heartbeatMs = this.heartbeatMs(expiresMs);
    this.#watchdog = setInterval(() => this.#checkPulls(), Math.floor(this.#heartbeatMs / 4));
    this.#watchdog.unref();
  }

  heartbeatMs(expiresMs: number): number {
    return Math.min(MAX_STALL_HEARTBEAT_MS, Math.floor(expiresMs / 2));
  }

  retryDelay(outcome: PullOutcome, failuresInARow: number): number {
    return pullRetryDelay(outcome, failuresInARow, 'stall-workaround');
  }

  delivered(): void {
    this.#deliveredSinceNudge = true;
    if (this.#quiet === undefined) {
      this.#quiet = setTimeout(() => this.#afterDeliveries(), NUDGE_AFTER_DELIVERIES_MS);
      this.#quiet.unref();
    } else {
      this.#quiet.refresh();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#watchdog);
    clearTimeout(this.#quiet);
    await this.#nudge;
  }

  /**
   * The watchdog: a pull that went silent for more than a heartbeat interval (no message,
   * heartbeat or expiry) is one nats-server 2.9 stopped serving, and with it, often, the
   * consumer's other pull. Open a small one beside them (nats.js ends the silent pull itself,
   * later: two heartbeats missed). A heartbeat merely late costs one extra pull request.
   */
  #checkPulls(): void {
    if (this.#nudge !== undefined || this.host.stopped()) return;
    const now = Date.now();
    const silentFor = this.#heartbeatMs + Math.floor(this.#heartbeatMs / 4);
    for (const pull of this.host.pulls.values()) {
      if (!pull.extra && this.#nudgedAt.get(pull) !== pull.lastSign && now - pull.lastSign > silentFor) {
        this.#nudgedAt.set(pull, pull.lastSign);
        this.#startNudge();
        return;
      }
    }
  }

  /**
   * Deliveries paused: if pulls are waiting for messages, nudge once, so that a consumer whose
   * pulls the server stopped serving after the last delivery is served again at once. Costs one
   * small pull request per pause in deliveries.
   */
  #afterDeliveries(): void {
    if (!this.#deliveredSinceNudge || this.host.stopped() || this.host.requested() === 0) return;
    // A nudge open since before the last delivery may be stuck as well: look again once it ends.
    if (this.#nudge !== undefined) {
      this.#quiet?.refresh();
      return;
    }
    this.#startNudge();
  }

  #startNudge(): void {
    this.#deliveredSinceNudge = false;
    this.#nudge = this.host.extraPull(1, NUDGE_EXPIRES_MS).finally(() => {
      this.#nudge = undefined;
    });
  }
}
