import { describe, expect, it } from 'vitest';
import {
  AlertValidationError,
  MalformedMessageError,
  SchemaError,
  UnencodableMessageError,
} from './errors.js';

describe('SchemaError and its subclasses', () => {
  it('carry a stable code, their own name and the cause', () => {
    const cause = new RangeError('premature EOF');
    const malformed = new MalformedMessageError('cannot decode Alert: premature EOF', { cause });
    expect(malformed).toBeInstanceOf(SchemaError);
    expect(malformed).toBeInstanceOf(Error);
    expect(malformed.code).toBe('ERR_SCHEMA_MALFORMED');
    expect(malformed.name).toBe('MalformedMessageError');
    expect(malformed.message).toBe('cannot decode Alert: premature EOF');
    expect(malformed.cause).toBe(cause);

    const unencodable = new UnencodableMessageError('cannot encode Alert: too large');
    expect(unencodable.code).toBe('ERR_SCHEMA_UNENCODABLE');
    expect(unencodable.name).toBe('UnencodableMessageError');
    expect(unencodable.cause).toBeUndefined();

    const base = new SchemaError('ERR_ALERT_INVALID', 'invalid');
    expect(base.name).toBe('SchemaError');
    expect(base.code).toBe('ERR_ALERT_INVALID');
  });

  it('lists every violation in the message of an AlertValidationError', () => {
    const violations = [
      { path: '', code: 'wrong_type', message: 'expected an object (Alert), got null' },
      {
        path: 'header.origin',
        code: 'unknown_country',
        message: '"XX" is not an ISO 3166-1 alpha-2 country code',
      },
    ] as const;
    const error = new AlertValidationError(violations);
    expect(error).toBeInstanceOf(SchemaError);
    expect(error.code).toBe('ERR_ALERT_INVALID');
    expect(error.name).toBe('AlertValidationError');
    expect(error.violations).toEqual(violations);
    expect(error.message).toBe(
      'invalid alert (2 violations):\n' +
        '  (root): wrong_type: expected an object (Alert), got null\n' +
        '  header.origin: unknown_country: "XX" is not an ISO 3166-1 alpha-2 country code',
    );
    expect(new AlertValidationError([violations[1]]).message).toMatch(/^invalid alert \(1 violation\):\n/);
  });
});
