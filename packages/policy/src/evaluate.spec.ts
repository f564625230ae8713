import { describe, expect, it } from 'vitest';
import { CONFERENCE_DECISIONS, createDefaultNetworks, createDefaultRules } from './default-rules.js';
import { PolicyQueryError, PolicySnapshotError } from './errors.js';
import type { PolicyDecision, PolicyDenied } from './evaluate.js';
import {
  CONSENT_RULE,
  createPolicyEvaluator,
  evaluateForward,
  evaluatePublish,
  evaluateReceive,
  membershipsAt,
  statusAt,
} from './evaluate.js';
import type { Country, CountryStatusChange, Membership, PolicyRule, PolicySnapshot } from './model.js';
import { POLICY_SNAPSHOT_FORMAT } from './model.js';

const T0 = '2026-01-01T00:00:00.000Z';
const MEMBERS = ['BZ', 'CA', 'CR', 'DO', 'SV', 'GT', 'HN', 'MX', 'NI', 'PA', 'US'];
const OBSERVERS = ['AR', 'CO', 'EC', 'JM', 'PE', 'BR'];
const NETWORKS = ['trafficking-liaison', 'consular-protection', 'fiu-exchange'];

/** An instant `ms` milliseconds after `base`. */
function after(base: string, ms: number): string {
  return new Date(Date.parse(base) + ms).toISOString();
}

const DAY = 86_400_000;
const T_SUSPEND = '2026-03-01T00:00:00.000Z';
const T_REINSTATE = '2026-04-01T00:00:00.000Z';

/**
 * The members of 2012 as publishers and subscribers of every network, the observers as
 * observer-readers of trafficking-liaison, all since T0, under the default rules.
 */
function baseSnapshot(): PolicySnapshot {
  const countries: Country[] = [
    ...MEMBERS.map((code) => ({ code, statusHistory: [{ status: 'member' as const, effectiveAt: T0 }] })),
    ...OBSERVERS.map((code) => ({ code, statusHistory: [{ status: 'observer' as const, effectiveAt: T0 }] })),
  ];
  const memberships: Membership[] = [
    ...MEMBERS.flatMap((country) =>
      NETWORKS.flatMap((network) =>
        (['publisher', 'subscriber'] as const).map((role) => ({ country, network, role, validFrom: T0 })),
      ),
    ),
    ...OBSERVERS.map((country) => ({
      country,
      network: 'trafficking-liaison',
      role: 'observer-reader' as const,
      validFrom: T0,
    })),
  ];
  return {
    format: POLICY_SNAPSHOT_FORMAT,
    revision: 1,
    generatedAt: T0,
    countries,
    networks: createDefaultNetworks(),
    memberships,
    rules: createDefaultRules(),
  };
}

function withHistory(s: PolicySnapshot, code: string, history: CountryStatusChange[]): PolicySnapshot {
  return {
    ...s,
    countries: s.countries.some((c) => c.code === code)
      ? s.countries.map((c) => (c.code === code ? { code, statusHistory: history } : c))
      : [...s.countries, { code, statusHistory: history }],
  };
}

function withMemberships(
  s: PolicySnapshot,
  keep: (m: Membership) => boolean,
  add: Membership[] = [],
): PolicySnapshot {
  return { ...s, memberships: [...s.memberships.filter(keep), ...add] };
}

function withRules(s: PolicySnapshot, rules: PolicyRule[]): PolicySnapshot {
  return { ...s, rules };
}

function expectDenied(decision: PolicyDecision): PolicyDenied {
  expect(decision.allowed).toBe(false);
  return decision as PolicyDenied;
}

const SUSPENDED_GT = withHistory(baseSnapshot(), 'GT', [
  { status: 'member', effectiveAt: T0 },
  {
    status: 'suspended',
    effectiveAt: T_SUSPEND,
    actor: 'admin-ppt',
    reason: 'keys compromised',
    decision: 'PPT note 2026-02',
  },
  { status: 'member', effectiveAt: T_REINSTATE, actor: 'admin-ppt' },
]);

const BASE = baseSnapshot();
const route = { network: 'trafficking-liaison', kind: 'route' as const };
const receiveDefaults = { ...route, recipients: [] as string[], handling: 'H0' as const };

