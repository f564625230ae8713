import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createDefaultNetworks, createDefaultRules } from '@enlace/policy';
import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { REGISTRY_EVENTS_WILDCARD } from '@enlace/transport';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { RegistryError } from '../domain/errors.js';
import type { RegistryCore } from '../registry.js';
import { openRegistryCore } from '../registry.js';
import { applySeeds, parseSeedFiles } from './seed-loader.js';

if (!(process.env['PATH'] ?? '').split(':').includes('/usr/sbin'))
  process.env['PATH'] = `${process.env['PATH'] ?? ''}:/usr/sbin`;

const REAL_SEEDS = fileURLToPath(new URL('../../../../seeds/registry', import.meta.url));

const countriesYaml = `# unquoted timestamps must stay strings (YAML 1.2 core schema)
countries:
  - code: MX
    names: { en: Mexico, es: México, fr: Mexique, pt: México }
    statusHistory:
      - status: member
        effectiveAt: 1996-03-14T00:00:00.000Z
        decision: I RCM (Puebla, 1996)
  - code: GT
    names: { en: Guatemala, es: Guatemala, fr: Guatemala, pt: Guatemala }
    statusHistory:
      - { status: member, effectiveAt: '1996-03-14T00:00:00.000Z' }
  - code: CO
    names: { en: Colombia, es: Colombia, fr: Colombie, pt: Colômbia }
    statusHistory:
      - { status: observer, effectiveAt: '2001-03-23T00:00:00.000Z', reason: observer at the VI RCM }
`;

const fixtures: Record<string, string> = {
  'countries.yaml': countriesYaml,
  'networks.yaml': stringify({ networks: createDefaultNetworks() }),
  'policy.yaml': stringify({ rules: createDefaultRules() }),
  'memberships.yaml': `memberships:
  - { country: MX, network: trafficking-liaison, role: publisher, validFrom: '2001-03-23T00:00:00.000Z' }
  - { country: GT, network: trafficking-liaison, role: subscriber, validFrom: '2001-03-23T00:00:00.000Z' }
  - { country: CO, network: trafficking-liaison, role: observer-reader, validFrom: '2001-03-23T00:00:00.000Z', validUntil: '2030-01-01T00:00:00.000Z' }
`,
  'focal-points.yaml': `focalPoints:
  - id: mx-inm-liaison-1
    kind: unit
    name: Liaison desk
    agency: Instituto Nacional de Migración
    role: liaison-officer
    country: MX
    networks: [trafficking-liaison]
    contact: { channel: email, address: enlace@inm.example }
    active: true
    createdAt: '2026-01-12T15:00:00.000Z'
`,
  'glossary.yaml': `terms:
  - id: migrant-smuggling
    category: crime
    labels: { en: Migrant smuggling, es: Tráfico ilícito de migrantes, fr: Trafic illicite de migrants, pt: Contrabando de migrantes }
    definitions: { en: a, es: b, fr: c, pt: d }
    source: UN Smuggling Protocol, art. 3
`,
};

async function seedDir(overrides: Record<string, string | undefined> = {}): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'enlace-seeds-'));
  dirs.push(dir);
  for (const [file, text] of Object.entries({ ...fixtures, ...overrides }))
    if (text !== undefined) await writeFile(join(dir, file), text);
  return dir;
}

async function seedError(fn: () => Promise<unknown> | unknown): Promise<RegistryError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).code).toBe('ERR_SEED_INVALID');
    return err as RegistryError;
  }
  throw new Error('expected ERR_SEED_INVALID');
}

const dirs: string[] = [];
let server: NatsServerHandle;
let nc: NatsConnection;
let core: RegistryCore;

beforeAll(async () => {
  server = await startNatsServer({ backend: 'binary' });
  nc = await server.connect();
  const dataDir = await mkdtemp(join(tmpdir(), 'enlace-registry-'));
  dirs.push(dataDir);
  core = await openRegistryCore({ nc, dataDir });
});

