/**
 * Nodes connected as their own NATS users (nkeys), the way `enlace deploy nats-config` and
 * `npm start` render them: each node reads replies (registry RPC, JetStream pulls) only on
 * `_INBOX.node-<cc>.>`, reads only the durables of the networks its country belongs to (created
 * by the reconciler, following registry memberships), and close() returns promptly when the
 * server has dropped the node's user or is gone altogether.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import { createNodeClient } from '@enlace/client';
import type { AlertSummaryJson, NodeClient } from '@enlace/client';
import { generateEncryptionKey, generateSigningKey } from '@enlace/crypto';
import { createRegistryApp } from '@enlace/registry';
import { issueToken, REGISTRY_PRIVATE_KEY_FILE, SERVICE_AUDIENCES } from '@enlace/trust';
import type { RegistryApp } from '@enlace/registry';
import type { NatsServerHandle } from '@enlace/testing';
import { startNatsServer } from '@enlace/testing';
import {
  createNatsNkey,
  ensureEnlaceStreams,
  hashNatsPassword,
  inboxPrefixOf,
  networkDurableOf,
  reconcileNodeConsumers,
  registryRpcSubject,
  renderNatsAuthorization,
} from '@enlace/transport';
import type { NatsCountryStatus, NatsCountryUser } from '@enlace/transport';
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream';
import { errors, nkeyAuthenticator } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createNodeApp } from './create-node-app.js';
import type { NodeApp } from './create-node-app.js';

const SEEDS = resolve(import.meta.dirname, '../../../../seeds/registry');
const COUNTRIES = ['MX', 'GT'] as const;
type Country = (typeof COUNTRIES)[number];
const REGISTRY_USER = 'enlace-registry';
const REGISTRY_PASSWORD = 'pw-enlace-registry-0123456789';
const REGISTRY_HASH = hashNatsPassword(REGISTRY_PASSWORD);
const NKEYS = { MX: createNatsNkey(), GT: createNatsNkey() } as const;
const authenticatorOf = (country: Country) =>
  nkeyAuthenticator(new TextEncoder().encode(NKEYS[country].seed));
const ALL_NETWORKS = ['consular-protection', 'fiu-exchange', 'trafficking-liaison'];
const admin = { actor: { id: 'admin@secretariat', roles: ['administrator' as const] }, reason: 'test' };

let server: NatsServerHandle;
let root: string;
let registry: RegistryApp;
let launcher: NatsConnection;
/** The configuration text the test server runs with now. */
let current: string;
const nodes = {} as Record<Country, NodeApp>;
const tokens = {} as Record<Country, string>;

/** The countries as `npm start` renders them: statuses given, networks from the registry's memberships. */
function countriesOf(statuses: Record<Country, NatsCountryStatus>): NatsCountryUser[] {
  return COUNTRIES.map((code) => ({
    code,
    status: statuses[code],
    credential: { nkey: NKEYS[code].publicKey },
    networks:
      registry === undefined
        ? ALL_NETWORKS
        : [
            ...new Set(
              registry.service
                .listMemberships({ country: code, activeAt: new Date().toISOString() })
                .map((m) => m.network),
            ),
          ],
  }));
}

function authorization(statuses: Record<Country, NatsCountryStatus>): string {
  return renderNatsAuthorization({
    services: { registry: { user: REGISTRY_USER, credential: { passwordHash: REGISTRY_HASH } } },
    countries: countriesOf(statuses),
  });
}

/**
 * Rewrites the test server's users and has it reload them (SIGHUP), then reconciles the nodes'
 * durables with the registry's user, as `npm start` does.
 */
