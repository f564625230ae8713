import { describe, expect, it } from 'vitest';

import { createKid, isKidSyntax, parseKid } from './kid.js';

describe('createKid', () => {
  it('formats <CC>-<use>-<yyyy>-<nn> from the UTC year', () => {
    expect(createKid('MX', 'sig', new Date('2026-03-01T00:00:00Z'), 1)).toBe('MX-sig-2026-01');
    expect(createKid('GT', 'enc', new Date('2026-12-31T23:59:59Z'), 12)).toBe('GT-enc-2026-12');
    expect(createKid('US', 'sig', new Date('2027-01-01T00:00:00Z'), 99)).toBe('US-sig-2027-99');
  });

  it('rejects a country that is not two uppercase letters', () => {
    for (const country of ['mx', 'MEX', 'M', '', 'M1']) {
      expect(() => createKid(country, 'sig', new Date(), 1)).toThrow(
        expect.objectContaining({
          name: 'CryptoError',
          code: 'ERR_ARGUMENT_INVALID',
          message: `country must be two uppercase letters (ISO 3166-1 alpha-2, e.g. "MX"); got ${JSON.stringify(country)}`,
        }),
      );
    }
  });

  it('rejects an unknown use, an invalid date and a sequence outside 1–99', () => {
    expect(() => createKid('MX', 'tls' as 'sig', new Date(), 1)).toThrow(
      expect.objectContaining({
        code: 'ERR_ARGUMENT_INVALID',
        message: 'key use must be "sig" or "enc" (got "tls")',
      }),
    );
    expect(() => createKid('MX', 'sig', new Date('nope'), 1)).toThrow(
      expect.objectContaining({
        code: 'ERR_ARGUMENT_INVALID',
        message: 'the date of a kid must be a valid Date in the years 1000 to 9999',
      }),
    );
    for (const seq of [0, 100, 1.5, -1, NaN]) {
      expect(() => createKid('MX', 'sig', new Date(), seq)).toThrow(
        expect.objectContaining({
          code: 'ERR_ARGUMENT_INVALID',
          message: `the sequence number of a kid must be an integer from 1 to 99 (got ${String(seq)})`,
        }),
      );
    }
  });
});

describe('parseKid', () => {
  it('reads the parts of an Enlace kid', () => {
    expect(parseKid('MX-sig-2026-01')).toEqual({ country: 'MX', use: 'sig', year: 2026, seq: 1 });
    expect(parseKid('GT-enc-2031-42')).toEqual({ country: 'GT', use: 'enc', year: 2031, seq: 42 });
  });

  it('round-trips with createKid', () => {
    const kid = createKid('HN', 'enc', new Date('2026-06-01Z'), 7);
    expect(createKid('HN', 'enc', new Date('2026-06-01Z'), parseKid(kid)!.seq)).toBe(kid);
  });

  it('returns undefined for anything else', () => {
    for (const kid of [
      '',
      'mx-sig-2026-01',
      'MX-sig-2026-1',
      'MX-sig-2026-001',
      'MX-sig-2026-00',
      'MX-tls-2026-01',
      'MX-sig-0999-01',
      'MX-sig-2026-01 ',
      'registry-sig-2026-01',
    ]) {
      expect(parseKid(kid), kid).toBeUndefined();
    }
    expect(parseKid(42 as unknown as string)).toBeUndefined();
  });
});

describe('isKidSyntax', () => {
  it('accepts 1–128 printable ASCII characters without spaces', () => {
    expect(isKidSyntax('MX-sig-2026-01')).toBe(true);
    expect(isKidSyntax('registry:2026/1')).toBe(true);
    expect(isKidSyntax('k'.repeat(128))).toBe(true);
    expect(isKidSyntax('k'.repeat(129))).toBe(false);
    expect(isKidSyntax('')).toBe(false);
    expect(isKidSyntax('a b')).toBe(false);
    expect(isKidSyntax('a\nb')).toBe(false);
    expect(isKidSyntax('clé')).toBe(false);
    expect(isKidSyntax(7)).toBe(false);
  });
});
