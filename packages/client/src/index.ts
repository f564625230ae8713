/**
 * @enlace/client: typed HTTP clients of the registry, a country node and the feed service, on
 * `fetch` alone (Node 20.19+ and browsers). One timeout, one "cannot reach the <service> at
 * <url>" error, one parser of the services' error JSON into EnlaceHttpError.
 */
export type { RegistryClient } from './registry-client.js';
export { createRegistryClient } from './registry-client.js';
export type { NodeClient } from './node-client.js';
export { createNodeClient } from './node-client.js';
export type { FeedClient } from './feed-client.js';
export { createFeedClient } from './feed-client.js';

export type { CallOptions, ClientOptions } from './http-transport.js';
export { DEFAULT_TIMEOUT_MS } from './http-transport.js';
export type { RecordStream, TextStream } from './streams.js';
export type { OperationsClient, ReadinessCheckJson, ReadinessJson } from './operations.js';

export type {
  ClientErrorCode,
  FieldViolation,
  KnownServiceErrorCode,
  ServiceErrorBody,
  ServiceErrorCode,
  ServiceKind,
  UnexpectedResponseProblem,
} from './errors.js';
export {
  EnlaceClientError,
  EnlaceHttpError,
  InvalidBaseUrlError,
  ServiceUnreachableError,
  UnexpectedResponseError,
  describeServiceError,
  parseServiceError,
  serviceName,
} from './errors.js';

export type {
  AddFocalPointRequest,
  AddMembershipRequest,
  AdmitCountryRequest,
  AuditQuery,
  AuditRecordJson,
  ContactChannelName,
  CountryJson,
  CountryStatusChange,
  CountryStatusChangeJson,
  CountryStatusName,
  DecideRequest,
  EndMembershipRequest,
  FocalPointJson,
  FocalPointRoleName,
  FocalPointsQuery,
  GlossaryTermJson,
  InstantText,
  JwksJson,
  KeyJson,
  KeyRotationJson,
  KeysQuery,
  MembershipJson,
  MembershipsQuery,
  Names,
  NetworkJson,
  PolicyDecisionJson,
  PolicyRuleJson,
  PublicJwkJson,
  ReasonRequest,
  RegisterKeyRequest,
  RegistryHealthJson,
  RegistryList,
  RevokeKeyRequest,
  RevokeTokenRequest,
  RevokedTokenJson,
  RotateKeyRequest,
  SignedSnapshotJson,
  StatusChangeRequest,
  Why,
} from './registry-types.js';
export type {
  AckJson,
  DismissJson,
  JudicialUseJson,
  AlertBox,
  AlertDetailJson,
  AlertJson,
  AlertKindName,
  AlertListQuery,
  AlertPage,
  AlertSummaryJson,
  ConsentDecisionJson,
  ConsentRequestJson,
  ForwardJson,
  NodeHealthJson,
  PublishedAlertJson,
  ReceiptJson,
  RequestCreateJson,
  RequestMessageJson,
  RequestPriority,
  RequestReplyJson,
  RequestWriteJson,
  SentRequestJson,
  ThreadDetailJson,
  ThreadListQuery,
  ThreadPage,
  ThreadStatus,
  ThreadSummaryJson,
  VerificationJson,
} from './node-types.js';
export type {
  AlertRefJson,
  ExportQuery,
  FeedCountersJson,
  FeedDefinitionJson,
  FeedDefinitionRequest,
  FeedFilterJson,
  FeedHealthJson,
  FeedRecordJson,
  FeedStartText,
  FeedStatusJson,
  FileSinkJson,
  MatchRequest,
  MatchResultJson,
  NatsSinkJson,
  RecordsQuery,
  SinkJson,
  SinkStatusJson,
  WebhookSinkJson,
} from './feed-types.js';

export type { ConsoleAppName, ConsoleClient, ConsoleLinkJson, ConsoleSessionJson } from './console-client.js';
export { CONSOLE_HEADERS, createConsoleClient } from './console-client.js';
