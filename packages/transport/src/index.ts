/**
 * @enlace/transport: the names every part of the network agrees on (subjects, streams), and the
 * JetStream layer under them: ensuring streams, publishing alerts exactly once per id, durable
 * consumption with ack/term/nak semantics, and a NestJS transport strategy on top of it.
 */
export * from './subjects.js';
export { TransportError } from './transport-error.js';
export {
  DEFAULT_ALERTS_MAX_AGE_MS,
  DEFAULT_DUPLICATE_WINDOW_MS,
  DEFAULT_MAX_MSG_SIZE,
  MIN_DUPLICATE_WINDOW_MS,
  enlaceStreamConfigs,
  ensureEnlaceStreams,
} from './streams.js';
export { DEFAULT_PUBLISH_RETRIES, DEFAULT_PUBLISH_TIMEOUT_MS, publishAlert } from './publish.js';
export { REJECTION_REASONS, RejectMessage, isRejectMessage } from './reject-message.js';
export {
  CONFIRMED_ACK_TIMEOUT_MS,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_PULL_EXPIRES_MS,
  consume,
  exponentialNakDelay,
} from './consume.js';
export { DEFAULT_ACK_WAIT_MS, DEFAULT_MAX_DELIVER, consumeDurable } from './consume-durable.js';
export { STALL_FIXED_IN, choosePullStrategy, needsStallWorkaround, pullRetryDelay } from './pull-strategy.js';
export {
  FEED_INBOX_PREFIX,
  FEEDS_BUCKET,
  FEEDS_STREAM,
  countryNatsPermissions,
  countryNatsUser,
  feedNatsPermissions,
  fiuInboxPrefixOf,
  fiuNatsPermissions,
  fiuNatsUser,
  inboxPrefixOf,
  networkDurableOf,
  NODE_DURABLE_LIMITS,
  nodeDurablesOf,
  registryNatsPermissions,
  renderNatsAuthorization,
} from './nats-permissions.js';
export {
  NATS_BCRYPT_COST,
  NATS_NKEY_PUBLIC_FILE,
  NATS_NKEY_SEED_FILE,
  createNatsNkey,
  hashNatsPassword,
  natsNkeyPublicKey,
} from './nats-permissions-credentials.js';
export { reconcileNodeConsumers, wantedNodeDurables } from './nats-permissions-reconcile.js';
export {
  JETSTREAM_TRANSPORT,
  JetStreamContext,
  JetStreamEventPattern,
  JetStreamTransport,
} from './jetstream-transport.js';

export type { TransportErrorCode } from './transport-error.js';
export type { EnsureStreamsOptions, EnsuredStream } from './streams.js';
export type { PublishAlertOptions, PublishedAlert } from './publish.js';
export type { RejectionReason } from './reject-message.js';
export type {
  ConsumeOptions,
  ConsumerCounters,
  ConsumerRun,
  DeadLetter,
  MessageHandler,
  RejectedMessage,
} from './consume.js';
export type { DurableConsumer, DurableConsumerOptions, DurableHandler } from './consume-durable.js';
export type { PullOutcome, PullStrategyName, PullStrategySetting } from './pull-strategy.js';
export type {
  NatsAuthorizationInput,
  NatsCountryStatus,
  NatsCountryUser,
  NatsCredential,
  NatsPermissions,
  NatsServiceUser,
  NodeDurable,
} from './nats-permissions.js';
export type { NodeConsumersReconciled } from './nats-permissions-reconcile.js';
export type { JetStreamTransportEvents, JetStreamTransportOptions } from './jetstream-transport.js';
