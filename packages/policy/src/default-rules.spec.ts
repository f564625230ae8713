import { describe, expect, it } from 'vitest';
import { CONFERENCE_DECISIONS, createDefaultNetworks, createDefaultRules } from './default-rules.js';
import { createPolicyEvaluator } from './evaluate.js';
import type { AlertKind, CountryStatus, MembershipRole, PolicySnapshot } from './model.js';
import { ALERT_KINDS, MEMBERSHIP_ROLES, POLICY_SNAPSHOT_FORMAT } from './model.js';
import { formatLegalBasis } from './rules.js';
import { validateSnapshot } from './validate.js';

const T0 = '2026-01-01T00:00:00.000Z';

/** One country of the given status holding exactly one role on one network. */
function single(status: CountryStatus, network: string, role: MembershipRole): PolicySnapshot {
  return {
    format: POLICY_SNAPSHOT_FORMAT,
    revision: 1,
    generatedAt: T0,
    countries: [
      { code: 'XA', statusHistory: [{ status, effectiveAt: T0 }] },
      { code: 'MX', statusHistory: [{ status: 'member', effectiveAt: T0 }] },
    ],
    networks: createDefaultNetworks(),
    memberships: [
      { country: 'XA', network, role, validFrom: T0 },
      ...createDefaultNetworks().map((n) => ({
        country: 'MX',
        network: n.id,
        role: 'publisher' as const,
        validFrom: T0,
      })),
    ],
    rules: createDefaultRules(),
  };
}

describe('createDefaultNetworks', () => {
  it('gives each network its kinds, as the decisions define them', () => {
    expect(Object.fromEntries(createDefaultNetworks().map((n) => [n.id, n.kinds]))).toEqual({
      'trafficking-liaison': ['route', 'document', 'network'],
      'consular-protection': ['route', 'document'],
      'fiu-exchange': ['network'],
    });
  });

  it('cites the decisions behind each network', () => {
    expect(
      Object.fromEntries(createDefaultNetworks().map((n) => [n.id, n.basis.map(formatLegalBasis)])),
    ).toEqual({
      'trafficking-liaison': [
        'VI RCM (San José, 2001), agreements 7, 11 and 16',
        'Declaration of Ministers and High-Level Officials (2010), initiative 10',
        'Declaration of Ministers and High-Level Officials (2010), initiatives 12 and 13',
        'First Meeting of National Authorities on Trafficking in Persons (OAS, 2006), conclusions and recommendations',
        'XII RCM (2007), victim-centred approach',
      ],
      'consular-protection': [
        'VI RCM (San José, 2001), agreements 7, 11 and 16',
        'XVII RCM (Panama, 2012), decision 6',
        'XII RCM (2007), victim-centred approach',
      ],
      'fiu-exchange': [
        'Declaration of Ministers and High-Level Officials (2010), initiative 14',
        'Declaration of Ministers and High-Level Officials (2010), initiatives 12 and 13',
        'Declaration of Ministers and High-Level Officials (2010), initiative 10',
      ],
    });
  });

  it('returns fresh data on every call', () => {
    const a = createDefaultNetworks();
    (a[0] as { id: string }).id = 'changed';
    expect(createDefaultNetworks()[0]?.id).toBe('trafficking-liaison');
  });
});

describe('createDefaultRules', () => {
  it('forms a valid snapshot with the default networks, without warnings', () => {
    expect(validateSnapshot(single('member', 'trafficking-liaison', 'subscriber'))).toEqual([]);
  });

  it('cites every conference decision somewhere', () => {
    const cited = new Set(
      [
        ...createDefaultNetworks().flatMap((n) => n.basis),
        ...createDefaultRules().flatMap((r) => r.basis),
      ].map(formatLegalBasis),
    );
    expect([...cited].sort()).toEqual(Object.values(CONFERENCE_DECISIONS).map(formatLegalBasis).sort());
  });

  // Every combination of status, network, role and kind, against what the decisions provide.
  const cases = createDefaultNetworks().flatMap((n) =>
    (['member', 'observer'] as const).flatMap((status) =>
      MEMBERSHIP_ROLES.flatMap((role) =>
        ALERT_KINDS.map((kind) => ({ network: n.id, carried: n.kinds, status, role, kind })),
      ),
    ),
  );

  it.each(cases)(
    '$status $role on $network, $kind: publish and receive',
    ({ network, carried, status, role, kind }) => {
      const e = createPolicyEvaluator(single(status, network, role));
      const carriedKind = (carried as readonly AlertKind[]).includes(kind);
      const publish = e.evaluatePublish({ origin: 'XA', network, kind, at: T0 });
      expect(publish.allowed).toBe(carriedKind && status === 'member' && role === 'publisher');
      const receive = e.evaluateReceive({
        receiver: 'XA',
        origin: 'MX',
        network,
        kind,
        recipients: [],
        handling: 'H0',
        at: T0,
      });
      const mayRead = role === 'observer-reader' || status === 'member';
      expect(receive.allowed).toBe(carriedKind && mayRead);
      if (!carriedKind) expect(!receive.allowed && receive.reason).toBe('kind_not_allowed');
      else if (!mayRead) expect(!receive.allowed && receive.reason).toBe('receiver_not_member');
    },
  );

  it.each(['suspended', 'withdrawn'] as const)('never lets a %s country publish or receive', (status) => {
    const s = single('member', 'trafficking-liaison', 'publisher');
    const e = createPolicyEvaluator({
      ...s,
      countries: s.countries.map((c) =>
        c.code === 'XA'
          ? {
              code: 'XA',
              statusHistory: [...c.statusHistory, { status, effectiveAt: '2026-02-01T00:00:00Z' }],
            }
          : c,
      ),
    });
    const at = '2026-02-01T00:00:00Z';
    const publish = e.evaluatePublish({ origin: 'XA', network: 'trafficking-liaison', kind: 'route', at });
    expect(!publish.allowed && publish.reason).toBe(`origin_${status}`);
    const receive = e.evaluateReceive({
      receiver: 'XA',
      origin: 'MX',
      network: 'trafficking-liaison',
      kind: 'route',
      recipients: [],
      handling: 'H0',
      at,
    });
    expect(!receive.allowed && receive.reason).toBe(`receiver_${status}`);
  });
});
