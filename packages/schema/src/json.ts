/**
 * Strict proto3 canonical JSON mapping for alerts, for input typed by people (officer drafts,
 * YAML seeds, API bodies). Unknown fields, wrong JSON types, unknown enum names, bad
 * timestamps and bad base64 are all rejected at once in one AlertValidationError, with JSON
 * paths. Both lowerCamelCase JSON names and the original snake_case names are accepted.
 *
 * The checks walk the schema's descriptors (embedded in gen/ by `buf generate`), so every
 * message of the schema is covered without code per field. Accepted input is then converted by
 * @bufbuild/protobuf's conformance-tested JSON reader; output goes through its JSON writer.
 */
import { create, fromBinary, fromJson, ScalarType, toBinary, toJson } from '@bufbuild/protobuf';
import type { DescEnum, DescField, DescMessage, DescOneof } from '@bufbuild/protobuf';
import { encodeAlert, encodeAlertBody } from './codec.js';
import type { SchemaTypeName } from './descriptors.js';
import { messageDesc } from './descriptors.js';
import type { Violation, ViolationCode } from './errors.js';
import { AlertValidationError, UnencodableMessageError } from './errors.js';
import { Alert, AlertBody } from './gen/enlace/alert/v1/alert.js';
import type { ValidationContext } from './validate.js';
import { validateAlert } from './validate.js';
import { SPECIAL_JSON_TYPES, TIMESTAMP_TYPE, sameNames, tsMessageOf } from './ts-message.js';

/** A JSON value, as JSON.parse returns it. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** Options of alertFromJson. */
export interface AlertFromJsonOptions {
  /**
   * The JSON is a draft: `header.id` and `header.issuedAt` are assigned when the alert is issued,
   * so they must be absent (`not_allowed_in_draft`).
   */
  readonly draft?: boolean;
  /**
   * Also run validateAlert (with `draft` from above and this context), so that one error lists
   * the semantic violations too. Default: JSON mapping only.
   */
  readonly validate?: boolean | Omit<ValidationContext, 'draft'>;
}

/**
 * Reads an alert (or draft) from proto3 JSON, strictly. Throws AlertValidationError
 * (ERR_ALERT_INVALID) listing every problem.
 */
export function alertFromJson(value: unknown, opts: AlertFromJsonOptions = {}): Alert {
  const violations = checkJson('enlace.alert.v1.Alert', value);
  const draft = opts.draft === true;
  if (draft && isRecord(value) && isRecord(value.header)) {
    for (const [key, name] of [
      ['id', 'header.id'],
      ['issuedAt', 'header.issuedAt'],
      ['issued_at', 'header.issuedAt'],
    ] as const) {
      if (value.header[key] !== undefined && value.header[key] !== null)
        violations.push(violation(name, 'not_allowed_in_draft', 'is assigned when the alert is issued'));
    }
  }
  if (violations.length > 0) throw new AlertValidationError(violations);
  const alert = convert('enlace.alert.v1.Alert', value, Alert);
  if (opts.validate !== undefined && opts.validate !== false) {
    const ctx: ValidationContext = { ...(opts.validate === true ? {} : opts.validate), draft };
    const semantic = validateAlert(alert, ctx);
    if (semantic.length > 0) throw new AlertValidationError(semantic);
  }
  return alert;
}

/** Writes an alert (or draft) as canonical proto3 JSON: lowerCamelCase names, defaults omitted. */
export function alertToJson(alert: Alert): JsonObject {
  const desc = messageDesc('enlace.alert.v1.Alert');
  const direct = directInit(desc, alert);
  if (direct !== BAIL) {
    try {
      return toJson(desc, create(desc, direct)) as JsonObject;
    } catch {
      // Written the long way below, which reports the error as it always has.
    }
  }
  return write('enlace.alert.v1.Alert', () => encodeAlert(alert));
}

/** Reads an alert body (the plaintext of an encrypted body) from proto3 JSON, strictly. */
export function alertBodyFromJson(value: unknown): AlertBody {
  const violations = checkJson('enlace.alert.v1.AlertBody', value);
  if (violations.length > 0) throw new AlertValidationError(violations);
  return convert('enlace.alert.v1.AlertBody', value, AlertBody);
}

/** Writes an alert body as canonical proto3 JSON. */
export function alertBodyToJson(body: AlertBody): JsonObject {
  return write('enlace.alert.v1.AlertBody', () => encodeAlertBody(body));
}

