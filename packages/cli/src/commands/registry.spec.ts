/**
 * `enlace registry ...` end to end: the CLI in-process against a registry app (real nats-server,
 * real core, the project's seeds) started in this test.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { createRegistryApp, REGISTRY_PUBLIC_KEY_FILE } from '@enlace/registry';
import type { RegistryApp } from '@enlace/registry';
import type { NatsServerHandle } from '@enlace/testing';
import { startNatsServer } from '@enlace/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main } from '../main.js';

const SEEDS = resolve(import.meta.dirname, '../../../../seeds/registry');
const YEAR = new Date().getUTCFullYear();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let server: NatsServerHandle;
let dir: string;
let dataDir: string;
let app: RegistryApp;
let admin: string;
let auditor: string;

async function run(env: Record<string, string | undefined>, ...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text) => void (stdout += text) },
    stderr: { write: (text) => void (stderr += text) },
    env,
  });
  return { code, stdout, stderr };
}

/** Runs as the administrator, with URL and token from the environment. */
const asAdmin = (...argv: string[]): Promise<Run> =>
  run({ ENLACE_REGISTRY_URL: app.url, ENLACE_REGISTRY_TOKEN: admin }, ...argv);

function expectOk(result: Run): void {
  expect(result.code, result.stderr).toBe(0);
  expect(result.stderr).toBe('');
}

/** One line on stderr, the given exit code, and the given fragments in that line. */
function expectOneLineError(result: Run, code: number, ...fragments: string[]): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr.endsWith('\n')).toBe(true);
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr.startsWith('enlace: ')).toBe(true);
  for (const fragment of fragments) expect(result.stderr).toContain(fragment);
}

beforeAll(async () => {
  server = await startNatsServer();
  dir = await mkdtemp(join(tmpdir(), 'enlace-cli-registry-'));
  dataDir = join(dir, 'registry');
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
    'admin@cli',
  );
  expectOk(issued);
  admin = issued.stdout.trim();
  const json = await run(
    {},
    ...[
      'registry',
      'token',
      '--data',
      dataDir,
      '--role',
      'auditor',
      '--subject',
      'auditor@cli',
      '--ttl',
      '30m',
      '--json',
    ],
  );
  expectOk(json);
  const parsed = JSON.parse(json.stdout) as { token: string; roles: string[]; expiresAt: string };
  expect(parsed.roles).toEqual(['auditor']);
  expect(Date.parse(parsed.expiresAt) - Date.now()).toBeGreaterThan(29 * 60_000);
  auditor = parsed.token;
});

afterAll(async () => {
  await app?.close();
  await server?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('enlace registry token', () => {
  it('refuses a bad ttl, a missing role or a missing key file in one line, exit 2', async () => {
    const base = ['registry', 'token', '--data', dataDir, '--subject', 'x'];
    expectOneLineError(await run({}, ...base, '--role', 'administrator', '--ttl', 'soon'), 2, '--ttl');
    const missingRole = await run({}, ...base);
    expect(missingRole.code).toBe(2);
    expect(missingRole.stderr).toContain("required option '-r, --role <role>' not specified");
    expectOneLineError(
      await run(
        {},
        'registry',
        'token',
        '--data',
        join(dir, 'nowhere'),
        '--role',
        'auditor',
        '--subject',
        'x',
      ),
      2,
      'registry private key not found',
    );
  });
});

describe('enlace registry token revoke', () => {
  it('issues a token for one service with a jti, revokes it by that id (--json), and the registry refuses it', async () => {
    const issued = await run(
      {},
      ...[
        'registry',
        'token',
        '--data',
        dataDir,
        '--role',
        'administrator',
        '--subject',
        'admin@laptop',
        '--json',
      ],
    );
    expectOk(issued);
    const token = JSON.parse(issued.stdout) as {
      token: string;
      jti: string;
      audience: string;
      expiresAt: string;
    };
    expect(token.audience).toBe('enlace-registry');
    expect(Date.parse(token.expiresAt) - Date.now()).toBeGreaterThan(11.9 * 3600_000);
    expect(Date.parse(token.expiresAt) - Date.now()).toBeLessThanOrEqual(12 * 3600_000);
    expectOk(
      await run(
        { ENLACE_REGISTRY_URL: app.url, ENLACE_REGISTRY_TOKEN: token.token },
        'registry',
        'countries',
        'list',
      ),
    );

    const help = await run({}, 'registry', 'token', 'revoke', '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Revoke a bearer token by its id');
    expect(help.stdout).toContain('--reason');

    const noReason = await asAdmin('registry', 'token', 'revoke', token.jti);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--reason');

    const revoked = await asAdmin(
      'registry',
      'token',
      'revoke',
      token.jti,
      '--reason',
      'laptop stolen',
      '--json',
    );
    expectOk(revoked);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ jti: token.jti });
    expectOneLineError(
      await run(
        { ENLACE_REGISTRY_URL: app.url, ENLACE_REGISTRY_TOKEN: token.token },
        'registry',
        'countries',
        'list',
      ),
      1,
      'ERR_UNAUTHENTICATED',
      'token revoked',
    );
    const again = await asAdmin('registry', 'token', 'revoke', token.jti, '--reason', 'again');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('ERR_INVALID_TRANSITION');
  });

  it('refuses a focal-point token without a country, naming the field', async () => {
    const result = await run(
      {},
      ...['registry', 'token', '--data', dataDir, '--role', 'focal-point', '--subject', 'mx-inm-liaison-1'],
    );
    expectOneLineError(result, 2, 'country', '[fields: country]');
    const ttl = await run(
      {},
      ...['registry', 'token', '--data', dataDir, '--role', 'administrator', '--subject', 'x', '--ttl', '7d'],
    );
    expectOneLineError(ttl, 2, 'ttlSeconds');
  });
});

