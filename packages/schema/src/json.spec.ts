import { readFileSync } from 'node:fs';
import { fromBinary, fromJson, toBinary, toJson } from '@bufbuild/protobuf';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Violation } from './errors.js';
import { encodeAlert } from './codec.js';
import { messageDesc } from './descriptors.js';
import { AlertValidationError } from './errors.js';
import { Alert, AlertKind } from './gen/enlace/alert/v1/alert.js';
import type { JsonObject, JsonValue } from './json.js';
import { alertBodyFromJson, alertBodyToJson, alertFromJson, alertToJson } from './json.js';

const root = resolve(import.meta.dirname, '../../..');
const DEMOS = [
  'route-mx-gt-us.yaml',
  'document-counterfeit-passport.yaml',
  'network-smuggling-financier.yaml',
];
const ID = '019a5f3e-7c2b-7d41-9b7e-3f2a1c4d5e6f';

function demoJson(file: string): JsonObject {
  return parse(readFileSync(join(root, 'seeds/demo', file), 'utf8')) as JsonObject;
}

/** The demo route as issued alert JSON, deep-copied so each test may change it. */
function routeJson(): JsonObject & { header: JsonObject; route: JsonObject & { waypoints: JsonObject[] } } {
  const json = structuredClone(demoJson('route-mx-gt-us.yaml')) as ReturnType<typeof routeJson>;
  json.header.id = ID;
  json.header.issuedAt = '2026-11-10T12:00:00Z';
  return json;
}

function violationsOf(fn: () => unknown): Violation[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AlertValidationError);
    const error = err as AlertValidationError;
    expect(error.code).toBe('ERR_ALERT_INVALID');
    expect(error.name).toBe('AlertValidationError');
    // The message lists every violation, one per line.
    for (const v of error.violations) expect(error.message).toContain(`${v.path || '(root)'}: ${v.code}: `);
    return [...error.violations];
  }
  throw new Error('expected an AlertValidationError');
}

/** Violations in a stable order (the walk reports them in the order of the input's keys). */
function sorted(violations: Violation[]): Violation[] {
  return [...violations].sort((a, b) => a.path.localeCompare(b.path));
}

function only(violations: Violation[]): Violation {
  expect(violations).toHaveLength(1);
  return violations[0] as Violation;
}

