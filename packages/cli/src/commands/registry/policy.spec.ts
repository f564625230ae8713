/**
 * `enlace registry networks|policy|glossary` against a real registry (seeded from seeds/registry)
 * on a real nats-server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { createRegistryApp } from '@enlace/registry';
import type { RegistryApp } from '@enlace/registry';
import type { NatsServerHandle } from '@enlace/testing';
import { startNatsServer } from '@enlace/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../main.js';

const SEEDS = resolve(import.meta.dirname, '../../../../../seeds/registry');

let server: NatsServerHandle;
let dir: string;
let app: RegistryApp;
let admin: string;

async function run(env: Record<string, string | undefined>, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text) => void (stdout += text) },
    stderr: { write: (text) => void (stderr += text) },
    env,
  });
  return { code, stdout, stderr };
}

const asAdmin = (...argv: string[]) =>
  run({ ENLACE_REGISTRY_URL: app.url, ENLACE_REGISTRY_TOKEN: admin }, ...argv);

beforeAll(async () => {
  server = await startNatsServer();
  dir = await mkdtemp(join(tmpdir(), 'enlace-cli-policy-'));
  const dataDir = join(dir, 'registry');
  app = await createRegistryApp({ natsUrl: server.url, dataDir, seedsDir: SEEDS, logger: false });
  const issued = await run(
    {},
    'registry',
    'token',
    '--data',
    dataDir,
    '--role',
    'administrator',
    '--subject',
    'a@cli',
  );
  expect(issued.code, issued.stderr).toBe(0);
  admin = issued.stdout.trim();
});

afterAll(async () => {
  await app?.close();
  await server?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('enlace registry networks', () => {
  it('lists the networks and shows one with its mandate and the decisions it rests on', async () => {
    const list = await asAdmin('registry', 'networks', 'list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+KINDS\s+NAME$/);
    expect(list.stdout).toMatch(/^trafficking-liaison\s+route,document,network\s+Liaison Officer Network/m);
    const show = await asAdmin('registry', 'networks', 'show', 'trafficking-liaison', '--lang', 'es');
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain('trafficking-liaison  Red de Funcionarios de Enlace');
    expect(show.stdout).toMatch(/basis\s+VI RCM \(San José, 2001\), agreements 7, 11 and 16/);
    const json = JSON.parse((await asAdmin('registry', 'networks', 'list', '--json')).stdout) as {
      items: Array<{ id: string }>;
    };
    expect(json.items.map((n) => n.id)).toContain('fiu-exchange');
  });

  it('names an unknown network with the registry code, exit 1', async () => {
    const missing = await asAdmin('registry', 'networks', 'show', 'no-such-network');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^enlace: registry refused \(ERR_\w+, HTTP 404\)/);
  });
});

describe('enlace registry policy', () => {
  it('lists the rules with their legal basis', async () => {
    const rules = await asAdmin('registry', 'policy', 'rules');
    expect(rules.code, rules.stderr).toBe(0);
    expect(rules.stdout.split('\n')[0]).toMatch(/^ID\s+EFFECT\s+ACTION\s+NETWORKS\s+KINDS\s+ROLES\s+BASIS$/);
    expect(rules.stdout).toMatch(/^trafficking-liaison\.publish\s+allow\s+publish\s+trafficking-liaison\s/m);
  });

  it('decides: exit 0 when allowed, 1 with the stable reason when denied', async () => {
    const allowed = await asAdmin(
      ...['registry', 'policy', 'decide', '--action', 'publish', '--network', 'trafficking-liaison'],
      ...['--kind', 'route', '--origin', 'mx'],
    );
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toMatch(/^allowed/);
    expect(allowed.stdout).toMatch(/rules\s+trafficking-liaison\.publish/);

    // An observer (JM) holds no publisher role on the liaison network.
    const denied = await asAdmin(
      ...['registry', 'policy', 'decide', '--action', 'publish', '--network', 'trafficking-liaison'],
      ...['--kind', 'route', '--origin', 'JM', '--json'],
    );
    expect(denied.code).toBe(1);
    const decision = JSON.parse(denied.stdout) as { allowed: boolean; reason: string };
    expect(decision.allowed).toBe(false);
    expect(typeof decision.reason).toBe('string');
    expect(denied.stderr).toBe(`enlace: the policy denies it (${decision.reason})\n`);

    const usage = await asAdmin(
      ...['registry', 'policy', 'decide', '--action', 'receive', '--network', 'trafficking-liaison'],
      ...['--kind', 'route', '--origin', 'MX'],
    );
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--action receive needs --receiver');
  });
});

describe('enlace registry glossary', () => {
  it('lists the terms, in a language, by category', async () => {
    const all = JSON.parse((await asAdmin('registry', 'glossary', '--json')).stdout) as {
      items: Array<{ id: string; category: string }>;
    };
    expect(all.items.length).toBeGreaterThan(3);
    const category = all.items[0]!.category;
    const some = await asAdmin('registry', 'glossary', '--category', category, '--lang', 'fr');
    expect(some.code, some.stderr).toBe(0);
    expect(some.stdout.split('\n')[0]).toMatch(/^ID\s+CATEGORY\s+TERM$/);
    const rows = some.stdout.trim().split('\n').slice(1);
    expect(rows.length).toBe(all.items.filter((t) => t.category === category).length);
    for (const row of rows) expect(row).toContain(category);
  });
});
