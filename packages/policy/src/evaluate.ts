/**
 * Policy evaluation: may a country publish an alert, may another receive it, may it be passed
 * on? Decisions are pure functions of a snapshot and a query, and time-aware: an alert issued at
 * T is judged on the state at T (statuses, memberships and rules in force then).
 *
 * `createPolicyEvaluator` validates a snapshot once and indexes it so that each decision costs a
 * few map lookups; nodes call it once per snapshot and then per inbound message. The standalone
 * `evaluate*` functions do the same through an evaluator cached per snapshot object, so a
 * snapshot must be treated as immutable once evaluated. An evaluator keeps the allowed decisions
 * it gave, per country acting, network, kind and interval between two instants at which the
 * snapshot changes something (so every such instant still takes effect); a new registry
 * revision is a new snapshot, hence a new evaluator with nothing cached.
 *
 * Order of checks, and the reason each failure gives:
 * 1. the network exists (`unknown_network`) and carries the kind (`kind_not_allowed`);
 * 2. the origin, at T: is a country with a status (`origin_not_member`), is not suspended
 *    (`origin_suspended`) or withdrawn (`origin_withdrawn`), holds a membership on the network
 *    (`origin_not_member`), and the rules allow it to publish the kind: a matching deny rule
 *    gives `origin_denied`; no allow rule in force for the kind on the network gives
 *    `kind_not_allowed`; otherwise `origin_not_member` (wrong role or status);
 * 3. for receiving: the origin always holds its own alert; a restricted alert (recipients not
 *    empty) goes only to its recipients (`not_recipient`); then the receiver as in 2, with the
 *    `receiver_*` reasons, at T and again at the time of receipt when given: a country that
 *    joins after T does not get the alert, and one suspended since T gets nothing more;
 * 4. for forwarding: H2 and H3 alerts go to no country but the origin (`handling_restricted`;
 *    passing one on within the holding country, e.g. to its own feed, is not onward
 *    dissemination), then as in 3 for the destination, at T and when it is passed on.
 * Withdrawal has its own reasons (`origin_withdrawn`, `receiver_withdrawn`) rather than being
 * folded into suspension: a suspension ends, a withdrawal does not, and the audit trail should
 * say which applied.
 */
import type { SnapshotProblem } from './errors.js';
import { PolicyQueryError, PolicySnapshotError } from './errors.js';
import type {
  AlertKind,
  Country,
  CountryCode,
  CountryStatus,
  HandlingCode,
  LegalBasis,
  Membership,
  MembershipRole,
  Network,
  NetworkId,
  PolicyAction,
  PolicySnapshot,
  TimeInput,
} from './model.js';
import { CONFERENCE_DECISIONS } from './default-rules.js';
import { ALERT_KINDS, HANDLING_CODES } from './model.js';
import type { CompiledRule, RuleIndex } from './rules.js';
import { applyRules, basisOf, createRuleIndex, formatLegalBasis } from './rules.js';
import { formatInstant, parseInstant, toEpochMillis } from './time.js';
import { assertValidSnapshot } from './validate.js';

/** Every reason a policy decision can deny with. */
export const POLICY_REASONS = [
  'unknown_network',
  'kind_not_allowed',
  'origin_not_member',
  'origin_suspended',
  'origin_withdrawn',
  'origin_denied',
  'not_recipient',
  'receiver_not_member',
  'receiver_suspended',
  'receiver_withdrawn',
  'receiver_denied',
  'handling_restricted',
] as const;

/**
 * Why a policy decision denies; stable strings, the same in rejections, audit records and APIs.
 * - `unknown_network`: the network is not in the snapshot.
 * - `kind_not_allowed`: the network does not carry the kind, or no rule in force allows it there.
 * - `origin_not_member` / `receiver_not_member`: the country is unknown, had no status yet, held
 *   no membership on the network, or held no role (or status) a rule allows for the action.
 * - `origin_suspended` / `receiver_suspended`: the country was suspended at the time.
 * - `origin_withdrawn` / `receiver_withdrawn`: the country had withdrawn by then.
 * - `origin_denied` / `receiver_denied`: an explicit deny rule applies (see `rules`, `basis`).
 * - `not_recipient`: the alert is restricted to other countries.
 * - `handling_restricted`: the handling code forbids passing the alert on (H2, H3).
 */
