import { beforeAll, describe, expect, it } from 'vitest';
import { admin, names, refusedAt, rejection, useRegistryFixture } from '../testing/registry-fixture.js';

const fixture = useRegistryFixture();

beforeAll(async () => {
  await fixture.core.service.admitCountry({ code: 'MX', names: names('Mexico'), status: 'member' }, admin);
});

describe('focal points', () => {
  it('adds with a derived id and deactivates once', async () => {
    const s = fixture.core.service;
    const fp = await s.addFocalPoint(
      {
        kind: 'unit',
        name: 'Liaison desk',
        agency: 'Instituto Nacional de Migración',
        role: 'liaison-officer',
        country: 'MX',
        networks: ['trafficking-liaison'],
        contact: { channel: 'email', address: 'enlace@inm.example' },
      },
      admin,
    );
    expect(fp.id).toBe('mx-instituto-nacional-de-migracion-1');
    expect(fp.active).toBe(true);
    const bad = await rejection(() =>
      s.addFocalPoint(
        { ...fp, id: 'mx-2', contact: { channel: 'email', address: 'nope' }, networks: [] } as never,
        admin,
      ),
    );
    expect(bad.code).toBe('ERR_VALIDATION');
    expect(bad.violations.map((v) => v.path)).toEqual(
      expect.arrayContaining(['contact.address', 'networks']),
    );
    const off = await s.deactivateFocalPoint(fp.id, { ...admin, reason: 'replaced' });
    expect(off).toMatchObject({ active: false, deactivationReason: 'replaced' });
    expect(await refusedAt(() => s.deactivateFocalPoint(fp.id, admin))).toEqual([
      'ERR_INVALID_TRANSITION',
      'id',
      'invalid_transition',
    ]);
    expect(await refusedAt(() => s.getFocalPoint('nobody'))).toEqual(['ERR_NOT_FOUND', 'id', 'not_found']);
    const { id: _id, active: _active, createdAt: _createdAt, ...input } = fp;
    expect(await refusedAt(() => s.addFocalPoint({ ...input, id: fp.id }, admin))).toEqual([
      'ERR_ALREADY_EXISTS',
      'id',
      'already_exists',
    ]);
    expect(
      await refusedAt(() =>
        s.addFocalPoint({ ...input, networks: ['trafficking-liaison', 'no-such-net'] }, admin),
      ),
    ).toEqual(['ERR_UNKNOWN_NETWORK', 'networks[1]', 'unknown_network']);
  });
});
