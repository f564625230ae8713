/**
 * Parsing of request bodies, query strings and path parameters with the schemas of schemas.ts:
 * every problem becomes a FieldViolation and the lot one RegistryError ERR_VALIDATION (400).
 */
import type { z } from 'zod';

import { RegistryError } from '../domain/errors.js';
import { parseInput } from '../domain/validation.js';

/** The request body, parsed; a missing or non-object body is reported as such. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    const message =
      body === undefined
        ? 'the request needs a JSON object body (Content-Type: application/json)'
        : 'the request body must be a JSON object';
    throw new RegistryError('ERR_VALIDATION', `invalid ${what}: ${message}`, {
      violations: [{ path: '', code: body === undefined ? 'required' : 'invalid_type', message }],
    });
  }
  return parseInput(schema, body, what);
}

/** The query string, parsed; parameters are strings (repeated ones arrays, which the schemas refuse). */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown, what: string): z.output<S> {
  return parseInput(schema, query ?? {}, what);
}

/** `:code` of a country route: ISO 3166-1 alpha-2, accepted in either case. */
export function countryParam(value: string): string {
  const code = value.toUpperCase();
  if (!/^[A-Z]{2}$/.test(code)) {
    throw new RegistryError('ERR_VALIDATION', `invalid country code "${value}" in the path`, {
      violations: [{ path: 'code', code: 'invalid_country', message: 'must be an ISO 3166-1 alpha-2 code' }],
    });
  }
  return code;
}
