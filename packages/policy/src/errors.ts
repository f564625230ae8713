/**
 * Errors of @enlace/policy: one base class with a stable `code`. Policy decisions themselves are
 * never errors (a denial is a `PolicyDecision`); errors mean the input could not be evaluated at
 * all: an invalid snapshot, or a query with a malformed time, kind or handling code.
 */

/** Stable codes of every error this package throws. */
export type PolicyErrorCode =
  /** A snapshot breaks the model (see `SnapshotProblem`); nothing can be evaluated against it. */
  | 'ERR_POLICY_SNAPSHOT_INVALID'
  /** A query is malformed: an invalid time, an unknown kind or handling code, a non-string code. */
  | 'ERR_POLICY_QUERY_INVALID';

/** Stable codes of single problems found in a snapshot. */
export type SnapshotProblemCode =
  /** A value of the wrong JSON type (e.g. a number where a string is expected). */
  | 'invalid_type'
  /** A required field is absent or empty. */
  | 'required'
  /** A field the model does not define (often a misspelt selector, which would widen a rule). */
  | 'unknown_field'
  /** A string that does not have the expected form (country code, network id, instant, ...). */
  | 'invalid_format'
  /** A value outside its closed set (effect, action, snapshot format). */
  | 'invalid_value'
  | 'unknown_country'
  | 'unknown_network'
  | 'unknown_kind'
  | 'unknown_role'
  | 'unknown_status'
  /** A kind the network does not carry (in a rule selecting that network). */
  | 'kind_not_on_network'
  /** A role the network does not have (in a membership or a rule selecting that network). */
  | 'role_not_on_network'
  /** The same country code, network id, rule id or list entry twice. */
  | 'duplicate'
  /** An empty selector list: it would match nothing, so it is almost certainly a mistake. */
  | 'empty_selector'
  /** A network or rule that cites no legal basis. */
  | 'missing_basis'
  /** Status changes out of order or at the same instant. */
  | 'not_ascending'
  /** A status change that cannot happen: a first status other than member or observer, or any change after withdrawal. */
  | 'invalid_transition'
  /** A validity window that ends at or before it starts. */
  | 'empty_interval'
  /** Two memberships of the same country, network and role whose windows overlap. */
  | 'overlapping_validity'
  /** A network without a name or mandate in one of the process's languages (en, es, fr, pt). */
  | 'missing_label';

/** One problem at one place of a snapshot. `path` uses field names, e.g. `memberships[3].network`. */
export interface SnapshotProblem {
  readonly path: string;
  readonly code: SnapshotProblemCode;
  readonly message: string;
  /** Errors make the snapshot unusable; warnings are reported but do not stop evaluation. */
  readonly severity: 'error' | 'warning';
}

/** Base class of every error thrown by @enlace/policy. */
export class PolicyError extends Error {
  readonly code: PolicyErrorCode;

  constructor(code: PolicyErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PolicyError';
    this.code = code;
  }
}

/** A snapshot has errors; `problems` lists all of them (and the warnings found with them). */
export class PolicySnapshotError extends PolicyError {
  readonly problems: readonly SnapshotProblem[];

  constructor(problems: readonly SnapshotProblem[], options?: ErrorOptions) {
    super('ERR_POLICY_SNAPSHOT_INVALID', formatProblems(problems), options);
    this.name = 'PolicySnapshotError';
    this.problems = problems;
  }
}

/** A query cannot be evaluated: `field` names the offending field of the query. */
export class PolicyQueryError extends PolicyError {
  readonly field: string;

  constructor(field: string, message: string, options?: ErrorOptions) {
    super('ERR_POLICY_QUERY_INVALID', `${field}: ${message}`, options);
    this.name = 'PolicyQueryError';
    this.field = field;
  }
}

function formatProblems(problems: readonly SnapshotProblem[]): string {
  const errors = problems.filter((p) => p.severity === 'error');
  const count = errors.length === 1 ? '1 error' : `${errors.length} errors`;
  const lines = errors.map((p) => `  ${p.path === '' ? '(root)' : p.path}: ${p.code}: ${p.message}`);
  return `invalid policy snapshot (${count}):\n${lines.join('\n')}`;
}