afterAll(async () => {
  await core?.close();
  await server?.stop();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('parseSeedFiles', () => {
  it('keeps instants as strings and derives membership ids and the seed actor', () => {
    const data = parseSeedFiles(fixtures);
    expect(data.countries[0]?.statusHistory[0]).toEqual({
      status: 'member',
      effectiveAt: '1996-03-14T00:00:00.000Z',
      decision: 'I RCM (Puebla, 1996)',
      actor: 'seed',
    });
    expect(data.memberships[0]?.id).toBe('MX.trafficking-liaison.publisher.2001-03-23T00:00:00.000Z');
    expect(data.networks).toHaveLength(createDefaultNetworks().length);
  });

  it('names file, list index and field of every problem', async () => {
    const broken = countriesYaml
      .replace('fr: Mexique, ', '')
      .replace('status: observer', 'status: observing');
    const err = await seedError(() => parseSeedFiles({ ...fixtures, 'countries.yaml': broken }));
    expect(err.violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'countries.yaml: countries[0].names.fr',
          code: 'required',
          message: 'required',
        }),
        expect.objectContaining({
          path: 'countries.yaml: countries[2].statusHistory[0].status',
          code: 'invalid_value',
        }),
      ]),
    );
    expect(err.message).toContain('countries.yaml: countries[0].names.fr: required');
    const yamlErr = await seedError(() => parseSeedFiles({ 'countries.yaml': 'countries: [\n' }));
    expect(yamlErr.violations[0]).toMatchObject({ path: 'countries.yaml', code: 'invalid_yaml' });
    const top = await seedError(() => parseSeedFiles({ 'countries.yaml': 'countrys: []\n' }));
    expect(top.violations.map((v) => v.path)).toEqual(
      expect.arrayContaining(['countries.yaml: countrys', 'countries.yaml: countries']),
    );
  });

  it('checks references across files', async () => {
    const err = await seedError(() =>
      parseSeedFiles({
        ...fixtures,
        'memberships.yaml': `memberships:
  - { country: MX, network: no-such-network, role: publisher, validFrom: '2001-03-23T00:00:00.000Z' }
  - { country: ZZ, network: trafficking-liaison, role: publisher, validFrom: '2001-03-23T00:00:00.000Z' }
`,
        'policy.yaml': stringify({ rules: [{ ...createDefaultRules()[0], networks: ['nowhere'] }] }),
        'focal-points.yaml': fixtures['focal-points.yaml']!.replace(
          'networks: [trafficking-liaison]',
          'networks: [elsewhere]',
        ),
      }),
    );
    expect(err.violations).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: 'memberships.yaml: memberships[0].network',
          code: 'unknown_network',
        }),
        expect.objectContaining({
          path: 'memberships.yaml: memberships[1].country',
          code: 'unknown_country',
        }),
        expect.objectContaining({ path: 'policy.yaml: rules[0].networks[0]', code: 'unknown_network' }),
        expect.objectContaining({
          path: 'focal-points.yaml: focalPoints[0].networks[0]',
          code: 'unknown_network',
        }),
      ]),
    );
  });

  it('applies the policy model checks to the seeds as a whole', async () => {
    const err = await seedError(() =>
      parseSeedFiles({
        ...fixtures,
        'memberships.yaml': `memberships:
  - { country: MX, network: trafficking-liaison, role: publisher, validFrom: '2001-03-23T00:00:00.000Z' }
  - { country: MX, network: trafficking-liaison, role: publisher, validFrom: '2005-01-01T00:00:00.000Z' }
`,
      }),
    );
    expect(err.violations).toEqual([
      expect.objectContaining({ path: 'memberships.yaml: memberships[1]', code: 'overlapping_validity' }),
    ]);
  });
});

