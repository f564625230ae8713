import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import protobuf from 'protobufjs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  decodeAlert,
  decodeAlertBody,
  decodeSignedAlert,
  encodeAlert,
  encodeAlertBody,
  encodeSignedAlert,
} from './codec.js';
import { messageDesc } from './descriptors.js';
import { SchemaError } from './errors.js';
import { Alert, AlertBody } from './gen/enlace/alert/v1/alert.js';
import { SignedAlert } from './gen/enlace/alert/v1/signed_alert.js';
import { alertFromJson, alertToJson } from './json.js';
import { validateAlert } from './validate.js';

const root = resolve(import.meta.dirname, '../../..');
const DEMOS = [
  'route-mx-gt-us.yaml',
  'document-counterfeit-passport.yaml',
  'network-smuggling-financier.yaml',
];
const ID = '019a5f3e-7c2b-7d41-9b7e-3f2a1c4d5e6f';

/** A demo draft from seeds/demo, completed into an issued alert. */
function demoAlert(file: string): Alert {
  const draft = alertFromJson(parse(readFileSync(join(root, 'seeds/demo', file), 'utf8')), { draft: true });
  if (draft.header === undefined) throw new Error(`${file} has no header`);
  return { ...draft, header: { ...draft.header, id: ID, issuedAt: new Date('2026-11-10T12:00:00.000Z') } };
}

function encryptedAlert(): Alert {
  const base = demoAlert('route-mx-gt-us.yaml');
  if (base.header === undefined) throw new Error('no header');
  return {
    header: { ...base.header, recipients: ['GT', 'US'] },
    body: {
      $case: 'encrypted',
      encrypted: { jwe: '{"protected":"eyJlbmMiOiJBMjU2R0NNIn0","ciphertext":"AA"}' },
    },
  };
}

/** Loads proto/ with protobufjs: an independent implementation to check wire compatibility. */
function protobufjsAlert(): protobuf.Type {
  const pbRoot = new protobuf.Root();
  pbRoot.resolvePath = (_origin, target) =>
    target.startsWith('google/') ? target : join(root, 'proto', target);
  pbRoot.loadSync(['enlace/alert/v1/alert.proto', 'enlace/alert/v1/signed_alert.proto']);
  return pbRoot.lookupType('enlace.alert.v1.Alert');
}

function expectMalformed(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(SchemaError);
  expect((caught as SchemaError).code).toBe('ERR_SCHEMA_MALFORMED');
  expect((caught as SchemaError).name).toBe('MalformedMessageError');
  expect((caught as SchemaError).message).toMatch(message);
}

