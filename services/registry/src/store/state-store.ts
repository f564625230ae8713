/**
 * The registry's state in one JetStream KV bucket (`enlace_registry_state`), one JSON value per
 * aggregate (`country.MX`, `membership.MX`, `key.MX`, `rules`, ...), and an in-memory view of it
 * that a KV watch keeps current. Reads come from the view; writes are compare-and-set on the
 * key's last revision, so two registry instances (or two concurrent commands) never lose an
 * update: the loser re-reads and runs its command again.
 */
import { JetStreamApiCodes, JetStreamApiError, StorageType } from '@nats-io/jetstream';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection, QueuedIterator } from '@nats-io/transport-node';
import { REGISTRY_BUCKET_PREFIX } from '@enlace/transport';

import { RegistryError } from '../domain/errors.js';

/** The bucket holding every aggregate of the registry. */
export const REGISTRY_STATE_BUCKET = `${REGISTRY_BUCKET_PREFIX}state`;

/** One value of the view: the parsed JSON and the stream sequence that wrote it. */
export interface StoredEntry {
  readonly key: string;
  readonly value: unknown;
  readonly revision: number;
}

/** What a command decides, given the current value of its key. */
export type StateChange<R> =
  | { readonly write: true; readonly value: unknown; readonly result: R }
  | { readonly write: false; readonly result: R };

/** A change applied: its result, and the revision it was written at (undefined when nothing was written). */
export interface AppliedChange<R> {
  readonly result: R;
  readonly before: unknown;
  readonly after: unknown;
  readonly revision: number | undefined;
}

export interface StateStoreOptions {
  /** Values kept per key (default 10, at least 10). */
  readonly history?: number;
  /** Attempts of a compare-and-set before ERR_CONFLICT (default 10). */
  readonly maxAttempts?: number;
  /** How long a write waits for the view to catch up (default 5 000 ms). */
  readonly viewTimeoutMs?: number;
}

interface Waiter {
  readonly revision: number;
  readonly resolve: () => void;
}

