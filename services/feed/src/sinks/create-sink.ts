/**
 * createSink(): the sink a feed definition asks for, with the dependencies every kind may need
 * (the feed's id, the JetStream client for NATS sinks) and shared retry settings.
 */
import { join } from 'node:path';

import type { JetStreamClient } from '@nats-io/jetstream';

import { FeedError } from '../errors.js';
import { createFileSink } from './file-sink.js';
import { createNatsSink } from './nats-sink.js';
import type { BackoffOptions } from './retry.js';
import type { FeedSink } from './sink.js';
import { DEFAULT_SINK_POLICY } from './sink-definition.js';
import type { SinkDefinition, SinkPolicy } from './sink-definition.js';
import { createWebhookSink } from './webhook-sink.js';

/** What createSink() needs besides the definition. */
export interface SinkDeps {
  readonly feedId: string;
  /** The feed owner's country: its file sinks stay under `<policy.fileRoot>/<country>`. */
  readonly country: string;
  /** The operator's file root and webhook allow-list (default: none). */
  readonly policy?: SinkPolicy;
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
  const policy = deps.policy ?? DEFAULT_SINK_POLICY;
  switch (def.type) {
    case 'file':
      if (policy.fileRoot === undefined)
        throw new FeedError('ERR_UNAVAILABLE', 'this feed service has no file root: file sinks are off');
      return createFileSink(def, { ...common, root: join(policy.fileRoot, deps.country) });
    case 'webhook':
      return createWebhookSink(def, { ...common, ...timeout, addressPolicy: policy.webhooks });
    case 'nats':
      return createNatsSink(def, { ...common, ...timeout, js: deps.js });
  }
}