export type PolicyReason = (typeof POLICY_REASONS)[number];

/** The action is allowed, by these rules resting on these decisions. */
export interface PolicyAllowed {
  readonly allowed: true;
  /** Ids of the allow rules that apply (for a receipt: the origin's and the receiver's). */
  readonly rules: readonly string[];
  /** Their legal bases, each once. */
  readonly basis: readonly LegalBasis[];
}

/** The action is denied. */
export interface PolicyDenied {
  readonly allowed: false;
  readonly reason: PolicyReason;
  /** For people: names the country, network, kind and time concerned. */
  readonly message: string;
  /** With `origin_denied` and `receiver_denied`: the deny rules that apply. */
  readonly rules?: readonly string[];
  /** With `origin_denied` and `receiver_denied`: their legal bases. */
  readonly basis?: readonly LegalBasis[];
}

/** Outcome of a policy evaluation. */
export type PolicyDecision = PolicyAllowed | PolicyDenied;

/** May `origin` publish an alert of `kind` on `network` issued at `at`? */
export interface PublishQuery {
  readonly origin: CountryCode;
  readonly network: NetworkId;
  readonly kind: AlertKind;
  /** When the alert was issued (`issued_at`). */
  readonly at: TimeInput;
}

/** May `receiver` accept this alert? */
export interface ReceiveQuery {
  readonly receiver: CountryCode;
  readonly origin: CountryCode;
  readonly network: NetworkId;
  readonly kind: AlertKind;
  /** The alert's recipients; empty when it is not restricted. */
  readonly recipients: readonly CountryCode[];
  readonly handling: HandlingCode;
  /** When the alert was issued (`issued_at`). */
  readonly at: TimeInput;
  /**
   * When the receiver gets it (delivery or replay), if later: the receiver must also be entitled
   * then, so a country suspended since `at` gets nothing more.
   */
  readonly receivedAt?: TimeInput;
}

/** May `from`, which holds an alert, pass it on to `to` (a country, or a feed of that country)? */
export interface ForwardQuery {
  /** The country that holds the alert and would pass it on. It is assumed to hold it lawfully. */
  readonly from: CountryCode;
  /** The destination country (or the country whose feed it is). */
  readonly to: CountryCode;
  readonly origin: CountryCode;
  readonly network: NetworkId;
  readonly kind: AlertKind;
  readonly recipients: readonly CountryCode[];
  readonly handling: HandlingCode;
  /** When the alert was issued (`issued_at`). */
  readonly at: TimeInput;
  /** When it would be passed on; the destination must be entitled at both times. */
  readonly forwardedAt: TimeInput;
  /**
   * The originator's consent to this onward step (the third-party rule), as the caller verified
   * it: lifts the H2/H3 restriction when `grantedBy` is the origin, `holder` is `from` and `to`
   * is `to`; the destination must still be entitled to receive the alert. See CONSENT_RULE.
   */
  readonly consent?: ForwardConsent;
}

/** A verified grant of the originator: `holder` may pass the alert on to `to`, and to no other. */
export interface ForwardConsent {
  readonly grantedBy: CountryCode;
  readonly holder: CountryCode;
  readonly to: CountryCode;
}

/** Memberships of a country (on one network, or on all) valid at a time. */
export interface MembershipsQuery {
  readonly country: CountryCode;
  readonly network?: NetworkId;
  readonly at: TimeInput;
}

/** Which countries could receive an alert of `origin` of `kind` on `network` issued at `at`? */
export interface EligibleReceiversQuery {
  readonly origin: CountryCode;
  readonly network: NetworkId;
  readonly kind: AlertKind;
  /** When given and not empty, only these countries are considered. */
  readonly recipients?: readonly CountryCode[];
  readonly at: TimeInput;
}

