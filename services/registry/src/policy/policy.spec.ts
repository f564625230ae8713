import { describe, expect, it } from 'vitest';
import { rejection, useRegistryFixture } from '../testing/registry-fixture.js';

const fixture = useRegistryFixture();

describe('policy', () => {
  it('needs the receiver to decide a receipt', async () => {
    const s = fixture.core.service;
    const q = await rejection(() =>
      s.decide({ action: 'receive', network: 'trafficking-liaison', kind: 'route', origin: 'GT' }),
    );
    expect(q.violations[0]).toMatchObject({ path: 'receiver', code: 'required' });
  });
});
