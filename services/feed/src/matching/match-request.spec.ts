import { randomBytes } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { FeedError } from '../errors.js';
import { MatchIndex } from './match-index.js';
import type { AlertRef } from './match-index.js';
import { matchResultToJson, parseMatchRequest } from './match-request.js';

const KEY_ID = 'fiu-exchange-match-2026-01';
const digest = (): Buffer => randomBytes(32);

function caught(run: () => unknown): FeedError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(FeedError);
    return error as FeedError;
  }
  return expect.unreachable('should have thrown');
}

describe('parseMatchRequest', () => {
  it('reads hex (either case) and base64url digests and drops repeats, keeping the first order', () => {
    const [a, b, c] = [digest(), digest(), digest()];
    const request = parseMatchRequest({
      keyId: KEY_ID,
      digests: [
        a.toString('hex'),
        b.toString('base64url'),
        a.toString('base64url'),
        c.toString('hex').toUpperCase(),
        b.toString('hex'),
      ],
    });
    expect(request.keyId).toBe(KEY_ID);
    expect(request.digests.map((d) => Buffer.from(d).toString('hex'))).toEqual(
      [a, b, c].map((d) => d.toString('hex')),
    );
    expect(request.digests.every((d) => d instanceof Uint8Array && d.length === 32)).toBe(true);
  });

  it('takes 100,000 digests and refuses 100,001 as too large', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => i.toString(16).padStart(64, '0'));
    expect(parseMatchRequest({ keyId: KEY_ID, digests: many }).digests).toHaveLength(100_000);
    const error = caught(() => parseMatchRequest({ keyId: KEY_ID, digests: [...many, 'f'.repeat(64)] }));
    expect(error.code).toBe('ERR_TOO_LARGE');
    expect(error.status).toBe(413);
    expect(error.message).toContain('at most 100000 digests (got 100001)');
    expect(error.violations).toEqual([expect.objectContaining({ path: 'digests', code: 'too_many' })]);
  });

  it('lists every bad digest by index with a stable code', () => {
    const good = digest().toString('hex');
    const base64 = digest().toString('base64url');
    // The last of 43 characters carries 4 bits and 2 spare ones, which must be zero: one up is not canonical.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const spare = `${base64.slice(0, 42)}${alphabet[alphabet.indexOf(base64.slice(-1)) + 1]!}`;
    const error = caught(() =>
      parseMatchRequest({
        keyId: KEY_ID,
        digests: [
          good,
          good.slice(2),
          42,
          `${good}00`,
          'z'.repeat(64),
          spare,
          digest().toString('base64'),
          null,
          `${good.slice(0, 63)}g`,
          good,
        ],
      }),
    );
    expect(error.code).toBe('ERR_VALIDATION');
    expect(error.status).toBe(400);
    const paths = error.violations.map((v) => `${v.path}:${v.code}`);
    const expectedPaths = [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `digests[${i}]`);
    expect(paths).toEqual(expectedPaths.map((p) => `${p}:invalid_digest`));
    expect(error.violations[0]!.message).toContain(
      '32 bytes as 64 hex characters or 43 base64url characters',
    );
    expect(error.message).toMatch(/^invalid match request: \d problems$/);
  });

  it('lists the first 20 problems and counts them all', () => {
    const error = caught(() =>
      parseMatchRequest({ keyId: KEY_ID, digests: Array.from({ length: 50 }, () => 'x') }),
    );
    expect(error.code).toBe('ERR_VALIDATION');
    expect(error.violations).toHaveLength(20);
    expect(error.violations[19]).toMatchObject({ path: 'digests[19]', code: 'invalid_digest' });
    expect(error.message).toBe('invalid match request: 50 problems (the first 20 are listed)');
  });

  it('names a missing or malformed keyId, digests and unknown members', () => {
    const cases: Array<[unknown, string[]]> = [
      [{}, ['keyId:required', 'digests:required']],
      [{ keyId: '', digests: [] }, ['keyId:invalid_key_id', 'digests:empty']],
      [{ keyId: 'has space', digests: 'abc' }, ['keyId:invalid_key_id', 'digests:invalid_type']],
      [{ keyId: KEY_ID, digest: [digest().toString('hex')] }, ['digest:unknown_field', 'digests:required']],
      [[], [':invalid_type']],
      [null, [':invalid_type']],
      ['{"keyId":1}', [':invalid_type']],
    ];
    for (const [body, expected] of cases) {
      const error = caught(() => parseMatchRequest(body));
      expect(error.code).toBe('ERR_VALIDATION');
      expect(error.violations.map((v) => `${v.path}:${v.code}`)).toEqual(expected);
    }
  });
});

describe('matchResultToJson', () => {
  it('gives digests in hex and exactly the six public fields of each alert ref (not its handling code)', () => {
    const d = digest();
    const ref: AlertRef = {
      alertId: '0190a000-0000-7000-8000-000000000001',
      origin: 'CR',
      network: 'fiu-exchange',
      kind: 'document',
      issuedAt: '2026-03-01T10:00:00.000Z',
      handling: 'H1',
      field: 'document.number_digests',
    };
    const index = new MatchIndex();
    index.add({ ...ref, extra: 'not for the wire' } as AlertRef, [{ keyId: KEY_ID, digest: d }]);
    const request = parseMatchRequest({
      keyId: KEY_ID,
      digests: [d.toString('base64url'), digest().toString('hex')],
    });
    const json = matchResultToJson(index.query(request.keyId, request.digests));
    expect(json).toEqual({
      keyId: KEY_ID,
      queried: 2,
      matched: 1,
      hits: [{ digest: d.toString('hex'), alerts: [{ ...ref, handling: undefined }] }],
    });
    expect(json.hits[0]!.alerts[0]).not.toHaveProperty('handling');
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });
});
