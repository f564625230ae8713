/**
 * A node's (or the feed service's) view of the registry (DESIGN.md trust model 1): the last
 * signed snapshot that verified against the pinned registry key. On start it is fetched over the registry RPC; it is
 * fetched again on every signed change event (`enlace.v1.registry.event.>`) and on a slow
 * timer, in case an event was lost. Each verified snapshot is written to the data directory, so
 * a node whose registry is down keeps working with the last state it trusted, also across a
 * restart. Nothing unsigned, and no older revision, ever replaces the state in force.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { REGISTRY_EVENTS_WILDCARD } from '@enlace/transport';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';

import { TrustError } from './errors.js';
import { createRegistryRpcClient } from './registry-rpc-client.js';
import type { RegistryRpcClient } from './registry-rpc-client.js';
import { verifyRegistryEvent, verifySignedSnapshot } from './registry-verification.js';
import type { RegistryChange } from './signed-state.js';
import { createTrustView } from './trust-view.js';
import type { TrustSource, TrustView } from './trust-view.js';

/** How often a node without any snapshot asks the registry again. */
const NO_SNAPSHOT_RETRY_MS = 2_000;

/** The last verified snapshot JWS, in the node's data directory. */
export const SNAPSHOT_FILE = 'registry-snapshot.jws';

export interface TrustStateOptions {
  readonly nc: NatsConnection;
  readonly dataDir: string;
  /** The registry's public Ed25519 JWK, pinned in the node's configuration. */
  readonly registryPublicJwk: Readonly<Record<string, unknown>>;
  /** Registry RPC timeout (default 2 000 ms). */
  readonly rpcTimeoutMs?: number;
  /** Refetch this often even without events (default 30 s). */
  readonly pollIntervalMs?: number;
  /** Problems that do not stop the node (registry down, a forged event), for the log. */
  readonly onWarning?: (message: string, cause?: unknown) => void;
  /** Called after a newer snapshot took effect. */
  readonly onChange?: (view: TrustView) => void;
}

export class TrustState {
  #view: TrustView | undefined;
  readonly #rpc: RegistryRpcClient;
  #subscription: Subscription | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The refresh running now, and whether another was asked for meanwhile. */
  #refreshing: Promise<void> | undefined;
  #again = false;
  #closed = false;
  readonly #waiters = new Set<() => void>();
  /** Until when the state in force is known to be the registry's (ms); 0 for a snapshot from disk. */
  #knownAt = 0;
  #lastAttemptAt = 0;

  constructor(private readonly options: TrustStateOptions) {
    this.#rpc = createRegistryRpcClient(options.nc, { timeoutMs: options.rpcTimeoutMs ?? 2_000 });
  }

  /** The snapshot in force, or undefined before any could be verified. */
  current(): TrustView | undefined {
    return this.#view;
  }