// ---------------------------------------------------------------------------------------------
// conversion

function convert<T>(typeName: SchemaTypeName, value: unknown, codec: { decode(bytes: Uint8Array): T }): T {
  const desc = messageDesc(typeName);
  try {
    const message = fromJson(desc, value as JsonValue, { ignoreUnknownFields: false });
    // The ts-proto message made straight from the reader's, when that is what its bytes decode to.
    const direct = tsMessageOf(desc, message);
    if (direct !== undefined) return direct as T;
    // The bytes are toBinary's own, fresh and well formed: the generated decoder reads them
    // directly (decodeAlert's private copy and structural re-read are for bytes from outside).
    return codec.decode(toBinary(desc, message));
  } catch (cause) {
    // The walk accepts only what the reader accepts; reaching here means the two disagree.
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new AlertValidationError([violation('', 'wrong_type', message)], { cause });
  }
}

function write(typeName: SchemaTypeName, encode: () => Uint8Array): JsonObject {
  const bytes = encode();
  const desc = messageDesc(typeName);
  try {
    return toJson(desc, fromBinary(desc, bytes)) as JsonObject;
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new UnencodableMessageError(`cannot write ${desc.name} as JSON: ${message}`, { cause });
  }
}

// ---------------------------------------------------------------------------------------------
// direct writing

/**
 * What directInit gives up with: the message holds something whose binary round trip (ts-proto's
 * encoder, then the reflective reader) could change it or fail (a string with a surrogate, a
 * number out of its type's range, -0, NaN, a date before 1970 or after 9999, a missing or null
 * field), so it is written the long way, through those bytes.
 */
const BAIL: unique symbol = Symbol('bail');

const MAX_TIMESTAMP_MS = 253_402_300_799_999;
const UINT64_END = 2n ** 64n;

/**
 * The init object of @bufbuild/protobuf's `create` for a ts-proto message: the same message the
 * reader would make of ts-proto's encoding, without the bytes, for the values whose round trip
 * is the identity; BAIL otherwise.
 */
function directInit(desc: DescMessage, value: unknown): Record<string, unknown> | typeof BAIL {
  if (typeof value !== 'object' || value === null || !sameNames(desc)) return BAIL;
  const msg = value as Record<string, unknown>;
  const init: Record<string, unknown> = {};
  for (const oneof of desc.oneofs) {
    const selected = msg[oneof.localName];
    if (selected === undefined) continue;
    if (typeof selected !== 'object' || selected === null) return BAIL;
    const $case = (selected as { $case?: unknown }).$case;
    const field = oneof.fields.find((f) => f.localName === $case);
    if (field === undefined) return BAIL;
    const v = directField(field, (selected as Record<string, unknown>)[field.localName]);
    if (v === BAIL || v === undefined) return BAIL;
    init[oneof.localName] = { case: field.localName, value: v };
  }
  for (const field of desc.fields) {
    if (field.oneof !== undefined) continue;
    const v = directField(field, msg[field.localName]);
    if (v === BAIL) return BAIL;
    if (v !== undefined) init[field.localName] = v;
  }
  return init;
}

function directField(field: DescField, value: unknown): unknown {
  switch (field.fieldKind) {
    case 'scalar':
      return directScalar(field.scalar, value);
    case 'enum':
      return directEnum(value);
    case 'message':
      if (value === undefined) return undefined;
      return directMessage(field.message, value);
    case 'list': {
      if (!Array.isArray(value)) return BAIL;
      const out: unknown[] = [];
      for (const item of value) {
        const v =
          field.listKind === 'scalar'
            ? directScalar(field.scalar, item)
            : field.listKind === 'enum'
              ? directEnum(item)
              : directMessage(field.message, item);
        if (v === BAIL || v === undefined) return BAIL;
        out.push(v);
      }
      return out;
    }
    default:
      return BAIL;
  }
}

