/**
 * Validation of policy snapshots: every field's type and form, references between countries,
 * networks, memberships and rules, status transitions, validity windows, and legal bases.
 *
 * Snapshots arrive as JSON (signed by the registry), so validation takes `unknown` and reports
 * every problem with a field path rather than stopping at the first. Unknown fields are errors:
 * a misspelt selector (`contries`) would silently widen a rule to every country.
 */
import type { SnapshotProblem, SnapshotProblemCode } from './errors.js';
import { PolicySnapshotError } from './errors.js';
import type { PolicySnapshot } from './model.js';
import {
  ALERT_KINDS,
  COUNTRY_STATUSES,
  MEMBERSHIP_ROLES,
  POLICY_ACTIONS,
  POLICY_SNAPSHOT_FORMAT,
  RULE_EFFECTS,
} from './model.js';
import { parseInstant } from './time.js';

/** Languages every network should be labelled in. */
const LANGUAGES = ['en', 'es', 'fr', 'pt'] as const;
const COUNTRY_CODE = /^[A-Z]{2}$/;
const NETWORK_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const NETWORK_ID_MAX = 64;
const RULE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const RULE_ID_MAX = 128;

type JsonObject = Record<string, unknown>;

/** Validates a snapshot and returns every problem found, errors and warnings; empty when all is well. */
export function validateSnapshot(snapshot: unknown): SnapshotProblem[] {
  const v = new SnapshotValidator();
  v.snapshot(snapshot);
  return v.problems;
}

/**
 * Throws PolicySnapshotError (code ERR_POLICY_SNAPSHOT_INVALID) when the snapshot has errors;
 * otherwise returns its warnings.
 */
export function assertValidSnapshot(snapshot: unknown): SnapshotProblem[] {
  const problems = validateSnapshot(snapshot);
  if (problems.some((p) => p.severity === 'error')) throw new PolicySnapshotError(problems);
  return problems;
}

/** True when `value` is a well-formed snapshot (warnings allowed). */
export function isValidSnapshot(value: unknown): value is PolicySnapshot {
  return !validateSnapshot(value).some((p) => p.severity === 'error');
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isOneOf<T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}

