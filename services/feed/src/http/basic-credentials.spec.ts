import type { IncomingMessage, ServerResponse } from 'node:http';

import { describe, expect, it } from 'vitest';

import { basicCredentialsAsBearer, basicToken } from './basic-credentials.js';

const basic = (credentials: string): string => `Basic ${Buffer.from(credentials).toString('base64')}`;

function through(url: string, authorization: string | undefined): string | undefined {
  const req = { url, headers: { ...(authorization !== undefined && { authorization }) } } as IncomingMessage;
  let called = false;
  basicCredentialsAsBearer(req, {} as ServerResponse, () => (called = true));
  expect(called).toBe(true);
  return req.headers.authorization;
}

describe('Basic credentials as a bearer token', () => {
  it('takes the password as the token, whatever the user name (a token may hold colons)', () => {
    expect(basicToken(basic('gt-fiu:eyJ.a.b'))).toBe('eyJ.a.b');
    expect(basicToken(basic(':eyJ.a.b'))).toBe('eyJ.a.b');
    expect(basicToken(basic('user:pa:ss'))).toBe('pa:ss');
    expect(basicToken(basic('user:'))).toBeUndefined();
    expect(basicToken(basic('no-colon'))).toBeUndefined();
    expect(basicToken('Bearer eyJ.a.b')).toBeUndefined();
    expect(basicToken(undefined)).toBeUndefined();
  });

  it('rewrites only the TAXII and MISP routes, and leaves anything else as it came', () => {
    expect(through('/taxii2/', basic('u:tok'))).toBe('Bearer tok');
    expect(through('/taxii2/gt/collections/?limit=1', basic('u:tok'))).toBe('Bearer tok');
    expect(through('/misp/gt/cases/manifest.json', basic('u:tok'))).toBe('Bearer tok');
    expect(through('/v1/feeds', basic('u:tok'))).toBe(basic('u:tok'));
    expect(through('/taxii2x/', basic('u:tok'))).toBe(basic('u:tok'));
    expect(through('/taxii2/', 'Bearer other')).toBe('Bearer other');
    expect(through('/taxii2/', basic('u:'))).toBe(basic('u:'));
    expect(through('/taxii2/', undefined)).toBeUndefined();
  });
});