function directMessage(desc: DescMessage, value: unknown): unknown {
  if (desc.typeName === TIMESTAMP_TYPE) {
    if (!(value instanceof Date)) return BAIL;
    const ms = value.getTime();
    if (!Number.isInteger(ms) || ms < 0 || ms > MAX_TIMESTAMP_MS) return BAIL;
    return { seconds: BigInt(Math.trunc(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
  }
  if (SPECIAL_JSON_TYPES.has(desc.typeName)) return BAIL;
  return directInit(desc, value);
}

function directEnum(value: unknown): unknown {
  return typeof value === 'number' &&
    Number.isInteger(value) &&
    !Object.is(value, -0) &&
    value >= -0x80000000 &&
    value <= 0x7fffffff
    ? value
    : BAIL;
}

function directScalar(type: ScalarType, value: unknown): unknown {
  switch (type) {
    case ScalarType.STRING:
      return typeof value === 'string' && !ANY_SURROGATE.test(value) ? value : BAIL;
    case ScalarType.BYTES:
      return value instanceof Uint8Array ? value : BAIL;
    case ScalarType.UINT32:
      return typeof value === 'number' &&
        Number.isInteger(value) &&
        !Object.is(value, -0) &&
        value >= 0 &&
        value <= 0xffffffff
        ? value
        : BAIL;
    case ScalarType.UINT64:
      return typeof value === 'bigint' && value >= 0n && value < UINT64_END ? value : BAIL;
    case ScalarType.DOUBLE:
      return typeof value === 'number' && Number.isFinite(value) && !Object.is(value, -0) ? value : BAIL;
    default:
      // No other scalar type in the alert schema: the long way.
      return BAIL;
  }
}

// ---------------------------------------------------------------------------------------------
// strict walk

function checkJson(typeName: SchemaTypeName, value: unknown): Violation[] {
  const out: Violation[] = [];
  checkMessage(out, messageDesc(typeName), value, '');
  return out;
}

const fieldsByKey = new WeakMap<DescMessage, ReadonlyMap<string, DescField>>();

function lookupField(desc: DescMessage, key: string): DescField | undefined {
  let map = fieldsByKey.get(desc);
  if (map === undefined) {
    const m = new Map<string, DescField>();
    for (const field of desc.fields) {
      m.set(field.name, field);
      m.set(field.jsonName, field);
    }
    fieldsByKey.set(desc, m);
    map = m;
  }
  return map.get(key);
}

function checkMessage(out: Violation[], desc: DescMessage, value: unknown, path: string): void {
  if (desc.typeName === 'google.protobuf.Timestamp') {
    checkTimestamp(out, value, path);
    return;
  }
  if (SPECIAL_JSON_TYPES.has(desc.typeName)) {
    out.push(violation(path, 'unsupported_type', `${desc.typeName} is not supported by this mapping`));
    return;
  }
  if (!isRecord(value)) {
    out.push(violation(path, 'wrong_type', `expected an object (${desc.name}), got ${jsonType(value)}`));
    return;
  }
  const seen = new Map<DescField, string>();
  const oneofs = new Map<DescOneof, string>();
  for (const key of Object.keys(value)) {
    const fieldValue = value[key];
    const field = lookupField(desc, key);
    if (field === undefined) {
      out.push(violation(join(path, key), 'unknown_field', `${desc.name} has no field "${key}"`));
      continue;
    }
    const fieldPath = join(path, field.jsonName);
    const other = seen.get(field);
    if (other !== undefined) {
      out.push(violation(fieldPath, 'duplicate_field', `"${key}" and "${other}" name the same field`));
      continue;
    }
    seen.set(field, key);
    // proto3 JSON: null stands for the field's default value, i.e. not set.
    if (fieldValue === null || fieldValue === undefined) continue;
    if (field.oneof !== undefined) {
      const set = oneofs.get(field.oneof);
      if (set !== undefined) {
        out.push(
          violation(
            fieldPath,
            'oneof_conflict',
            `only one of ${oneofNames(field.oneof)} may be set ("${set}" is)`,
          ),
        );
        continue;
      }
      oneofs.set(field.oneof, field.jsonName);
    }
    checkField(out, field, fieldValue, fieldPath);
  }
}

function checkField(out: Violation[], field: DescField, value: unknown, path: string): void {
  switch (field.fieldKind) {
    case 'scalar':
      checkScalar(out, field.scalar, value, path);
      return;
    case 'enum':
      checkEnum(out, field.enum, value, path);
      return;
    case 'message':
      checkMessage(out, field.message, value, path);
      return;
    case 'list':
      if (!Array.isArray(value)) {
        out.push(violation(path, 'wrong_type', `expected an array, got ${jsonType(value)}`));
        return;
      }
      value.forEach((item: unknown, i) => {
        const itemPath = `${path}[${i}]`;
        if (item === null || item === undefined) {
          out.push(violation(itemPath, 'wrong_type', 'null is not allowed in a list'));
          return;
        }
        if (field.listKind === 'scalar') checkScalar(out, field.scalar, item, itemPath);
        else if (field.listKind === 'enum') checkEnum(out, field.enum, item, itemPath);
        else checkMessage(out, field.message, item, itemPath);
      });
      return;
    case 'map':
      if (!isRecord(value)) {
        out.push(violation(path, 'wrong_type', `expected an object, got ${jsonType(value)}`));
        return;
      }
      for (const key of Object.keys(value)) {
        const item = value[key];
        const itemPath = `${path}[${JSON.stringify(key)}]`;
        checkMapKey(out, field.mapKey, key, itemPath);
        if (item === null || item === undefined) {
          out.push(violation(itemPath, 'wrong_type', 'null is not allowed as a map value'));
          continue;
        }
        if (field.mapKind === 'scalar') checkScalar(out, field.scalar, item, itemPath);
        else if (field.mapKind === 'enum') checkEnum(out, field.enum, item, itemPath);
        else checkMessage(out, field.message, item, itemPath);
      }
      return;
  }
}

const INT32: readonly [bigint, bigint] = [-(2n ** 31n), 2n ** 31n - 1n];
const UINT32: readonly [bigint, bigint] = [0n, 2n ** 32n - 1n];
const INT64: readonly [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];
const UINT64: readonly [bigint, bigint] = [0n, 2n ** 64n - 1n];
const FLOAT32_MAX = 3.4028234663852886e38;
const INTEGER_STRING = /^-?(?:0|[1-9]\d*)$/;
const DECIMAL_STRING = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;

/** Whether a string holds an unpaired surrogate (the full test only when it holds any). */
function hasLoneSurrogate(value: string): boolean {
  return ANY_SURROGATE.test(value) && LONE_SURROGATE.test(value);
}

function checkScalar(out: Violation[], type: ScalarType, value: unknown, path: string): void {
  switch (type) {
    case ScalarType.STRING:
      if (typeof value !== 'string')
        out.push(violation(path, 'wrong_type', `expected a string, got ${jsonType(value)}`));
      else if (hasLoneSurrogate(value))
        out.push(
          violation(path, 'invalid_string', 'contains an unpaired UTF-16 surrogate (not encodable as UTF-8)'),
        );
      return;
    case ScalarType.BOOL:
      if (typeof value !== 'boolean')
        out.push(violation(path, 'wrong_type', `expected true or false, got ${jsonType(value)}`));
      return;
    case ScalarType.BYTES:
      if (typeof value !== 'string')
        out.push(violation(path, 'wrong_type', `expected a base64 string, got ${jsonType(value)}`));
      else if (!isBase64(value)) out.push(violation(path, 'invalid_base64', 'not valid base64 or base64url'));
      return;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      checkFloat(out, value, path, type === ScalarType.FLOAT);
      return;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      checkInteger(out, value, path, INT32, false);
      return;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      checkInteger(out, value, path, UINT32, false);
      return;
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      checkInteger(out, value, path, INT64, true);
      return;
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      checkInteger(out, value, path, UINT64, true);
      return;
  }
}

function checkInteger(
  out: Violation[],
  value: unknown,
  path: string,
  [min, max]: readonly [bigint, bigint],
  wide: boolean,
): void {
  let n: bigint;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      out.push(violation(path, 'wrong_type', `expected an integer, got ${String(value)}`));
      return;
    }
    if (wide && !Number.isSafeInteger(value)) {
      out.push(violation(path, 'out_of_range', 'integers beyond ±2^53 must be written as strings'));
      return;
    }
    n = BigInt(value);
  } else if (typeof value === 'string' && INTEGER_STRING.test(value)) {
    n = BigInt(value);
  } else {
    out.push(violation(path, 'wrong_type', `expected an integer, got ${jsonType(value)}`));
    return;
  }
  if (n < min || n > max) out.push(violation(path, 'out_of_range', `must be from ${min} to ${max}`));
}

function checkFloat(out: Violation[], value: unknown, path: string, float32: boolean): void {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return;
  else if (typeof value === 'string' && DECIMAL_STRING.test(value)) n = Number(value);
  else {
    out.push(violation(path, 'wrong_type', `expected a number, got ${jsonType(value)}`));
    return;
  }
  if (!Number.isFinite(n) || (float32 && Math.abs(n) > FLOAT32_MAX))
    out.push(violation(path, 'out_of_range', `${String(value)} is out of range`));
}

const enumNames = new WeakMap<DescEnum, ReadonlySet<string>>();
const enumNumbers = new WeakMap<DescEnum, ReadonlySet<number>>();

function enumNameSet(desc: DescEnum): ReadonlySet<string> {
  let set = enumNames.get(desc);
  if (set === undefined) {
    set = new Set(desc.values.map((v) => v.name));
    enumNames.set(desc, set);
  }
  return set;
}

function enumNumberSet(desc: DescEnum): ReadonlySet<number> {
  let set = enumNumbers.get(desc);
  if (set === undefined) {
    set = new Set(desc.values.map((v) => v.number));
    enumNumbers.set(desc, set);
  }
  return set;
}

function checkEnum(out: Violation[], desc: DescEnum, value: unknown, path: string): void {
  if (typeof value === 'string') {
    if (!enumNameSet(desc).has(value))
      out.push(
        violation(
          path,
          'unknown_enum',
          `"${clip(value)}" is not a value of ${desc.name} (${desc.values.map((v) => v.name).join(', ')})`,
        ),
      );
  } else if (typeof value === 'number') {
    if (!enumNumberSet(desc).has(value))
      out.push(violation(path, 'unknown_enum', `${value} is not a value of ${desc.name}`));
  } else {
    out.push(violation(path, 'wrong_type', `expected a name of ${desc.name}, got ${jsonType(value)}`));
  }
}

function checkMapKey(out: Violation[], type: ScalarType, key: string, path: string): void {
  switch (type) {
    case ScalarType.STRING:
      if (hasLoneSurrogate(key)) out.push(violation(path, 'invalid_string', 'key has an unpaired surrogate'));
      return;
    case ScalarType.BOOL:
      if (key !== 'true' && key !== 'false')
        out.push(violation(path, 'wrong_type', 'key must be true or false'));
      return;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      checkInteger(out, key, path, INT32, false);
      return;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      checkInteger(out, key, path, UINT32, false);
      return;
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      checkInteger(out, key, path, UINT64, true);
      return;
    default:
      checkInteger(out, key, path, INT64, true);
  }
}

// RFC 3339 as proto3 JSON uses it: upper-case T and Z, 0-9 fractional digits, optional offset.
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-](\d{2}):(\d{2}))$/;
const MIN_SECONDS = -62_135_596_800; // 0001-01-01T00:00:00Z
const MAX_SECONDS = 253_402_300_799; // 9999-12-31T23:59:59Z