/** Is `err` the server refusing a write because the key changed since it was read? */
function isWrongLastSequence(err: unknown): boolean {
  return (
    err instanceof JetStreamApiError &&
    (err.code === JetStreamApiCodes.StreamWrongLastSequence ||
      err.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}

const encoder = new TextEncoder();

export class RegistryStateStore {
  private readonly view = new Map<string, StoredEntry>();
  private applied = 0;
  private waiters: Waiter[] = [];
  private readonly queues = new Map<string, Promise<unknown>>();
  private watchLoop: Promise<void> | undefined;
  private watcher: QueuedIterator<KvWatchEntry> | undefined;
  private closed = false;
  private readonly maxAttempts: number;
  private readonly viewTimeoutMs: number;

  private constructor(
    private readonly kv: KV,
    options: StateStoreOptions,
  ) {
    this.maxAttempts = options.maxAttempts ?? 10;
    this.viewTimeoutMs = options.viewTimeoutMs ?? 5_000;
  }

  /** Creates the bucket if missing, starts the watch, and resolves once the view holds every value. */
  static async open(nc: NatsConnection, options: StateStoreOptions = {}): Promise<RegistryStateStore> {
    const history = Math.max(options.history ?? 10, 10);
    const kvm = new Kvm(nc);
    let kv: KV;
    try {
      kv = await kvm.create(REGISTRY_STATE_BUCKET, { history, storage: StorageType.File });
    } catch (cause) {
      // A bucket made with other settings (e.g. a deeper history) is still ours to use.
      try {
        kv = await kvm.open(REGISTRY_STATE_BUCKET);
        await kv.status();
      } catch {
        throw new RegistryError('ERR_UNAVAILABLE', `cannot open KV bucket ${REGISTRY_STATE_BUCKET}`, {
          cause,
        });
      }
    }
    const store = new RegistryStateStore(kv, options);
    await store.startWatch();
    return store;
  }

  private async startWatch(): Promise<void> {
    // The stream's last sequence before the watch starts: once the view has applied it, the view
    // holds everything written before open() was called.
    const status = await this.kv.status();
    const lastSeq = status.streamInfo.state.last_seq;
    this.watcher = await this.kv.watch({ include: '' });
    const watcher = this.watcher;
    this.watchLoop = (async () => {
      for await (const entry of watcher) this.apply(entry);
    })().catch(() => {
      // The watch ends with the connection; reads then serve the last view.
    });
    await this.waitFor(lastSeq);
  }

  private apply(entry: KvWatchEntry): void {
    if (entry.operation === 'PUT') {
      this.view.set(entry.key, { key: entry.key, value: entry.json(), revision: entry.revision });
    } else {
      this.view.delete(entry.key);
    }
    if (entry.revision > this.applied) this.applied = entry.revision;
    const ready = this.waiters.filter((w) => w.revision <= this.applied);
    if (ready.length > 0) {
      this.waiters = this.waiters.filter((w) => w.revision > this.applied);
      for (const w of ready) w.resolve();
    }
  }

  /** Last stream sequence the view has applied. */
  revision(): number {
    return this.applied;
  }

  /** The view's value under `key`. */
  get(key: string): StoredEntry | undefined {
    return this.view.get(key);
  }

  /** The view's values whose key starts with `prefix`, in key order. */
  list(prefix: string): StoredEntry[] {
    const out: StoredEntry[] = [];
    for (const entry of this.view.values()) if (entry.key.startsWith(prefix)) out.push(entry);
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Resolves once the view has applied `revision` (read-your-writes); ERR_UNAVAILABLE after the timeout. */
  waitFor(revision: number, timeoutMs = this.viewTimeoutMs): Promise<void> {
    if (revision <= this.applied) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new RegistryError(
            'ERR_UNAVAILABLE',
            `the registry view did not reach revision ${revision} within ${timeoutMs} ms (at ${this.applied})`,
          ),
        );
      }, timeoutMs);
      const waiter: Waiter = {
        revision,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** The value under `key` as the server holds it now (not the view). */
  private async readFresh(key: string): Promise<StoredEntry | undefined> {
    const entry = await this.kv.get(key);
    if (entry === null || entry.operation !== 'PUT') return undefined;
    return { key, value: entry.json(), revision: entry.revision };
  }

  /**
   * Runs `decide` on the current value of `key` and writes what it returns with a revision
   * check. When another writer got there first, reads the key again and runs `decide` again
   * (at most `maxAttempts` times, then ERR_CONFLICT). Resolves after the view has applied the
   * write. Errors `decide` throws pass through untouched, with nothing written.
   */
  async change<R>(
    key: string,
    decide: (current: StoredEntry | undefined) => StateChange<R>,
  ): Promise<AppliedChange<R>> {
    // Commands on one key run one at a time within this instance, so they never race each other;
    // the revision check still settles races with other instances.
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(
      () => this.changeNow(key, decide),
      () => this.changeNow(key, decide),
    );
    this.queues.set(key, run);
    try {
      return await run;
    } finally {
      if (this.queues.get(key) === run) this.queues.delete(key);
    }
  }

  private async changeNow<R>(
    key: string,
    decide: (current: StoredEntry | undefined) => StateChange<R>,
  ): Promise<AppliedChange<R>> {
    if (this.closed) throw new RegistryError('ERR_UNAVAILABLE', 'the registry store is closed');
    let current = this.view.get(key);
    for (let attempt = 1; ; attempt++) {
      const change = decide(current);
      if (!change.write) {
        return { result: change.result, before: current?.value, after: current?.value, revision: undefined };
      }
      const payload = encoder.encode(JSON.stringify(change.value));
      let revision: number;
      try {
        revision =
          current === undefined
            ? await this.kv.create(key, payload)
            : await this.kv.update(key, payload, current.revision);
      } catch (err) {
        if (!isWrongLastSequence(err)) {
          throw new RegistryError('ERR_UNAVAILABLE', `cannot write ${key} to the registry store`, {
            cause: err,
          });
        }
        if (attempt >= this.maxAttempts) {
          throw new RegistryError(
            'ERR_CONFLICT',
            `${key} kept changing under concurrent updates; gave up after ${attempt} attempts`,
            { cause: err },
          );
        }
        // Someone else wrote the key: start again from what the server holds now, after a short
        // random pause so that competing writers spread out.
        await sleep(Math.random() * 5 * attempt);
        current = await this.readFresh(key);
        continue;
      }
      await this.waitFor(revision);
      return { result: change.result, before: current?.value, after: change.value, revision };
    }
  }

  /** Stops the watch. The bucket and its data stay. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.watcher?.stop();
    await this.watchLoop;
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
