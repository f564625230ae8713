/**
 * Validation of command input with zod: every problem becomes a FieldViolation with a dotted /
 * bracket path (`publicJwk.crv`, `networks[2]`) and a stable code, and the lot one RegistryError
 * ERR_VALIDATION, so an API caller learns every field at fault at once.
 */
import { isInstant } from '@enlace/policy';
import { z } from 'zod';

import type { FieldViolation } from './errors.js';
import { RegistryError } from './errors.js';
import { TOKEN_ROLES } from './model.js';

/** `['countries', 3, 'names', 'fr']` → `countries[3].names.fr`. */
export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** FieldViolations of a zod error; `prefix` is put before every path (e.g. a list entry). */
export function violationsOf(error: z.ZodError, prefix = ''): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        out.push({
          path: formatPath([...issue.path, key], prefix),
          code: 'unknown_field',
          message: 'is not a known field',
        });
      continue;
    }
    const path = formatPath(issue.path, prefix);
    if (issue.code === 'invalid_type' && issue.input === undefined) {
      out.push({ path, code: 'required', message: 'required' });
      continue;
    }
    let code: string = issue.code;
    if (issue.code === 'custom') {
      const params = issue.params as { code?: unknown } | undefined;
      if (typeof params?.code === 'string') code = params.code;
    }
    out.push({ path, code, message: issue.message });
  }
  return out;
}

/** Parses `input` with `schema`; throws RegistryError ERR_VALIDATION listing every violation. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw validationError(what, violationsOf(result.error));
}

export function validationError(what: string, violations: readonly FieldViolation[]): RegistryError {
  const first = violations[0];
  const summary =
    first === undefined
      ? ''
      : `: ${first.path === '' ? '(input)' : first.path}: ${first.message}` +
        (violations.length > 1 ? ` (and ${violations.length - 1} more)` : '');
  return new RegistryError('ERR_VALIDATION', `invalid ${what}${summary}`, { violations });
}

/** One violation as an error. */
export function fieldError(path: string, code: string, message: string, what = 'input'): RegistryError {
  return validationError(what, [{ path, code, message }]);
}

// ---- building blocks -------------------------------------------------------------------------

export const instantSchema = z.string().refine(isInstant, {
  message: 'must be an RFC 3339 UTC instant (e.g. 2026-03-01T00:00:00.000Z)',
  params: { code: 'invalid_format' },
});

export const countryCodeSchema = z.string().regex(/^[A-Z]{2}$/, {
  message: 'must be an ISO 3166-1 alpha-2 code (two upper-case letters)',
});

export const slugSchema = z
  .string()
  .max(64)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, {
    message: 'must be a lower-case slug (letters, digits and inner hyphens)',
  });

export const text = z.string().trim().min(1, { message: 'must not be empty' });

export const namesSchema = z.strictObject({ en: text, es: text, fr: text, pt: text });

/** The actor of a command. Extra fields (token claims a caller passes along) are ignored. */
export const actorSchema = z.object({
  id: text.max(200),
  roles: z.array(z.enum(TOKEN_ROLES)),
  country: countryCodeSchema.optional(),
});

/** A command context; whether `reason` is required depends on the command. */
export const contextSchema = z.object({
  actor: actorSchema,
  reason: text.max(2000).optional(),
  decision: text.max(500).optional(),
  requestId: text.max(200).optional(),
});
