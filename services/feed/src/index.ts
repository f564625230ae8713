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
export { feedSecuritySettings } from './app/feed-settings.js';
export type { FeedSecurityOptions, FeedSecuritySettings } from './app/feed-settings.js';
export { DEFAULT_FEED_LIMITS } from './http/rate-limit.js';
export type { FeedLimits } from './http/rate-limit.js';
export { AddressPolicy, isBlockedAddress } from './sinks/address-policy.js';
export { MAX_CA_CERTIFICATE_LENGTH } from './sinks/pem.js';
export { FeedManager, redactFeed } from './feeds/feed-manager.js';
export type { FeedActor, FeedStatus } from './feeds/feed-manager.js';
export { parseFeedDefinition, feedId } from './feeds/feed-definition.js';
export type { FeedDefinition, FeedFilter } from './feeds/feed-definition.js';
export { hasFinancialIndicators } from './feeds/feed-filter.js';
export { MatchIndex, DIGEST_LENGTH, MATCH_FIELDS } from './matching/match-index.js';
export type {
  AlertRef,
  KeyedDigestEntry,
  MatchField,
  MatchHit,
  MatchResult,
} from './matching/match-index.js';
export { MatchStore, MATCH_STORE_FILE } from './matching/match-store.js';
export { MATCH_REQUEST_MAX_DIGESTS, matchResultToJson, parseMatchRequest } from './matching/match-request.js';
export type { MatchRequest, MatchResultJson } from './matching/match-request.js';
export { createSink } from './sinks/create-sink.js';
export { ensureFeedsStream } from './sinks/nats-sink.js';
export { parseSinkDefinition, redactSinkDefinition, sinkViolations } from './sinks/sink-definition.js';
export type { SinkDefinition, SinkPolicy } from './sinks/sink-definition.js';
export { verifyWebhookSignature } from './sinks/webhook-sink.js';
export { toStixBundle } from './stix/index.js';
export { CollectionStore, COLLECTION_STORE_FILE, STIX_MEDIA_TYPE } from './collections/collection-store.js';
export type { ObjectPage, ObjectQuery, StoredEvent, StoredObject } from './collections/collection-store.js';
export { TAXII_MEDIA_TYPE, TAXII_DEFAULT_LIMIT, TAXII_MAX_LIMIT } from './taxii/taxii-request.js';
export { taxiiCollectionId } from './taxii/taxii.controller.js';
export { mispEventUuid } from './misp/misp-event.js';
export type { MispAttribute, MispEvent, MispEventBody, MispObject, MispTag } from './misp/misp-event.js';
export type { StixBundle, StixExportOptions, StixSource } from './stix/index.js';
