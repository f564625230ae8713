import { describe, expect, it } from 'vitest';

import { FeedError } from '../errors.js';
import { acceptsTaxii, parseTaxiiQuery, TAXII_DEFAULT_LIMIT, TAXII_MAX_LIMIT } from './taxii-request.js';

function violations(run: () => unknown): Array<{ path: string; code: string }> {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FeedError);
    expect((error as FeedError).code).toBe('ERR_VALIDATION');
    return (error as FeedError).violations.map(({ path, code }) => ({ path, code }));
  }
  throw new Error('no violation');
}

describe('acceptsTaxii', () => {
  it('admits TAXII 2.1, TAXII without a version, wildcards and no header', () => {
    for (const accept of [
      undefined,
      '',
      'application/taxii+json;version=2.1',
      'application/taxii+json; version="2.1"',
      'application/taxii+json',
      '*/*',
      'application/*',
      'text/html, application/taxii+json;version=2.1;q=0.9',
    ])
      expect(acceptsTaxii(accept), String(accept)).toBe(true);
  });

  it('refuses other media types, other versions and q=0', () => {
    for (const accept of [
      'application/json',
      'application/stix+json;version=2.1',
      'application/taxii+json;version=2.0',
      'application/taxii+json;version=2.1;q=0',
    ])
      expect(acceptsTaxii(accept), accept).toBe(false);
  });
});

describe('parseTaxiiQuery', () => {
  it('defaults to the last version of each object, 100 at a time', () => {
    expect(parseTaxiiQuery({}, { filters: 'all' })).toEqual({
      limit: TAXII_DEFAULT_LIMIT,
      versions: { all: false, first: false, last: true, at: [] },
    });
    expect(parseTaxiiQuery({}, { filters: 'versions' }).versions.all).toBe(true);
  });

  it('reads every parameter, in either shape Express gives match[...]', () => {
    const expected = {
      limit: 1000,
      addedAfter: Date.parse('2026-12-03T12:00:00.123Z') * 1000 + 456,
      after: 42,
      ids: ['report--2d086da7-4bdc-4f91-900e-d77486753710'],
      types: ['report', 'indicator'],
      specVersions: ['2.1'],
      versions: { all: false, first: true, last: false, at: ['2026-11-20T15:04:05.123Z'] },
    };
    const flat = {
      limit: '1000',
      added_after: '2026-12-03T12:00:00.123456Z',
      next: '42',
      'match[id]': 'report--2d086da7-4bdc-4f91-900e-d77486753710',
      'match[type]': 'report,indicator',
      'match[spec_version]': '2.1',
      'match[version]': 'first,2026-11-20T15:04:05.123Z',
    };
    expect(parseTaxiiQuery(flat, { filters: 'all' })).toEqual(expected);
    const nested = {
      limit: '1000',
      added_after: flat.added_after,
      next: '42',
      match: {
        id: flat['match[id]'],
        type: ['report', 'indicator'],
        spec_version: '2.1',
        version: flat['match[version]'],
      },
    };
    expect(parseTaxiiQuery(nested, { filters: 'all' })).toEqual(expected);
  });

  it('answers at most 1,000 however many are asked for', () => {
    expect(parseTaxiiQuery({ limit: '50000' }, { filters: 'all' }).limit).toBe(TAXII_MAX_LIMIT);
  });

  it('names every bad parameter with a stable code', () => {
    expect(
      violations(() =>
        parseTaxiiQuery(
          {
            added_after: 'yesterday',
            limit: '0',
            next: 'abc',
            'match[id]': 'not-an-id',
            'match[version]': 'newest',
            colour: 'red',
          },
          { filters: 'all' },
        ),
      ),
    ).toEqual([
      { path: 'colour', code: 'unknown_parameter' },
      { path: 'added_after', code: 'invalid_timestamp' },
      { path: 'limit', code: 'out_of_range' },
      { path: 'next', code: 'invalid_next' },
      { path: 'match[id]', code: 'invalid_match' },
      { path: 'match[version]', code: 'invalid_match' },
    ]);
    // The object and versions endpoints take no match[id] or match[type]; versions no match[version].
    expect(violations(() => parseTaxiiQuery({ 'match[type]': 'report' }, { filters: 'object' }))).toEqual([
      { path: 'match[type]', code: 'unknown_parameter' },
    ]);
    expect(violations(() => parseTaxiiQuery({ 'match[version]': 'all' }, { filters: 'versions' }))).toEqual([
      { path: 'match[version]', code: 'unknown_parameter' },
    ]);
  });
});