describe('evaluatePublish', () => {
  it('allows a member publisher, citing the rule and its decisions', () => {
    const d = evaluatePublish(BASE, { origin: 'MX', ...route, at: '2026-02-01T12:00:00Z' });
    expect(d).toEqual({
      allowed: true,
      rules: ['trafficking-liaison.publish'],
      basis: [
        CONFERENCE_DECISIONS.liaisonNetworks,
        CONFERENCE_DECISIONS.focalPoints,
        CONFERENCE_DECISIONS.informationExchange,
        CONFERENCE_DECISIONS.traffickersMovement,
      ],
    });
  });

  it('accepts a Date as well as an instant string', () => {
    expect(
      evaluatePublish(BASE, { origin: 'MX', ...route, at: new Date('2026-02-01T12:00:00Z') }).allowed,
    ).toBe(true);
  });

  it('denies an unknown network with unknown_network', () => {
    const d = expectDenied(
      evaluatePublish(BASE, { origin: 'MX', network: 'smuggling', kind: 'route', at: T0 }),
    );
    expect(d.reason).toBe('unknown_network');
    expect(d.message).toBe('network "smuggling" is not in the policy (snapshot revision 1)');
  });

  it('denies a kind the network does not carry with kind_not_allowed', () => {
    const d = expectDenied(
      evaluatePublish(BASE, { origin: 'MX', network: 'consular-protection', kind: 'network', at: T0 }),
    );
    expect(d.reason).toBe('kind_not_allowed');
    expect(d.message).toBe(
      'network "consular-protection" does not carry network alerts (it carries route, document)',
    );
  });

  it('denies a kind no rule in force allows with kind_not_allowed', () => {
    const rules = createDefaultRules().map((r) =>
      r.id === 'trafficking-liaison.publish' ? { ...r, kinds: ['route' as const, 'network' as const] } : r,
    );
    const d = expectDenied(
      evaluatePublish(withRules(BASE, rules), {
        origin: 'MX',
        network: 'trafficking-liaison',
        kind: 'document',
        at: T0,
      }),
    );
    expect(d.reason).toBe('kind_not_allowed');
    expect(d.message).toBe(
      'no rule in force at 2026-01-01T00:00:00.000Z allows any country to publish document alerts on "trafficking-liaison"',
    );
  });

  describe('origin_not_member', () => {
    it('for a country unknown to the process', () => {
      const d = expectDenied(evaluatePublish(BASE, { origin: 'VE', ...route, at: T0 }));
      expect(d.reason).toBe('origin_not_member');
      expect(d.message).toBe(
        'origin VE is not a country of the process (snapshot revision 1), so it may not publish route alerts on "trafficking-liaison"',
      );
    });

    it('before the country had any status', () => {
      const d = expectDenied(evaluatePublish(BASE, { origin: 'MX', ...route, at: after(T0, -1) }));
      expect(d.reason).toBe('origin_not_member');
      expect(d.message).toBe(
        'origin MX had no status in the process at 2025-12-31T23:59:59.999Z, so it may not publish route alerts on "trafficking-liaison"',
      );
    });

    it('for a member without a membership on the network', () => {
      const s = withMemberships(BASE, (m) => !(m.country === 'PA' && m.network === 'fiu-exchange'));
      const d = expectDenied(
        evaluatePublish(s, { origin: 'PA', network: 'fiu-exchange', kind: 'network', at: T0 }),
      );
      expect(d.reason).toBe('origin_not_member');
      expect(d.message).toBe(
        'origin PA held no membership on "fiu-exchange" at 2026-01-01T00:00:00.000Z, so it may not publish network alerts on "fiu-exchange"',
      );
    });

    it('for a member holding only the subscriber role', () => {
      const s = withMemberships(BASE, (m) => !(m.country === 'NI' && m.role === 'publisher'));
      const d = expectDenied(evaluatePublish(s, { origin: 'NI', ...route, at: T0 }));
      expect(d.reason).toBe('origin_not_member');
      expect(d.message).toBe(
        'origin NI (member, holding subscriber on "trafficking-liaison") had no role or status that a rule allows to publish route alerts on "trafficking-liaison" at 2026-01-01T00:00:00.000Z',
      );
    });

    it('for an observer, which never publishes, even when given a publisher membership', () => {
      const s = withMemberships(BASE, () => true, [
        { country: 'CO', network: 'trafficking-liaison', role: 'publisher', validFrom: T0 },
      ]);
      const d = expectDenied(evaluatePublish(s, { origin: 'CO', ...route, at: T0 }));
      expect(d.reason).toBe('origin_not_member');
      expect(d.message).toBe(
        'origin CO (observer, holding observer-reader, publisher on "trafficking-liaison") had no role or status that a rule allows to publish route alerts on "trafficking-liaison" at 2026-01-01T00:00:00.000Z',
      );
    });
  });

  describe('time-awareness', () => {
    it('lets a country suspended at T publish until T, not from T, and again once reinstated', () => {
      const at = (t: string) => evaluatePublish(SUSPENDED_GT, { origin: 'GT', ...route, at: t });
      expect(at(after(T_SUSPEND, -1)).allowed).toBe(true);
      const d = expectDenied(at(T_SUSPEND));
      expect(d.reason).toBe('origin_suspended');
      expect(d.message).toBe(
        'origin GT was suspended at 2026-03-01T00:00:00.000Z (since 2026-03-01T00:00:00.000Z), so it may not publish route alerts on "trafficking-liaison"',
      );
      const later = expectDenied(at(after(T_SUSPEND, DAY)));
      expect(later.reason).toBe('origin_suspended');
      expect(later.message).toBe(
        'origin GT was suspended at 2026-03-02T00:00:00.000Z (since 2026-03-01T00:00:00.000Z), so it may not publish route alerts on "trafficking-liaison"',
      );
      expect(at(after(T_REINSTATE, -1)).allowed).toBe(false);
      expect(at(T_REINSTATE).allowed).toBe(true);
    });

    it('gives, from one evaluator asked again and again, what a fresh evaluator gives at every instant', () => {
      // Allowed decisions are cached per interval between two changes of the snapshot (a status,
      // a membership window, a rule's validity): each boundary must still take effect.
      const T_LEAVE = '2026-05-01T00:00:00.000Z';
      const T_RULE_END = '2026-06-01T00:00:00.000Z';
      const s = withRules(
        withMemberships(
          SUSPENDED_GT,
          (m) => !(m.country === 'HN' && m.network === 'trafficking-liaison'),
          (['publisher', 'subscriber'] as const).map((role) => ({
            country: 'HN',
            network: 'trafficking-liaison',
            role,
            validFrom: T0,
            validUntil: T_LEAVE,
          })),
        ),
        createDefaultRules().map((r) => ({ ...r, validUntil: T_RULE_END })),
      );
      const cached = createPolicyEvaluator(s);
      const instants = [T0, T_SUSPEND, T_REINSTATE, T_LEAVE, T_RULE_END].flatMap((t) => [
        after(t, -1),
        t,
        after(t, 1),
      ]);
      for (let pass = 0; pass < 2; pass++)
        for (const at of [...instants, ...[...instants].reverse()])
          for (const origin of ['GT', 'HN', 'MX']) {
            const fresh = createPolicyEvaluator(s);
            expect(cached.evaluatePublish({ origin, ...route, at })).toEqual(
              fresh.evaluatePublish({ origin, ...route, at }),
            );
            const query = { receiver: 'GT', origin, ...receiveDefaults, at, receivedAt: after(at, DAY) };
            expect(cached.evaluateReceive(query)).toEqual(fresh.evaluateReceive(query));
          }
      expect(cached.evaluatePublish({ origin: 'HN', ...route, at: after(T_LEAVE, -1) }).allowed).toBe(true);
      expect(cached.evaluatePublish({ origin: 'HN', ...route, at: T_LEAVE }).allowed).toBe(false);
      expect(cached.evaluatePublish({ origin: 'MX', ...route, at: after(T_RULE_END, -1) }).allowed).toBe(
        true,
      );
      expect(cached.evaluatePublish({ origin: 'MX', ...route, at: T_RULE_END }).allowed).toBe(false);
    });

    it('refuses a withdrawn country from its withdrawal on, with origin_withdrawn', () => {
      const s = withHistory(BASE, 'BZ', [
        { status: 'member', effectiveAt: T0 },
        { status: 'withdrawn', effectiveAt: T_SUSPEND },
      ]);
      expect(evaluatePublish(s, { origin: 'BZ', ...route, at: after(T_SUSPEND, -1) }).allowed).toBe(true);
      const d = expectDenied(evaluatePublish(s, { origin: 'BZ', ...route, at: '2030-01-01T00:00:00Z' }));
      expect(d.reason).toBe('origin_withdrawn');
      expect(d.message).toBe(
        'origin BZ was withdrawn at 2030-01-01T00:00:00.000Z (since 2026-03-01T00:00:00.000Z), so it may not publish route alerts on "trafficking-liaison"',
      );
    });

    it('applies a membership only within [validFrom, validUntil)', () => {
      const from = '2026-02-01T00:00:00.000Z';
      const until = '2026-05-01T00:00:00.000Z';
      const s = withMemberships(BASE, (m) => !(m.country === 'DO' && m.network === 'fiu-exchange'), [
        { country: 'DO', network: 'fiu-exchange', role: 'publisher', validFrom: from, validUntil: until },
      ]);
      const at = (t: string) =>
        evaluatePublish(s, { origin: 'DO', network: 'fiu-exchange', kind: 'network', at: t });
      const before = expectDenied(at(after(from, -1)));
      expect(before.reason).toBe('origin_not_member');
      expect(before.message).toBe(
        'origin DO held no membership on "fiu-exchange" at 2026-01-31T23:59:59.999Z, so it may not publish network alerts on "fiu-exchange"',
      );
      expect(at(from).allowed).toBe(true);
      expect(at(after(until, -1)).allowed).toBe(true);
      expect(expectDenied(at(until)).reason).toBe('origin_not_member');
    });

    it('applies a rule only while it is in force', () => {
      const since = '2026-06-01T00:00:00.000Z';
      const rules = createDefaultRules().map((r) =>
        r.id === 'fiu-exchange.publish' ? { ...r, validFrom: since } : r,
      );
      const s = withRules(BASE, rules);
      const q = { origin: 'US', network: 'fiu-exchange', kind: 'network' as const };
      const d = expectDenied(evaluatePublish(s, { ...q, at: after(since, -1) }));
      expect(d.reason).toBe('kind_not_allowed');
      expect(d.message).toBe(
        'no rule in force at 2026-05-31T23:59:59.999Z allows any country to publish network alerts on "fiu-exchange"',
      );
      expect(evaluatePublish(s, { ...q, at: since }).allowed).toBe(true);
    });
  });

  describe('deny rules', () => {
    const moratorium: PolicyRule = {
      id: 'bz-document-moratorium',
      description: 'No document alerts from BZ while its issuing authority is audited.',
      effect: 'deny',
      action: 'publish',
      networks: ['trafficking-liaison'],
      kinds: ['document'],
      countries: ['BZ'],
      validFrom: '2026-02-01T00:00:00Z',
      validUntil: '2026-03-01T00:00:00Z',
      basis: [{ conference: 'XXXI RCM (2026)', decision: 'decision 3', text: 'Audit of document issuance.' }],
    };
    const s = withRules(BASE, [...createDefaultRules(), moratorium]);

    it('override the allow rules they match, with origin_denied citing the rule and its basis', () => {
      const d = expectDenied(
        evaluatePublish(s, {
          origin: 'BZ',
          network: 'trafficking-liaison',
          kind: 'document',
          at: '2026-02-10T00:00:00Z',
        }),
      );
      expect(d).toEqual({
        allowed: false,
        reason: 'origin_denied',
        message:
          'rule "bz-document-moratorium" forbids origin BZ to publish document alerts on "trafficking-liaison" at 2026-02-10T00:00:00.000Z (XXXI RCM (2026), decision 3)',
        rules: ['bz-document-moratorium'],
        basis: moratorium.basis,
      });
    });

    it('leave what they do not match alone', () => {
      const at = '2026-02-10T00:00:00Z';
      expect(evaluatePublish(s, { origin: 'BZ', ...route, at }).allowed).toBe(true);
      expect(
        evaluatePublish(s, { origin: 'MX', network: 'trafficking-liaison', kind: 'document', at }).allowed,
      ).toBe(true);
      expect(
        evaluatePublish(s, {
          origin: 'BZ',
          network: 'trafficking-liaison',
          kind: 'document',
          at: '2026-03-01T00:00:00Z',
        }).allowed,
      ).toBe(true);
    });

    it('select by status and role too', () => {
      const noObserverReads: PolicyRule = {
        id: 'no-observers-on-liaison',
        effect: 'deny',
        action: 'receive',
        networks: ['trafficking-liaison'],
        statuses: ['observer'],
        roles: ['observer-reader'],
        basis: [CONFERENCE_DECISIONS.focalPoints],
      };
      const s2 = withRules(BASE, [...createDefaultRules(), noObserverReads]);
      const d = expectDenied(
        evaluateReceive(s2, { receiver: 'JM', origin: 'MX', ...receiveDefaults, at: T0 }),
      );
      expect(d.reason).toBe('receiver_denied');
      expect(d.message).toBe(
        'rule "no-observers-on-liaison" forbids receiving country JM to receive route alerts on "trafficking-liaison" at 2026-01-01T00:00:00.000Z (Declaration of Ministers and High-Level Officials (2010), initiative 10)',
      );
      expect(d.rules).toEqual(['no-observers-on-liaison']);
      expect(evaluateReceive(s2, { receiver: 'HN', origin: 'MX', ...receiveDefaults, at: T0 }).allowed).toBe(
        true,
      );
    });
  });
});

