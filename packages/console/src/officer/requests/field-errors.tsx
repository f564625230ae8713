/** The API's 400 violations shown next to their fields (matched by field path prefix). */
import type { ReactNode } from 'react';

import { EnlaceHttpError } from '@enlace/client';
import type { FieldViolation } from '@enlace/client';

export function violationsOf(error: unknown): readonly FieldViolation[] {
  return error instanceof EnlaceHttpError ? error.violations : [];
}

/** The violations of `field` (its own path, `field[i]` or `field.x`). */
export function forField(violations: readonly FieldViolation[], field: string): readonly FieldViolation[] {
  return violations.filter(
    (v) => v.path === field || v.path.startsWith(`${field}[`) || v.path.startsWith(`${field}.`),
  );
}

/** The error line under a field; `id` is what the field's aria-describedby names. */
export function FieldError(props: {
  readonly id: string;
  readonly violations: readonly FieldViolation[];
  readonly field: string;
}): ReactNode {
  const mine = forField(props.violations, props.field);
  if (mine.length === 0) return null;
  return (
    <span id={props.id} className="field-error" data-path={props.field}>
      {mine.map((v) => `${v.message} (${v.code})`).join('; ')}
    </span>
  );
}

/** aria-describedby and aria-invalid for a field with violations. */
export function described(
  violations: readonly FieldViolation[],
  field: string,
  id: string,
): { 'aria-invalid'?: true; 'aria-describedby'?: string } {
  return forField(violations, field).length > 0 ? { 'aria-invalid': true, 'aria-describedby': id } : {};
}
