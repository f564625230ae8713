import { describe, expect, it } from 'vitest';

import {
  CRYPTO_ERROR_CODES,
  CryptoError,
  describeValue,
  EncryptionError,
  KeyError,
  SignatureError,
} from './errors.js';

describe('CryptoError', () => {
  it('carries a stable code, its message and a cause', () => {
    const cause = new Error('low level');
    const error = new CryptoError('ERR_ARGUMENT_INVALID', 'bad argument', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'CryptoError',
      code: 'ERR_ARGUMENT_INVALID',
      message: 'bad argument',
    });
    expect(error.cause).toBe(cause);
  });

  it('has one subclass per concern, each setting its name and staying a CryptoError', () => {
    const cases = [
      [new KeyError('ERR_KEY_UNKNOWN', 'k'), 'KeyError', 'ERR_KEY_UNKNOWN'],
      [new SignatureError('ERR_SIGNATURE_INVALID', 's'), 'SignatureError', 'ERR_SIGNATURE_INVALID'],
      [new EncryptionError('ERR_JWE_NOT_RECIPIENT', 'e'), 'EncryptionError', 'ERR_JWE_NOT_RECIPIENT'],
    ] as const;
    for (const [error, name, code] of cases) {
      expect(error).toBeInstanceOf(CryptoError);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(error.cause).toBeUndefined();
    }
  });

  it('lists every code once', () => {
    expect(new Set(CRYPTO_ERROR_CODES).size).toBe(CRYPTO_ERROR_CODES.length);
    expect(CRYPTO_ERROR_CODES).toContain('ERR_JWS_MALFORMED');
    expect(Object.isFrozen(CRYPTO_ERROR_CODES)).toBe(true);
  });
});

describe('describeValue', () => {
  it('quotes strings, escapes control characters and bounds the length', () => {
    expect(describeValue('MX-sig-2026-01')).toBe('"MX-sig-2026-01"');
    expect(describeValue('a\nb\u0000')).toBe('"a\\nb\\u0000"');
    expect(describeValue('x'.repeat(100))).toBe(`"${'x'.repeat(64)}…"`);
  });

  it('names non-string values by kind', () => {
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('nothing');
    expect(describeValue([1])).toBe('an array');
    expect(describeValue({})).toBe('an object');
    expect(describeValue(new Uint8Array(3))).toBe('3 bytes');
    expect(describeValue(42)).toBe('42');
    expect(describeValue(true)).toBe('true');
  });
});