/** Policy evaluation over one validated, indexed snapshot. */
export interface PolicyEvaluator {
  /** A frozen copy of the snapshot evaluated. */
  readonly snapshot: PolicySnapshot;
  /** Warnings found when validating the snapshot (it had no errors). */
  readonly warnings: readonly SnapshotProblem[];
  evaluatePublish(query: PublishQuery): PolicyDecision;
  evaluateReceive(query: ReceiveQuery): PolicyDecision;
  evaluateForward(query: ForwardQuery): PolicyDecision;
  /** Countries other than the origin that `evaluateReceive` would allow, in code order; empty if the origin may not publish. */
  eligibleReceivers(query: EligibleReceiversQuery): readonly CountryCode[];
  /** Status of a country at a time; undefined when unknown or before its first status. */
  statusAt(country: CountryCode, at: TimeInput): CountryStatus | undefined;
  /** Memberships valid at a time, in snapshot order. */
  membershipsAt(query: MembershipsQuery): readonly Membership[];
}

/**
 * Validates a snapshot (throws PolicySnapshotError, code ERR_POLICY_SNAPSHOT_INVALID, when it
 * has errors), copies and freezes it, and indexes it for evaluation.
 */
export function createPolicyEvaluator(snapshot: PolicySnapshot): PolicyEvaluator {
  const warnings = assertValidSnapshot(snapshot);
  return new IndexedPolicy(deepFreeze(structuredClone(snapshot)), warnings);
}

const evaluators = new WeakMap<PolicySnapshot, PolicyEvaluator>();

function evaluatorFor(snapshot: PolicySnapshot): PolicyEvaluator {
  let evaluator = evaluators.get(snapshot);
  if (evaluator === undefined) {
    evaluator = createPolicyEvaluator(snapshot);
    evaluators.set(snapshot, evaluator);
  }
  return evaluator;
}

/** `createPolicyEvaluator(snapshot).evaluatePublish(query)`, with the evaluator cached per snapshot. */
export function evaluatePublish(snapshot: PolicySnapshot, query: PublishQuery): PolicyDecision {
  return evaluatorFor(snapshot).evaluatePublish(query);
}

/** `createPolicyEvaluator(snapshot).evaluateReceive(query)`, with the evaluator cached per snapshot. */
export function evaluateReceive(snapshot: PolicySnapshot, query: ReceiveQuery): PolicyDecision {
  return evaluatorFor(snapshot).evaluateReceive(query);
}

/** `createPolicyEvaluator(snapshot).evaluateForward(query)`, with the evaluator cached per snapshot. */
export function evaluateForward(snapshot: PolicySnapshot, query: ForwardQuery): PolicyDecision {
  return evaluatorFor(snapshot).evaluateForward(query);
}

/** Memberships valid at a time (evaluator cached per snapshot). */
export function membershipsAt(snapshot: PolicySnapshot, query: MembershipsQuery): readonly Membership[] {
  return evaluatorFor(snapshot).membershipsAt(query);
}

/**
 * Status of one country at a time: that of its latest change effective at or before `at`;
 * undefined before the first. Throws PolicySnapshotError when a change has an invalid instant.
 */
export function statusAt(country: Country, at: TimeInput): CountryStatus | undefined {
  const t = toEpochMillis(at, 'at');
  let best: { at: number; status: CountryStatus } | undefined;
  country.statusHistory.forEach((change, i) => {
    const effective = parseInstant(change.effectiveAt);
    if (effective === undefined)
      throw new PolicySnapshotError([
        {
          path: `statusHistory[${i}].effectiveAt`,
          code: 'invalid_format',
          message: `"${change.effectiveAt}" is not an RFC 3339 UTC instant`,
          severity: 'error',
        },
      ]);
    if (effective <= t && (best === undefined || effective >= best.at))
      best = { at: effective, status: change.status };
  });
  return best?.status;
}

interface StatusTimeline {
  readonly times: readonly number[];
  readonly statuses: readonly CountryStatus[];
}

interface MembershipWindow {
  readonly membership: Membership;
  readonly role: MembershipRole;
  readonly from: number;
  readonly until: number;
}

interface NetworkEntry {
  readonly network: Network;
  readonly kinds: ReadonlySet<AlertKind>;
}