describe('alertFromJson / alertToJson round trip', () => {
  it.each(DEMOS)('reads %s and writes it back unchanged', (file) => {
    const json = demoJson(file);
    const draft = alertFromJson(json, { draft: true });
    const written = alertToJson(draft);
    expect(alertFromJson(written, { draft: true })).toEqual(draft);
    // YAML and canonical JSON differ only in how numbers of uint64 fields may be written.
    expect(JSON.parse(JSON.stringify(written))).toEqual(written);
  });

  it('reads an issued alert with id and issue time', () => {
    const alert = alertFromJson(routeJson());
    expect(alert.header?.id).toBe(ID);
    expect(alert.header?.issuedAt).toEqual(new Date('2026-11-10T12:00:00Z'));
    expect(alert.header?.kind).toBe(AlertKind.ALERT_KIND_ROUTE);
    expect(alert.body?.$case).toBe('route');
    expect(alertFromJson(alertToJson(alert))).toEqual(alert);
  });

  it('writes canonical proto3 JSON', () => {
    const alert = alertFromJson(routeJson());
    const json = alertToJson(alert) as { header: JsonObject; route: JsonObject };
    expect(json.header.kind).toBe('ALERT_KIND_ROUTE');
    expect(json.header.issuedAt).toBe('2026-11-10T12:00:00Z');
    expect(json.header.expiresAt).toBe('2027-05-31T23:59:59Z');
    expect(json.route.smugglingFee).toEqual({ currency: 'USD', min: '7000', max: '12000' });
    expect(json.route.estimatedMigrants).toBe(180);
    // Defaults are omitted: the demo has no handling note and no deceased.
    expect(json.header).not.toHaveProperty('handlingNote');
    expect(json.route.vulnerability).not.toHaveProperty('deceased');
    const doc = alertToJson(
      alertFromJson(demoJson('document-counterfeit-passport.yaml'), { draft: true }),
    ) as {
      document: { numberDigests: JsonObject[] };
    };
    expect(doc.document.numberDigests[0]?.digest).toBe('wf8sJC4KewXIMN6JSncO9Ge2UjhYAcw1694ShnzTBa0=');
  });

  it('accepts the original snake_case names as well as lowerCamelCase', () => {
    const camel = routeJson();
    const snake = structuredClone(camel) as JsonObject & { header: JsonObject; route: JsonObject };
    snake.header.issued_at = snake.header.issuedAt ?? null;
    snake.header.expires_at = snake.header.expiresAt ?? null;
    delete snake.header.issuedAt;
    delete snake.header.expiresAt;
    snake.route.smuggling_fee = snake.route.smugglingFee ?? null;
    snake.route.estimated_migrants = snake.route.estimatedMigrants ?? null;
    delete snake.route.smugglingFee;
    delete snake.route.estimatedMigrants;
    expect(alertFromJson(snake)).toEqual(alertFromJson(camel));
  });

  it('accepts numbers and strings for integers, enum numbers, offsets and base64url', () => {
    const json = routeJson();
    json.route.smugglingFee = { currency: 'USD', min: 7000, max: '12000' };
    json.route.estimatedMigrants = '180';
    json.header.kind = 1;
    json.header.expiresAt = '2027-05-31T18:59:59.000-05:00';
    expect(alertFromJson(json)).toEqual(alertFromJson(routeJson()));

    const doc = demoJson('document-counterfeit-passport.yaml') as {
      document: { numberDigests: JsonObject[] };
    };
    const url = structuredClone(doc);
    const first = url.document.numberDigests[0] as JsonObject;
    first.digest = 'wf8sJC4KewXIMN6JSncO9Ge2UjhYAcw1694ShnzTBa0';
    expect(alertFromJson(url, { draft: true })).toEqual(alertFromJson(doc, { draft: true }));
  });

  it('treats null as an unset field', () => {
    const json = routeJson();
    json.header.summary = null;
    json.route.vulnerability = null;
    const alert = alertFromJson(json);
    expect(alert.header?.summary).toBe('');
    expect(alert.body?.$case === 'route' && alert.body.route.vulnerability).toBeUndefined();
  });

  it('keeps millisecond precision', () => {
    const json = routeJson();
    json.header.issuedAt = '2026-11-10T12:00:00.123000Z';
    expect(alertFromJson(json).header?.issuedAt?.toISOString()).toBe('2026-11-10T12:00:00.123Z');
  });
});