describe('binary round trip', () => {
  it.each(DEMOS)('encodes and decodes %s unchanged', (file) => {
    const alert = demoAlert(file);
    const bytes = encodeAlert(alert);
    expect(bytes.length).toBeGreaterThan(100);
    expect(decodeAlert(bytes)).toEqual(alert);
    // Deterministic: the same alert always serializes to the same bytes.
    expect(encodeAlert(decodeAlert(bytes))).toEqual(bytes);
  });

  it('encodes and decodes an encrypted alert', () => {
    const alert = encryptedAlert();
    expect(decodeAlert(encodeAlert(alert))).toEqual(alert);
  });

  it.each(DEMOS)('encodes and decodes the body of %s as an AlertBody', (file) => {
    const { body } = demoAlert(file);
    if (body === undefined || body.$case === 'encrypted') throw new Error('expected a clear body');
    const plain = { body, title: '', summary: '' };
    expect(decodeAlertBody(encodeAlertBody(plain))).toEqual(plain);
  });

  it('encodes and decodes a SignedAlert', () => {
    const signed = {
      alert: encodeAlert(demoAlert('route-mx-gt-us.yaml')),
      protectedHeader:
        'eyJhbGciOiJFZERTQSIsImtpZCI6Ik1YLXNpZy0yMDI2LTAxIiwiYjY0IjpmYWxzZSwiY3JpdCI6WyJiNjQiXX0',
      signature: new Uint8Array(64).fill(7),
    };
    const decoded = decodeSignedAlert(encodeSignedAlert(signed));
    expect(decoded).toEqual(signed);
    expect(decodeAlert(decoded.alert)).toEqual(demoAlert('route-mx-gt-us.yaml'));
  });

  it.each(DEMOS)('is wire-compatible with protobufjs for %s', (file) => {
    const Type = protobufjsAlert();
    const alert = demoAlert(file);
    const bytes = encodeAlert(alert);
    const other = Type.decode(bytes);
    const object = Type.toObject(other, { enums: String, longs: String, bytes: String });
    expect(object.header.origin).toBe(alert.header?.origin);
    expect(object.header.kind).toBe(`ALERT_KIND_${alert.body?.$case.toUpperCase() ?? ''}`);
    expect(decodeAlert(Type.encode(other).finish())).toEqual(alert);
  });

  it('keeps unknown fields of newer schema versions out of the way', () => {
    const bytes = encodeAlert(demoAlert('document-counterfeit-passport.yaml'));
    // field 99, varint 1; then field 98, length-delimited "new"
    const extended = new Uint8Array([...bytes, 0x98, 0x06, 0x01, 0x92, 0x06, 0x03, 0x6e, 0x65, 0x77]);
    expect(decodeAlert(extended)).toEqual(demoAlert('document-counterfeit-passport.yaml'));
  });
});

describe('protobuf meaning', () => {
  it('merges a sub-message that occurs twice, as protobufjs and protoc do (ts-proto alone would keep the last)', () => {
    const full = demoAlert('route-mx-gt-us.yaml');
    const header = full.header!;
    // Two copies of field 1 (header): the origin in the first, the network in the second.
    const first = encodeAlert({ header: { ...header, network: '' }, body: full.body });
    const second = encodeAlert({
      header: { ...header, origin: '', title: '', summary: '' },
      body: undefined,
    });
    const twice = new Uint8Array([...first, ...second]);
    const decoded = decodeAlert(twice);
    expect(decoded.header?.origin).toBe(header.origin);
    expect(decoded.header?.network).toBe(header.network);
    expect(decoded.header?.title).toBe(header.title);
    const independent = protobufjsAlert().toObject(protobufjsAlert().decode(twice)) as {
      header: { origin: string; network: string };
    };
    expect(independent.header.origin).toBe(decoded.header?.origin);
    expect(independent.header.network).toBe(decoded.header?.network);
  });
});

describe('strict decoding', () => {
  it('rejects a zero tag that generated decoders treat as the end of the message', () => {
    const bytes = encodeAlert(demoAlert('route-mx-gt-us.yaml'));
    expectMalformed(
      () => decodeAlert(new Uint8Array([...bytes, 0x00, 0x08, 0x01])),
      /^cannot decode Alert: /,
    );
  });

  it('rejects a stray end-group tag inside a nested message', () => {
    // header { <end group 1> } then bytes the parent would otherwise read as its own fields
    const bytes = new Uint8Array([0x0a, 0x05, 0x0c, 0x12, 0x02, 0x4d, 0x58]);
    expectMalformed(() => decodeAlert(bytes), /^cannot decode Alert: /);
  });

  it('rejects strings that are not UTF-8', () => {
    // header { origin: 0xff 0xfe }
    expectMalformed(
      () => decodeAlert(new Uint8Array([0x0a, 0x04, 0x12, 0x02, 0xff, 0xfe])),
      /cannot decode Alert/,
    );
  });

  it('rejects truncated input', () => {
    const bytes = encodeAlert(demoAlert('network-smuggling-financier.yaml'));
    expectMalformed(() => decodeAlert(bytes.subarray(0, bytes.length - 3)), /cannot decode Alert/);
  });

  it('rejects input that is not bytes', () => {
    expectMalformed(
      () => decodeSignedAlert('not bytes' as unknown as Uint8Array),
      /^cannot decode SignedAlert: expected a Uint8Array$/,
    );
  });

  it('names the message in errors of each decoder', () => {
    expectMalformed(() => decodeAlertBody(new Uint8Array([0x07])), /^cannot decode AlertBody: /);
    expectMalformed(() => decodeSignedAlert(new Uint8Array([0x0a, 0x09])), /^cannot decode SignedAlert: /);
  });
});

