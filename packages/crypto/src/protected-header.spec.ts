import { describe, expect, it } from 'vitest';

import { MAX_PROTECTED_HEADER_LENGTH, parseProtectedHeader } from './protected-header.js';

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const good = { alg: 'EdDSA', kid: 'MX-sig-2026-01', b64: false, crit: ['b64'] };

function malformed(problem: string) {
  return expect.objectContaining({
    name: 'SignatureError',
    code: 'ERR_JWS_MALFORMED',
    message: `protected header ${problem}`,
  });
}

describe('parseProtectedHeader', () => {
  it('decodes the Enlace header', () => {
    const encoded = b64(good);
    expect(encoded).toBe(
      'eyJhbGciOiJFZERTQSIsImtpZCI6Ik1YLXNpZy0yMDI2LTAxIiwiYjY0IjpmYWxzZSwiY3JpdCI6WyJiNjQiXX0',
    );
    expect(parseProtectedHeader(encoded)).toEqual(good);
  });

  it('keeps non-critical members, in any order, and freezes the result', () => {
    const header = parseProtectedHeader(
      b64({ crit: ['b64'], typ: 'enlace+alert', b64: false, kid: 'k1', alg: 'EdDSA', x: { y: [1] } }),
    );
    expect(header).toMatchObject({ typ: 'enlace+alert', kid: 'k1', x: { y: [1] } });
    expect(Object.isFrozen(header)).toBe(true);
    expect(Object.isFrozen(header.crit)).toBe(true);
    expect(Object.isFrozen((header['x'] as { y: unknown[] }).y)).toBe(true);
  });

  it('returns the same object for a header it has seen', () => {
    const encoded = b64({ ...good, kid: 'GT-sig-2026-04' });
    expect(parseProtectedHeader(encoded)).toBe(parseProtectedHeader(encoded));
  });

  it('rejects anything but canonical base64url of a UTF-8 JSON object', () => {
    const encoded = b64(good);
    const cases: Array<[unknown, string]> = [
      [undefined, 'must be a string, not nothing'],
      [42, 'must be a string, not 42'],
      ['', 'is empty'],
      [`${encoded}=`, 'is not canonical unpadded base64url'],
      [`${encoded.slice(0, 5)}+${encoded.slice(6)}`, 'is not canonical unpadded base64url'],
      [`${encoded}AA`, 'is not canonical unpadded base64url'],
      // "e30" is "{}"; "e31" decodes to the same bytes with a spare bit set.
      ['e31', 'is not canonical unpadded base64url'],
      [Buffer.from([0xff, 0xfe, 0x7b, 0x7d]).toString('base64url'), 'is not UTF-8 JSON'],
      [Buffer.from('{"alg":').toString('base64url'), 'is not UTF-8 JSON'],
      [b64([good]), 'must be a JSON object, not an array'],
      [b64('EdDSA'), 'must be a JSON object, not "EdDSA"'],
      [b64(null), 'must be a JSON object, not null'],
      [
        'A'.repeat(MAX_PROTECTED_HEADER_LENGTH + 4),
        `is ${MAX_PROTECTED_HEADER_LENGTH + 4} characters long; at most 2048 are accepted`,
      ],
    ];
    for (const [input, problem] of cases)
      expect(() => parseProtectedHeader(input), String(input)).toThrow(malformed(problem));
  });

  it('accepts only alg EdDSA', () => {
    const cases: Array<[unknown, string]> = [
      ['none', '"alg" is "none"; only "EdDSA" is accepted'],
      ['HS256', '"alg" is "HS256"; only "EdDSA" is accepted'],
      ['ES256', '"alg" is "ES256"; only "EdDSA" is accepted'],
      ['eddsa', '"alg" is "eddsa"; only "EdDSA" is accepted'],
      [['EdDSA'], '"alg" is an array; only "EdDSA" is accepted'],
    ];
    for (const [alg, problem] of cases) {
      expect(() => parseProtectedHeader(b64({ ...good, alg }))).toThrow(malformed(problem));
    }
    expect(() => parseProtectedHeader(b64({ ...good, alg: undefined }))).toThrow(
      malformed('has no "alg"; Enlace signatures use "EdDSA"'),
    );
  });

  it('requires b64 false and crit exactly ["b64"]', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ b64: true }, 'must have "b64": false (RFC 7797 unencoded payload), got true'],
      [{ b64: undefined }, 'must have "b64": false (RFC 7797 unencoded payload), got no "b64"'],
      [{ b64: 'false' }, 'must have "b64": false (RFC 7797 unencoded payload), got "false"'],
      [
        { crit: undefined },
        'must have "crit": ["b64"] (RFC 7797 requires "b64" to be critical), got no "crit"',
      ],
      [{ crit: 'b64' }, 'must have "crit": ["b64"] (RFC 7797 requires "b64" to be critical), got "b64"'],
      [{ crit: [] }, '"crit" must be exactly ["b64"], got 0 entries'],
      [{ crit: ['b64', 'b64'] }, '"crit" must be exactly ["b64"], got 2 entries'],
      [{ crit: ['b64', 'exp'] }, '"crit" names extensions this verifier does not understand: "exp"'],
      [{ crit: ['b64', 1, null] }, '"crit" names extensions this verifier does not understand: 1, null'],
    ];
    for (const [patch, problem] of cases) {
      expect(() => parseProtectedHeader(b64({ ...good, ...patch }))).toThrow(malformed(problem));
    }
  });

  it('requires a usable kid', () => {
    expect(() => parseProtectedHeader(b64({ ...good, kid: undefined }))).toThrow(
      malformed('has no "kid"; the signer\'s key cannot be identified'),
    );
    for (const [kid, shown] of [
      [1, '1'],
      ['', '""'],
      ['MX sig', '"MX sig"'],
      ['MX\u0000', '"MX\\u0000"'],
    ] as const) {
      expect(() => parseProtectedHeader(b64({ ...good, kid }))).toThrow(
        malformed(`"kid" must be 1 to 128 printable ASCII characters without spaces (got ${shown})`),
      );
    }
  });
});
