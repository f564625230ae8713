/**
 * Nodes connected as their own NATS users, the way `enlace deploy nats-config` and `npm start`
 * render them with per-user inboxes: each node reads replies (registry RPC, JetStream pulls)
 * only on `_INBOX.node-<cc>.>`, and close() returns promptly when the server has dropped the
 * node's user or is gone altogether.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import { createNodeClient } from '@enlace/client';
import type { AlertSummaryJson, NodeClient } from '@enlace/client';
import { generateEncryptionKey, generateSigningKey } from '@enlace/crypto';
import { createRegistryApp, issueToken, REGISTRY_PRIVATE_KEY_FILE } from '@enlace/registry';
import type { RegistryApp } from '@enlace/registry';
import type { NatsServerHandle } from '@enlace/testing';
import { startNatsServer } from '@enlace/testing';
import {
  countryNatsUser,
  ensureEnlaceStreams,
  inboxPrefixOf,
  registryRpcSubject,
  renderNatsAuthorization,
} from '@enlace/transport';
import type { NatsCountryStatus } from '@enlace/transport';
import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createNodeApp } from './create-node-app.js';
import type { NodeApp } from './create-node-app.js';

const SEEDS = resolve(import.meta.dirname, '../../../../seeds/registry');
const COUNTRIES = ['MX', 'GT'] as const;
type Country = (typeof COUNTRIES)[number];
const REGISTRY_USER = 'enlace-registry';
const password = (user: string): string => `pw-${user}-0123456789`;
const admin = { actor: { id: 'admin@secretariat', roles: ['administrator' as const] }, reason: 'test' };

let server: NatsServerHandle;
let root: string;
let registry: RegistryApp;
let launcher: NatsConnection;
const nodes = {} as Record<Country, NodeApp>;
const tokens = {} as Record<Country, string>;

function authorization(statuses: Record<Country, NatsCountryStatus>): string {
  return renderNatsAuthorization({
    services: { registry: { user: REGISTRY_USER, credential: { password: password(REGISTRY_USER) } } },
    countries: COUNTRIES.map((code) => ({
      code,
      status: statuses[code],
      credential: { password: password(countryNatsUser(code)) },
    })),
    inboxes: 'per-user',
  });
}

/** Rewrites the test server's users and has it reload them (SIGHUP), as `npm start` does. */
async function reloadUsers(previous: string, next: string): Promise<void> {
  const file = join(dirname(server.storeDir!), 'nats-server.conf');
  const text = await readFile(file, 'utf8');
  expect(text).toContain(previous);
  await writeFile(file, text.replace(previous, next));
  process.kill(server.pid!, 'SIGHUP');
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  ms = 10_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function timed(promise: Promise<unknown>): Promise<number> {
  const start = Date.now();
  await promise;
  return Date.now() - start;
}

function draft(origin: string, title: string): Record<string, unknown> {
  return {
    header: {
      origin,
      network: 'trafficking-liaison',
      kind: 'ALERT_KIND_ROUTE',
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      handling: 'HANDLING_CODE_H1',
      tlp: 'TLP_MARKING_AMBER',
      grading: {
        sourceReliability: 'SOURCE_RELIABILITY_B',
        informationCredibility: 'INFORMATION_CREDIBILITY_2',
      },
      title,
      summary: 'Cruce por el río Suchiate en balsas.',
      language: 'es',
    },
    route: {
      waypoints: [
        {
          country: 'GT',
          place: 'Tecún Umán',
          crossing: 'CROSSING_TYPE_NONE',
          transportMode: 'TRANSPORT_MODE_BUS',
        },
        {
          country: 'MX',
          place: 'Ciudad Hidalgo',
          crossing: 'CROSSING_TYPE_INFORMAL',
          transportMode: 'TRANSPORT_MODE_RIVER_RAFT',
        },
      ],
    },
  };
}

function officer(country: Country): NodeClient {
  return createNodeClient({ baseUrl: nodes[country].url, token: tokens[country] });
}

async function inbox(country: Country): Promise<readonly AlertSummaryJson[]> {
  return (await officer(country).alerts.list({ box: 'inbox' })).items;
}

const MEMBERS = { MX: 'member', GT: 'member' } as const;

beforeAll(async () => {
  server = await startNatsServer({ config: authorization(MEMBERS) });
  root = await mkdtemp(join(tmpdir(), 'enlace-node-users-'));
  // What the launcher does: the registry's user creates the streams before any node starts.
  launcher = await server.connect({ user: REGISTRY_USER, pass: password(REGISTRY_USER) });
  await ensureEnlaceStreams(await jetstreamManager(launcher));
  registry = await createRegistryApp({
    natsUrl: server.url,
    natsUser: REGISTRY_USER,
    natsPass: password(REGISTRY_USER),
    dataDir: join(root, 'registry'),
    seedsDir: SEEDS,
    logger: false,
  });
  const registryPrivate = JSON.parse(
    await readFile(join(root, 'registry', REGISTRY_PRIVATE_KEY_FILE), 'utf8'),
  );
  const tokenKey = { privateJwk: registryPrivate, kid: registry.registryKey.kid };
  for (const country of COUNTRIES) {
    const dir = join(root, 'keys', country);
    await mkdir(dir, { recursive: true });
    for (const pair of [await generateSigningKey({ country }), await generateEncryptionKey({ country })]) {
      await writeFile(join(dir, `${pair.kid}.private.jwk`), JSON.stringify(pair.privateJwk), { mode: 0o600 });
      await registry.service.registerKey({ country, publicJwk: pair.publicJwk }, admin);
    }
    tokens[country] = await issueToken(tokenKey, {
      subject: `${country.toLowerCase()}-liaison-1`,
      roles: ['focal-point'],
      country,
      ttlSeconds: 3600,
    });
    nodes[country] = await createNodeApp({
      country,
      natsUrl: server.url,
      natsUser: countryNatsUser(country),
      natsPass: password(countryNatsUser(country)),
      dataDir: join(root, 'data', country),
      keysDir: join(root, 'keys', country),
      registryPublicJwk: { ...registry.registryKey.publicJwk, kid: registry.registryKey.kid },
      logger: false,
    });
  }
}, 60_000);

afterAll(async () => {
  for (const country of COUNTRIES) await nodes[country]?.close();
  await registry?.close();
  await launcher?.close().catch(() => undefined);
  await server?.stop();
  if (root !== undefined) await rm(root, { recursive: true, force: true });
});

describe('per-user inboxes', () => {
  it('a node gets its registry snapshot and its alerts through its own inbox prefix', async () => {
    for (const country of COUNTRIES) expect(nodes[country].context.trust.current()).toBeDefined();
    const { id } = await officer('MX').alerts.publish(draft('MX', 'por el buzón propio'));
    // GT's durable pulls reply on _INBOX.node-gt.*, the only inbox its user may read.
    await waitFor('GT to store the alert', async () =>
      (await inbox('GT')).some((item) => item.id === id) ? true : undefined,
    );
  });

  it('the server refuses a country user the shared inbox, and another country’s', async () => {
    const rpc = registryRpcSubject('get_snapshot');
    const attempt = async (inboxPrefix: string | undefined): Promise<'answered' | 'refused'> => {
      const nc = await server.connect({
        user: countryNatsUser('GT'),
        pass: password(countryNatsUser('GT')),
        ...(inboxPrefix !== undefined && { inboxPrefix }),
      });
      try {
        await nc.request(rpc, new Uint8Array(), { timeout: 1_500 });
        return 'answered';
      } catch {
        return 'refused';
      } finally {
        await nc.close();
      }
    };
    expect(await attempt(inboxPrefixOf('GT'))).toBe('answered');
    expect(await attempt(undefined)).toBe('refused');
    expect(await attempt(inboxPrefixOf('MX'))).toBe('refused');
  });
});

async function pulling(country: Country): Promise<string> {
  return (await createNodeClient({ baseUrl: nodes[country].url }).health()).pulling;
}

describe('the node’s own country suspended', () => {
  it('stops pulling while suspended and resumes on reinstatement', async () => {
    const command = { ...admin, reason: 'keys under review', decision: 'PPT note (test)' };
    expect(await pulling('GT')).toBe('running');
    await registry.service.suspendCountry({ code: 'GT' }, command);
    // What `npm start` does next: the server takes GT's rights to read its durables.
    await reloadUsers(authorization(MEMBERS), authorization({ ...MEMBERS, GT: 'suspended' }));
    await waitFor('GT to pause', async () => ((await pulling('GT')) === 'paused' ? true : undefined), 5_000);
    expect(nodes.GT.context.natsConnected()).toBe(true);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await pulling('GT')).toBe('paused');
    expect(await pulling('MX')).toBe('running');

    await registry.service.reinstateCountry({ code: 'GT' }, command);
    await reloadUsers(authorization({ ...MEMBERS, GT: 'suspended' }), authorization(MEMBERS));
    await waitFor(
      'GT to resume',
      async () => ((await pulling('GT')) === 'running' ? true : undefined),
      5_000,
    );
    const { id } = await officer('MX').alerts.publish(draft('MX', 'tras la reincorporación'));
    await waitFor('GT to store the alert', async () =>
      (await inbox('GT')).some((item) => item.id === id) ? true : undefined,
    );
  }, 30_000);
});

describe('close()', () => {
  it('returns promptly when the server removed the node’s user (withdrawal)', async () => {
    const before = authorization(MEMBERS);
    await reloadUsers(before, authorization({ ...MEMBERS, GT: 'withdrawn' }));
    // The server closes GT's connection; the client keeps trying to reconnect and is refused.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await timed(nodes.GT.close())).toBeLessThan(8_000);
  }, 30_000);

  it('returns promptly when the server is gone', async () => {
    await server.stop();
    expect(await timed(nodes.MX.close())).toBeLessThan(8_000);
  }, 30_000);
});
