/**
 * How rules are applied: each rule is compiled once into sets, indexed by action and network,
 * and matched against a country acting at a time. A matching `deny` overrides every `allow`;
 * with no matching `allow`, the action is denied (default deny).
 */
import type {
  AlertKind,
  CountryCode,
  CountryStatus,
  LegalBasis,
  MembershipRole,
  NetworkId,
  PolicyAction,
  PolicyRule,
} from './model.js';
import { parseInstant } from './time.js';

/** "VI RCM (San José, 2001), agreement 7": how a legal basis is cited in messages and audit. */
export function formatLegalBasis(basis: LegalBasis): string {
  return `${basis.conference}, ${basis.decision}`;
}

/** A rule with its selectors as sets and its validity as epoch milliseconds. */
export interface CompiledRule {
  readonly rule: PolicyRule;
  readonly kinds: ReadonlySet<AlertKind> | undefined;
  readonly roles: ReadonlySet<MembershipRole> | undefined;
  readonly countries: ReadonlySet<CountryCode> | undefined;
  readonly statuses: ReadonlySet<CountryStatus> | undefined;
  readonly from: number;
  readonly until: number;
}

/** Who is acting, as the rules see it: a country, its status and roles on the network, at a time. */
export interface RuleSubject {
  readonly country: CountryCode;
  readonly status: CountryStatus;
  readonly roles: ReadonlySet<MembershipRole>;
  readonly kind: AlertKind;
  readonly at: number;
}

/** What the rules say about a subject. */
export type RuleOutcome =
  | { readonly effect: 'allow'; readonly rules: readonly CompiledRule[] }
  | { readonly effect: 'deny'; readonly rules: readonly CompiledRule[] }
  /** No rule matched. `kindCovered`: some allow rule in force covers the kind on the network. */
  | { readonly effect: 'none'; readonly kindCovered: boolean };

/** Rules of a snapshot by action and network, in snapshot order. */
export interface RuleIndex {
  candidates(action: PolicyAction, network: NetworkId): readonly CompiledRule[];
}

function toSet<T>(list: readonly T[] | undefined): ReadonlySet<T> | undefined {
  return list === undefined ? undefined : new Set(list);
}

/** Compiles a rule; its instants must already be valid (see validateSnapshot). */
export function compileRule(rule: PolicyRule): CompiledRule {
  return {
    rule,
    kinds: toSet(rule.kinds),
    roles: toSet(rule.roles),
    countries: toSet(rule.countries),
    statuses: toSet(rule.statuses),
    from: rule.validFrom === undefined ? Number.NEGATIVE_INFINITY : (parseInstant(rule.validFrom) ?? NaN),
    until: rule.validUntil === undefined ? Number.POSITIVE_INFINITY : (parseInstant(rule.validUntil) ?? NaN),
  };
}

/**
 * Indexes rules by action and network. A rule without a `networks` selector is listed under
 * every network of `networkIds`, so a lookup is one map access.
 */
export function createRuleIndex(rules: readonly PolicyRule[], networkIds: readonly NetworkId[]): RuleIndex {
  const byAction = new Map<PolicyAction, Map<NetworkId, CompiledRule[]>>();
  for (const rule of rules) {
    const compiled = compileRule(rule);
    let byNetwork = byAction.get(rule.action);
    if (byNetwork === undefined) {
      byNetwork = new Map();
      byAction.set(rule.action, byNetwork);
    }
    for (const network of rule.networks ?? networkIds) {
      const list = byNetwork.get(network);
      if (list === undefined) byNetwork.set(network, [compiled]);
      else list.push(compiled);
    }
  }
  const none: readonly CompiledRule[] = [];
  return {
    candidates: (action, network) => byAction.get(action)?.get(network) ?? none,
  };
}

function inForce(r: CompiledRule, at: number): boolean {
  return r.from <= at && at < r.until;
}

/** True when every selector of the rule matches the subject and the rule is in force. */
export function ruleMatches(r: CompiledRule, s: RuleSubject): boolean {
  if (!inForce(r, s.at)) return false;
  if (r.kinds !== undefined && !r.kinds.has(s.kind)) return false;
  if (r.countries !== undefined && !r.countries.has(s.country)) return false;
  if (r.statuses !== undefined && !r.statuses.has(s.status)) return false;
  if (r.roles !== undefined) {
    let held = false;
    for (const role of s.roles)
      if (r.roles.has(role)) {
        held = true;
        break;
      }
    if (!held) return false;
  }
  return true;
}

/** Applies the candidate rules of one action and network to a subject: deny overrides allow, default deny. */
export function applyRules(candidates: readonly CompiledRule[], subject: RuleSubject): RuleOutcome {
  const allows: CompiledRule[] = [];
  const denies: CompiledRule[] = [];
  for (const r of candidates) {
    if (!ruleMatches(r, subject)) continue;
    if (r.rule.effect === 'deny') denies.push(r);
    else allows.push(r);
  }
  if (denies.length > 0) return { effect: 'deny', rules: denies };
  if (allows.length > 0) return { effect: 'allow', rules: allows };
  const kindCovered = candidates.some(
    (r) =>
      r.rule.effect === 'allow' &&
      inForce(r, subject.at) &&
      (r.kinds === undefined || r.kinds.has(subject.kind)),
  );
  return { effect: 'none', kindCovered };
}

/** The legal bases of some rules, each once, in rule order. */
export function basisOf(rules: readonly CompiledRule[]): LegalBasis[] {
  const seen = new Set<string>();
  const out: LegalBasis[] = [];
  for (const r of rules)
    for (const b of r.rule.basis) {
      const key = `${b.conference}\u0000${b.decision}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(b);
    }
  return out;
}