describe('evaluateReceive', () => {
  it('allows a member subscriber, citing the origin’s and the receiver’s rules', () => {
    const d = evaluateReceive(BASE, { receiver: 'GT', origin: 'MX', ...receiveDefaults, at: T0 });
    expect(d.allowed).toBe(true);
    expect(d.allowed && d.rules).toEqual(['trafficking-liaison.publish', 'trafficking-liaison.receive']);
    expect(d.allowed && d.basis).toEqual([
      CONFERENCE_DECISIONS.liaisonNetworks,
      CONFERENCE_DECISIONS.focalPoints,
      CONFERENCE_DECISIONS.informationExchange,
      CONFERENCE_DECISIONS.traffickersMovement,
    ]);
  });

  it('rejects what the origin could not publish at issued_at, with the origin’s reason', () => {
    const d = expectDenied(
      evaluateReceive(SUSPENDED_GT, {
        receiver: 'MX',
        origin: 'GT',
        ...receiveDefaults,
        at: '2026-03-15T00:00:00Z',
      }),
    );
    expect(d.reason).toBe('origin_suspended');
    expect(d.message).toBe(
      'origin GT was suspended at 2026-03-15T00:00:00.000Z (since 2026-03-01T00:00:00.000Z), so it may not publish route alerts on "trafficking-liaison"',
    );
    // Issued before the suspension: still accepted, even when it arrives during it.
    expect(
      evaluateReceive(SUSPENDED_GT, {
        receiver: 'MX',
        origin: 'GT',
        ...receiveDefaults,
        at: after(T_SUSPEND, -1),
        receivedAt: '2026-03-15T00:00:00Z',
      }).allowed,
    ).toBe(true);
  });

  it('lets observers read where they hold an observer-reader membership, and nowhere else', () => {
    const d = evaluateReceive(BASE, { receiver: 'PE', origin: 'MX', ...receiveDefaults, at: T0 });
    expect(d.allowed && d.rules).toEqual(['trafficking-liaison.publish', 'observer-reader.receive']);
    const other = expectDenied(
      evaluateReceive(BASE, {
        receiver: 'PE',
        origin: 'MX',
        ...receiveDefaults,
        network: 'consular-protection',
        at: T0,
      }),
    );
    expect(other.reason).toBe('receiver_not_member');
    expect(other.message).toBe(
      'receiving country PE held no membership on "consular-protection" at 2026-01-01T00:00:00.000Z, so it may not receive route alerts on "consular-protection"',
    );
  });

  it('denies an observer holding a subscriber role (subscribers must be members)', () => {
    const s = withMemberships(BASE, () => true, [
      { country: 'EC', network: 'fiu-exchange', role: 'subscriber', validFrom: T0 },
    ]);
    const d = expectDenied(
      evaluateReceive(s, {
        receiver: 'EC',
        origin: 'MX',
        ...receiveDefaults,
        network: 'fiu-exchange',
        kind: 'network',
        at: T0,
      }),
    );
    expect(d.reason).toBe('receiver_not_member');
    expect(d.message).toBe(
      'receiving country EC (observer, holding subscriber on "fiu-exchange") had no role or status that a rule allows to receive network alerts on "fiu-exchange" at 2026-01-01T00:00:00.000Z',
    );
  });

  it('accepts H2 and H3 alerts like any other: handling limits what comes after receipt', () => {
    for (const handling of ['H1', 'H2', 'H3'] as const)
      expect(
        evaluateReceive(BASE, { receiver: 'CR', origin: 'MX', ...receiveDefaults, handling, at: T0 }).allowed,
      ).toBe(true);
  });

  it('denies an unknown receiver with receiver_not_member', () => {
    const d = expectDenied(
      evaluateReceive(BASE, { receiver: 'CU', origin: 'MX', ...receiveDefaults, at: T0 }),
    );
    expect(d.reason).toBe('receiver_not_member');
    expect(d.message).toBe(
      'receiving country CU is not a country of the process (snapshot revision 1), so it may not receive route alerts on "trafficking-liaison"',
    );
  });

  describe('restricted alerts', () => {
    const restricted = { ...receiveDefaults, recipients: ['GT', 'SV'] };

    it('go to their recipients', () => {
      expect(evaluateReceive(BASE, { receiver: 'SV', origin: 'MX', ...restricted, at: T0 }).allowed).toBe(
        true,
      );
    });

    it('are refused by anyone else with not_recipient', () => {
      const d = expectDenied(evaluateReceive(BASE, { receiver: 'HN', origin: 'MX', ...restricted, at: T0 }));
      expect(d.reason).toBe('not_recipient');
      expect(d.message).toBe(
        'receiving country HN is not among the recipients of this restricted route alert of MX on "trafficking-liaison" (GT, SV)',
      );
    });

    it('are always held by their origin', () => {
      const d = evaluateReceive(BASE, {
        receiver: 'MX',
        origin: 'MX',
        ...restricted,
        handling: 'H2',
        at: T0,
      });
      expect(d).toEqual(evaluatePublish(BASE, { origin: 'MX', ...route, at: T0 }));
    });

    it('still need the recipient to be entitled', () => {
      const s = withMemberships(BASE, (m) => !(m.country === 'SV' && m.network === 'trafficking-liaison'));
      const d = expectDenied(evaluateReceive(s, { receiver: 'SV', origin: 'MX', ...restricted, at: T0 }));
      expect(d.reason).toBe('receiver_not_member');
      expect(d.message).toBe(
        'receiving country SV held no membership on "trafficking-liaison" at 2026-01-01T00:00:00.000Z, so it may not receive route alerts on "trafficking-liaison"',
      );
    });
  });

  describe('a suspended or withdrawn receiver', () => {
    it('receives nothing issued while suspended, with receiver_suspended', () => {
      const d = expectDenied(
        evaluateReceive(SUSPENDED_GT, { receiver: 'GT', origin: 'MX', ...receiveDefaults, at: T_SUSPEND }),
      );
      expect(d.reason).toBe('receiver_suspended');
      expect(d.message).toBe(
        'receiving country GT was suspended at 2026-03-01T00:00:00.000Z (since 2026-03-01T00:00:00.000Z), so it may not receive route alerts on "trafficking-liaison"',
      );
      expect(
        evaluateReceive(SUSPENDED_GT, { receiver: 'GT', origin: 'MX', ...receiveDefaults, at: T_REINSTATE })
          .allowed,
      ).toBe(true);
    });

    it('receives nothing delivered while suspended, even if issued before', () => {
      const q = { receiver: 'GT', origin: 'MX', ...receiveDefaults, at: after(T_SUSPEND, -DAY) };
      expect(evaluateReceive(SUSPENDED_GT, q).allowed).toBe(true);
      const d = expectDenied(evaluateReceive(SUSPENDED_GT, { ...q, receivedAt: after(T_SUSPEND, 1000) }));
      expect(d.reason).toBe('receiver_suspended');
      expect(d.message).toBe(
        'receiving country GT was suspended at 2026-03-01T00:00:01.000Z (since 2026-03-01T00:00:00.000Z), so it may not receive route alerts on "trafficking-liaison"',
      );
      expect(evaluateReceive(SUSPENDED_GT, { ...q, receivedAt: T_REINSTATE }).allowed).toBe(true);
    });

    it('receives nothing once withdrawn, with receiver_withdrawn', () => {
      const s = withHistory(BASE, 'CA', [
        { status: 'member', effectiveAt: T0 },
        { status: 'withdrawn', effectiveAt: T_SUSPEND },
      ]);
      const d = expectDenied(
        evaluateReceive(s, { receiver: 'CA', origin: 'US', ...receiveDefaults, at: '2027-01-01T00:00:00Z' }),
      );
      expect(d.reason).toBe('receiver_withdrawn');
      expect(d.message).toBe(
        'receiving country CA was withdrawn at 2027-01-01T00:00:00.000Z (since 2026-03-01T00:00:00.000Z), so it may not receive route alerts on "trafficking-liaison"',
      );
    });
  });

  it('denies a kind no receive rule allows with kind_not_allowed', () => {
    const s = withRules(
      BASE,
      createDefaultRules().filter(
        (r) => r.id !== 'fiu-exchange.receive' && r.id !== 'observer-reader.receive',
      ),
    );
    const d = expectDenied(
      evaluateReceive(s, {
        receiver: 'HN',
        origin: 'MX',
        ...receiveDefaults,
        network: 'fiu-exchange',
        kind: 'network',
        at: T0,
      }),
    );
    expect(d.reason).toBe('kind_not_allowed');
    expect(d.message).toBe(
      'no rule in force at 2026-01-01T00:00:00.000Z allows any country to receive network alerts on "fiu-exchange"',
    );
  });
});

