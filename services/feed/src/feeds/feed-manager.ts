/**
 * The feeds of this service: definitions in the KV bucket, one FeedRunner (durable consumer +
 * sink) per feed. Creating a feed stores the definition, creates its consumer (so "now" means
 * the moment of creation) and starts delivering; deleting stops it and removes the consumer;
 * replaying starts a new generation of the consumer from the beginning or a time, so the sink
 * receives the alerts again (each record keeps its stable id).
 */
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';

import type { FeedAudit } from '../audit/feed-audit.js';
import { FeedError } from '../errors.js';
import { createSink } from '../sinks/create-sink.js';
import { redactSinkDefinition } from '../sinks/sink-definition.js';
import type { PublicSinkDefinition, SinkPolicy } from '../sinks/sink-definition.js';
import type { SinkStatus } from '../sinks/sink.js';
import type { AlertVerifier } from './alert-verifier.js';
import { consumerName, feedId, parseFeedDefinition, startViolation } from './feed-definition.js';
import type { DefinitionContext, FeedDefinition } from './feed-definition.js';
import type { FeedRepository } from './feed-repository.js';
import { deleteFeedConsumer, ensureFeedConsumer, FeedRunner } from './feed-runner.js';
import type { FeedCounters, FeedDelivery } from './feed-runner.js';
import { ALERTS_STREAM } from '@enlace/transport';

/** Who asks: an FIU analyst of a country, or an administrator (any country). */
export interface FeedActor {
  readonly id: string;
  /** Undefined for administrators and auditors. */
  readonly country: string | undefined;
  readonly canWrite: boolean;
}

export interface FeedStatus {
  readonly feed: ReturnType<typeof redactFeed>;
  readonly consumer: string;
  readonly running: boolean;
  /** Its country is suspended or withdrawn: the feed waits, and resumes where it stopped. */
  readonly paused: boolean;
  /** Alerts of the stream the consumer has not looked at yet. */
  readonly pending: number | undefined;
  /** Looked at but not acknowledged yet (being delivered). */
  readonly inFlight: number | undefined;
  readonly counters: FeedCounters | undefined;
  readonly sink: SinkStatus | undefined;
}

/** One feed's counts, as FeedManager.counts() reads them. */
export interface FeedCounts {
  readonly feedId: string;
  readonly running: boolean;
  readonly paused: boolean;
  readonly counters: FeedCounters;
  readonly sink: SinkStatus;
}

export interface FeedManagerDeps {
  /** Records every create, delete and replay, also when refused. */
  readonly audit?: FeedAudit;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly repository: FeedRepository;
  readonly verifier: AlertVerifier;
  readonly context: () => DefinitionContext;
  /** The operator's file root and webhook allow-list, for the sinks (as in the definition context). */
  readonly sinkPolicy?: SinkPolicy;
  readonly onWarning?: (message: string, cause?: unknown) => void;
  /** Each alert a feed is about to deliver (FeedRunnerDeps.onDelivering). */
  readonly onDelivering?: (delivery: FeedDelivery) => void;
  /** A feed was deleted: what is kept about it elsewhere goes too. */
  readonly onDeleted?: (feed: FeedDefinition) => void;
}

/** The definition as shown to users: webhook secrets never leave the service. */
export function redactFeed(
  feed: FeedDefinition,
): Omit<FeedDefinition, 'sink'> & { sink: PublicSinkDefinition } {
  return { ...feed, sink: redactSinkDefinition(feed.sink) };
}

export class FeedManager {
  readonly #runners = new Map<string, FeedRunner>();

  constructor(private readonly deps: FeedManagerDeps) {}

  /** Starts a runner for every stored feed. */
  async start(): Promise<void> {
    for (const { feed } of await this.deps.repository.list()) {
      try {
        await this.#startRunner(feed);
      } catch (error) {
        this.deps.onWarning?.(`feed ${feed.id} could not start`, error);
      }
    }
  }

  async close(): Promise<void> {
    const runners = [...this.#runners.values()];
    this.#runners.clear();
    await Promise.all(runners.map((r) => r.stop()));
  }

  async #startRunner(feed: FeedDefinition): Promise<FeedRunner> {
    const sink = createSink(feed.sink, {
      feedId: feed.id,
      country: feed.country,
      js: this.deps.js,
      ...(this.deps.sinkPolicy !== undefined && { policy: this.deps.sinkPolicy }),
    });
    const runner = new FeedRunner(feed, {
      js: this.deps.js,
      jsm: this.deps.jsm,
      verifier: this.deps.verifier,
      sink,
      ...(this.deps.onWarning !== undefined && { onWarning: this.deps.onWarning }),
      ...(this.deps.onDelivering !== undefined && { onDelivering: this.deps.onDelivering }),
    });
    await runner.start();
    this.#runners.set(feed.id, runner);
    return runner;
  }

