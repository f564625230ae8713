import { describe, expect, it } from 'vitest';

import { applyStatusCommand, laterThan, newCountry } from './country-status.js';
import type { CommandContext } from '../domain/model.js';
import { thrown } from '../testing/refusals.js';

const ctx: CommandContext = { actor: { id: 'admin', roles: ['administrator'] }, reason: 'r', decision: 'd' };
const names = { en: 'X', es: 'X', fr: 'X', pt: 'X' };
const t = (day: number) => `2026-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;

const codeOf = (fn: () => unknown): string => thrown(fn).code;

describe('country status transitions', () => {
  it('refuses admitting a country as what it already is (ERR_ALREADY_EXISTS) and a suspended or withdrawn one (ERR_INVALID_TRANSITION), at code', () => {
    const member = newCountry('MX', names, 'member', t(1), ctx);
    const again = thrown(() =>
      applyStatusCommand(member, 'admit', { status: 'member', effectiveAt: undefined, now: t(9) }, ctx),
    );
    expect(again.code).toBe('ERR_ALREADY_EXISTS');
    expect(again.message).toBe('MX is already member');
    expect(again.violations).toEqual([
      { path: 'code', code: 'already_exists', message: 'MX is already member' },
    ]);
    const suspended = applyStatusCommand(member, 'suspend', { effectiveAt: t(2), now: t(9) }, ctx);
    const withdrawn = applyStatusCommand(member, 'withdraw', { effectiveAt: t(2), now: t(9) }, ctx);
    for (const country of [suspended, withdrawn]) {
      const refused = thrown(() =>
        applyStatusCommand(country, 'admit', { status: 'member', effectiveAt: undefined, now: t(9) }, ctx),
      );
      expect(refused.code).toBe('ERR_INVALID_TRANSITION');
      expect(refused.violations).toEqual([
        { path: 'code', code: 'invalid_transition', message: refused.message },
      ]);
    }
  });

  it('walks observer → member → suspended → member → withdrawn', () => {
    let c = newCountry('CO', names, 'observer', t(1), ctx);
    c = applyStatusCommand(c, 'admit', { status: 'member', effectiveAt: t(2), now: t(9) }, ctx);
    c = applyStatusCommand(c, 'suspend', { effectiveAt: t(3), now: t(9) }, ctx);
    c = applyStatusCommand(c, 'reinstate', { effectiveAt: t(4), now: t(9) }, ctx);
    c = applyStatusCommand(c, 'withdraw', { effectiveAt: undefined, now: t(9) }, ctx);
    expect(c.statusHistory.map((s) => s.status)).toEqual([
      'observer',
      'member',
      'suspended',
      'member',
      'withdrawn',
    ]);
    expect(c.statusHistory[4]).toEqual({
      status: 'withdrawn',
      effectiveAt: t(9),
      actor: 'admin',
      reason: 'r',
      decision: 'd',
    });
    for (const cmd of ['admit', 'suspend', 'reinstate', 'withdraw'] as const)
      expect(
        codeOf(() =>
          applyStatusCommand(c, cmd, { status: 'member', effectiveAt: undefined, now: t(10) }, ctx),
        ),
      ).toBe('ERR_INVALID_TRANSITION');
  });

  it('refuses suspending a non-member, reinstating a non-suspended one and going back in time', () => {
    const observer = newCountry('AR', names, 'observer', t(1), ctx);
    expect(codeOf(() => applyStatusCommand(observer, 'suspend', { effectiveAt: t(2), now: t(9) }, ctx))).toBe(
      'ERR_INVALID_TRANSITION',
    );
    expect(
      codeOf(() => applyStatusCommand(observer, 'reinstate', { effectiveAt: t(2), now: t(9) }, ctx)),
    ).toBe('ERR_INVALID_TRANSITION');
    expect(
      codeOf(() =>
        applyStatusCommand(observer, 'admit', { status: 'observer', effectiveAt: t(2), now: t(9) }, ctx),
      ),
    ).toBe('ERR_ALREADY_EXISTS');
    expect(
      codeOf(() => applyStatusCommand(observer, 'withdraw', { effectiveAt: t(1), now: t(9) }, ctx)),
    ).toBe('ERR_VALIDATION');
    expect(codeOf(() => newCountry('AR', undefined, 'member', t(1), ctx))).toBe('ERR_VALIDATION');
  });

  it('moves a defaulted time past the last change', () => {
    expect(laterThan(t(1), t(1))).toBe('2026-01-01T00:00:00.001Z');
    expect(laterThan(t(2), t(1))).toBe(t(2));
  });
});
