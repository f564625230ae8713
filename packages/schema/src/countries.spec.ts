import { describe, expect, it } from 'vitest';
import { COUNTRY_CODES, CURRENCY_CODES, isCountryCode, isCurrencyCode } from './countries.js';

describe('ISO 3166-1 alpha-2', () => {
  it('lists all 249 officially assigned codes once, in order', () => {
    expect(COUNTRY_CODES).toHaveLength(249);
    expect(new Set(COUNTRY_CODES).size).toBe(249);
    expect([...COUNTRY_CODES].sort()).toEqual(COUNTRY_CODES);
    for (const code of COUNTRY_CODES) expect(code).toMatch(/^[A-Z]{2}$/);
  });

  it('has a name in the ICU region data for every code', () => {
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    for (const code of COUNTRY_CODES) expect(names.of(code)).not.toBe(code);
  });

  it('knows the members and observers of the process', () => {
    for (const code of [
      'BZ',
      'CA',
      'CR',
      'DO',
      'SV',
      'GT',
      'HN',
      'MX',
      'NI',
      'PA',
      'US',
      'AR',
      'CO',
      'EC',
      'JM',
      'PE',
      'BR',
    ])
      expect(isCountryCode(code)).toBe(true);
  });

  it('rejects user-assigned, reserved, lower-case and non-string codes', () => {
    for (const code of ['XK', 'UK', 'EU', 'ZZ', 'gt', 'GTM', '', ' GT', 502, null, undefined])
      expect(isCountryCode(code)).toBe(false);
  });

  it('cannot be changed at run time', () => {
    expect(Object.isFrozen(COUNTRY_CODES)).toBe(true);
  });
});

describe('ISO 4217', () => {
  it('lists active currency codes once, in order, all known to ICU', () => {
    expect(new Set(CURRENCY_CODES).size).toBe(CURRENCY_CODES.length);
    expect([...CURRENCY_CODES].sort()).toEqual(CURRENCY_CODES);
    const known = new Set(Intl.supportedValuesOf('currency'));
    // VED (Venezuela's digital bolívar, 2021) may be missing from older ICU data.
    for (const code of CURRENCY_CODES) if (code !== 'VED') expect(known.has(code), code).toBe(true);
  });

  it('knows the currencies of the region', () => {
    for (const code of ['USD', 'MXN', 'GTQ', 'HNL', 'NIO', 'CRC', 'PAB', 'BZD', 'DOP', 'CAD', 'COP', 'EUR'])
      expect(isCurrencyCode(code)).toBe(true);
  });

  it('rejects funds, metals, test codes, withdrawn and malformed codes', () => {
    for (const code of ['XAU', 'XTS', 'XXX', 'USN', 'MXV', 'VEF', 'usd', 'US$', '', 840])
      expect(isCurrencyCode(code)).toBe(false);
  });
});