  /** What each running feed has counted so far, read at once (for /metrics). */
  counts(): FeedCounts[] {
    return [...this.#runners].map(([feedId, runner]) => ({
      feedId,
      running: runner.running,
      paused: runner.paused,
      counters: runner.counters,
      sink: runner.sinkStatus(),
    }));
  }

  #visible(actor: FeedActor, feed: FeedDefinition): boolean {
    return actor.country === undefined || actor.country === feed.country;
  }

  #audited<T>(
    action: string,
    id: string,
    actor: FeedActor,
    act: () => Promise<T>,
    details?: (result: T) => Readonly<Record<string, unknown>>,
  ): Promise<T> {
    const audit = this.deps.audit;
    if (audit === undefined) return act();
    return audit.around(
      {
        actor: actor.id,
        ...(actor.country !== undefined && { country: actor.country }),
        action,
        entity: 'feed',
        entityId: id,
      },
      act,
      details,
    );
  }

  async create(input: unknown, actor: FeedActor): Promise<FeedStatus> {
    const name = typeof input === 'object' && input !== null ? (input as { name?: unknown }).name : undefined;
    return this.#audited(
      'feed.create',
      typeof name === 'string' ? feedId(actor.country ?? '??', name).slice(0, 60) : '(unnamed)',
      actor,
      () => this.#create(input, actor),
      (status) => ({ filter: status.feed.filter, start: status.feed.start, sink: status.feed.sink.type }),
    );
  }

  async #create(input: unknown, actor: FeedActor): Promise<FeedStatus> {
    if (!actor.canWrite)
      throw new FeedError('ERR_FORBIDDEN', 'this token may read feeds but not create them');
    const feed = parseFeedDefinition(input, { country: actor.country, actor: actor.id }, this.deps.context());
    const stored = await this.deps.repository.create(feed);
    try {
      await ensureFeedConsumer(this.deps.jsm, feed);
      await this.#startRunner(feed);
    } catch (cause) {
      // Nothing half-made stays behind.
      await deleteFeedConsumer(this.deps.jsm, feed).catch(() => undefined);
      await this.deps.repository.delete(feed.id).catch(() => undefined);
      throw new FeedError(
        'ERR_UNAVAILABLE',
        `the feed ${feed.id} could not be started: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    return this.#status(stored.feed);
  }

  async list(actor: FeedActor): Promise<FeedStatus[]> {
    const feeds = (await this.deps.repository.list()).filter(({ feed }) => this.#visible(actor, feed));
    return Promise.all(feeds.map(({ feed }) => this.#status(feed)));
  }

  /** The definitions of the feeds `actor` may see, without their delivery status. */
  async definitions(actor: FeedActor): Promise<FeedDefinition[]> {
    return (await this.deps.repository.list())
      .map(({ feed }) => feed)
      .filter((feed) => this.#visible(actor, feed));
  }

  /** The feed, when it exists and `actor` may see it; ERR_NOT_FOUND otherwise (no hint that another country's feed exists). */
  async get(id: string, actor: FeedActor): Promise<FeedDefinition> {
    const stored = await this.deps.repository.get(id);
    if (stored === undefined || !this.#visible(actor, stored.feed))
      throw new FeedError('ERR_NOT_FOUND', `there is no feed ${JSON.stringify(id)}`);
    return stored.feed;
  }

  async status(id: string, actor: FeedActor): Promise<FeedStatus> {
    return this.#status(await this.get(id, actor));
  }

  async delete(id: string, actor: FeedActor): Promise<void> {
    return this.#audited('feed.delete', id, actor, () => this.#delete(id, actor));
  }

  async #delete(id: string, actor: FeedActor): Promise<void> {
    if (!actor.canWrite)
      throw new FeedError('ERR_FORBIDDEN', 'this token may read feeds but not delete them');
    const feed = await this.get(id, actor);
    await this.#runners.get(id)?.stop();
    this.#runners.delete(id);
    await deleteFeedConsumer(this.deps.jsm, feed);
    await this.deps.repository.delete(id);
    this.deps.onDeleted?.(feed);
  }

  /** Delivers the feed's alerts again to its sink, from `from` (`beginning` or an ISO instant). */
  async replay(id: string, from: unknown, actor: FeedActor): Promise<FeedStatus> {
    return this.#audited(
      'feed.replay',
      id,
      actor,
      () => this.#replay(id, from, actor),
      (status) => ({
        from: status.feed.start,
        generation: status.feed.generation,
      }),
    );
  }

  async #replay(id: string, from: unknown, actor: FeedActor): Promise<FeedStatus> {
    if (!actor.canWrite)
      throw new FeedError('ERR_FORBIDDEN', 'this token may read feeds but not replay them');
    const problem = startViolation(from ?? 'beginning', 'from', new Date());
    if (problem !== undefined || from === 'now')
      throw new FeedError(
        'ERR_VALIDATION',
        `from: ${problem?.message ?? 'must be "beginning" or an ISO 8601 instant'}`,
        {
          violations: [
            problem ?? { path: 'from', code: 'invalid_start', message: 'must be "beginning" or an instant' },
          ],
        },
      );
    const stored = await this.deps.repository.get(id);
    if (stored === undefined || !this.#visible(actor, stored.feed))
      throw new FeedError('ERR_NOT_FOUND', `there is no feed ${JSON.stringify(id)}`);
    const previous = stored.feed;
    const next: FeedDefinition = {
      ...previous,
      start: (from as string | undefined) ?? 'beginning',
      generation: previous.generation + 1,
    };
    await this.deps.repository.update(next, stored.revision);
    await this.#runners.get(id)?.stop();
    this.#runners.delete(id);
    await deleteFeedConsumer(this.deps.jsm, previous);
    await ensureFeedConsumer(this.deps.jsm, next);
    await this.#startRunner(next);
    return this.#status(next);
  }

  async #status(feed: FeedDefinition): Promise<FeedStatus> {
    const runner = this.#runners.get(feed.id);
    let pending: number | undefined;
    let inFlight: number | undefined;
    try {
      const info = await this.deps.jsm.consumers.info(ALERTS_STREAM, consumerName(feed));
      pending = info.num_pending;
      inFlight = info.num_ack_pending;
    } catch {
      // Consumer gone or NATS down: the status says so by leaving the numbers out.
    }
    return {
      feed: redactFeed(feed),
      consumer: consumerName(feed),
      running: runner?.running ?? false,
      paused: runner?.paused ?? false,
      pending,
      inFlight,
      counters: runner?.counters,
      sink: runner?.sinkStatus(),
    };
  }
}
