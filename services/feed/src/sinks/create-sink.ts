/**
 * createSink(): the sink a feed definition asks for, with the dependencies every kind may need
 * (the feed's id, the JetStream client for NATS sinks) and shared retry settings.
 */
import type { JetStreamClient } from '@nats-io/jetstream';

import { createFileSink } from './file-sink.js';
import { createNatsSink } from './nats-sink.js';
import type { BackoffOptions } from './retry.js';
import type { FeedSink } from './sink.js';
import type { SinkDefinition } from './sink-definition.js';
import { createWebhookSink } from './webhook-sink.js';

/** What createSink() needs besides the definition. */
export interface SinkDeps {
  readonly feedId: string;
  /** Publishes the records of NATS sinks. */
  readonly js: JetStreamClient;
  /** Delays between attempts of every kind of sink (default initial 500 ms, factor 2, max 60 s). */
  readonly backoff?: Partial<BackoffOptions>;
  /** How often a delivery still going on calls `progress.working()` (default 5 s). */
  readonly workingIntervalMs?: number;
  /** Time allowed for one webhook request or JetStream acknowledgement (defaults 30 s and 5 s). */
  readonly timeoutMs?: number;
}

/** The sink of `def`; nothing is opened or connected until its first call. */
export function createSink(def: SinkDefinition, deps: SinkDeps): FeedSink {
  const common = {
    feedId: deps.feedId,
    ...(deps.backoff !== undefined && { backoff: deps.backoff }),
    ...(deps.workingIntervalMs !== undefined && { workingIntervalMs: deps.workingIntervalMs }),
  };
  const timeout = deps.timeoutMs !== undefined ? { timeoutMs: deps.timeoutMs } : {};
  switch (def.type) {
    case 'file':
      return createFileSink(def, common);
    case 'webhook':
      return createWebhookSink(def, { ...common, ...timeout });
    case 'nats':
      return createNatsSink(def, { ...common, ...timeout, js: deps.js });
  }
}