function checkTimestamp(out: Violation[], value: unknown, path: string): void {
  if (typeof value !== 'string') {
    out.push(violation(path, 'wrong_type', `expected an RFC 3339 timestamp string, got ${jsonType(value)}`));
    return;
  }
  const bad = (why: string): void => {
    out.push(violation(path, 'invalid_timestamp', `"${clip(value)}" ${why}`));
  };
  const m = TIMESTAMP.exec(value);
  if (m === null) {
    bad('is not an RFC 3339 timestamp like 2026-05-01T12:00:00Z');
    return;
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = m[7] ?? '';
  const daysInMonth = month >= 1 && month <= 12 ? new Date(Date.UTC(2000, month, 0)).getUTCDate() : 0;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const maxDay = month === 2 ? (leap ? 29 : 28) : daysInMonth;
  const offsetHours = m[9] === undefined ? 0 : Number(m[9]);
  const offsetMinutes = m[10] === undefined ? 0 : Number(m[10]);
  if (
    year < 1 ||
    day < 1 ||
    day > maxDay ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  ) {
    bad('is not a valid date and time');
    return;
  }
  if (/[1-9]/.test(fraction.slice(3))) {
    bad('is finer than millisecond precision, which alerts do not carry');
    return;
  }
  const sign = m[8] === 'Z' ? 0 : m[8]?.startsWith('-') === true ? -1 : 1;
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  const seconds = date.getTime() / 1000 - sign * (offsetHours * 3600 + offsetMinutes * 60);
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) bad('is outside years 0001 to 9999 (UTC)');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;

function isBase64(value: string): boolean {
  if (!BASE64.test(value) && !BASE64URL.test(value)) return false;
  const unpadded = value.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) return false;
  if (unpadded.length !== value.length && value.length % 4 !== 0) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// helpers

function violation(path: string, code: ViolationCode, message: string): Violation {
  return { path, code, message };
}

function join(path: string, name: string): string {
  return path === '' ? name : `${path}.${name}`;
}

function oneofNames(oneof: DescOneof): string {
  return oneof.fields.map((f) => f.jsonName).join(', ');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `the string "${clip(value)}"`;
    case 'number':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}
