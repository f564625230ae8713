import { describe, expect, it } from 'vitest';

import type { GlossaryTerm } from '../domain/model.js';
import { names, seedCtx, useRegistryFixture } from '../testing/registry-fixture.js';

const fixture = useRegistryFixture();

describe('glossary', () => {
  it('lists a seeded term and never overwrites it from a seed', async () => {
    const s = fixture.core.service;
    const term: GlossaryTerm = {
      id: 'migrant-smuggling',
      category: 'crime',
      labels: names('Migrant smuggling'),
      definitions: names('Procuring the illegal entry of a person for a financial or material benefit.'),
      source: 'UN Smuggling Protocol, art. 3',
    };
    expect(await s.importSeed('glossary', term, seedCtx)).toBe('created');
    expect(s.glossary()).toEqual([term]);
    const before = s.revision();
    expect(await s.importSeed('glossary', { ...term }, seedCtx)).toBe('unchanged');
    expect(await s.importSeed('glossary', { ...term, category: 'route' }, seedCtx)).toBe('differing');
    expect(s.glossary()).toEqual([term]);
    expect(s.revision()).toBe(before);
  });
});
