/**
 * @enlace/policy: pure access-policy evaluation, no I/O. Given a registry snapshot (countries
 * with status histories, networks, memberships, rules citing their legal basis), decides
 * whether a country may publish an alert, whether another may receive it and whether it may be
 * passed on, as things stood when the alert was issued, and what a reader may see of a stored
 * alert on each channel, with a stable reason when not.
 */
export type {
  AlertKind,
  Country,
  CountryCode,
  CountryStatus,
  CountryStatusChange,
  HandlingCode,
  Instant,
  LegalBasis,
  LocalizedText,
  Membership,
  MembershipRole,
  Network,
  NetworkId,
  PolicyAction,
  PolicyRule,
  PolicySnapshot,
  RuleEffect,
  TimeInput,
} from './model.js';
export {
  ALERT_KINDS,
  COUNTRY_STATUSES,
  HANDLING_CODES,
  MEMBERSHIP_ROLES,
  POLICY_ACTIONS,
  POLICY_SNAPSHOT_FORMAT,
  RULE_EFFECTS,
} from './model.js';

export type { PolicyErrorCode, SnapshotProblem, SnapshotProblemCode } from './errors.js';
export { PolicyError, PolicyQueryError, PolicySnapshotError } from './errors.js';

export { assertValidSnapshot, isValidSnapshot, validateSnapshot } from './validate.js';

export { formatLegalBasis } from './rules.js';

export type {
  EligibleReceiversQuery,
  ForwardConsent,
  ForwardQuery,
  MembershipsQuery,
  PolicyAllowed,
  PolicyDecision,
  PolicyDenied,
  PolicyEvaluator,
  PolicyReason,
  PublishQuery,
  ReceiveQuery,
} from './evaluate.js';
export {
  CONSENT_RULE,
  POLICY_REASONS,
  createPolicyEvaluator,
  evaluateForward,
  evaluatePublish,
  evaluateReceive,
  membershipsAt,
  statusAt,
} from './evaluate.js';

export type {
  ReadAlert,
  ReadAllowed,
  ReadChannel,
  ReadDecision,
  ReadOptions,
  ReadReason,
  ReadRefused,
  ReadVisibility,
  Reader,
  ReaderRole,
} from './read.js';
export { READER_ROLES, READ_CHANNELS, READ_REASONS, evaluateRead } from './read.js';

export { CONFERENCE_DECISIONS, createDefaultNetworks, createDefaultRules } from './default-rules.js';

export { isInstant } from './time.js';