describe('encoding errors', () => {
  it('throws ERR_SCHEMA_UNENCODABLE for an amount beyond uint64', () => {
    const alert = demoAlert('route-mx-gt-us.yaml');
    if (alert.body?.$case !== 'route') throw new Error('expected a route');
    alert.body.route.smugglingFee = { currency: 'USD', min: 0n, max: 2n ** 64n };
    expect(() => encodeAlert(alert)).toThrow(
      expect.objectContaining({ code: 'ERR_SCHEMA_UNENCODABLE', name: 'UnencodableMessageError' }),
    );
    expect(() => encodeAlert(alert)).toThrow(/^cannot encode Alert: .*too large/);
  });

  it('throws ERR_SCHEMA_UNENCODABLE for an invalid Date', () => {
    const alert = demoAlert('route-mx-gt-us.yaml');
    if (alert.header === undefined) throw new Error('no header');
    alert.header.expiresAt = new Date(Number.NaN);
    expect(() => encodeAlert(alert)).toThrow(expect.objectContaining({ code: 'ERR_SCHEMA_UNENCODABLE' }));
    expect(() => encodeAlert(alert)).toThrow(/^cannot encode Alert: /);
  });
});

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

function mutate(bytes: Uint8Array, rand: () => number): Uint8Array {
  const int = (n: number): number => Math.floor(rand() * n);
  const out = Array.from(bytes);
  const edits = 1 + int(4);
  for (let e = 0; e < edits; e++) {
    const at = int(out.length + 1);
    switch (int(6)) {
      case 0: // flip a bit
        if (out.length > 0) out[at % out.length] = (out[at % out.length] ?? 0) ^ (1 << int(8));
        break;
      case 1: // overwrite a byte
        if (out.length > 0) out[at % out.length] = int(256);
        break;
      case 2: // insert bytes
        out.splice(at, 0, ...Array.from({ length: 1 + int(4) }, () => int(256)));
        break;
      case 3: // delete bytes
        out.splice(at, 1 + int(4));
        break;
      case 4: // truncate
        out.length = at % (out.length + 1);
        break;
      default: // duplicate a slice
        out.splice(at, 0, ...out.slice(int(out.length), int(out.length) + 1 + int(16)));
    }
  }
  return new Uint8Array(out);
}

/**
 * What the decoders returned before they built the ts-proto message from the reflective one:
 * ts-proto's decoder over the canonical encoding of what the reflective reader read.
 */
function canonicalDecode<T>(
  codec: { decode(b: Uint8Array): T },
  typeName: Parameters<typeof messageDesc>[0],
  bytes: Uint8Array,
): T {
  const desc = messageDesc(typeName);
  return codec.decode(toBinary(desc, fromBinary(desc, new Uint8Array(bytes), { readUnknownFields: false })));
}