describe('strict JSON rejections', () => {
  it('rejects unknown fields at any depth, with their paths', () => {
    const json = routeJson();
    json.severity = 'high';
    json.header.victimName = 'x';
    (json.route.waypoints[1] as JsonObject).altitude = 12;
    const violations = violationsOf(() => alertFromJson(json));
    expect(sorted(violations)).toEqual([
      { path: 'header.victimName', code: 'unknown_field', message: 'AlertHeader has no field "victimName"' },
      {
        path: 'route.waypoints[1].altitude',
        code: 'unknown_field',
        message: 'Waypoint has no field "altitude"',
      },
      { path: 'severity', code: 'unknown_field', message: 'Alert has no field "severity"' },
    ]);
  });

  it('rejects one field given under both of its names', () => {
    const json = routeJson();
    json.header.expires_at = '2027-01-01T00:00:00Z';
    expect(only(violationsOf(() => alertFromJson(json)))).toEqual({
      path: 'header.expiresAt',
      code: 'duplicate_field',
      message: '"expires_at" and "expiresAt" name the same field',
    });
  });

  it('rejects wrong JSON types', () => {
    const json = routeJson();
    json.header.origin = 52;
    json.header.recipients = ['GT', 'US', 7];
    json.route.estimatedMigrants = 1.5;
    json.route.transportModes = 'TRANSPORT_MODE_BUS';
    (json.route.waypoints[0] as { coordinates: JsonObject }).coordinates.latitude = 'north';
    json.route.vulnerability = [];
    expect(sorted(violationsOf(() => alertFromJson(json)))).toEqual([
      { path: 'header.origin', code: 'wrong_type', message: 'expected a string, got number 52' },
      { path: 'header.recipients[2]', code: 'wrong_type', message: 'expected a string, got number 7' },
      { path: 'route.estimatedMigrants', code: 'wrong_type', message: 'expected an integer, got 1.5' },
      {
        path: 'route.transportModes',
        code: 'wrong_type',
        message: 'expected an array, got the string "TRANSPORT_MODE_BUS"',
      },
      {
        path: 'route.vulnerability',
        code: 'wrong_type',
        message: 'expected an object (VulnerabilityCounts), got an array',
      },
      {
        path: 'route.waypoints[0].coordinates.latitude',
        code: 'wrong_type',
        message: 'expected a number, got the string "north"',
      },
    ]);
  });

  it('rejects input that is not an object', () => {
    for (const value of [null, [], 'alert', 3]) {
      const v = only(violationsOf(() => alertFromJson(value)));
      expect(v.path).toBe('');
      expect(v.code).toBe('wrong_type');
      expect(v.message).toMatch(/^expected an object \(Alert\), got /);
    }
  });

  it('rejects null inside lists', () => {
    const json = routeJson();
    json.route.transportModes = ['TRANSPORT_MODE_BUS', null];
    expect(only(violationsOf(() => alertFromJson(json)))).toEqual({
      path: 'route.transportModes[1]',
      code: 'wrong_type',
      message: 'null is not allowed in a list',
    });
  });

  it('rejects unknown enum names and numbers', () => {
    const json = routeJson();
    json.header.kind = 'ROUTE';
    json.header.tlp = 9;
    const [name, number] = violationsOf(() => alertFromJson(json));
    expect(name).toEqual({
      path: 'header.kind',
      code: 'unknown_enum',
      message:
        '"ROUTE" is not a value of AlertKind (ALERT_KIND_UNSPECIFIED, ALERT_KIND_ROUTE, ALERT_KIND_DOCUMENT, ALERT_KIND_NETWORK)',
    });
    expect(number).toEqual({
      path: 'header.tlp',
      code: 'unknown_enum',
      message: '9 is not a value of TlpMarking',
    });
  });

  it.each([
    ['2027-05-31', 'is not an RFC 3339 timestamp like 2026-05-01T12:00:00Z'],
    ['2027-05-31 23:59:59Z', 'is not an RFC 3339 timestamp like 2026-05-01T12:00:00Z'],
    ['2027-05-31T23:59:59', 'is not an RFC 3339 timestamp like 2026-05-01T12:00:00Z'],
    ['2027-02-29T00:00:00Z', 'is not a valid date and time'],
    ['2027-13-01T00:00:00Z', 'is not a valid date and time'],
    ['2027-05-31T24:00:00Z', 'is not a valid date and time'],
    ['0000-12-31T00:00:00Z', 'is not a valid date and time'],
    ['0001-01-01T00:30:00+01:00', 'is outside years 0001 to 9999 (UTC)'],
    ['2027-05-31T23:59:59.1234Z', 'is finer than millisecond precision, which alerts do not carry'],
  ])('rejects the timestamp %s', (value, why) => {
    const json = routeJson();
    json.header.expiresAt = value;
    expect(only(violationsOf(() => alertFromJson(json)))).toEqual({
      path: 'header.expiresAt',
      code: 'invalid_timestamp',
      message: `"${value}" ${why}`,
    });
  });

  it('accepts leap days and the extremes of the timestamp range', () => {
    for (const value of ['2028-02-29T00:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z']) {
      const json = routeJson();
      json.route.firstObserved = value;
      expect(alertFromJson(json).body).toBeDefined();
    }
  });

  it('rejects a timestamp that is not a string', () => {
    const json = routeJson();
    json.header.expiresAt = 1_780_000_000;
    expect(only(violationsOf(() => alertFromJson(json)))).toEqual({
      path: 'header.expiresAt',
      code: 'wrong_type',
      message: 'expected an RFC 3339 timestamp string, got number 1780000000',
    });
  });

  it('rejects bad base64', () => {
    const json = demoJson('document-counterfeit-passport.yaml') as {
      document: { numberDigests: JsonObject[] };
    };
    (json.document.numberDigests[0] as JsonObject).digest = 'not base64!';
    (json.document.numberDigests[1] as JsonObject).digest = 'abcde';
    expect(violationsOf(() => alertFromJson(json, { draft: true }))).toEqual([
      {
        path: 'document.numberDigests[0].digest',
        code: 'invalid_base64',
        message: 'not valid base64 or base64url',
      },
      {
        path: 'document.numberDigests[1].digest',
        code: 'invalid_base64',
        message: 'not valid base64 or base64url',
      },
    ]);
  });

  it('rejects integers out of range', () => {
    const json = routeJson();
    json.route.estimatedMigrants = 2 ** 32;
    json.route.smugglingFee = { currency: 'USD', min: -1, max: '18446744073709551616' };
    (json.route.vulnerability as JsonObject).women = 2 ** 60;
    expect(violationsOf(() => alertFromJson(json))).toEqual([
      {
        path: 'route.smugglingFee.min',
        code: 'out_of_range',
        message: 'must be from 0 to 18446744073709551615',
      },
      {
        path: 'route.smugglingFee.max',
        code: 'out_of_range',
        message: 'must be from 0 to 18446744073709551615',
      },
      { path: 'route.estimatedMigrants', code: 'out_of_range', message: 'must be from 0 to 4294967295' },
      { path: 'route.vulnerability.women', code: 'out_of_range', message: 'must be from 0 to 4294967295' },
    ]);
    const wide = routeJson();
    wide.route.smugglingFee = { currency: 'USD', min: 0, max: 2 ** 60 };
    expect(only(violationsOf(() => alertFromJson(wide)))).toEqual({
      path: 'route.smugglingFee.max',
      code: 'out_of_range',
      message: 'integers beyond ±2^53 must be written as strings',
    });
  });

  it('rejects two cases of one oneof', () => {
    const json = routeJson();
    json.document = demoJson('document-counterfeit-passport.yaml').document ?? null;
    expect(only(violationsOf(() => alertFromJson(json)))).toEqual({
      path: 'document',
      code: 'oneof_conflict',
      message: 'only one of route, document, network, encrypted may be set ("route" is)',
    });
  });

  it('rejects strings that cannot be encoded as UTF-8', () => {
    const json = routeJson();
    json.header.title = 'Ruta \uD800 norte';
    expect(only(violationsOf(() => alertFromJson(json)))).toEqual({
      path: 'header.title',
      code: 'invalid_string',
      message: 'contains an unpaired UTF-16 surrogate (not encodable as UTF-8)',
    });
  });

  it('lists every problem at once', () => {
    const json = routeJson();
    json.header.kind = 'ALERT_KIND_ROUTES';
    json.header.issuedAt = 'yesterday';
    json.header.grading = 'B2';
    (json.route as JsonObject).waypoints = [{ country: 'GT', plaec: 'Tecún Umán' }, 'MX'];
    const violations = violationsOf(() => alertFromJson(json));
    expect(sorted(violations).map((v) => `${v.path} ${v.code}`)).toEqual([
      'header.grading wrong_type',
      'header.issuedAt invalid_timestamp',
      'header.kind unknown_enum',
      'route.waypoints[0].plaec unknown_field',
      'route.waypoints[1] wrong_type',
    ]);
  });
});