/** How one side of an exchange is named in reasons and messages. */
interface Side {
  readonly label: string;
  readonly notMember: PolicyReason;
  readonly suspended: PolicyReason;
  readonly withdrawn: PolicyReason;
  readonly denied: PolicyReason;
}

const ORIGIN: Side = {
  label: 'origin',
  notMember: 'origin_not_member',
  suspended: 'origin_suspended',
  withdrawn: 'origin_withdrawn',
  denied: 'origin_denied',
};
const RECEIVER: Side = {
  label: 'receiving country',
  notMember: 'receiver_not_member',
  suspended: 'receiver_suspended',
  withdrawn: 'receiver_withdrawn',
  denied: 'receiver_denied',
};
const DESTINATION: Side = { ...RECEIVER, label: 'destination' };

const NO_ROLES: ReadonlySet<MembershipRole> = new Set();

/** Bound of an evaluator's cache of allowed decisions (countries × networks × kinds × intervals). */
const MAX_CACHED_DECISIONS = 50_000;

class IndexedPolicy implements PolicyEvaluator {
  private readonly timelines = new Map<CountryCode, StatusTimeline>();
  private readonly networks = new Map<NetworkId, NetworkEntry>();
  private readonly windows = new Map<CountryCode, Map<NetworkId, MembershipWindow[]>>();
  private readonly rules: RuleIndex;
  private readonly countryCodes: readonly CountryCode[];
  /**
   * Every instant at which something in the snapshot changes (a status, a membership window, a
   * rule's validity), ascending: between two of them every time-dependent input of a decision
   * is the same, so an allowed decision holds for the whole interval.
   */
  private readonly changes: Float64Array;
  /**
   * Allowed decisions of a country acting, by action, country, network, kind and interval of
   * `changes`. The evaluator belongs to one snapshot (one registry revision), so a new revision
   * starts with an empty cache; refusals are not kept (their messages name the instant).
   */
  private readonly allowedCache = new Map<string, PolicyAllowed>();

  constructor(
    readonly snapshot: PolicySnapshot,
    readonly warnings: readonly SnapshotProblem[],
  ) {
    // The snapshot is valid: every instant parses and every history is ascending.
    for (const c of snapshot.countries)
      this.timelines.set(c.code, {
        times: c.statusHistory.map((s) => parseInstant(s.effectiveAt) as number),
        statuses: c.statusHistory.map((s) => s.status),
      });
    this.countryCodes = [...this.timelines.keys()].sort();
    for (const n of snapshot.networks) this.networks.set(n.id, { network: n, kinds: new Set(n.kinds) });
    for (const m of snapshot.memberships) {
      let byNetwork = this.windows.get(m.country);
      if (byNetwork === undefined) {
        byNetwork = new Map();
        this.windows.set(m.country, byNetwork);
      }
      const list = byNetwork.get(m.network) ?? [];
      list.push({
        membership: m,
        role: m.role,
        from: parseInstant(m.validFrom) as number,
        until: m.validUntil === undefined ? Number.POSITIVE_INFINITY : (parseInstant(m.validUntil) as number),
      });
      byNetwork.set(m.network, list);
    }
    this.rules = createRuleIndex(snapshot.rules, [...this.networks.keys()]);
    const changes = new Set<number>();
    for (const t of this.timelines.values()) for (const at of t.times) changes.add(at);
    for (const byNetwork of this.windows.values())
      for (const list of byNetwork.values())
        for (const w of list) {
          changes.add(w.from);
          changes.add(w.until);
        }
    for (const r of snapshot.rules)
      for (const instant of [r.validFrom, r.validUntil])
        if (instant !== undefined) changes.add(parseInstant(instant) as number);
    this.changes = Float64Array.from([...changes].filter(Number.isFinite)).sort();
  }

