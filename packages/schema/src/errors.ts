/**
 * Errors of @enlace/schema: one base class with a stable `code`, and the validation error that
 * lists every violated field of an alert.
 */

/** Stable codes of every error this package throws. */
export type SchemaErrorCode =
  /** Bytes that are not a well-formed protobuf encoding of the expected message. */
  | 'ERR_SCHEMA_MALFORMED'
  /** A message object that cannot be serialized (e.g. an invalid Date or an out-of-range bigint). */
  | 'ERR_SCHEMA_UNENCODABLE'
  /** An alert (or draft, or JSON) that breaks the schema or its semantic rules. */
  | 'ERR_ALERT_INVALID';

/** Stable codes of single violations: JSON-mapping problems and semantic rules. */
export type ViolationCode =
  // JSON mapping (json.ts)
  | 'wrong_type'
  | 'unknown_field'
  | 'duplicate_field'
  | 'unknown_enum'
  | 'invalid_timestamp'
  | 'invalid_base64'
  | 'invalid_string'
  | 'oneof_conflict'
  | 'unsupported_type'
  | 'not_allowed_in_draft'
  // semantic rules (validate.ts)
  | 'required'
  | 'unspecified_enum'
  | 'unknown_country'
  | 'unknown_currency'
  | 'unknown_network'
  | 'unknown_recipient'
  | 'unknown_entity'
  | 'invalid_format'
  | 'invalid_length'
  | 'out_of_range'
  | 'too_long'
  | 'too_many'
  | 'duplicate'
  | 'conflict'
  | 'self_reference'
  | 'recipient_is_origin'
  | 'not_after_issued_at'
  | 'expired'
  | 'observed_in_future'
  | 'first_after_last'
  | 'min_greater_than_max'
  | 'exceeds_total'
  | 'too_few_waypoints'
  | 'inconsistent_crossing'
  | 'inconsistent_age_band'
  | 'body_kind_mismatch'
  | 'restricted_not_encrypted'
  | 'encrypted_not_restricted'
  /** Title or summary of a restricted alert in the clear header instead of the encrypted body. */
  | 'restricted_text_in_clear'
  /** Free text that could identify a person (screenFreeText). */
  | 'possible_victim_identifier';

/** One problem with one field. `path` uses JSON names, e.g. `route.waypoints[0].coordinates.latitude`. */
export interface Violation {
  readonly path: string;
  readonly code: ViolationCode;
  readonly message: string;
}

/** Base class of every error thrown by @enlace/schema. */
export class SchemaError extends Error {
  readonly code: SchemaErrorCode;

  constructor(code: SchemaErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SchemaError';
    this.code = code;
  }
}

/** Bytes could not be decoded as the expected message. */
export class MalformedMessageError extends SchemaError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_SCHEMA_MALFORMED', message, options);
    this.name = 'MalformedMessageError';
  }
}

/** A message object could not be serialized. */
export class UnencodableMessageError extends SchemaError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_SCHEMA_UNENCODABLE', message, options);
    this.name = 'UnencodableMessageError';
  }
}

/** An alert breaks the JSON mapping or the semantic rules; `violations` lists every problem. */
export class AlertValidationError extends SchemaError {
  readonly violations: readonly Violation[];

  constructor(violations: readonly Violation[], options?: ErrorOptions) {
    super('ERR_ALERT_INVALID', formatViolations(violations), options);
    this.name = 'AlertValidationError';
    this.violations = violations;
  }
}

function formatViolations(violations: readonly Violation[]): string {
  const count = violations.length === 1 ? '1 violation' : `${violations.length} violations`;
  const lines = violations.map((v) => `  ${v.path === '' ? '(root)' : v.path}: ${v.code}: ${v.message}`);
  return `invalid alert (${count}):\n${lines.join('\n')}`;
}