describe('drafts', () => {
  it('rejects an id or issue time in a draft', () => {
    const json = routeJson();
    const violations = violationsOf(() => alertFromJson(json, { draft: true }));
    expect(violations).toEqual([
      { path: 'header.id', code: 'not_allowed_in_draft', message: 'is assigned when the alert is issued' },
      {
        path: 'header.issuedAt',
        code: 'not_allowed_in_draft',
        message: 'is assigned when the alert is issued',
      },
    ]);
    const snake = structuredClone(demoJson('route-mx-gt-us.yaml')) as { header: JsonObject };
    snake.header.issued_at = '2026-11-10T12:00:00Z';
    expect(only(violationsOf(() => alertFromJson(snake, { draft: true }))).path).toBe('header.issuedAt');
  });

  it('runs semantic validation when asked, in draft mode', () => {
    const json = structuredClone(demoJson('route-mx-gt-us.yaml')) as { header: JsonObject };
    json.header.network = 'smuggling-routes';
    json.header.origin = 'XX';
    expect(alertFromJson(json, { draft: true }).header?.origin).toBe('XX');
    const violations = violationsOf(() =>
      alertFromJson(json, { draft: true, validate: { knownNetworks: ['trafficking-liaison'] } }),
    );
    expect(violations).toEqual([
      {
        path: 'header.origin',
        code: 'unknown_country',
        message: '"XX" is not an ISO 3166-1 alpha-2 country code',
      },
      { path: 'header.network', code: 'unknown_network', message: 'network "smuggling-routes" is not known' },
    ]);
  });

  it('validates an issued alert fully unless it is a draft', () => {
    const json = structuredClone(demoJson('route-mx-gt-us.yaml'));
    expect(() => alertFromJson(json, { draft: true, validate: true })).not.toThrow();
    expect(violationsOf(() => alertFromJson(json, { validate: true }))).toEqual([
      { path: 'header.id', code: 'required', message: 'the alert id is required' },
      { path: 'header.issuedAt', code: 'required', message: 'a timestamp is required' },
    ]);
  });
});

