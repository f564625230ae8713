import { describe, expect, it } from 'vitest';

import type { CountryRecord } from '../domain/model.js';
import { admin, names, refusedAt, rejection, useRegistryFixture } from '../testing/registry-fixture.js';

const fixture = useRegistryFixture();

describe('countries', () => {
  it('refuses admitting a country as what it already is with ERR_ALREADY_EXISTS at code, audited, state unchanged', async () => {
    const s = fixture.core.service;
    await s.admitCountry({ code: 'BZ', names: names('Belize'), status: 'member' }, admin);
    await s.admitCountry({ code: 'EC', names: names('Ecuador'), status: 'observer' }, admin);
    const before = s.revision();
    for (const [code, status] of [
      ['BZ', 'member'],
      ['EC', 'observer'],
    ] as const) {
      const err = await rejection(() =>
        s.admitCountry({ code, status }, { ...admin, requestId: `again-${code}` }),
      );
      expect(err.code).toBe('ERR_ALREADY_EXISTS');
      expect(err.status).toBe(409);
      expect(err.message).toBe(`${code} is already ${status}`);
      expect(err.violations).toEqual([{ path: 'code', code: 'already_exists', message: err.message }]);
    }
    expect(s.revision()).toBe(before);
    const audited = await s.queryAudit({ action: 'country.admit', entityId: 'BZ' });
    expect(audited[0]).toMatchObject({
      outcome: 'rejected',
      code: 'ERR_ALREADY_EXISTS',
      requestId: 'again-BZ',
    });
    // An observer admitted as member is a change, not a duplicate.
    const promoted = await s.admitCountry({ code: 'EC', status: 'member' }, admin);
    expect(promoted.statusHistory.map((c) => c.status)).toEqual(['observer', 'member']);
  });

  it('admits, suspends, reinstates and withdraws with actor, reason and decision', async () => {
    const s = fixture.core.service;
    const admitted = await s.admitCountry({ code: 'MX', names: names('Mexico'), status: 'member' }, admin);
    expect(admitted.statusHistory).toHaveLength(1);
    expect(admitted.statusHistory[0]).toMatchObject({
      status: 'member',
      actor: 'admin@secretariat',
      reason: 'test',
      decision: admin.decision,
    });
    expect(s.getCountry('MX')).toEqual(admitted);

    const suspended = await s.suspendCountry({ code: 'MX' }, { ...admin, reason: 'non-compliance' });
    expect(suspended.statusHistory.at(-1)).toMatchObject({ status: 'suspended', reason: 'non-compliance' });
    const reinstated = await s.reinstateCountry({ code: 'MX' }, admin);
    expect(reinstated.statusHistory.map((c) => c.status)).toEqual(['member', 'suspended', 'member']);
    expect(s.revision()).toBeGreaterThan(0);
  });

  it('reinstates to the status held before the suspension', async () => {
    const s = fixture.core.service;
    await s.admitCountry(
      { code: 'CO', names: names('Colombia'), status: 'observer', effectiveAt: '2026-01-01T00:00:00.000Z' },
      admin,
    );
    await s.admitCountry({ code: 'CO', status: 'member', effectiveAt: '2026-02-01T00:00:00.000Z' }, admin);
    await s.suspendCountry({ code: 'CO', effectiveAt: '2026-03-01T00:00:00.000Z' }, admin);
    const back = await s.reinstateCountry({ code: 'CO', effectiveAt: '2026-04-01T00:00:00.000Z' }, admin);
    expect(back.statusHistory.at(-1)?.status).toBe('member');
    // An observer that could not be suspended: suspending a non-member is refused.
    await s.admitCountry({ code: 'AR', names: names('Argentina'), status: 'observer' }, admin);
    const err = await rejection(() => s.suspendCountry({ code: 'AR' }, admin));
    expect(err.code).toBe('ERR_INVALID_TRANSITION');
    expect(err.message).toMatch(/only a member can be suspended/);
  });

  it('refuses illegal transitions and leaves state unchanged', async () => {
    const s = fixture.core.service;
    await s.admitCountry({ code: 'PE', names: names('Peru'), status: 'member' }, admin);
    await s.withdrawCountry({ code: 'PE' }, admin);
    const before = s.revision();
    const snapshot: CountryRecord = s.getCountry('PE');
    for (const attempt of [
      () => s.admitCountry({ code: 'PE', status: 'member' }, admin),
      () => s.suspendCountry({ code: 'PE' }, admin),
      () => s.reinstateCountry({ code: 'PE' }, admin),
      () => s.withdrawCountry({ code: 'PE' }, admin),
    ]) {
      const err = await rejection(attempt);
      expect(err.code).toBe('ERR_INVALID_TRANSITION');
      expect(err.status).toBe(409);
      expect(err.violations).toEqual([{ path: 'code', code: 'invalid_transition', message: err.message }]);
    }
    expect((await rejection(() => s.reinstateCountry({ code: 'MX' }, admin))).code).toBe(
      'ERR_INVALID_TRANSITION',
    );
    expect(await refusedAt(() => s.suspendCountry({ code: 'ZZ' }, admin))).toEqual([
      'ERR_UNKNOWN_COUNTRY',
      'code',
      'unknown_country',
    ]);
    expect(await refusedAt(() => s.getCountry('ZZ'))).toEqual([
      'ERR_UNKNOWN_COUNTRY',
      'code',
      'unknown_country',
    ]);
    expect(s.getCountry('PE')).toEqual(snapshot);
    expect(s.revision()).toBe(before);
  });

  it('validates input with field paths and requires reasons', async () => {
    const s = fixture.core.service;
    const before = s.revision();
    const err = await rejection(() =>
      s.admitCountry(
        {
          code: 'mx',
          names: { en: 'X', es: 'X', fr: '', pt: 'X' },
          status: 'member',
          effectiveAt: 'yesterday',
        },
        admin,
      ),
    );
    expect(err.code).toBe('ERR_VALIDATION');
    expect(err.violations.map((v) => v.path).sort()).toEqual(['code', 'effectiveAt', 'names.fr']);
    expect(err.violations.find((v) => v.path === 'effectiveAt')?.code).toBe('invalid_format');

    const noNames = await rejection(() => s.admitCountry({ code: 'BR', status: 'member' }, admin));
    expect(noNames.violations).toEqual([expect.objectContaining({ path: 'names', code: 'required' })]);

    const { reason: _reason, ...noReason } = admin;
    for (const attempt of [
      () => s.suspendCountry({ code: 'MX' }, noReason),
      () => s.withdrawCountry({ code: 'MX' }, noReason),
      () => s.revokeKey({ kid: 'MX-sig-2026-01' }, noReason),
      () => s.deactivateFocalPoint('mx-x-1', noReason),
      () =>
        s.removeMembership({ country: 'MX', network: 'trafficking-liaison', role: 'publisher' }, noReason),
    ]) {
      const e = await rejection(attempt);
      expect(e.code).toBe('ERR_VALIDATION');
      expect(e.violations).toEqual([expect.objectContaining({ path: 'reason', code: 'required' })]);
    }
    expect(s.revision()).toBe(before);
  });
});
