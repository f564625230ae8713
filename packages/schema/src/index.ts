/**
 * @enlace/schema: the alert types generated from proto/ (ts-proto), strict binary and JSON
 * codecs, semantic validation, and the reference code lists they use.
 *
 * The generated message objects (`Alert`, `AlertHeader`, ...) are exported for their `create` and
 * `fromPartial` builders. Read untrusted input only with decodeAlert / decodeSignedAlert /
 * decodeAlertBody and alertFromJson: the generated `decode` and `fromJSON` are lenient.
 */
export {
  Alert,
  AlertBody,
  AlertHeader,
  AlertKind,
  EncryptedBody,
  Grading,
  HandlingCode,
  InformationCredibility,
  SourceReliability,
  TlpMarking,
} from './gen/enlace/alert/v1/alert.js';
export { SignedAlert } from './gen/enlace/alert/v1/signed_alert.js';
export {
  ConsentDecision,
  ConsentPurpose,
  ConsentRequest,
  InformationRequest,
  Priority,
  References,
  Reply,
  Request,
  RequestBody,
  RequestHeader,
  RequestType,
  SignedRequest,
} from './gen/enlace/rfi/v1/request.js';
export {
  AgeBand,
  Coordinates,
  KeyedDigest,
  MoneyRange,
  VictimGroup,
  VulnerabilityFlag,
} from './gen/enlace/alert/v1/common.js';
export {
  CrossingType,
  RouteAlert,
  TransportMode,
  VulnerabilityCounts,
  Waypoint,
} from './gen/enlace/alert/v1/route_alert.js';
export {
  Detection,
  DetectionPoint,
  DocumentAlert,
  DocumentType,
  FraudType,
  SecurityFeature,
} from './gen/enlace/alert/v1/document_alert.js';
export {
  AccountReference,
  AccountType,
  EntityLink,
  EntityRole,
  FinancialIndicators,
  LinkRelation,
  NetworkAlert,
  NetworkEntity,
  PaymentChannel,
  RemittanceCorridor,
} from './gen/enlace/alert/v1/network_alert.js';

export type { SchemaErrorCode, Violation, ViolationCode } from './errors.js';
export {
  AlertValidationError,
  MalformedMessageError,
  SchemaError,
  UnencodableMessageError,
} from './errors.js';

export {
  decodeAlert,
  decodeAlertBody,
  decodeRequest,
  decodeRequestBody,
  decodeSignedAlert,
  decodeSignedRequest,
  encodeAlert,
  encodeAlertBody,
  encodeRequest,
  encodeRequestBody,
  encodeSignedAlert,
  encodeSignedRequest,
} from './codec.js';

export type { AlertFromJsonOptions, JsonObject, JsonValue } from './json.js';
export { alertBodyFromJson, alertBodyToJson, alertFromJson, alertToJson } from './json.js';

export type { BodyValidationContext, ValidationContext } from './validate.js';
export {
  ALERT_LIMITS,
  alertKindOfBody,
  assertValidAlert,
  isNetworkId,
  isUuidV7,
  validateAlert,
  validateAlertBody,
} from './validate.js';

export {
  HANDLING_NAMES,
  KIND_NAMES,
  TLP_NAMES,
  handlingFromName,
  handlingName,
  kindFromName,
  kindName,
  tlpFromName,
  tlpName,
} from './enum-names.js';
export type { AlertKindName, HandlingCodeName, TlpMarkingName } from './enum-names.js';
export { COUNTRY_CODES, CURRENCY_CODES, isCountryCode, isCurrencyCode } from './countries.js';

// Screening of free text for what could identify a person (XII RCM 2007, victim-centred).
export type { FreeTextFinding, FreeTextFindingKind } from './screen-free-text.js';
export { describeFreeTextFinding, screenFreeText } from './screen-free-text.js';

// Registry request/reply and change events (enlace.registry.v1), as one namespace: its message
// names (KeyInfo, Decision, ...) belong to the registry, not to alerts.
export * as registryV1 from './gen/enlace/registry/v1/registry.js';