describe('alert bodies', () => {
  it.each(DEMOS)('reads and writes the body of %s', (file) => {
    const alert: Alert = alertFromJson(demoJson(file), { draft: true });
    if (alert.body === undefined || alert.body.$case === 'encrypted')
      throw new Error('expected a clear body');
    const body = { body: alert.body, title: '', summary: '' };
    const json = alertBodyToJson(body);
    expect(Object.keys(json)).toEqual([alert.body.$case]);
    expect(alertBodyFromJson(json)).toEqual(body);
  });

  it('has no encrypted case', () => {
    expect(only(violationsOf(() => alertBodyFromJson({ encrypted: { jwe: '{}' } })))).toEqual({
      path: 'encrypted',
      code: 'unknown_field',
      message: 'AlertBody has no field "encrypted"',
    });
  });
});

describe('alertToJson errors', () => {
  it('throws ERR_SCHEMA_UNENCODABLE for a timestamp outside the protobuf range', () => {
    const alert = alertFromJson(routeJson());
    if (alert.header === undefined) throw new Error('no header');
    alert.header.expiresAt = new Date('+010000-01-01T00:00:00Z');
    expect(() => alertToJson(alert)).toThrow(
      expect.objectContaining({ code: 'ERR_SCHEMA_UNENCODABLE', name: 'UnencodableMessageError' }),
    );
    expect(() => alertToJson(alert)).toThrow(/^cannot write Alert as JSON: /);
  });
});

