import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegistryService } from '@enlace/registry';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalNetworkError } from './errors.js';
import {
  NATS_USERS_FILE,
  createNatsAuthorization,
  loadNatsPasswords,
  statusAt,
} from './nats-authorization.js';

type Change = { status: 'member' | 'observer' | 'suspended' | 'withdrawn'; effectiveAt: string };

function fakeRegistry(
  countries: Record<string, Change[]>,
  networks: Record<string, string[]> = {},
): RegistryService {
  return {
    listCountries: () => Object.entries(countries).map(([code, statusHistory]) => ({ code, statusHistory })),
    listMemberships: ({ country }: { country: string }) =>
      (networks[country] ?? []).map((network) => ({
        country,
        network,
        role: 'publisher',
        validFrom: '2020-01-01T00:00:00.000Z',
      })),
  } as unknown as RegistryService;
}

describe('NATS users of the local network', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'enlace-nats-users-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('generates missing passwords once, mode 0600, and keeps them', async () => {
    const file = join(dir, NATS_USERS_FILE);
    const first = await loadNatsPasswords(file, ['registry', 'node-mx']);
    expect(Object.keys(first)).toEqual(['registry', 'node-mx']);
    expect(first['node-mx']).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const second = await loadNatsPasswords(file, ['registry', 'node-mx', 'node-gt']);
    expect(second['node-mx']).toBe(first['node-mx']);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(second);
  });

  it('names a broken passwords file', async () => {
    const file = join(dir, NATS_USERS_FILE);
    await writeFile(file, '[1,2]');
    const error = await loadNatsPasswords(file, ['registry']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LocalNetworkError);
    expect((error as LocalNetworkError).code).toBe('ERR_USAGE');
    expect((error as LocalNetworkError).message).toMatch(
      /cannot read the NATS passwords in .*: not a JSON object; fix or delete it/,
    );
  });

  it('takes the status in force now, not a change recorded for later', () => {
    const history: Change[] = [
      { status: 'member', effectiveAt: '2020-01-01T00:00:00.000Z' },
      { status: 'suspended', effectiveAt: '2030-01-01T00:00:00.000Z' },
    ];
    expect(statusAt(history, new Date('2026-06-01T00:00:00Z'))).toBe('member');
    expect(statusAt(history, new Date('2030-01-01T00:00:00Z'))).toBe('suspended');
    expect(statusAt(history, new Date('2019-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('reloads only when the rendering changed, and stops a withdrawn country first', async () => {
    const countries: Record<string, Change[]> = {
      MX: [{ status: 'member', effectiveAt: '2020-01-01T00:00:00.000Z' }],
      GT: [{ status: 'member', effectiveAt: '2020-01-01T00:00:00.000Z' }],
    };
    const events: string[] = [];
    const networks: Record<string, string[]> = { MX: ['trafficking-liaison'], GT: ['trafficking-liaison'] };
    const configs: string[] = [];
    const reconciled: string[] = [];
    const authorization = await createNatsAuthorization({
      stateDir: dir,
      registry: fakeRegistry(countries, networks),
      reload: async (config) => {
        configs.push(config);
        events.push(`reload ${config.includes('# GT member') ? 'with' : 'without'} node-gt`);
      },
      reconcile: async (list) => {
        reconciled.push(list.map((c) => `${c.code}:${c.status}:${(c.networks ?? []).join('+')}`).join(' '));
      },
      beforeRemoving: async (codes) => {
        events.push(`remove ${codes.join(',')}`);
      },
    });
    expect(await authorization.apply()).toBe(true);
    expect(await authorization.apply()).toBe(false);
    // Countries by nkey (seed mode 0600 in their keys directory), services by bcrypt hash.
    const mx = await authorization.nkeyOf('MX');
    expect((await stat(join(dir, 'keys', 'MX', 'nats-user.nk'))).mode & 0o777).toBe(0o600);
    expect(configs[0]).toContain(`nkey: "${mx.publicKey}"`);
    expect(configs[0]).not.toContain(mx.seed);
    for (const password of Object.values(authorization.passwords)) expect(configs[0]).not.toContain(password);
    expect(configs[0]).toMatch(/user: "registry"\n\s*password: "\$2a\$08\$/);
    expect(configs[0]).toContain('"$JS.API.CONSUMER.MSG.NEXT.ENLACE_ALERTS.node-MX-net-trafficking-liaison"');
    expect(reconciled.at(-1)).toBe('MX:member:trafficking-liaison GT:member:trafficking-liaison');
    // A membership added: rendered again, and the durables follow.
    networks['MX'] = ['fiu-exchange', 'trafficking-liaison'];
    expect(await authorization.apply()).toBe(true);
    expect(configs.at(-1)).toContain('"$JS.API.CONSUMER.MSG.NEXT.ENLACE_ALERTS.node-MX-net-fiu-exchange"');
    expect(reconciled.at(-1)).toBe(
      'MX:member:fiu-exchange+trafficking-liaison GT:member:trafficking-liaison',
    );
    events.length = 0;
    events.push('reload with node-gt');
    countries['GT'] = [...countries['GT']!, { status: 'withdrawn', effectiveAt: '2021-01-01T00:00:00.000Z' }];
    expect(await authorization.apply()).toBe(true);
    expect(events).toEqual(['reload with node-gt', 'remove GT', 'reload without node-gt']);
    expect(authorization.statuses()).toEqual({ MX: 'member', GT: 'withdrawn' });
  });
});
