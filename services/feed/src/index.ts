/**
 * @enlace/feed: the feed service of financial intelligence units (2010 Declaration, initiative
 * 14): durable, filtered, replayable feeds of verified alerts delivered to files, webhooks or NATS;
 * hit/no-hit matching of keyed digests; STIX 2.1 export.
 */
export { FeedError, FEED_ERROR_STATUS } from './errors.js';
export type { FeedErrorCode, FieldViolation } from './errors.js';
export { FEED_RECORD_FORMAT } from './feed-record.js';
export type { FeedRecord, FeedRecordVerification } from './feed-record.js';
export type { DeliveryProgress, FeedSink, SinkStatus } from './sinks/sink.js';
export { createFeedApp, MAX_BODY_BYTES } from './app/create-feed-app.js';
export type { CreateFeedAppOptions, FeedApp } from './app/create-feed-app.js';
export { FeedManager, redactFeed } from './feeds/feed-manager.js';
export type { FeedActor, FeedStatus } from './feeds/feed-manager.js';
export { parseFeedDefinition, feedId } from './feeds/feed-definition.js';
export type { FeedDefinition, FeedFilter } from './feeds/feed-definition.js';
export { hasFinancialIndicators } from './feeds/feed-filter.js';