describe('fuzzing the strict reader', () => {
  /** mulberry32: deterministic, so a failing case can be replayed from its seed. */
  function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  const POOL: JsonValue[] = [
    null,
    0,
    -1,
    1.5,
    2 ** 53,
    4294967296,
    '',
    'x',
    'NaN',
    '-Infinity',
    '1e5',
    '-0',
    '007',
    '18446744073709551615',
    '2027-01-01T00:00:00Z',
    '2027-01-01T00:00:00.5+14:00',
    true,
    [],
    {},
    [1],
    { a: 1 },
    'AAAA',
    'AAA',
    'ALERT_KIND_ROUTE',
    'GT',
    3,
    [null],
    ['GT'],
  ];

  function mutate(value: JsonValue, rand: () => number): JsonValue {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
    if (Array.isArray(value)) {
      if (value.length === 0 || rand() < 0.2) return pick(POOL);
      const copy = [...value];
      const i = Math.floor(rand() * copy.length);
      copy[i] = mutate(copy[i] ?? null, rand);
      return copy;
    }
    if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      const r = rand();
      if (keys.length === 0 || r < 0.1) return pick(POOL);
      const copy: JsonObject = { ...value };
      if (r < 0.2) copy[`extra${Math.floor(rand() * 3)}`] = pick(POOL);
      else if (r < 0.3) delete copy[pick(keys)];
      else {
        const key = pick(keys);
        copy[key] = mutate(copy[key] ?? null, rand);
      }
      return copy;
    }
    return pick(POOL);
  }

  it('reads 3,000 mutated drafts to an alert or an AlertValidationError, never anything else', () => {
    const rand = prng(7);
    const bases = DEMOS.map((file) => demoJson(file) as JsonValue);
    let rejected = 0;
    for (let i = 0; i < 3_000; i++) {
      let json = bases[i % bases.length] ?? null;
      for (let n = 1 + Math.floor(rand() * 3); n > 0; n--) json = mutate(json, rand);
      try {
        alertToJson(alertFromJson(json, { draft: true }));
      } catch (err) {
        expect(err).toBeInstanceOf(AlertValidationError);
        // Every rejection comes from the strict walk, which agrees with the reader it guards.
        for (const v of (err as AlertValidationError).violations)
          expect(v.path === '' && v.code === 'wrong_type' && !v.message.startsWith('expected')).toBe(false);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(1_000);
  });

  /** alertFromJson's conversion as it was before: read, encoded, decoded by ts-proto. */
  function readThroughBytes(json: JsonValue): Alert {
    const desc = messageDesc('enlace.alert.v1.Alert');
    return Alert.decode(toBinary(desc, fromJson(desc, json)));
  }

  it('reads every mutated draft it accepts, and odd values, to what the bytes decode to', () => {
    const rand = prng(13);
    const bases = DEMOS.map((file) => demoJson(file) as JsonValue);
    let compared = 0;
    const check = (json: JsonValue): void => {
      let alert: Alert;
      try {
        alert = alertFromJson(json);
      } catch {
        return;
      }
      expect(alert).toStrictEqual(readThroughBytes(json));
      compared++;
    };
    for (let i = 0; i < 3_000; i++) {
      let json = bases[i % bases.length] ?? null;
      for (let n = Math.floor(rand() * 3); n > 0; n--) json = mutate(json, rand);
      check(json);
    }
    expect(compared).toBeGreaterThan(1_000);
    const odd: Array<(j: ReturnType<typeof routeJson>) => void> = [
      (j) => (j.route.waypoints[0]!.coordinates = { latitude: -0, longitude: 'NaN' }),
      (j) => (j.route.waypoints[0]!.coordinates = { latitude: '-Infinity', longitude: '1e2' }),
      (j) => (j.header.issuedAt = '1969-12-31T23:59:59.5Z'),
      (j) => (j.header.expiresAt = '2030-01-01T00:00:00.123+05:30'),
      (j) => (j.header.tlp = 0),
      (j) => (j.header.kind = 1),
      (j) => (j.header.grading = {}),
      (j) => (j.route = {} as never),
      (j) => (j.route = null as never),
    ];
    for (const change of odd) {
      const json = routeJson();
      change(json);
      check(json);
    }
  });

  /** alertToJson as it was written before: encoded, read back, written. */
  function throughBytes(alert: Alert): unknown {
    const desc = messageDesc('enlace.alert.v1.Alert');
    return toJson(desc, fromBinary(desc, encodeAlert(alert)));
  }

  function sameAsThroughBytes(alert: Alert): void {
    let expected: unknown;
    try {
      expected = throughBytes(alert);
    } catch {
      expect(() => alertToJson(alert)).toThrow();
      return;
    }
    expect(alertToJson(alert)).toEqual(expected);
  }

  it('writes every mutated draft it reads, and odd messages, as through the bytes', () => {
    const rand = prng(11);
    const bases = DEMOS.map((file) => demoJson(file) as JsonValue);
    let compared = 0;
    for (let i = 0; i < 3_000; i++) {
      let json = bases[i % bases.length] ?? null;
      for (let n = Math.floor(rand() * 3); n > 0; n--) json = mutate(json, rand);
      let alert: Alert;
      try {
        alert = alertFromJson(json, { draft: true });
      } catch {
        continue;
      }
      if (rand() < 0.5 && alert.header !== undefined) {
        alert.header.id = ID;
        alert.header.issuedAt = new Date(Date.UTC(2026, 10, 10, 12, 0, 0, Math.floor(rand() * 1000)));
      }
      sameAsThroughBytes(alert);
      compared++;
    }
    expect(compared).toBeGreaterThan(1_000);
    const odd: Array<(a: Alert & Record<string, unknown>) => void> = [
      (a) => (a.header!.title = 'lone \uD800 surrogate'),
      (a) => (a.header!.tlp = -0),
      (a) => (a.header!.tlp = 99 as never),
      (a) => (a.header!.tlp = 1.5 as never),
      (a) => (a.header!.issuedAt = new Date(-1500)),
      (a) => (a.header!.issuedAt = new Date(0)),
      (a) => (a.header!.issuedAt = new Date(NaN)),
      (a) => (a.header!.expiresAt = null as never),
      (a) => (a.header!.recipients = undefined as never),
      (a) => (a.header!.recipients = ['GT', '']),
      (a) => (a.header = undefined),
      (a) => (a.body = undefined),
      (a) => (a.body = { $case: 'route' } as never),
      (a) => (a.body = { $case: 'nothing' } as never),
      (a) => (a.extra = 'ignored'),
      (a) => {
        if (a.body?.$case === 'route') a.body.route.waypoints[0]!.coordinates!.latitude = -0;
      },
      (a) => {
        if (a.body?.$case === 'route') a.body.route.waypoints[0]!.coordinates!.latitude = NaN;
      },
      (a) => {
        if (a.body?.$case === 'route') a.body.route.waypoints.push(undefined as never);
      },
    ];
    for (const change of odd) {
      const alert = alertFromJson(routeJson());
      change(alert as Alert & Record<string, unknown>);
      sameAsThroughBytes(alert);
    }
  });
});