async function reloadUsers(statuses: Record<Country, NatsCountryStatus>): Promise<void> {
  const next = authorization(statuses);
  const file = join(dirname(server.storeDir!), 'nats-server.conf');
  const text = await readFile(file, 'utf8');
  expect(text).toContain(current);
  await writeFile(file, text.replace(current, next));
  current = next;
  process.kill(server.pid!, 'SIGHUP');
  // JetStream answers again once the server has applied the reload (accounts are reloaded too).
  await waitFor('the durables to be reconciled', async () => {
    try {
      await reconcileNodeConsumers(await jetstreamManager(launcher), countriesOf(statuses));
      return true;
    } catch {
      return undefined;
    }
  });
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
  current = authorization(MEMBERS);
  server = await startNatsServer({ config: current });
  root = await mkdtemp(join(tmpdir(), 'enlace-node-users-'));
  // What the launcher does: the registry's user creates the streams before any node starts.
  launcher = await server.connect({ user: REGISTRY_USER, pass: REGISTRY_PASSWORD });
  await ensureEnlaceStreams(await jetstreamManager(launcher));
  registry = await createRegistryApp({
    natsUrl: server.url,
    natsUser: REGISTRY_USER,
    natsPass: REGISTRY_PASSWORD,
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
      audience: SERVICE_AUDIENCES.node,
      ttlSeconds: 3600,
    });
  }
  // Users and durables from the registry's memberships, before any node starts.
  await reloadUsers(MEMBERS);
  for (const country of COUNTRIES) {
    nodes[country] = await createNodeApp({
      country,
      natsUrl: server.url,
      natsAuthenticator: authenticatorOf(country),
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
        authenticator: authenticatorOf('GT'),
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

/** Whether `country`'s node has pull requests waiting on `durable` (it reads it). */
async function pulls(durable: string): Promise<true | undefined> {
  const info = await (
    await jetstreamManager(launcher)
  ).consumers
    .info('ENLACE_ALERTS', durable)
    .catch(() => undefined);
  return info !== undefined && info.num_waiting > 0 ? true : undefined;
}

describe('reading only the networks a country belongs to', () => {
  const command = { ...admin, reason: 'test: GT leaves the FIU exchange', decision: 'PPT note (test)' };

  it('nats-server refuses GT’s user a network GT left, MX’s durable and MX’s inbox; rejoining is read within seconds', async () => {
    await waitFor('GT to read its fiu-exchange durable', () => pulls(networkDurableOf('GT', 'fiu-exchange')));
    for (const role of ['publisher', 'subscriber'] as const)
      await registry.service.removeMembership({ country: 'GT', network: 'fiu-exchange', role }, command);
    await reloadUsers(MEMBERS);
    const gt = await server.connect({
      authenticator: authenticatorOf('GT'),
      inboxPrefix: inboxPrefixOf('GT'),
    });
    try {
      const jsm = await jetstreamManager(gt, { checkAPI: false });
      // Creating a consumer on the network it left.
      const created = await jsm.consumers
        .add('ENLACE_ALERTS', {
          durable_name: networkDurableOf('GT', 'fiu-exchange'),
          filter_subject: 'enlace.v1.alert.fiu-exchange.>',
          ack_policy: AckPolicy.Explicit,
        })
        .catch((e: unknown) => e);
      expect((created as Error).cause).toBeInstanceOf(errors.PermissionViolationError);
      expect((created as Error).message).toMatch(
        /Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.CREATE\.ENLACE_ALERTS\.node-GT-net-fiu-exchange/,
      );
      // Pulling from MX's durable on it.
      const pulled = await jsm.consumers
        .info('ENLACE_ALERTS', networkDurableOf('MX', 'fiu-exchange'))
        .catch((e: unknown) => e);
      expect((pulled as Error).message).toMatch(
        /Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.INFO\.ENLACE_ALERTS\.node-MX-net-fiu-exchange"/,
      );
      const next = `$JS.API.CONSUMER.MSG.NEXT.ENLACE_ALERTS.${networkDurableOf('MX', 'fiu-exchange')}`;
      const refused = new Promise<Error>((resolve) => {
        void (async () => {
          for await (const status of gt.status())
            if (
              status.type === 'error' &&
              status.error instanceof errors.PermissionViolationError &&
              status.error.subject === next
            ) {
              resolve(status.error);
              return;
            }
        })();
      });
      gt.publish(next, JSON.stringify({ batch: 1 }), { reply: `${inboxPrefixOf('GT')}.steal` });
      expect((await refused).message).toMatch(/Permissions Violation for Publish to/);
      // MX's inbox: its pulled messages and registry replies.
      const snoop = gt.subscribe('_INBOX.node-mx.>');
      const closed = await snoop.closed;
      expect(closed).toBeInstanceOf(errors.PermissionViolationError);
      expect((closed as Error).message).toMatch(
        /Permissions Violation for Subscription to "_INBOX\.node-mx\.>"/,
      );
    } finally {
      await gt.close();
    }
    // The reconciler removed GT's durable on it; MX's stays.
    await expect(
      (await jetstreamManager(launcher)).consumers.info(
        'ENLACE_ALERTS',
        networkDurableOf('GT', 'fiu-exchange'),
      ),
    ).rejects.toThrow(/consumer not found/);
    await waitFor('MX to keep reading fiu-exchange', () => pulls(networkDurableOf('MX', 'fiu-exchange')));

    // GT joins again: the registry event makes the node look again; it reads the new durable.
    await registry.service.addMembership(
      { country: 'GT', network: 'fiu-exchange', role: 'subscriber' },
      admin,
    );
    await reloadUsers(MEMBERS);
    await waitFor(
      'GT to read fiu-exchange again',
      () => pulls(networkDurableOf('GT', 'fiu-exchange')),
      10_000,
    );
  }, 30_000);
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
    await reloadUsers({ ...MEMBERS, GT: 'suspended' });
    await waitFor('GT to pause', async () => ((await pulling('GT')) === 'paused' ? true : undefined), 5_000);
    expect(nodes.GT.context.natsConnected()).toBe(true);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(await pulling('GT')).toBe('paused');
    expect(await pulling('MX')).toBe('running');

    await registry.service.reinstateCountry({ code: 'GT' }, command);
    await reloadUsers(MEMBERS);
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
    await reloadUsers({ ...MEMBERS, GT: 'withdrawn' });
    // The server closes GT's connection; the client keeps trying to reconnect and is refused.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await timed(nodes.GT.close())).toBeLessThan(8_000);
  }, 30_000);

  it('returns promptly when the server is gone', async () => {
    await server.stop();
    expect(await timed(nodes.MX.close())).toBeLessThan(8_000);
  }, 30_000);
});