function show(value: unknown): string {
  const s = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

interface NetworkFacts {
  readonly kinds: ReadonlySet<string>;
  readonly roles: ReadonlySet<string>;
}

interface Window {
  readonly index: number;
  readonly from: number;
  readonly until: number;
}

class SnapshotValidator {
  readonly problems: SnapshotProblem[] = [];
  private readonly countries = new Set<string>();
  private readonly networks = new Map<string, NetworkFacts>();

  private report(path: string, code: SnapshotProblemCode, message: string): void {
    this.problems.push({ path, code, message, severity: 'error' });
  }

  private warn(path: string, code: SnapshotProblemCode, message: string): void {
    this.problems.push({ path, code, message, severity: 'warning' });
  }

  snapshot(value: unknown): void {
    if (!isObject(value)) {
      this.report('', 'invalid_type', 'a policy snapshot must be a JSON object');
      return;
    }
    this.fields(value, '', [
      'format',
      'revision',
      'generatedAt',
      'countries',
      'networks',
      'memberships',
      'rules',
    ]);
    if (value['format'] === undefined) this.report('format', 'required', 'is required');
    else if (value['format'] !== POLICY_SNAPSHOT_FORMAT)
      this.report(
        'format',
        'invalid_value',
        `${show(value['format'])} is not a supported snapshot format (expected "${POLICY_SNAPSHOT_FORMAT}")`,
      );
    const revision = value['revision'];
    if (revision === undefined) this.report('revision', 'required', 'is required');
    else if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0)
      this.report('revision', 'invalid_type', `${show(revision)} is not a non-negative integer`);
    this.instant(value, 'generatedAt', '', true);

    // Countries and networks first: memberships and rules refer to them.
    this.list(value, 'countries', '', (c, path) => this.country(c, path));
    this.list(value, 'networks', '', (n, path) => this.network(n, path));
    const windows = new Map<string, Window[]>();
    this.list(value, 'memberships', '', (m, path, i) => this.membership(m, path, i, windows));
    this.overlaps(windows);
    const ruleIds = new Set<string>();
    this.list(value, 'rules', '', (r, path) => this.rule(r, path, ruleIds));
  }

  private fields(obj: JsonObject, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(obj))
      if (!allowed.includes(key))
        this.report(
          join(path, key),
          'unknown_field',
          `is not a field of ${path === '' ? 'a snapshot' : 'this entry'}`,
        );
  }

  private list(
    obj: JsonObject,
    key: string,
    path: string,
    each: (item: unknown, path: string, index: number) => void,
  ): void {
    const value = obj[key];
    const at = join(path, key);
    if (value === undefined) this.report(at, 'required', 'is required (an empty list is allowed)');
    else if (!Array.isArray(value)) this.report(at, 'invalid_type', 'must be a list');
    else value.forEach((item, i) => each(item, `${at}[${i}]`, i));
  }

  private string(obj: JsonObject, key: string, path: string, required: boolean): string | undefined {
    const value = obj[key];
    const at = join(path, key);
    if (value === undefined) {
      if (required) this.report(at, 'required', 'is required');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.report(at, 'invalid_type', `${show(value)} is not a string`);
      return undefined;
    }
    if (value.trim() === '') {
      this.report(at, 'required', 'must not be empty');
      return undefined;
    }
    return value;
  }

  private instant(obj: JsonObject, key: string, path: string, required: boolean): number | undefined {
    const value = this.string(obj, key, path, required);
    if (value === undefined) return undefined;
    const ms = parseInstant(value);
    if (ms === undefined)
      this.report(
        join(path, key),
        'invalid_format',
        `${show(value)} is not an RFC 3339 UTC instant (e.g. 2026-03-01T00:00:00.000Z)`,
      );
    return ms;
  }

  private countryCode(obj: JsonObject, key: string, path: string): string | undefined {
    const code = this.string(obj, key, path, true);
    if (code === undefined) return undefined;
    if (!COUNTRY_CODE.test(code)) {
      this.report(
        join(path, key),
        'invalid_format',
        `${show(code)} is not an ISO 3166-1 alpha-2 code (two upper-case letters)`,
      );
      return undefined;
    }
    return code;
  }

  private window(obj: JsonObject, path: string, fromRequired: boolean): { from: number; until: number } {
    const from = this.instant(obj, 'validFrom', path, fromRequired);
    const until = this.instant(obj, 'validUntil', path, false);
    if (from !== undefined && until !== undefined && until <= from)
      this.report(join(path, 'validUntil'), 'empty_interval', 'must be later than validFrom');
    return { from: from ?? Number.NEGATIVE_INFINITY, until: until ?? Number.POSITIVE_INFINITY };
  }

  private country(value: unknown, path: string): void {
    if (!isObject(value)) {
      this.report(path, 'invalid_type', 'a country must be an object');
      return;
    }
    this.fields(value, path, ['code', 'statusHistory']);
    const code = this.countryCode(value, 'code', path);
    if (code !== undefined) {
      if (this.countries.has(code))
        this.report(join(path, 'code'), 'duplicate', `country ${code} is listed more than once`);
      this.countries.add(code);
    }
    let previous: { status: string; at: number } | undefined;
    let first = true;
    this.list(value, 'statusHistory', path, (change, at) => {
      if (!isObject(change)) {
        this.report(at, 'invalid_type', 'a status change must be an object');
        return;
      }
      this.fields(change, at, ['status', 'effectiveAt', 'actor', 'reason', 'decision']);
      const status = change['status'];
      if (status === undefined) this.report(join(at, 'status'), 'required', 'is required');
      else if (!isOneOf(COUNTRY_STATUSES, status))
        this.report(
          join(at, 'status'),
          'unknown_status',
          `${show(status)} is not a status (${COUNTRY_STATUSES.join(', ')})`,
        );
      const effective = this.instant(change, 'effectiveAt', at, true);
      for (const key of ['actor', 'reason', 'decision']) this.string(change, key, at, false);
      if (!isOneOf(COUNTRY_STATUSES, status) || effective === undefined) {
        first = false;
        return;
      }
      if (first && status !== 'member' && status !== 'observer')
        this.report(
          join(at, 'status'),
          'invalid_transition',
          `the first status of a country must be member or observer, not ${status}`,
        );
      if (previous !== undefined) {
        if (effective <= previous.at)
          this.report(
            join(at, 'effectiveAt'),
            'not_ascending',
            'must be later than the effectiveAt of the change before it',
          );
        if (previous.status === 'withdrawn')
          this.report(join(at, 'status'), 'invalid_transition', 'no status change may follow a withdrawal');
      }
      first = false;
      previous = { status, at: effective };
    });
  }

  private network(value: unknown, path: string): void {
    if (!isObject(value)) {
      this.report(path, 'invalid_type', 'a network must be an object');
      return;
    }
    this.fields(value, path, ['id', 'names', 'mandate', 'basis', 'kinds', 'roles']);
    const id = this.string(value, 'id', path, true);
    let idOk = false;
    if (id !== undefined) {
      if (id.length > NETWORK_ID_MAX || !NETWORK_ID.test(id))
        this.report(
          join(path, 'id'),
          'invalid_format',
          `${show(id)} is not a network id (lower-case letters, digits and inner hyphens, at most ${NETWORK_ID_MAX})`,
        );
      else if (this.networks.has(id))
        this.report(join(path, 'id'), 'duplicate', `network "${id}" is listed more than once`);
      else idOk = true;
    }
    this.labels(value, 'names', path);
    this.labels(value, 'mandate', path);
    this.basis(value, path);
    const kinds = this.enumList(value, 'kinds', path, ALERT_KINDS, 'unknown_kind', 'an alert kind');
    const roles = this.enumList(value, 'roles', path, MEMBERSHIP_ROLES, 'unknown_role', 'a membership role');
    if (idOk && id !== undefined) this.networks.set(id, { kinds: new Set(kinds), roles: new Set(roles) });
  }

  private labels(obj: JsonObject, key: string, path: string): void {
    const value = obj[key];
    const at = join(path, key);
    if (value === undefined) {
      this.report(at, 'required', 'is required');
      return;
    }
    if (!isObject(value)) {
      this.report(at, 'invalid_type', 'must be an object of texts by language tag');
      return;
    }
    if (Object.keys(value).length === 0) this.report(at, 'required', 'needs a text in at least one language');
    for (const [lang, text] of Object.entries(value))
      if (typeof text !== 'string' || text.trim() === '')
        this.report(join(at, lang), 'invalid_type', 'must be a non-empty string');
    const missing = LANGUAGES.filter((lang) => value[lang] === undefined);
    if (missing.length > 0) this.warn(at, 'missing_label', `has no text in ${missing.join(', ')}`);
  }

  /** A non-empty list of values of a closed set, without duplicates; returns the valid ones. */
  private enumList<T extends string>(
    obj: JsonObject,
    key: string,
    path: string,
    set: readonly T[],
    code: SnapshotProblemCode,
    what: string,
  ): T[] {
    const out: T[] = [];
    const at = join(path, key);
    const value = obj[key];
    if (value === undefined) this.report(at, 'required', 'is required');
    else if (!Array.isArray(value)) this.report(at, 'invalid_type', 'must be a list');
    else if (value.length === 0) this.report(at, 'required', 'must not be empty');
    else
      value.forEach((item, i) => {
        if (!isOneOf(set, item))
          this.report(`${at}[${i}]`, code, `${show(item)} is not ${what} (${set.join(', ')})`);
        else if (out.includes(item))
          this.report(`${at}[${i}]`, 'duplicate', `${show(item)} is listed more than once`);
        else out.push(item);
      });
    return out;
  }

  private basis(obj: JsonObject, path: string): void {
    const at = join(path, 'basis');
    const value = obj['basis'];
    if (value === undefined || (Array.isArray(value) && value.length === 0)) {
      this.report(at, 'missing_basis', 'must cite at least one decision (conference, decision, text)');
      return;
    }
    if (!Array.isArray(value)) {
      this.report(at, 'invalid_type', 'must be a list of legal bases');
      return;
    }
    value.forEach((b, i) => {
      const bp = `${at}[${i}]`;
      if (!isObject(b)) {
        this.report(bp, 'invalid_type', 'a legal basis must be an object (conference, decision, text)');
        return;
      }
      this.fields(b, bp, ['conference', 'decision', 'text']);
      for (const key of ['conference', 'decision', 'text']) this.string(b, key, bp, true);
    });
  }

  private membership(value: unknown, path: string, index: number, windows: Map<string, Window[]>): void {
    if (!isObject(value)) {
      this.report(path, 'invalid_type', 'a membership must be an object');
      return;
    }
    this.fields(value, path, ['country', 'network', 'role', 'validFrom', 'validUntil']);
    const country = this.countryCode(value, 'country', path);
    if (country !== undefined && !this.countries.has(country))
      this.report(
        join(path, 'country'),
        'unknown_country',
        `country ${country} is not in the snapshot's countries`,
      );
    const network = this.string(value, 'network', path, true);
    const facts = network === undefined ? undefined : this.networks.get(network);
    if (network !== undefined && facts === undefined)
      this.report(
        join(path, 'network'),
        'unknown_network',
        `network ${show(network)} is not in the snapshot's networks`,
      );
    const role = value['role'];
    if (role === undefined) this.report(join(path, 'role'), 'required', 'is required');
    else if (!isOneOf(MEMBERSHIP_ROLES, role))
      this.report(
        join(path, 'role'),
        'unknown_role',
        `${show(role)} is not a membership role (${MEMBERSHIP_ROLES.join(', ')})`,
      );
    else if (facts !== undefined && !facts.roles.has(role))
      this.report(join(path, 'role'), 'role_not_on_network', `network "${network}" has no role ${role}`);
    const { from, until } = this.window(value, path, true);
    if (
      country !== undefined &&
      network !== undefined &&
      isOneOf(MEMBERSHIP_ROLES, role) &&
      from !== -Infinity
    ) {
      const key = `${country} ${network} ${role}`;
      const list = windows.get(key) ?? [];
      list.push({ index, from, until });
      windows.set(key, list);
    }
  }

  private overlaps(windows: Map<string, Window[]>): void {
    for (const [key, list] of windows) {
      if (list.length < 2) continue;
      const sorted = [...list].sort((a, b) => a.from - b.from || a.index - b.index);
      // `reach` is the window, among those starting earlier, that lasts longest.
      let reach = sorted[0] as Window;
      for (const w of sorted.slice(1)) {
        if (w.from < reach.until) {
          const [country, network, role] = key.split(' ');
          this.report(
            `memberships[${w.index}]`,
            'overlapping_validity',
            `overlaps memberships[${reach.index}]: ${country} holds ${role} on "${network}" in both`,
          );
        }
        if (w.until > reach.until) reach = w;
      }
    }
  }

  private rule(value: unknown, path: string, ids: Set<string>): void {
    if (!isObject(value)) {
      this.report(path, 'invalid_type', 'a rule must be an object');
      return;
    }
    this.fields(value, path, [
      'id',
      'description',
      'effect',
      'action',
      'networks',
      'kinds',
      'roles',
      'countries',
      'statuses',
      'validFrom',
      'validUntil',
      'basis',
    ]);
    const id = this.string(value, 'id', path, true);
    if (id !== undefined) {
      if (id.length > RULE_ID_MAX || !RULE_ID.test(id))
        this.report(
          join(path, 'id'),
          'invalid_format',
          `${show(id)} is not a rule id (letters, digits, ".", "_", ":" and "-", at most ${RULE_ID_MAX})`,
        );
      else if (ids.has(id))
        this.report(join(path, 'id'), 'duplicate', `rule "${id}" is listed more than once`);
      ids.add(id);
    }
    this.string(value, 'description', path, false);
    for (const [key, set] of [
      ['effect', RULE_EFFECTS],
      ['action', POLICY_ACTIONS],
    ] as const) {
      const v = value[key];
      if (v === undefined) this.report(join(path, key), 'required', 'is required');
      else if (!isOneOf<string>(set, v))
        this.report(join(path, key), 'invalid_value', `${show(v)} is not one of ${set.join(', ')}`);
    }

    const networks = this.selector(value, 'networks', path, (item, at) => {
      if (typeof item !== 'string' || !this.networks.has(item)) {
        this.report(at, 'unknown_network', `network ${show(item)} is not in the snapshot's networks`);
        return false;
      }
      return true;
    });
    const kinds = this.selector(value, 'kinds', path, (item, at) => {
      if (isOneOf(ALERT_KINDS, item)) return true;
      this.report(at, 'unknown_kind', `${show(item)} is not an alert kind (${ALERT_KINDS.join(', ')})`);
      return false;
    });
    const roles = this.selector(value, 'roles', path, (item, at) => {
      if (isOneOf(MEMBERSHIP_ROLES, item)) return true;
      this.report(
        at,
        'unknown_role',
        `${show(item)} is not a membership role (${MEMBERSHIP_ROLES.join(', ')})`,
      );
      return false;
    });
    this.selector(value, 'countries', path, (item, at) => {
      if (typeof item !== 'string' || !COUNTRY_CODE.test(item)) {
        this.report(
          at,
          'invalid_format',
          `${show(item)} is not an ISO 3166-1 alpha-2 code (two upper-case letters)`,
        );
        return false;
      }
      // A rule may name a country before it is admitted; that is worth a look, not a failure.
      if (!this.countries.has(item))
        this.warn(at, 'unknown_country', `country ${item} is not in the snapshot's countries`);
      return true;
    });
    this.selector(value, 'statuses', path, (item, at) => {
      if (isOneOf(COUNTRY_STATUSES, item)) return true;
      this.report(at, 'unknown_status', `${show(item)} is not a status (${COUNTRY_STATUSES.join(', ')})`);
      return false;
    });
    this.window(value, path, false);
    this.basis(value, path);

    // Selectors that can never match together are a sign of a mistake, not an error: the rule
    // simply never applies.
    const selected = networks ?? [...this.networks.keys()];
    const facts = selected.map((n) => this.networks.get(n)).filter((f) => f !== undefined);
    kinds?.forEach((kind) => {
      if (!facts.some((f) => f.kinds.has(kind)))
        this.warn(
          join(path, 'kinds'),
          'kind_not_on_network',
          `no network the rule selects carries ${kind} alerts`,
        );
    });
    roles?.forEach((role) => {
      if (!facts.some((f) => f.roles.has(role)))
        this.warn(
          join(path, 'roles'),
          'role_not_on_network',
          `no network the rule selects has the role ${role}`,
        );
    });
  }

  /** An optional, non-empty list without duplicates; returns its valid string entries, or undefined when absent. */
  private selector(
    obj: JsonObject,
    key: string,
    path: string,
    check: (item: unknown, path: string) => boolean,
  ): string[] | undefined {
    const value = obj[key];
    if (value === undefined) return undefined;
    const at = join(path, key);
    if (!Array.isArray(value)) {
      this.report(at, 'invalid_type', 'must be a list (omit it to match anything)');
      return [];
    }
    if (value.length === 0) {
      this.report(at, 'empty_selector', 'an empty list matches nothing; omit it to match anything');
      return [];
    }
    const out: string[] = [];
    value.forEach((item, i) => {
      const itemPath = `${at}[${i}]`;
      if (!check(item, itemPath)) return;
      const s = item as string;
      if (out.includes(s)) this.report(itemPath, 'duplicate', `${show(s)} is listed more than once`);
      else out.push(s);
    });
    return out;
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