  /**
   * The snapshot in force, waiting up to `timeoutMs` for a first one; undefined when none came.
   * Inbound messages wait here rather than being handed back and forth while a node starts cold.
   */
  async whenAvailable(timeoutMs: number): Promise<TrustView | undefined> {
    if (this.#view !== undefined || this.#closed) return this.#view;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve(this.#view);
      };
      const timer = setTimeout(done, timeoutMs);
      this.#waiters.add(done);
    });
  }

  /** The snapshot in force; ERR_UNAVAILABLE when there is none yet. */
  require(): TrustView {
    if (this.#view === undefined)
      throw new TrustError(
        'ERR_UNAVAILABLE',
        'no verified registry snapshot yet: the registry has not answered and none is stored',
      );
    return this.#view;
  }

  /**
   * Subscribes to registry events, then loads the snapshot: from the registry, else from disk.
   * Resolves either way; without any snapshot the node keeps trying in the background.
   */
  async start(): Promise<void> {
    const { nc } = this.options;
    // Subscribe first, so that no change between the fetch and the subscription goes unseen.
    this.#subscription = nc.subscribe(REGISTRY_EVENTS_WILDCARD, {
      callback: (err, msg) => {
        if (err !== null) return;
        void this.#onEvent(msg.data);
      },
    });
    await nc.flush();
    await this.refresh();
    if (this.#view === undefined) await this.#loadFromDisk();
    this.#schedule();
  }

  /** Polls slowly once a snapshot is in force, every 2 s while there is none. */
  #schedule(): void {
    if (this.#closed) return;
    const delay = this.#view === undefined ? NO_SNAPSHOT_RETRY_MS : (this.options.pollIntervalMs ?? 30_000);
    this.#timer = setTimeout(() => {
      void this.refresh().finally(() => this.#schedule());
    }, delay);
    this.#timer.unref();
  }

  /** Fetches and verifies the registry's snapshot now (coalescing concurrent calls). */
  refresh(): Promise<void> {
    if (this.#refreshing !== undefined) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      try {
        do {
          this.#again = false;
          await this.#fetchOnce();
        } while (this.#again && !this.#closed);
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const wake of [...this.#waiters]) wake();
    this.#subscription?.unsubscribe();
    await this.#refreshing?.catch(() => undefined);
  }

  async #onEvent(data: Uint8Array): Promise<void> {
    let change: RegistryChange;
    try {
      change = await verifyRegistryEvent(data, this.options.registryPublicJwk);
    } catch (cause) {
      this.#warn('ignored a registry event that does not verify against the pinned key', cause);
      return;
    }
    if (this.#view === undefined || change.revision > this.#view.revision) await this.refresh();
  }

  async #fetchOnce(): Promise<void> {
    if (this.#closed) return;
    const startedAt = Date.now();
    this.#lastAttemptAt = startedAt;
    let jws: string;
    try {
      jws = (await this.#rpc.getSnapshot()).jws;
    } catch (cause) {
      this.#warn('the registry did not answer; keeping the last verified snapshot', cause);
      return;
    }
    await this.#accept(jws, 'registry', true);
    // What the registry said at startedAt is known now, whether or not the revision changed.
    if (this.#view !== undefined) this.#knownAt = Math.max(this.#knownAt, startedAt);
  }

  /**
   * The snapshot to judge an alert issued at `at` with. Change events keep the state current
   * within milliseconds; when the state was last confirmed more than `maxLagMs` before `at`
   * (an event may have been lost), it is fetched again first, at most once per `maxLagMs`, so
   * that an alert is judged against the registry as it stood when it was issued. Falls back to
   * the state in force when the registry does not answer.
   */
  async viewAt(at: Date, maxLagMs = 1_000): Promise<TrustView> {
    const view = this.require();
    const t = at.getTime();
    if (t - this.#knownAt > maxLagMs && Date.now() - this.#lastAttemptAt > maxLagMs) await this.refresh();
    return this.#view ?? view;
  }

  async #loadFromDisk(): Promise<void> {
    let jws: string;
    try {
      jws = (await readFile(join(this.options.dataDir, SNAPSHOT_FILE), 'utf8')).trim();
    } catch {
      return;
    }
    await this.#accept(jws, 'disk', false);
  }

  async #accept(jws: string, source: TrustSource, persist: boolean): Promise<void> {
    let view: TrustView;
    try {
      const snapshot = await verifySignedSnapshot(jws, this.options.registryPublicJwk);
      view = createTrustView(snapshot, jws, source);
    } catch (cause) {
      this.#warn(`refused a registry snapshot from ${source}: it does not verify`, cause);
      return;
    }
    const current = this.#view;
    if (current !== undefined && view.revision < current.revision) return;
    if (current !== undefined && view.revision === current.revision && current.source === source) return;
    this.#view = view;
    if (persist) {
      const file = join(this.options.dataDir, SNAPSHOT_FILE);
      try {
        await writeFile(`${file}.tmp`, `${jws}\n`, { mode: 0o600 });
        await rename(`${file}.tmp`, file);
      } catch (cause) {
        this.#warn(`cannot store the registry snapshot in ${file}`, cause);
      }
    }
    for (const wake of [...this.#waiters]) wake();
    this.options.onChange?.(view);
  }

  #warn(message: string, cause?: unknown): void {
    this.options.onWarning?.(message, cause);
  }
}