  /** The interval of `changes` holding `at`: how many changes happened at or before it. */
  private interval(at: number): number {
    const changes = this.changes;
    let lo = 0;
    let hi = changes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((changes[mid] as number) <= at) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  evaluatePublish(query: PublishQuery): PolicyDecision {
    const at = toEpochMillis(query.at, 'at');
    requireCode(query.origin, 'origin');
    requireCode(query.network, 'network');
    requireKind(query.kind);
    return this.publish(query.origin, query.network, query.kind, at);
  }

  evaluateReceive(query: ReceiveQuery): PolicyDecision {
    const at = toEpochMillis(query.at, 'at');
    const receivedAt =
      query.receivedAt === undefined ? undefined : toEpochMillis(query.receivedAt, 'receivedAt');
    requireCode(query.receiver, 'receiver');
    requireCode(query.origin, 'origin');
    requireCode(query.network, 'network');
    requireKind(query.kind);
    requireHandling(query.handling);
    requireRecipients(query.recipients);
    return this.receive(query.receiver, query, at, receivedAt, RECEIVER);
  }

  evaluateForward(query: ForwardQuery): PolicyDecision {
    const at = toEpochMillis(query.at, 'at');
    const forwardedAt = toEpochMillis(query.forwardedAt, 'forwardedAt');
    requireCode(query.from, 'from');
    requireCode(query.to, 'to');
    requireCode(query.origin, 'origin');
    requireCode(query.network, 'network');
    requireKind(query.kind);
    requireHandling(query.handling);
    requireRecipients(query.recipients);

    const { from, to, origin, handling } = query;
    // Passing an alert back to its origin, or on within the holding country (to its own feed),
    // disseminates nothing beyond those already entitled.
    if (to !== origin && to !== from && (handling === 'H2' || handling === 'H3')) {
      const published = this.publish(origin, query.network, query.kind, at);
      if (!published.allowed) return published;
      const consent = query.consent;
      if (
        consent !== undefined &&
        consent.grantedBy === origin &&
        consent.holder === from &&
        consent.to === to
      ) {
        const receive = this.receive(to, query, at, forwardedAt, DESTINATION);
        return receive.allowed
          ? combine(receive, { allowed: true, rules: [CONSENT_RULE.id], basis: [CONSENT_RULE.basis] })
          : receive;
      }
      const why =
        handling === 'H2'
          ? 'H2 (no onward dissemination without the originator’s consent)'
          : 'H3 (other restrictions, stated in its handling note, which policy cannot check)';
      return denied(
        'handling_restricted',
        `the ${query.kind} alert of ${origin} on "${query.network}" is marked ${why}: ${from} may not pass it on to ${to} or to a feed of ${to}; only ${origin} itself may be sent it`,
      );
    }
    return this.receive(to, query, at, forwardedAt, DESTINATION);
  }

  eligibleReceivers(query: EligibleReceiversQuery): readonly CountryCode[] {
    const at = toEpochMillis(query.at, 'at');
    requireCode(query.origin, 'origin');
    requireCode(query.network, 'network');
    requireKind(query.kind);
    const recipients = query.recipients ?? [];
    requireRecipients(recipients);
    if (!this.publish(query.origin, query.network, query.kind, at).allowed) return [];
    const net = this.networks.get(query.network) as NetworkEntry;
    const candidates = recipients.length > 0 ? [...new Set(recipients)].sort() : this.countryCodes;
    return candidates.filter(
      (c) => c !== query.origin && this.actor('receive', RECEIVER, c, net, query.kind, at).allowed,
    );
  }

  statusAt(country: CountryCode, at: TimeInput): CountryStatus | undefined {
    requireCode(country, 'country');
    return this.status(country, toEpochMillis(at, 'at'))?.status;
  }

  membershipsAt(query: MembershipsQuery): readonly Membership[] {
    requireCode(query.country, 'country');
    if (query.network !== undefined) requireCode(query.network, 'network');
    const at = toEpochMillis(query.at, 'at');
    const byNetwork = this.windows.get(query.country);
    if (byNetwork === undefined) return [];
    const lists =
      query.network === undefined ? [...byNetwork.values()] : [byNetwork.get(query.network) ?? []];
    const valid = new Set(
      lists
        .flat()
        .filter((w) => w.from <= at && at < w.until)
        .map((w) => w.membership),
    );
    // Snapshot order, whatever the index order.
    return this.snapshot.memberships.filter((m) => valid.has(m));
  }

  /** The status in force at `at` and since when, or undefined. */
  private status(country: CountryCode, at: number): { status: CountryStatus; since: number } | undefined {
    const timeline = this.timelines.get(country);
    if (timeline === undefined) return undefined;
    for (let i = timeline.times.length - 1; i >= 0; i--) {
      const since = timeline.times[i] as number;
      if (since <= at) return { status: timeline.statuses[i] as CountryStatus, since };
    }
    return undefined;
  }

  private rolesAt(country: CountryCode, network: NetworkId, at: number): ReadonlySet<MembershipRole> {
    const list = this.windows.get(country)?.get(network);
    if (list === undefined) return NO_ROLES;
    let roles: Set<MembershipRole> | undefined;
    for (const w of list)
      if (w.from <= at && at < w.until) {
        roles ??= new Set();
        roles.add(w.role);
      }
    return roles ?? NO_ROLES;
  }

  /** Network and kind checks, then the origin as an actor. */
  private publish(origin: CountryCode, networkId: NetworkId, kind: AlertKind, at: number): PolicyDecision {
    const net = this.networks.get(networkId);
    if (net === undefined)
      return denied(
        'unknown_network',
        `network "${networkId}" is not in the policy (snapshot revision ${this.snapshot.revision})`,
      );
    if (!net.kinds.has(kind))
      return denied(
        'kind_not_allowed',
        `network "${networkId}" does not carry ${kind} alerts (it carries ${net.network.kinds.join(', ')})`,
      );
    return this.actor('publish', ORIGIN, origin, net, kind, at);
  }

  /** The origin's right to publish, then `receiver`'s to receive at `at` and at `later`. */
  private receive(
    receiver: CountryCode,
    alert: { origin: CountryCode; network: NetworkId; kind: AlertKind; recipients: readonly CountryCode[] },
    at: number,
    later: number | undefined,
    side: Side,
  ): PolicyDecision {
    const { origin, kind, recipients } = alert;
    const published = this.publish(origin, alert.network, kind, at);
    if (!published.allowed || receiver === origin) return published;
    if (recipients.length > 0 && !recipients.includes(receiver))
      return denied(
        'not_recipient',
        `${side.label} ${receiver} is not among the recipients of this restricted ${kind} alert of ${origin} on "${alert.network}" (${recipients.join(', ')})`,
      );
    const net = this.networks.get(alert.network) as NetworkEntry;
    const received = this.actor('receive', side, receiver, net, kind, at);
    if (!received.allowed) return received;
    if (later === undefined || later === at) return combine(published, received);
    const still = this.actor('receive', side, receiver, net, kind, later);
    if (!still.allowed) return still;
    return combine(published, received, still);
  }

  /** A country acting on a network at a time, through the cache of allowed decisions. */
  private actor(
    action: PolicyAction,
    side: Side,
    country: CountryCode,
    net: NetworkEntry,
    kind: AlertKind,
    at: number,
  ): PolicyDecision {
    if (Number.isNaN(at)) return this.judgeActor(action, side, country, net, kind, at);
    const key = `${action}\u0000${country}\u0000${net.network.id}\u0000${kind}\u0000${this.interval(at)}`;
    const cached = this.allowedCache.get(key);
    if (cached !== undefined) return cached;
    const decision = this.judgeActor(action, side, country, net, kind, at);
    if (decision.allowed && this.allowedCache.size < MAX_CACHED_DECISIONS)
      this.allowedCache.set(key, deepFreeze(decision));
    return decision;
  }

  /** A country acting on a network at a time: status, membership, then the rules. */
  private judgeActor(
    action: PolicyAction,
    side: Side,
    country: CountryCode,
    net: NetworkEntry,
    kind: AlertKind,
    at: number,
  ): PolicyDecision {
    const network = net.network.id;
    const when = formatInstant(at);
    const what = `${action} ${kind} alerts on "${network}"`;
    const status = this.status(country, at);
    if (status === undefined) {
      const why = this.timelines.has(country)
        ? `had no status in the process at ${when}`
        : `is not a country of the process (snapshot revision ${this.snapshot.revision})`;
      return denied(side.notMember, `${side.label} ${country} ${why}, so it may not ${what}`);
    }
    if (status.status === 'suspended' || status.status === 'withdrawn')
      return denied(
        status.status === 'suspended' ? side.suspended : side.withdrawn,
        `${side.label} ${country} was ${status.status} at ${when} (since ${formatInstant(status.since)}), so it may not ${what}`,
      );
    const roles = this.rolesAt(country, network, at);
    if (roles.size === 0)
      return denied(
        side.notMember,
        `${side.label} ${country} held no membership on "${network}" at ${when}, so it may not ${what}`,
      );
    const outcome = applyRules(this.rules.candidates(action, network), {
      country,
      status: status.status,
      roles,
      kind,
      at,
    });
    switch (outcome.effect) {
      case 'allow':
        return allowed(outcome.rules);
      case 'deny': {
        const cited = outcome.rules.map((r) => `"${r.rule.id}"`).join(', ');
        const basis = basisOf(outcome.rules);
        return {
          ...denied(
            side.denied,
            `rule ${cited} forbids ${side.label} ${country} to ${what} at ${when} (${basis.map(formatLegalBasis).join('; ')})`,
          ),
          rules: outcome.rules.map((r) => r.rule.id),
          basis,
        };
      }
      case 'none':
        if (!outcome.kindCovered)
          return denied('kind_not_allowed', `no rule in force at ${when} allows any country to ${what}`);
        return denied(
          side.notMember,
          `${side.label} ${country} (${status.status}, holding ${[...roles].join(', ')} on "${network}") had no role or status that a rule allows to ${what} at ${when}`,
        );
    }
  }
}

/**
 * The third-party rule as data: information marked H2 (or H3) moves on only with the
 * originator's consent, for the one destination it names. The exchange is "consistent with
 * national laws" (2010 Declaration, initiatives 12 and 13), which is what the originator judges.
 */
export const CONSENT_RULE = Object.freeze({
  id: 'consent-of-originator',
  basis: CONFERENCE_DECISIONS.informationExchange,
});

function allowed(rules: readonly CompiledRule[]): PolicyAllowed {
  return { allowed: true, rules: rules.map((r) => r.rule.id), basis: basisOf(rules) };
}

function denied(reason: PolicyReason, message: string): PolicyDenied {
  return { allowed: false, reason, message };
}

/** Allowed decisions together: their rules and bases, each once. */
function combine(...decisions: PolicyAllowed[]): PolicyAllowed {
  const rules = [...new Set(decisions.flatMap((d) => d.rules))];
  const seen = new Set<string>();
  const basis = decisions
    .flatMap((d) => d.basis)
    .filter((b) => {
      const key = `${b.conference}\u0000${b.decision}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  return { allowed: true, rules, basis };
}

/** A query check, shared with read.ts (not part of the package API). */
export function requireCode(value: unknown, field: string): void {
  if (typeof value !== 'string' || value === '')
    throw new PolicyQueryError(field, 'must be a non-empty string');
}

/** A query check, shared with read.ts (not part of the package API). */
export function requireKind(kind: unknown): void {
  if (!(ALERT_KINDS as readonly unknown[]).includes(kind))
    throw new PolicyQueryError(
      'kind',
      `${JSON.stringify(kind)} is not an alert kind (${ALERT_KINDS.join(', ')})`,
    );
}

/** A query check, shared with read.ts (not part of the package API). */
export function requireHandling(handling: unknown): void {
  if (!(HANDLING_CODES as readonly unknown[]).includes(handling))
    throw new PolicyQueryError(
      'handling',
      `${JSON.stringify(handling)} is not a handling code (${HANDLING_CODES.join(', ')})`,
    );
}

/** A query check, shared with read.ts (not part of the package API). */
export function requireRecipients(recipients: unknown): void {
  if (!Array.isArray(recipients) || !recipients.every((r) => typeof r === 'string'))
    throw new PolicyQueryError('recipients', 'must be a list of country codes (empty when unrestricted)');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}