describe('applySeeds', () => {
  it('creates what is absent, then changes nothing on a second load', async () => {
    const dir = await seedDir();
    const s = core.service;
    const first = await applySeeds(s, dir);
    expect(first.created).toEqual({
      networks: createDefaultNetworks().length,
      countries: 3,
      rules: createDefaultRules().length,
      memberships: 3,
      focalPoints: 1,
      glossary: 1,
    });
    expect(first.differing).toEqual([]);
    expect(s.getCountry('MX').statusHistory[0]?.actor).toBe('seed');
    expect(
      s.decide({
        action: 'publish',
        network: 'trafficking-liaison',
        kind: 'route',
        origin: 'MX',
        at: '2026-01-01T00:00:00.000Z',
      }),
    ).toMatchObject({
      allowed: true,
    });
    const seeded = await s.queryAudit({ actor: 'seed', action: 'seed.apply', limit: 1000 });
    expect(seeded).toHaveLength(Object.values(first.created).reduce((a, b) => a + b, 0));

    const revision = s.revision();
    const events: string[] = [];
    const sub = nc.subscribe(REGISTRY_EVENTS_WILDCARD, {
      callback: (_err, msg) => {
        events.push(msg.subject);
      },
    });
    const second = await applySeeds(s, dir);
    await nc.flush();
    await new Promise((r) => setTimeout(r, 100));
    sub.unsubscribe();
    expect(Object.values(second.created).every((n) => n === 0)).toBe(true);
    expect(second.unchanged).toEqual(first.created);
    expect(s.revision()).toBe(revision);
    expect(events).toEqual([]);
    expect(await s.queryAudit({ actor: 'seed', limit: 1000 })).toHaveLength(seeded.length);
  });

  it('reports administrative changes as differing and never overwrites them', async () => {
    const dir = await seedDir();
    const s = core.service;
    await applySeeds(s, dir);
    const admin = { actor: { id: 'admin@secretariat', roles: ['administrator' as const] }, reason: 'test' };
    const suspended = await s.suspendCountry({ code: 'GT' }, admin);
    await s.deactivateFocalPoint('mx-inm-liaison-1', admin);
    const report = await applySeeds(s, dir);
    expect(report.differing).toEqual([
      { entity: 'country', id: 'GT', fields: ['statusHistory'] },
      {
        entity: 'focal-point',
        id: 'mx-inm-liaison-1',
        fields: ['active', 'deactivatedAt', 'deactivationReason'],
      },
    ]);
    expect(s.getCountry('GT')).toEqual(suspended);
    expect(s.getFocalPoint('mx-inm-liaison-1').active).toBe(false);
  });

  it('applies nothing from invalid seeds', async () => {
    const dir = await seedDir({ 'glossary.yaml': 'terms:\n  - id: Not A Slug\n' });
    const revision = core.service.revision();
    const err = await seedError(() => applySeeds(core.service, dir));
    expect(err.violations.map((v) => v.path)).toEqual(
      expect.arrayContaining(['glossary.yaml: terms[0].id', 'glossary.yaml: terms[0].labels']),
    );
    expect(core.service.revision()).toBe(revision);
    await seedError(() => applySeeds(core.service, join(dir, 'missing')));
  });

  it.skipIf(!existsSync(REAL_SEEDS))('loads the real seeds/registry directory', async () => {
    const fresh = await startNatsServer({ backend: 'binary' });
    const nc2 = await fresh.connect();
    const dataDir = await mkdtemp(join(tmpdir(), 'enlace-registry-'));
    dirs.push(dataDir);
    const other = await openRegistryCore({ nc: nc2, dataDir });
    try {
      const first = await applySeeds(other.service, REAL_SEEDS);
      expect(first.differing).toEqual([]);
      expect(first.created.countries).toBeGreaterThanOrEqual(11);
      const signed = await other.service.signedSnapshot();
      expect(signed.snapshot.policy.countries.length).toBe(first.created.countries);
      const second = await applySeeds(other.service, REAL_SEEDS);
      expect(Object.values(second.created).every((n) => n === 0)).toBe(true);
    } finally {
      await other.close();
      await fresh.stop();
    }
  });
});