describe('one read: the same message as the canonical encoding decoded by ts-proto', () => {
  it('for every demo alert, an encrypted one, a SignedAlert and a header sent twice', () => {
    const alerts = [...DEMOS.map(demoAlert), encryptedAlert()];
    for (const alert of alerts) {
      const bytes = encodeAlert(alert);
      expect(decodeAlert(bytes)).toStrictEqual(canonicalDecode(Alert, 'enlace.alert.v1.Alert', bytes));
      expect(decodeAlert(bytes)).toStrictEqual(alert);
    }
    const signed = encodeSignedAlert({
      protectedHeader: 'eyJhbGciOiJFZERTQSJ9',
      alert: encodeAlert(alerts[0]!),
      signature: new Uint8Array(64).fill(7),
    });
    expect(decodeSignedAlert(signed)).toStrictEqual(
      canonicalDecode(SignedAlert, 'enlace.alert.v1.SignedAlert', signed),
    );
    const header = alerts[0]!.header!;
    const twice = new Uint8Array([
      ...encodeAlert({ header: { ...header, network: '' }, body: alerts[0]!.body }),
      ...encodeAlert({ header: { ...header, origin: '', title: '' }, body: undefined }),
    ]);
    expect(decodeAlert(twice)).toStrictEqual(canonicalDecode(Alert, 'enlace.alert.v1.Alert', twice));
  });

  it('for every mutated demo alert that decodes, and refuses the same ones', () => {
    const rand = prng(0xc0de);
    const seeds = [...DEMOS.map((f) => encodeAlert(demoAlert(f))), encodeAlert(encryptedAlert())];
    let decoded = 0;
    for (let i = 0; i < 4_000; i++) {
      const input = mutate(seeds[i % seeds.length]!, rand);
      for (const [codec, typeName, decode] of [
        [Alert, 'enlace.alert.v1.Alert', decodeAlert],
        [AlertBody, 'enlace.alert.v1.AlertBody', decodeAlertBody],
      ] as const) {
        let expected: unknown;
        try {
          expected = canonicalDecode<unknown>(codec, typeName, input);
        } catch {
          expectMalformed(() => decode(input), /cannot decode/);
          continue;
        }
        expect(decode(input)).toStrictEqual(expected);
        decoded++;
      }
    }
    // Enough of the corpus decodes for the comparison to mean something (447 of 8,000 here).
    expect(decoded).toBeGreaterThan(300);
  });
});

describe('fuzzing', () => {
  type Outcome = 'decoded' | 'rejected';

  function attempt(decode: () => Alert | null): Outcome {
    try {
      const alert = decode();
      if (alert !== null) {
        // Whatever decodes must also survive validation and the JSON writer (typed errors only).
        expect(Array.isArray(validateAlert(alert))).toBe(true);
        try {
          alertToJson(alert);
        } catch (err) {
          expect(err).toBeInstanceOf(SchemaError);
        }
      }
      return 'decoded';
    } catch (err) {
      if (!(err instanceof SchemaError) || err.code !== 'ERR_SCHEMA_MALFORMED') throw err;
      return 'rejected';
    }
  }

  it('decodes 12,000 random and mutated byte strings to a result or ERR_SCHEMA_MALFORMED', () => {
    const rand = prng(0x5eed);
    const seeds = [...DEMOS.map((f) => encodeAlert(demoAlert(f))), encodeAlert(encryptedAlert())];
    const counts: Record<Outcome, number> = { decoded: 0, rejected: 0 };
    const started = performance.now();
    for (let i = 0; i < 12_000; i++) {
      let input: Uint8Array;
      if (i % 3 === 0) {
        input = new Uint8Array(Math.floor(rand() * 64));
        for (let j = 0; j < input.length; j++) input[j] = Math.floor(rand() * 256);
      } else {
        input = mutate(seeds[i % seeds.length] ?? new Uint8Array(), rand);
      }
      counts[attempt(() => decodeAlert(input))]++;
      if (i % 4 === 0) counts[attempt(() => (decodeAlertBody(input), null))]++;
      if (i % 4 === 1) counts[attempt(() => (decodeSignedAlert(input), null))]++;
    }
    // Both outcomes occur, so the corpus really exercises the decoder.
    expect(counts.decoded).toBeGreaterThan(500);
    expect(counts.rejected).toBeGreaterThan(500);
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('rejects a megabyte of random bytes without hanging', () => {
    const rand = prng(42);
    const input = new Uint8Array(1 << 20);
    for (let j = 0; j < input.length; j++) input[j] = Math.floor(rand() * 256);
    const started = performance.now();
    expect(attempt(() => decodeAlert(input))).toBe('rejected');
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});
