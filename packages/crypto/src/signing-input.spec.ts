import { describe, expect, it } from 'vitest';

import { signingInput } from './signing-input.js';

describe('signingInput', () => {
  it('is ASCII(protected_header) || "." || alert', () => {
    const alert = Uint8Array.from([0x0a, 0x00, 0xff, 0x2e]);
    const input = signingInput({ protectedHeader: 'eyJhIjoxfQ', alert });
    expect(Buffer.from(input)).toEqual(Buffer.concat([Buffer.from('eyJhIjoxfQ.', 'ascii'), alert]));
    expect(Buffer.from(signingInput({ protectedHeader: 'e30', alert: new Uint8Array() })).toString()).toBe(
      'e30.',
    );
  });

  it('refuses a header that is not base64url and an alert that is not bytes', () => {
    expect(() => signingInput({ protectedHeader: 'é30', alert: new Uint8Array() })).toThrow(
      expect.objectContaining({
        name: 'SignatureError',
        code: 'ERR_JWS_MALFORMED',
        message: 'protected header must be a non-empty base64url string, not "é30"',
      }),
    );
    expect(() => signingInput({ protectedHeader: '', alert: new Uint8Array() })).toThrow(
      expect.objectContaining({
        code: 'ERR_JWS_MALFORMED',
        message: 'protected header must be a non-empty base64url string, not ""',
      }),
    );
    expect(() => signingInput({ protectedHeader: 'e30', alert: [1, 2] as never })).toThrow(
      expect.objectContaining({
        code: 'ERR_JWS_MALFORMED',
        message: 'the alert must be bytes (a Uint8Array), not an array',
      }),
    );
    expect(() => signingInput(null as never)).toThrow(
      expect.objectContaining({
        code: 'ERR_JWS_MALFORMED',
        message: 'a signed alert must be an object, not null',
      }),
    );
  });
});