describe('evaluateForward', () => {
  const held = {
    from: 'GT',
    origin: 'MX',
    ...route,
    recipients: [] as string[],
    at: T0,
    forwardedAt: '2026-01-02T00:00:00Z',
  };

  it('never passes an H2 alert on to another country, with handling_restricted', () => {
    const d = expectDenied(evaluateForward(BASE, { ...held, to: 'HN', handling: 'H2' }));
    expect(d.reason).toBe('handling_restricted');
    expect(d.message).toBe(
      'the route alert of MX on "trafficking-liaison" is marked H2 (no onward dissemination without the originator’s consent): GT may not pass it on to HN or to a feed of HN; only MX itself may be sent it',
    );
  });

  it('passes an H2 alert on with the originator’s consent, for that holder and destination only', () => {
    const consent = { grantedBy: 'MX', holder: 'GT', to: 'HN' };
    const d = evaluateForward(BASE, { ...held, to: 'HN', handling: 'H2', consent });
    expect(d.allowed).toBe(true);
    expect(d.allowed && d.rules).toContain(CONSENT_RULE.id);
    expect(d.allowed && d.basis).toContainEqual(CONSENT_RULE.basis);
    // Another destination, another holder, or a grant by someone else than the origin: refused.
    for (const other of [
      { to: 'SV', consent },
      { to: 'HN', consent: { ...consent, holder: 'SV' } },
      { to: 'HN', consent: { ...consent, grantedBy: 'GT' } },
    ])
      expect(expectDenied(evaluateForward(BASE, { ...held, handling: 'H2', ...other })).reason).toBe(
        'handling_restricted',
      );
  });

  it('nor an H3 alert, whose restrictions policy cannot check', () => {
    const d = expectDenied(evaluateForward(BASE, { ...held, to: 'HN', handling: 'H3' }));
    expect(d.reason).toBe('handling_restricted');
    expect(d.message).toBe(
      'the route alert of MX on "trafficking-liaison" is marked H3 (other restrictions, stated in its handling note, which policy cannot check): GT may not pass it on to HN or to a feed of HN; only MX itself may be sent it',
    );
  });

  it('passes an H2 alert back to its origin, or on within the holding country', () => {
    expect(evaluateForward(BASE, { ...held, to: 'MX', handling: 'H2' }).allowed).toBe(true);
    expect(evaluateForward(BASE, { ...held, to: 'GT', handling: 'H2' }).allowed).toBe(true);
  });

  it('passes H0 and H1 alerts on to countries entitled to receive them', () => {
    const d = evaluateForward(BASE, { ...held, to: 'HN', handling: 'H1' });
    expect(d.allowed && d.rules).toEqual(['trafficking-liaison.publish', 'trafficking-liaison.receive']);
    expect(evaluateForward(BASE, { ...held, to: 'AR', handling: 'H0' }).allowed).toBe(true);
  });

  it('keeps a restricted alert within its recipients', () => {
    const d = expectDenied(evaluateForward(BASE, { ...held, recipients: ['GT'], to: 'HN', handling: 'H0' }));
    expect(d.reason).toBe('not_recipient');
    expect(d.message).toBe(
      'destination HN is not among the recipients of this restricted route alert of MX on "trafficking-liaison" (GT)',
    );
  });

  it('judges the destination both when the alert was issued and when it is passed on', () => {
    const q = { ...held, to: 'GT', from: 'HN', handling: 'H0' as const, at: after(T_SUSPEND, -DAY) };
    expect(evaluateForward(SUSPENDED_GT, { ...q, forwardedAt: after(T_SUSPEND, -1) }).allowed).toBe(true);
    const d = expectDenied(evaluateForward(SUSPENDED_GT, { ...q, forwardedAt: T_SUSPEND }));
    expect(d.reason).toBe('receiver_suspended');
    expect(d.message).toBe(
      'destination GT was suspended at 2026-03-01T00:00:00.000Z (since 2026-03-01T00:00:00.000Z), so it may not receive route alerts on "trafficking-liaison"',
    );
  });

  it('reports the origin’s reason first', () => {
    const d = expectDenied(
      evaluateForward(SUSPENDED_GT, {
        ...held,
        origin: 'GT',
        from: 'MX',
        to: 'HN',
        handling: 'H2',
        at: T_SUSPEND,
      }),
    );
    expect(d.reason).toBe('origin_suspended');
    expect(d.message).toBe(
      'origin GT was suspended at 2026-03-01T00:00:00.000Z (since 2026-03-01T00:00:00.000Z), so it may not publish route alerts on "trafficking-liaison"',
    );
  });
});

