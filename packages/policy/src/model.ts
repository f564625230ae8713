/**
 * The data policy is evaluated on: a `PolicySnapshot` of countries (with their status
 * histories), networks, memberships and rules, as the registry holds them at one revision.
 *
 * Everything here is plain JSON-able data so the registry can serialize and sign a snapshot and
 * nodes can verify and evaluate it without translation. Times are RFC 3339 UTC strings
 * (`Instant`), always with a `Z` and at most millisecond precision, e.g.
 * "2026-03-01T00:00:00.000Z" (what `Date.prototype.toISOString` produces). Nothing here names a
 * particular country: who may do what follows from the data and the rules alone.
 */

/** Format marker of a snapshot; changes whenever a field is added or its meaning changes. */
export const POLICY_SNAPSHOT_FORMAT = 'enlace.policy.v1';

/**
 * An instant in time: RFC 3339 in UTC with a `Z` and at most millisecond precision, e.g.
 * "2026-03-01T00:00:00Z" or "2026-03-01T00:00:00.250Z".
 */
export type Instant = string;

/** A time given to an evaluation: a `Date` or an `Instant`. */
export type TimeInput = Date | Instant;

/** ISO 3166-1 alpha-2 code of a country, upper case, e.g. "MX". */
export type CountryCode = string;

/** Identifier of a network: a lower-case subject token, e.g. "trafficking-liaison". */
export type NetworkId = string;

/** Kinds of alert body, as the subject token spells them. */
export const ALERT_KINDS = ['route', 'document', 'network'] as const;
/** Kind of alert body: a smuggling route, fraudulent documents or a criminal network. */
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Statuses a country can have in the process. */
export const COUNTRY_STATUSES = ['member', 'observer', 'suspended', 'withdrawn'] as const;
/**
 * Status of a country in the process:
 * - `member`: takes part in the networks it holds memberships on;
 * - `observer`: attends the conferences; may only read where a rule lets observers read;
 * - `suspended`: neither publishes nor receives, from the change's effective time until a later
 *   change reinstates it;
 * - `withdrawn`: neither publishes nor receives, permanently (no change may follow).
 */
export type CountryStatus = (typeof COUNTRY_STATUSES)[number];

/** Roles a country can hold on a network. */
export const MEMBERSHIP_ROLES = ['publisher', 'subscriber', 'observer-reader'] as const;
/** Role of a country on a network; what each role may do is decided by the rules. */
export type MembershipRole = (typeof MEMBERSHIP_ROLES)[number];

/** Handling codes of an alert. */
export const HANDLING_CODES = ['H0', 'H1', 'H2', 'H3'] as const;
/**
 * Handling code of an alert: H0 purpose-limited use; H1 not for judicial proceedings without the
 * originator's consent; H2 no onward dissemination without consent; H3 other restrictions, stated
 * in the alert's handling note.
 */
export type HandlingCode = (typeof HANDLING_CODES)[number];

/**
 * A decision of the process that a network or rule rests on, cited by conference and number,
 * e.g. `{ conference: 'VI RCM (San José, 2001)', decision: 'agreement 7', text: '…' }`.
 */
export interface LegalBasis {
  /** The conference or meeting that took the decision, e.g. "XVII RCM (Panama, 2012)". */
  readonly conference: string;
  /** The decision within it, e.g. "decision 6" or "initiative 14". */
  readonly decision: string;
  /** What the decision provides that matters here, in a sentence. */
  readonly text: string;
}

/** Labels by BCP 47 language tag; the process works in en, es, fr and pt. */
export type LocalizedText = Readonly<Record<string, string>>;

/** One change of a country's status. Who, why and under which decision are carried for audit. */
export interface CountryStatusChange {
  readonly status: CountryStatus;
  /** From when the status holds (inclusive) until the next change. */
  readonly effectiveAt: Instant;
  /** Who recorded the change (an administrator id). */
  readonly actor?: string;
  /** Why, in words. */
  readonly reason?: string;
  /** Reference of the decision that made the change, e.g. "XVII RCM (Panama, 2012), decision 2". */
  readonly decision?: string;
}

/** A country known to the process, with the history of its status. */
export interface Country {
  readonly code: CountryCode;
  /** Status changes, in strictly increasing `effectiveAt` order. Before the first, the country had no status. */
  readonly statusHistory: readonly CountryStatusChange[];
}

/** A network of the process: what it is for, why it exists, which kinds it carries. */
export interface Network {
  readonly id: NetworkId;
  /** Names by language tag (en, es, fr, pt). */
  readonly names: LocalizedText;
  /** Mandate by language tag (en, es, fr, pt). */
  readonly mandate: LocalizedText;
  /** The decisions that created it or define its mandate; at least one. */
  readonly basis: readonly LegalBasis[];
  /** Kinds of alert the network carries; no rule can allow another kind on it. */
  readonly kinds: readonly AlertKind[];
  /** Roles a country can hold on the network. */
  readonly roles: readonly MembershipRole[];
}

/** A country holding a role on a network during a validity window. */
export interface Membership {
  readonly country: CountryCode;
  readonly network: NetworkId;
  readonly role: MembershipRole;
  /** Start of validity (inclusive). */
  readonly validFrom: Instant;
  /** End of validity (exclusive); absent while the membership lasts. */
  readonly validUntil?: Instant;
}

/** Actions the rules govern. */
export const POLICY_ACTIONS = ['publish', 'receive'] as const;
/** `publish`: the origin issues an alert; `receive`: a country accepts another's alert. */
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

/** Effects of a rule. */
export const RULE_EFFECTS = ['allow', 'deny'] as const;
/** What a matching rule does; a matching `deny` overrides every `allow`. */
export type RuleEffect = (typeof RULE_EFFECTS)[number];

/**
 * A policy rule: allows or denies an action to the countries it selects.
 *
 * A rule applies to a country acting on a network at time T when every selector given matches:
 * `networks` has the network, `kinds` the alert kind, `roles` one of the roles the country holds
 * on the network at T, `countries` the country, `statuses` its status at T, and T is within
 * [`validFrom`, `validUntil`). An absent selector matches anything; an empty one is invalid.
 * Deny overrides allow; without a matching allow, the action is denied.
 */
export interface PolicyRule {
  /** Stable identifier, e.g. "trafficking-liaison.publish"; cited in decisions. */
  readonly id: string;
  /** What the rule is for, in words. */
  readonly description?: string;
  readonly effect: RuleEffect;
  readonly action: PolicyAction;
  readonly networks?: readonly NetworkId[];
  readonly kinds?: readonly AlertKind[];
  readonly roles?: readonly MembershipRole[];
  readonly countries?: readonly CountryCode[];
  readonly statuses?: readonly CountryStatus[];
  /** The rule is in force from this instant (inclusive); absent: always was. */
  readonly validFrom?: Instant;
  /** The rule is in force until this instant (exclusive); absent: still is. */
  readonly validUntil?: Instant;
  /** The decisions the rule rests on; at least one. */
  readonly basis: readonly LegalBasis[];
}

/** Everything policy evaluation needs, as of one registry revision. */
export interface PolicySnapshot {
  /** Always `POLICY_SNAPSHOT_FORMAT`. */
  readonly format: typeof POLICY_SNAPSHOT_FORMAT;
  /** Registry revision the snapshot was taken at; increases with every change. */
  readonly revision: number;
  /** When the registry produced the snapshot. */
  readonly generatedAt: Instant;
  readonly countries: readonly Country[];
  readonly networks: readonly Network[];
  readonly memberships: readonly Membership[];
  readonly rules: readonly PolicyRule[];
}
