/** What the feed service's controllers work with, built once by createFeedApp. */
import type { TrustState } from '@enlace/trust';

import type { CollectionStore } from '../collections/collection-store.js';

import type { FeedActor, FeedManager } from '../feeds/feed-manager.js';
import type { MatchResultJson } from '../matching/match-request.js';
import type { FeedReader } from '../feeds/feed-reader.js';
import type { FeedRateLimits } from './rate-limit.js';

export interface FeedContext {
  readonly manager: FeedManager;
  readonly reader: FeedReader;
  readonly trust: TrustState;
  /** Answers a hit/no-hit query (POST /v1/match) for `actor` (an administrator sees every hit). */
  readonly match: (body: unknown, actor: FeedActor) => Promise<MatchResultJson>;
  /** Digests held by the matching index, for /health. */
  readonly indexedDigests: () => number;
  readonly natsConnected: () => boolean;
  /** Open readers and per-token rates (tail, replay, export, match). */
  readonly limits: FeedRateLimits;
  /** What each feed delivered, as STIX objects and MISP events (TAXII server, MISP feed). */
  readonly collections: CollectionStore;
}