describe('createPolicyEvaluator', () => {
  it('refuses an invalid snapshot with PolicySnapshotError', () => {
    const bad = withMemberships(BASE, () => true, [
      { country: 'MX', network: 'trafficking-liason', role: 'publisher', validFrom: T0 },
    ]);
    const run = () => createPolicyEvaluator(bad);
    expect(run).toThrow(PolicySnapshotError);
    expect(run).toThrow(
      expect.objectContaining({
        code: 'ERR_POLICY_SNAPSHOT_INVALID',
        message: `invalid policy snapshot (1 error):\n  memberships[${bad.memberships.length - 1}].network: unknown_network: network "trafficking-liason" is not in the snapshot's networks`,
      }),
    );
    expect(() => evaluatePublish(bad, { origin: 'MX', ...route, at: T0 })).toThrow(PolicySnapshotError);
  });

  it('reports the snapshot’s warnings', () => {
    const s = withRules(BASE, [
      ...createDefaultRules(),
      {
        id: 'future-member',
        effect: 'allow',
        action: 'receive',
        countries: ['CL'],
        basis: [CONFERENCE_DECISIONS.focalPoints],
      },
    ]);
    expect(createPolicyEvaluator(s).warnings).toEqual([
      {
        path: `rules[${s.rules.length - 1}].countries[0]`,
        code: 'unknown_country',
        message: "country CL is not in the snapshot's countries",
        severity: 'warning',
      },
    ]);
  });

  it('evaluates a frozen copy, unaffected by later changes to the input', () => {
    const input = structuredClone(BASE) as { countries: Country[] } & PolicySnapshot;
    const evaluator = createPolicyEvaluator(input);
    input.countries.splice(0, input.countries.length);
    expect(evaluator.evaluatePublish({ origin: 'MX', ...route, at: T0 }).allowed).toBe(true);
    expect(Object.isFrozen(evaluator.snapshot.countries[0])).toBe(true);
  });

  it('rejects malformed queries with PolicyQueryError', () => {
    const e = createPolicyEvaluator(BASE);
    const cases: [() => unknown, string][] = [
      [
        () => e.evaluatePublish({ origin: 'MX', ...route, at: 'yesterday' }),
        'at: "yesterday" is not an RFC 3339 UTC instant (e.g. 2026-03-01T00:00:00.000Z)',
      ],
      [
        () => e.evaluatePublish({ origin: 'MX', ...route, at: new Date(Number.NaN) }),
        'at: is an invalid Date',
      ],
      [
        () => e.evaluatePublish({ origin: 'MX', ...route, at: '2026-02-30T00:00:00Z' }),
        'at: "2026-02-30T00:00:00Z" is not an RFC 3339 UTC instant (e.g. 2026-03-01T00:00:00.000Z)',
      ],
      [
        () =>
          e.evaluatePublish({
            origin: 'MX',
            network: 'trafficking-liaison',
            kind: 'ALERT_KIND_ROUTE' as 'route',
            at: T0,
          }),
        'kind: "ALERT_KIND_ROUTE" is not an alert kind (route, document, network)',
      ],
      [
        () =>
          e.evaluateReceive({
            receiver: 'GT',
            origin: 'MX',
            ...receiveDefaults,
            handling: 'H9' as 'H0',
            at: T0,
          }),
        'handling: "H9" is not a handling code (H0, H1, H2, H3)',
      ],
      [
        () => e.evaluateReceive({ receiver: '', origin: 'MX', ...receiveDefaults, at: T0 }),
        'receiver: must be a non-empty string',
      ],
      [
        () =>
          e.evaluateReceive({
            receiver: 'GT',
            origin: 'MX',
            ...receiveDefaults,
            recipients: 'GT' as unknown as string[],
            at: T0,
          }),
        'recipients: must be a list of country codes (empty when unrestricted)',
      ],
      [
        () =>
          e.evaluateForward({
            from: 'GT',
            to: 'HN',
            origin: 'MX',
            ...receiveDefaults,
            at: T0,
            forwardedAt: '',
          }),
        'forwardedAt: "" is not an RFC 3339 UTC instant (e.g. 2026-03-01T00:00:00.000Z)',
      ],
    ];
    for (const [run, message] of cases) {
      expect(run).toThrow(PolicyQueryError);
      expect(run).toThrow(expect.objectContaining({ code: 'ERR_POLICY_QUERY_INVALID', message }));
    }
  });

  it('is fast enough to run per inbound message', () => {
    const e = createPolicyEvaluator(BASE);
    const receivers = [...MEMBERS, ...OBSERVERS];
    const start = performance.now();
    let allowed = 0;
    for (let i = 0; i < 20_000; i++) {
      const d = e.evaluateReceive({
        receiver: receivers[i % receivers.length] as string,
        origin: 'MX',
        ...receiveDefaults,
        at: '2026-02-01T00:00:00.000Z',
      });
      if (d.allowed) allowed++;
    }
    const elapsed = performance.now() - start;
    expect(allowed).toBe(20_000);
    // Typically well under 100 ms; the bound only catches accidental linear scans of the snapshot.
    expect(elapsed).toBeLessThan(2_000);
  });
});

