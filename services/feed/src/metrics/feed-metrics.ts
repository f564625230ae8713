/**
 * The feed service's metrics, on the service instance's prom-client Registry (served at
 * GET /metrics with the process and event-loop metrics): per feed, what its runner and sink have
 * counted (delivered, filtered, duplicates, rejected by reason, sink retries, whether it runs,
 * waits or retries), and the digests of the matching index. Read from the runners at each scrape.
 */
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

import type { FeedCounts } from '../feeds/feed-manager.js';

export interface FeedMetricsSources {
  /** Every running feed's counts (FeedManager.counts). */
  readonly feeds: () => readonly FeedCounts[];
  readonly indexedDigests: () => number;
  /** Revision of the registry snapshot in force; undefined before one. */
  readonly registryRevision: () => number | undefined;
}

/** Registers the feed service's metrics in `registry`. */
export function registerFeedMetrics(registry: Registry, sources: FeedMetricsSources): void {
  const registers = [registry];
  const perFeed = (name: string, help: string, value: (feed: FeedCounts) => number): void => {
    new Counter({
      name,
      help,
      labelNames: ['feed'],
      registers,
      collect() {
        // The runners hold the totals: the series are set to them at each scrape.
        this.reset();
        for (const feed of sources.feeds()) this.inc({ feed: feed.feedId }, value(feed));
      },
    });
  };
  perFeed(
    'enlace_feed_records_delivered_total',
    'Records the feed delivered to its sink.',
    (f) => f.counters.delivered,
  );
  perFeed(
    'enlace_feed_alerts_filtered_total',
    'Alerts not for the feed (its filter).',
    (f) => f.counters.filtered,
  );
  perFeed(
    'enlace_feed_alerts_read_refused_total',
    'Alerts the read rule (evaluateRead) refuses to an FIU of the feed country.',
    (f) => f.counters.readRefused,
  );
  perFeed(
    'enlace_feed_duplicates_total',
    'Redelivered alerts the sink already held.',
    (f) => f.counters.duplicates,
  );
  perFeed(
    'enlace_feed_sink_retries_total',
    'Failed sink deliveries that were retried.',
    (f) => f.sink.retries,
  );
  new Counter({
    name: 'enlace_feed_alerts_rejected_total',
    help: 'Alerts refused by verification, by reason.',
    labelNames: ['feed', 'reason'],
    registers,
    collect() {
      this.reset();
      for (const feed of sources.feeds())
        for (const [reason, n] of Object.entries(feed.counters.rejected))
          this.inc({ feed: feed.feedId, reason }, n);
    },
  });
  new Gauge({
    name: 'enlace_feed_state',
    help: 'Each feed in its state (1): running, paused (its country suspended), retrying (sink failing), stopped.',
    labelNames: ['feed', 'state'],
    registers,
    collect() {
      this.reset();
      for (const feed of sources.feeds()) {
        const state = !feed.running
          ? 'stopped'
          : feed.paused
            ? 'paused'
            : feed.sink.retrying === true
              ? 'retrying'
              : 'running';
        this.set({ feed: feed.feedId, state }, 1);
      }
    },
  });
  new Gauge({
    name: 'enlace_feed_indexed_digests',
    help: 'Digests held by the matching index.',
    registers,
    collect() {
      this.set(sources.indexedDigests());
    },
  });
  new Gauge({
    name: 'enlace_feed_registry_revision',
    help: 'Revision of the registry snapshot in force (-1: none).',
    registers,
    collect() {
      this.set(sources.registryRevision() ?? -1);
    },
  });
}
