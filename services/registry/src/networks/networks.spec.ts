import { describe, expect, it } from 'vitest';
import { refusedAt, useRegistryFixture } from '../testing/registry-fixture.js';

const fixture = useRegistryFixture();

describe('networks', () => {
  it('lists the seeded networks and refuses an unknown one with ERR_UNKNOWN_NETWORK at id', async () => {
    const s = fixture.core.service;
    expect(s.listNetworks().map((n) => n.id)).toContain('trafficking-liaison');
    expect(s.getNetwork('trafficking-liaison').roles).toContain('publisher');
    expect(await refusedAt(() => s.getNetwork('no-such-net'))).toEqual([
      'ERR_UNKNOWN_NETWORK',
      'id',
      'unknown_network',
    ]);
  });
});