describe('statusAt and membershipsAt', () => {
  const gt = SUSPENDED_GT.countries.find((c) => c.code === 'GT') as Country;

  it('give the status in force at a time', () => {
    expect(statusAt(gt, after(T0, -1))).toBeUndefined();
    expect(statusAt(gt, T0)).toBe('member');
    expect(statusAt(gt, after(T_SUSPEND, -1))).toBe('member');
    expect(statusAt(gt, T_SUSPEND)).toBe('suspended');
    expect(statusAt(gt, new Date(T_REINSTATE))).toBe('member');
    const e = createPolicyEvaluator(SUSPENDED_GT);
    expect(e.statusAt('GT', T_SUSPEND)).toBe('suspended');
    expect(e.statusAt('ZZ', T_SUSPEND)).toBeUndefined();
  });

  it('statusAt reports an invalid instant in the history', () => {
    const run = () =>
      statusAt({ code: 'MX', statusHistory: [{ status: 'member', effectiveAt: '2026-01-01' }] }, T0);
    expect(run).toThrow(PolicySnapshotError);
    expect(run).toThrow(
      expect.objectContaining({
        code: 'ERR_POLICY_SNAPSHOT_INVALID',
        message:
          'invalid policy snapshot (1 error):\n  statusHistory[0].effectiveAt: invalid_format: "2026-01-01" is not an RFC 3339 UTC instant',
      }),
    );
  });

  it('give the memberships valid at a time, on one network or all', () => {
    const until = '2026-06-01T00:00:00.000Z';
    const s = withMemberships(BASE, (m) => m.country !== 'HN', [
      { country: 'HN', network: 'consular-protection', role: 'subscriber', validFrom: T0, validUntil: until },
      { country: 'HN', network: 'trafficking-liaison', role: 'publisher', validFrom: T0 },
    ]);
    expect(membershipsAt(s, { country: 'HN', at: T0 })).toEqual(s.memberships.slice(-2));
    expect(membershipsAt(s, { country: 'HN', network: 'consular-protection', at: until })).toEqual([]);
    expect(membershipsAt(s, { country: 'HN', at: until })).toEqual(s.memberships.slice(-1));
    expect(membershipsAt(s, { country: 'ZZ', at: until })).toEqual([]);
  });
});

describe('eligibleReceivers', () => {
  it('lists the countries other than the origin that may receive', () => {
    const e = createPolicyEvaluator(SUSPENDED_GT);
    const q = { origin: 'MX', ...route };
    expect(e.eligibleReceivers({ ...q, at: T0 })).toEqual(
      [...MEMBERS, ...OBSERVERS].filter((c) => c !== 'MX').sort(),
    );
    expect(e.eligibleReceivers({ ...q, at: T_SUSPEND })).not.toContain('GT');
    expect(e.eligibleReceivers({ ...q, network: 'consular-protection', at: T0 })).toEqual(
      MEMBERS.filter((c) => c !== 'MX').sort(),
    );
    expect(e.eligibleReceivers({ ...q, recipients: ['US', 'PE', 'ZZ', 'MX'], at: T0 })).toEqual(['PE', 'US']);
    expect(e.eligibleReceivers({ ...q, origin: 'GT', at: T_SUSPEND })).toEqual([]);
  });
});
