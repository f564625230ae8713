import { createDefaultNetworks } from '@enlace/policy';
import { describe, expect, it } from 'vitest';
import {
  admin,
  names,
  refusedAt,
  rejection,
  seedCtx,
  useRegistryFixture,
} from '../testing/registry-fixture.js';

const fixture = useRegistryFixture();

describe('memberships', () => {
  it('adds and removes memberships; decide() follows them', async () => {
    const s = fixture.core.service;
    await s.admitCountry(
      { code: 'GT', names: names('Guatemala'), status: 'member', effectiveAt: '2020-01-01T00:00:00.000Z' },
      admin,
    );
    await s.admitCountry(
      { code: 'HN', names: names('Honduras'), status: 'member', effectiveAt: '2020-01-01T00:00:00.000Z' },
      admin,
    );
    const m = await s.addMembership(
      {
        country: 'GT',
        network: 'trafficking-liaison',
        role: 'publisher',
        validFrom: '2020-01-01T00:00:00.000Z',
      },
      admin,
    );
    expect(m.id).toBe('GT.trafficking-liaison.publisher.2020-01-01T00:00:00.000Z');
    await s.addMembership(
      {
        country: 'HN',
        network: 'trafficking-liaison',
        role: 'subscriber',
        validFrom: '2020-01-01T00:00:00.000Z',
      },
      admin,
    );
    expect(
      s.decide({ action: 'publish', network: 'trafficking-liaison', kind: 'route', origin: 'GT' }),
    ).toMatchObject({ allowed: true });
    expect(
      s.decide({
        action: 'receive',
        network: 'trafficking-liaison',
        kind: 'route',
        origin: 'GT',
        receiver: 'HN',
      }),
    ).toMatchObject({ allowed: true });
    expect(
      s.decide({ action: 'publish', network: 'trafficking-liaison', kind: 'route', origin: 'HN' }),
    ).toMatchObject({
      allowed: false,
      reason: 'origin_not_member',
    });

    expect(
      await refusedAt(() =>
        s.addMembership({ country: 'GT', network: 'trafficking-liaison', role: 'publisher' }, admin),
      ),
    ).toEqual(['ERR_ALREADY_EXISTS', 'role', 'already_exists']);
    expect(
      await refusedAt(() =>
        s.addMembership({ country: 'GT', network: 'no-such-net', role: 'publisher' }, admin),
      ),
    ).toEqual(['ERR_UNKNOWN_NETWORK', 'network', 'unknown_network']);
    expect(
      await refusedAt(() =>
        s.addMembership({ country: 'ZZ', network: 'trafficking-liaison', role: 'publisher' }, admin),
      ),
    ).toEqual(['ERR_UNKNOWN_COUNTRY', 'country', 'unknown_country']);
    expect(
      await refusedAt(() =>
        s.removeMembership({ country: 'GT', network: 'trafficking-liaison', role: 'subscriber' }, admin),
      ),
    ).toEqual(['ERR_NOT_FOUND', 'role', 'not_found']);
    const [base] = createDefaultNetworks();
    await s.importSeed('network', { ...base!, id: 'readers-only', roles: ['subscriber'] }, seedCtx);
    const wrongRole = await rejection(() =>
      s.addMembership({ country: 'GT', network: 'readers-only', role: 'publisher' }, admin),
    );
    expect(wrongRole.code).toBe('ERR_VALIDATION');
    expect(wrongRole.violations[0]).toMatchObject({ path: 'role', code: 'role_not_on_network' });

    const ended = await s.removeMembership(
      { country: 'GT', network: 'trafficking-liaison', role: 'publisher' },
      { ...admin, reason: 'left' },
    );
    expect(ended).toMatchObject({ endedBy: 'admin@secretariat', endReason: 'left' });
    expect(ended.validUntil).toBeDefined();
    expect(s.listMemberships({ country: 'GT', activeAt: new Date().toISOString() })).toHaveLength(0);
    expect(
      s.decide({ action: 'publish', network: 'trafficking-liaison', kind: 'route', origin: 'GT' }),
    ).toMatchObject({ allowed: false });
  });
});
