/**
 * Shared setup of the registry core's specs: a real nats-server, a core on it seeded with the
 * default networks and rules, the contexts commands run with, and (from ./refusals.ts) the
 * helpers that catch a refusal.
 * For specs only: left out of the build (see ../../tsconfig.json).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createDefaultNetworks, createDefaultRules } from '@enlace/policy';
import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll } from 'vitest';

import type { CommandContext, Names } from '../domain/model.js';
import { openRegistryCore } from '../registry.js';
import type { RegistryCore } from '../registry.js';

export { refusedAt, rejection, trustRejection } from './refusals.js';

if (!(process.env['PATH'] ?? '').split(':').includes('/usr/sbin'))
  process.env['PATH'] = `${process.env['PATH'] ?? ''}:/usr/sbin`;

export const admin: CommandContext = {
  actor: { id: 'admin@secretariat', roles: ['administrator'] },
  reason: 'test',
  decision: 'XVII RCM (Panama, 2012), decision 2',
};
export const seedCtx: CommandContext = { actor: { id: 'seed', roles: ['administrator'] } };
export const names = (n: string): Names => ({ en: n, es: n, fr: n, pt: n });

/** What a spec file shares; filled in by its beforeAll. `core` may be replaced (a restart). */
export interface RegistryFixture {
  server: NatsServerHandle;
  nc: NatsConnection;
  dataDir: string;
  core: RegistryCore;
}

/**
 * Registers the beforeAll that starts a nats-server and opens a core seeded with the default
 * networks and rules, and the afterAll that stops them. Call it at the top of a spec file.
 */
export function useRegistryFixture(): RegistryFixture {
  const fixture = {} as RegistryFixture;
  beforeAll(async () => {
    fixture.server = await startNatsServer({ backend: 'binary' });
    fixture.nc = await fixture.server.connect();
    fixture.dataDir = await mkdtemp(join(tmpdir(), 'enlace-registry-'));
    fixture.core = await openRegistryCore({ nc: fixture.nc, dataDir: fixture.dataDir });
    for (const network of createDefaultNetworks())
      await fixture.core.service.importSeed('network', network, seedCtx);
    for (const rule of createDefaultRules()) await fixture.core.service.importSeed('rule', rule, seedCtx);
  });
  afterAll(async () => {
    await fixture.core?.close();
    await fixture.server?.stop();
    if (fixture.dataDir) await rm(fixture.dataDir, { recursive: true, force: true });
  });
  return fixture;
}
