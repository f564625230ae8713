import { describe, expect, it } from 'vitest';
import type { LegalBasis, PolicyRule } from './model.js';
import type { RuleSubject } from './rules.js';
import { applyRules, basisOf, compileRule, createRuleIndex, formatLegalBasis, ruleMatches } from './rules.js';

const A: LegalBasis = {
  conference: 'VI RCM (San José, 2001)',
  decision: 'agreement 7',
  text: 'Liaison officers.',
};
const B: LegalBasis = { conference: 'XVII RCM (Panama, 2012)', decision: 'decision 6', text: 'Minors.' };

const subject: RuleSubject = {
  country: 'MX',
  status: 'member',
  roles: new Set(['publisher', 'subscriber']),
  kind: 'route',
  at: Date.parse('2026-02-01T00:00:00Z'),
};

function rule(partial: Partial<PolicyRule> & Pick<PolicyRule, 'id'>): PolicyRule {
  return { effect: 'allow', action: 'publish', basis: [A], ...partial };
}

describe('formatLegalBasis', () => {
  it('cites conference and decision', () => {
    expect(formatLegalBasis(A)).toBe('VI RCM (San José, 2001), agreement 7');
  });
});

describe('ruleMatches', () => {
  it('matches when every given selector matches; absent selectors match anything', () => {
    expect(ruleMatches(compileRule(rule({ id: 'any' })), subject)).toBe(true);
    expect(
      ruleMatches(
        compileRule(
          rule({
            id: 'all',
            kinds: ['route'],
            roles: ['observer-reader', 'subscriber'],
            countries: ['MX'],
            statuses: ['member'],
          }),
        ),
        subject,
      ),
    ).toBe(true);
  });

  it.each([
    ['kinds', { kinds: ['document' as const] }],
    ['roles', { roles: ['observer-reader' as const] }],
    ['countries', { countries: ['GT'] }],
    ['statuses', { statuses: ['observer' as const] }],
    ['validFrom', { validFrom: '2026-02-01T00:00:00.001Z' }],
    ['validUntil', { validUntil: '2026-02-01T00:00:00Z' }],
  ])('does not match when %s does not', (_name, selector) => {
    expect(ruleMatches(compileRule(rule({ id: 'r', ...selector })), subject)).toBe(false);
  });

  it('needs the subject to hold one of the roles, not all of them', () => {
    const r = compileRule(rule({ id: 'r', roles: ['publisher'] }));
    expect(ruleMatches(r, { ...subject, roles: new Set(['subscriber']) })).toBe(false);
    expect(ruleMatches(r, { ...subject, roles: new Set(['publisher']) })).toBe(true);
  });
});

describe('applyRules', () => {
  const allow = compileRule(rule({ id: 'allow', basis: [A, B] }));
  const deny = compileRule(rule({ id: 'deny', effect: 'deny', countries: ['MX'], basis: [B] }));
  const otherDeny = compileRule(rule({ id: 'deny-gt', effect: 'deny', countries: ['GT'], basis: [B] }));

  it('lets a matching deny override every allow', () => {
    expect(applyRules([allow, deny, otherDeny], subject)).toEqual({ effect: 'deny', rules: [deny] });
  });

  it('allows with the matching allow rules when no deny matches', () => {
    expect(applyRules([allow, otherDeny], subject)).toEqual({ effect: 'allow', rules: [allow] });
  });

  it('denies by default, saying whether any allow rule covers the kind', () => {
    const forGt = compileRule(rule({ id: 'gt', countries: ['GT'] }));
    const documents = compileRule(rule({ id: 'doc', kinds: ['document'] }));
    expect(applyRules([], subject)).toEqual({ effect: 'none', kindCovered: false });
    expect(applyRules([documents, otherDeny], subject)).toEqual({ effect: 'none', kindCovered: false });
    expect(applyRules([forGt, documents], subject)).toEqual({ effect: 'none', kindCovered: true });
  });
});

describe('createRuleIndex', () => {
  it('lists rules by action and network, rules without networks under every network', () => {
    const everywhere = rule({ id: 'everywhere', action: 'receive' });
    const liaison = rule({ id: 'liaison', networks: ['trafficking-liaison'] });
    const index = createRuleIndex([everywhere, liaison], ['trafficking-liaison', 'fiu-exchange']);
    const ids = (action: 'publish' | 'receive', network: string) =>
      index.candidates(action, network).map((r) => r.rule.id);
    expect(ids('publish', 'trafficking-liaison')).toEqual(['liaison']);
    expect(ids('publish', 'fiu-exchange')).toEqual([]);
    expect(ids('receive', 'fiu-exchange')).toEqual(['everywhere']);
    expect(ids('receive', 'unknown')).toEqual([]);
  });
});

describe('basisOf', () => {
  it('lists each cited decision once, in rule order', () => {
    const rules = [rule({ id: '1', basis: [B] }), rule({ id: '2', basis: [A, { ...B }] })].map(compileRule);
    expect(basisOf(rules)).toEqual([B, A]);
  });
});
