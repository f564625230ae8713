/**
 * The ts-proto message that ts-proto's generated decoder would make of the canonical encoding of
 * a message read by @bufbuild/protobuf's reflective reader, built straight from the reader's
 * message, without encoding and decoding again. Used where the reflective reader has the last
 * word on what bytes or JSON mean (codec.ts, json.ts): the result is, field for field, what
 * `Codec.decode(toBinary(desc, message))` gives, or undefined where that is not plainly so (then
 * the caller takes the long way, through the bytes).
 */
import { ScalarType } from '@bufbuild/protobuf';
import type { DescField, DescMessage } from '@bufbuild/protobuf';

/** What the walk gives up with. */
const BAIL: unique symbol = Symbol('bail');

export const TIMESTAMP_TYPE = 'google.protobuf.Timestamp';

/** Well-known types whose JSON form is not an object of their fields; only Timestamp is supported. */
export const SPECIAL_JSON_TYPES: ReadonlySet<string> = new Set([
  'google.protobuf.Any',
  'google.protobuf.Duration',
  'google.protobuf.FieldMask',
  'google.protobuf.Struct',
  'google.protobuf.Value',
  'google.protobuf.ListValue',
  'google.protobuf.NullValue',
  'google.protobuf.BoolValue',
  'google.protobuf.BytesValue',
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.Int32Value',
  'google.protobuf.Int64Value',
  'google.protobuf.StringValue',
  'google.protobuf.UInt32Value',
  'google.protobuf.UInt64Value',
]);

/** Whether every field's ts-proto property name is its @bufbuild/protobuf local name (checked once). */
const namesAgree = new WeakMap<DescMessage, boolean>();

export function sameNames(desc: DescMessage): boolean {
  let ok = namesAgree.get(desc);
  if (ok === undefined) {
    ok =
      desc.fields.every((f) => f.localName === f.jsonName) &&
      desc.oneofs.every(
        (o) => o.localName === o.name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()),
      );
    namesAgree.set(desc, ok);
  }
  return ok;
}

/** The ts-proto message for `message` (a reflective message of `desc`), or undefined. */
export function tsMessageOf(desc: DescMessage, message: unknown): Record<string, unknown> | undefined {
  const out = directTs(desc, message);
  return out === BAIL ? undefined : out;
}

/**
 * The ts-proto message that the generated decoder makes of toBinary(message), built without the
 * bytes: defaults for what is unset, Timestamps as Dates (as ts-proto's fromTimestamp makes
 * them); BAIL for anything whose round trip is not plainly the identity (-0, a representation
 * not expected here).
 */
function directTs(desc: DescMessage, message: unknown): Record<string, unknown> | typeof BAIL {
  if (typeof message !== 'object' || message === null || !sameNames(desc)) return BAIL;
  const msg = message as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of desc.fields) {
    const oneof = field.oneof;
    if (oneof !== undefined) {
      if (oneof.fields[0] !== field) continue;
      const selected = msg[oneof.localName] as { case?: unknown; value?: unknown } | undefined;
      if (selected === undefined || selected === null || typeof selected !== 'object') return BAIL;
      if (selected.case === undefined) {
        out[oneof.localName] = undefined;
        continue;
      }
      const chosen = oneof.fields.find((f) => f.localName === selected.case);
      if (chosen === undefined) return BAIL;
      const v = tsField(chosen, selected.value);
      if (v === BAIL) return BAIL;
      out[oneof.localName] = { $case: chosen.localName, [chosen.localName]: v };
      continue;
    }
    const v = tsField(field, msg[field.localName]);
    if (v === BAIL) return BAIL;
    out[field.localName] = v;
  }
  return out;
}

function tsField(field: DescField, value: unknown): unknown {
  switch (field.fieldKind) {
    case 'scalar':
      return tsScalar(field.scalar, value);
    case 'enum':
      return typeof value === 'number' && Number.isInteger(value) && !Object.is(value, -0) ? value : BAIL;
    case 'message':
      return value === undefined ? undefined : tsMessage(field.message, value);
    case 'list': {
      if (!Array.isArray(value)) return BAIL;
      const out: unknown[] = [];
      for (const item of value) {
        const v =
          field.listKind === 'scalar'
            ? tsScalar(field.scalar, item)
            : field.listKind === 'enum'
              ? typeof item === 'number' && Number.isInteger(item) && !Object.is(item, -0)
                ? item
                : BAIL
              : tsMessage(field.message, item);
        if (v === BAIL || v === undefined) return BAIL;
        out.push(v);
      }
      return out;
    }
    default:
      return BAIL;
  }
}

function tsMessage(desc: DescMessage, value: unknown): unknown {
  if (desc.typeName === TIMESTAMP_TYPE) {
    const t = value as { seconds?: unknown; nanos?: unknown };
    if (typeof t !== 'object' || t === null || typeof t.seconds !== 'bigint' || typeof t.nanos !== 'number')
      return BAIL;
    // As ts-proto's fromTimestamp.
    let millis = (Number(t.seconds.toString()) || 0) * 1_000;
    millis += (t.nanos || 0) / 1_000_000;
    return new Date(millis);
  }
  if (SPECIAL_JSON_TYPES.has(desc.typeName)) return BAIL;
  return directTs(desc, value);
}

function tsScalar(type: ScalarType, value: unknown): unknown {
  switch (type) {
    case ScalarType.STRING:
      return typeof value === 'string' ? value : BAIL;
    case ScalarType.BYTES:
      return value instanceof Uint8Array ? value : BAIL;
    case ScalarType.UINT32:
      return typeof value === 'number' && Number.isInteger(value) && value >= 0 && !Object.is(value, -0)
        ? value
        : BAIL;
    case ScalarType.UINT64:
      return typeof value === 'bigint' && value >= 0n ? value : BAIL;
    case ScalarType.DOUBLE:
      return typeof value === 'number' && !Object.is(value, -0) ? value : BAIL;
    default:
      return BAIL;
  }
}
