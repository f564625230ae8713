import { describe, expect, it } from 'vitest';

import { decodeBase64url, encodeBase64url, isBase64urlOfLength } from './base64url.js';

describe('base64url', () => {
  it('round-trips bytes without padding', () => {
    for (const length of [0, 1, 2, 3, 31, 32, 33]) {
      const bytes = Uint8Array.from({ length }, (_, i) => (i * 37 + 251) & 0xff);
      const text = encodeBase64url(bytes);
      expect(text).toMatch(/^[A-Za-z0-9_-]*$/);
      expect(decodeBase64url(text)).toEqual(bytes);
    }
  });

  it('accepts only the canonical form', () => {
    expect(decodeBase64url('e30')).toEqual(new TextEncoder().encode('{}'));
    for (const text of ['e30=', 'e31', 'e3+', 'e3/', 'e 30', 'A', 'AAAAA', 'é30']) {
      expect(decodeBase64url(text), text).toBeUndefined();
    }
  });

  it('checks the decoded length', () => {
    const x = encodeBase64url(new Uint8Array(32).fill(9));
    expect(isBase64urlOfLength(x, 32)).toBe(true);
    expect(isBase64urlOfLength(x, 31)).toBe(false);
    expect(isBase64urlOfLength(`${x}A`, 32)).toBe(false);
    expect(isBase64urlOfLength(32, 32)).toBe(false);
  });
});
