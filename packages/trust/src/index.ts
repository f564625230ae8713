/**
 * @enlace/trust: what every part of Enlace needs to decide what to trust (DESIGN.md trust
 * model): the shape of the registry's signed state and its verification against the pinned
 * registry key, the trust view at an instant and the trust state that follows the registry,
 * the checks of every signed envelope (alerts through verifyInbound, receipts through
 * verifyReceipt, both on verifyEnvelope), bearer tokens with roles and audiences, and the
 * registry RPC client. No Nest; NATS only in TrustState and the RPC client.
 */
export { TRUST_ERROR_CODES, TrustError, isTrustErrorCode } from './errors.js';
export type { FieldViolation, TrustErrorCode, TrustErrorOptions } from './errors.js';

export { FOCAL_POINT_ROLES, REGISTRY_SNAPSHOT_FORMAT, TOKEN_ROLES } from './signed-state.js';
export type {
  Actor,
  FocalPointRole,
  KeyRecord,
  KeyUse,
  RegistryChange,
  RegistrySnapshot,
  RevokedSubject,
  RevokedToken,
  TokenRole,
} from './signed-state.js';

export {
  SNAPSHOT_JWS_TYPE,
  keysOf,
  policyOf,
  snapshotViolations,
  verifyRegistryEvent,
  verifySignedSnapshot,
} from './registry-verification.js';

export { createTrustView, keyProblemAt } from './trust-view.js';
export type { TrustSource, TrustView } from './trust-view.js';
export { SNAPSHOT_FILE, TrustState } from './trust-state.js';
export type { TrustStateOptions } from './trust-state.js';

export { rejectEnvelope, rejectionReasonOf, signingKeyAt, verifyEnvelope } from './envelope.js';
export type { EnvelopeCheck, EnvelopeToken, VerifiedEnvelope } from './envelope.js';
export {
  DEFAULT_TIME_RULE,
  TIME_RULE_ENV,
  checkIssuedAt,
  judgedAt,
  storedTimeOf,
  timeRuleFromEnv,
} from './time-rule.js';
export type { TimeRule } from './time-rule.js';
export { verifyInbound } from './verify-inbound.js';
export type { InboundMessage, VerifiedAlert, VerifyContext } from './verify-inbound.js';
export {
  CONSENT_HEADER,
  REQUEST_MESSAGE_TYPE,
  REQUEST_TYPE_HEADER,
  openRequestBody,
  requestMsgId,
  requestProblem,
  signRequest,
  verifyConsentGrant,
  verifyRequest,
} from './verify-request.js';
export type {
  ConsentCheck,
  VerifiedConsent,
  VerifiedRequest,
  VerifyRequestContext,
} from './verify-request.js';
export {
  RECEIPT_BATCH_FORMAT,
  RECEIPT_BATCH_MAX,
  RECEIPT_FORMAT,
  RECEIPT_JWS_TYPE,
  RECEIPT_STATUSES,
  ReceiptError,
  signReceipt,
  signReceiptSync,
  verifyReceipt,
} from './receipt.js';
export type { Receipt, ReceiptBatch, ReceiptDelivery, ReceiptStatus, VerifiedReceipt } from './receipt.js';

export {
  CONTENT_ROLES,
  DEFAULT_TOKEN_TTL_SECONDS,
  MAX_TOKEN_TTL_SECONDS,
  REGISTRY_PRIVATE_KEY_FILE,
  REGISTRY_PUBLIC_KEY_FILE,
  SERVICE_AUDIENCES,
  TOKEN_ISSUER,
  createToken,
  isTokenId,
  issueToken,
  tokenRevocationCheck,
  verifyToken,
} from './token.js';
export type {
  IssueTokenOptions,
  IssuedToken,
  ServiceAudience,
  TokenClaims,
  TokenRevocationCheck,
  TokenSigningKey,
  VerifyTokenOptions,
} from './token.js';

export { createRegistryRpcClient, fromRpcError } from './registry-rpc-client.js';
export type { DecideQuery, RegistryRpcClient, RegistryRpcClientOptions } from './registry-rpc-client.js';
export { SERVICE_ERROR_CODE_HEADER, SERVICE_ERROR_HEADER } from './rpc-codec.js';
export type { ProtoCodec } from './rpc-codec.js';