describe('enlace registry countries', () => {
  it('lists and shows countries', async () => {
    const list = await asAdmin('registry', 'countries', 'list');
    expectOk(list);
    expect(list.stdout.split('\n')[0]).toMatch(/^CODE\s+STATUS\s+SINCE\s+NAME$/);
    expect(list.stdout).toMatch(/^MX\s+member\s+/m);
    const json = await asAdmin('registry', 'countries', 'list', '--json');
    expect((JSON.parse(json.stdout) as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(17);
    const show = await asAdmin('registry', 'countries', 'show', 'ni');
    expectOk(show);
    expect(show.stdout).toContain('NI  Nicaragua');
  });

  it('admits, suspends, reinstates and withdraws', async () => {
    const admitted = await asAdmin(
      ...['registry', 'countries', 'admit', 'BS', '--status', 'observer'],
      ...['--name', 'en=Bahamas', '--name', 'es=Bahamas', '--name', 'fr=Bahamas', '--name', 'pt=Bahamas'],
      ...['--reason', 'attends as observer', '--decision', 'XX RCM, decision 1'],
    );
    expectOk(admitted);
    expect(admitted.stdout).toContain('Admitted BS as observer');
    expectOk(await asAdmin('registry', 'countries', 'suspend', 'NI', '--reason', 'node audit'));
    const suspended = await asAdmin('registry', 'countries', 'show', 'NI', '--json');
    const history = (JSON.parse(suspended.stdout) as { statusHistory: Array<{ status: string }> })
      .statusHistory;
    expect(history.at(-1)?.status).toBe('suspended');
    expectOk(await asAdmin('registry', 'countries', 'reinstate', 'NI', '--reason', 'audited'));
    const withdrawn = await asAdmin('registry', 'countries', 'withdraw', 'BS', '--reason', 'left', '--json');
    expectOk(withdrawn);
    expect(
      (JSON.parse(withdrawn.stdout) as { statusHistory: Array<{ status: string }> }).statusHistory.at(-1)
        ?.status,
    ).toBe('withdrawn');
  });

  it('refuses admitting a member again (ERR_ALREADY_EXISTS) and a withdrawn country (ERR_INVALID_TRANSITION), at code', async () => {
    expectOneLineError(
      await asAdmin('registry', 'countries', 'admit', 'MX', '--status', 'member', '--reason', 'again'),
      1,
      'ERR_ALREADY_EXISTS',
      'HTTP 409',
      'MX is already member',
      '[fields: code]',
    );
    const again = await asAdmin(
      'registry',
      'countries',
      'admit',
      'BS',
      '--status',
      'member',
      '--reason',
      'back',
    );
    expectOneLineError(again, 1, 'ERR_INVALID_TRANSITION', 'HTTP 409', '[fields: code]');
    expect(again.stderr).toContain('withdraw');
  });

  it('prints refusals as one line with the code and field paths, exit 1', async () => {
    expectOneLineError(
      await asAdmin('registry', 'countries', 'suspend', 'ZZ', '--reason', 'x'),
      1,
      'ERR_UNKNOWN_COUNTRY',
      'HTTP 404',
      '[fields: code]',
    );
    expectOneLineError(
      await run(
        { ENLACE_REGISTRY_URL: app.url, ENLACE_REGISTRY_TOKEN: auditor },
        'registry',
        'countries',
        'suspend',
        'MX',
        '--reason',
        'x',
      ),
      1,
      'ERR_FORBIDDEN',
    );
    expectOneLineError(
      await run({ ENLACE_REGISTRY_URL: app.url }, 'registry', 'countries', 'list'),
      2,
      'no registry token',
    );
    expectOneLineError(
      await run({}, 'registry', 'countries', 'list', '--token', admin),
      2,
      'no registry URL',
    );
    expectOneLineError(
      await run({}, 'registry', 'countries', 'list', '--url', 'http://127.0.0.1:9', '--token', admin),
      1,
      'cannot reach the registry at http://127.0.0.1:9',
    );
    const missingReason = await asAdmin('registry', 'countries', 'suspend', 'MX');
    expect(missingReason.code).toBe(2);
    expect(missingReason.stderr).toContain("required option '--reason <text>' not specified");
  });
});

describe('enlace registry memberships and focal-points', () => {
  it('adds, lists and ends a membership', async () => {
    const add = ['--country', 'JM', '--network', 'consular-protection', '--role', 'observer-reader'];
    expectOk(await asAdmin('registry', 'memberships', 'add', ...add, '--reason', 'reads consular alerts'));
    const list = await asAdmin(
      'registry',
      'memberships',
      'list',
      '--country',
      'JM',
      '--network',
      'consular-protection',
    );
    expect(list.stdout).toMatch(/^JM\s+consular-protection\s+observer-reader\s+\S+\s+-$/m);
    const ended = await asAdmin('registry', 'memberships', 'end', ...add, '--reason', 'no longer');
    expectOk(ended);
    expect(ended.stdout).toMatch(/^Ended JM as observer-reader on consular-protection at /);
    expectOneLineError(
      await asAdmin(
        'registry',
        'memberships',
        'add',
        '--country',
        'MX',
        '--network',
        'nowhere',
        '--role',
        'publisher',
      ),
      1,
      'ERR_UNKNOWN_NETWORK',
      '[fields: network]',
    );
  });

  it('adds, lists and deactivates a focal point', async () => {
    const added = await asAdmin(
      ...['registry', 'focal-points', 'add', '--id', 'hn-inm-desk-7', '--country', 'HN', '--kind', 'unit'],
      ...['--name', 'Mesa 7', '--agency', 'Instituto Nacional de Migración', '--role', 'liaison-officer'],
      ...['--network', 'trafficking-liaison', '--contact', 'email:mesa7@inm.example'],
    );
    expectOk(added);
    expect(added.stdout).toContain('Added focal point hn-inm-desk-7');
    const list = await asAdmin('registry', 'focal-points', 'list', '--country', 'HN', '--active', 'true');
    expect(list.stdout).toMatch(/^hn-inm-desk-7\s+HN\s+liaison-officer\s+yes\s+Mesa 7/m);
    expectOk(await asAdmin('registry', 'focal-points', 'deactivate', 'hn-inm-desk-7', '--reason', 'closed'));
    const inactive = await asAdmin(
      'registry',
      'focal-points',
      'list',
      '--country',
      'HN',
      '--active',
      'false',
      '--json',
    );
    expect(
      (JSON.parse(inactive.stdout) as { items: Array<{ id: string }> }).items.map((f) => f.id),
    ).toContain('hn-inm-desk-7');
    expectOneLineError(
      await asAdmin(
        'registry',
        'focal-points',
        'add',
        '--country',
        'HN',
        '--name',
        'x',
        '--agency',
        'y',
        '--role',
        'liaison-officer',
        '--network',
        'trafficking-liaison',
        '--contact',
        'fax:123',
      ),
      2,
      '--contact must be channel:address',
    );
  });
});

describe('enlace registry keys', () => {
  it('registers both keys of `enlace keys generate`, rotates, revokes, and refuses a duplicate', async () => {
    const keysDir = join(dir, 'keys', 'MX');
    expectOk(await run({}, 'keys', 'generate', '--country', 'MX', '--out', keysDir));
    const jwks = join(keysDir, 'jwks.json');
    const registered = await asAdmin('registry', 'keys', 'register', '--jwk', jwks, '--reason', 'first keys');
    expectOk(registered);
    expect(registered.stdout).toContain(`Registered MX-sig-${YEAR}-01 (MX, sig)`);
    expect(registered.stdout).toContain(`Registered MX-enc-${YEAR}-01 (MX, enc)`);

    expectOneLineError(
      await asAdmin('registry', 'keys', 'register', '--jwk', jwks, '--kid', `MX-sig-${YEAR}-01`),
      1,
      'ERR_DUPLICATE_KID',
      '[fields: publicJwk.kid]',
    );
    expectOneLineError(
      await asAdmin('registry', 'keys', 'register', '--jwk', join(keysDir, `MX-sig-${YEAR}-01.private.jwk`)),
      2,
      'holds a private key',
    );

    // A second generation: the JWKS now holds four keys; rotate to the new signing key.
    expectOk(await run({}, 'keys', 'generate', '--country', 'MX', '--out', keysDir));
    expectOneLineError(
      await asAdmin('registry', 'keys', 'rotate', '--jwk', jwks),
      2,
      'name the new ones with --kid',
    );
    const rotated = await asAdmin(
      'registry',
      'keys',
      'rotate',
      '--jwk',
      jwks,
      '--kid',
      `MX-sig-${YEAR}-02`,
      '--reason',
      'rotation',
    );
    expectOk(rotated);
    expect(rotated.stdout).toMatch(
      new RegExp(`^Rotated MX sig: MX-sig-${YEAR}-01 -> MX-sig-${YEAR}-02 from `),
    );

    const revoked = await asAdmin(
      'registry',
      'keys',
      'revoke',
      `MX-enc-${YEAR}-01`,
      '--reason',
      'compromised',
    );
    expectOk(revoked);
    const list = await asAdmin('registry', 'keys', 'list', '--country', 'MX');
    expect(list.stdout).toMatch(new RegExp(`^MX-enc-${YEAR}-01\\s+MX\\s+enc\\s+.*revoked`, 'm'));
    expect(list.stdout).toMatch(new RegExp(`^MX-sig-${YEAR}-02\\s+MX\\s+sig\\s+.*active$`, 'm'));
    const active = await asAdmin('registry', 'keys', 'list', '--country', 'MX', '--active', '--json');
    expect((JSON.parse(active.stdout) as { items: Array<{ kid: string }> }).items.map((k) => k.kid)).toEqual([
      `MX-sig-${YEAR}-02`,
    ]);
  });
});

describe('enlace registry audit and snapshot', () => {
  it('reads the audit trail as an auditor', async () => {
    const audit = await run(
      { ENLACE_REGISTRY_URL: app.url, ENLACE_REGISTRY_TOKEN: auditor },
      ...['registry', 'audit', '--entity', 'country', '--entity-id', 'NI', '--limit', '10'],
    );
    expectOk(audit);
    expect(audit.stdout.split('\n')[0]).toMatch(/^AT\s+ACTOR\s+ACTION\s+ENTITY\s+OUTCOME\s+REASON$/);
    expect(audit.stdout).toMatch(/admin@cli\s+country\.suspend\s+country:NI\s+ok\s+node audit/);
    const denied = await run(
      { ENLACE_REGISTRY_URL: app.url, ENLACE_REGISTRY_TOKEN: auditor },
      'registry',
      'audit',
      '--entity',
      'auth',
      '--json',
    );
    const items = (JSON.parse(denied.stdout) as { items: Array<{ actor: string; code: string }> }).items;
    expect(items).toContainEqual(expect.objectContaining({ actor: 'auditor@cli', code: 'ERR_FORBIDDEN' }));
  });

  it('fetches the snapshot, verifies it against the pinned key and writes it', async () => {
    const out = join(dir, 'snapshot.jws');
    const pinned = join(dataDir, REGISTRY_PUBLIC_KEY_FILE);
    const result = await run(
      { ENLACE_REGISTRY_URL: app.url },
      ...['registry', 'snapshot', '--out', out, '--verify-with', pinned, '--json'],
    );
    expectOk(result);
    const summary = JSON.parse(result.stdout) as { verified: boolean; revision: number; registryKid: string };
    expect(summary).toMatchObject({ verified: true, registryKid: app.registryKey.kid });
    expect(summary.revision).toBe(app.service.revision());
    expect((await readFile(out, 'utf8')).trim().split('.')).toHaveLength(3);

    const human = await run({ ENLACE_REGISTRY_URL: app.url }, 'registry', 'snapshot');
    expect(human.stdout).toContain('NOT VERIFIED');

    // Another key pinned: the snapshot must not verify.
    const other = join(dir, 'other-registry');
    await createRegistryKeyIn(other);
    expectOneLineError(
      await run(
        { ENLACE_REGISTRY_URL: app.url },
        'registry',
        'snapshot',
        '--verify-with',
        join(other, REGISTRY_PUBLIC_KEY_FILE),
      ),
      1,
      'the snapshot does not verify (ERR_SIGNATURE_INVALID)',
    );
  });
});

/** Makes a registry key (as a registry would on first start) in `dataDir`. */
async function createRegistryKeyIn(target: string): Promise<void> {
  const { loadOrCreateRegistryKey } = await import('@enlace/registry');
  await loadOrCreateRegistryKey(target);
  await writeFile(join(target, 'README'), 'a registry key nobody pinned\n');
}
