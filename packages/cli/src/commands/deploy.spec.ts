import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

import { findFreePort, startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { createNatsNkey, ensureEnlaceStreams } from '@enlace/transport';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, errors, nkeyAuthenticator } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main } from '../main.js';
import { deployConsumers, watchNatsConfig } from './deploy.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: { write: (text) => void (stdout += text) },
    stderr: { write: (text) => void (stderr += text) },
    env: {},
  });
  return { code, stdout, stderr };
}

const T0 = '2020-01-01T00:00:00.000Z';
type Status = 'member' | 'observer' | 'suspended' | 'withdrawn';
/** A registry snapshot (GET /v1/snapshot?format=json): every country on the liaison network. */
const snapshotOf = (statuses: Record<string, Status>, networks = ['trafficking-liaison']): unknown => ({
  snapshot: {
    policy: {
      countries: Object.entries(statuses).map(([code, status]) => ({
        code,
        statusHistory: [{ status, effectiveAt: T0 }],
      })),
      memberships: Object.keys(statuses).flatMap((country) =>
        networks.map((network) => ({ country, network, role: 'publisher', validFrom: T0 })),
      ),
    },
  },
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enlace-deploy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('enlace deploy nats-config', () => {
  it('renders from a snapshot file, generates passwords once, and says what changed', async () => {
    const snapshot = join(dir, 'snapshot.json');
    const out = join(dir, 'a', 'users.conf');
    await writeFile(snapshot, JSON.stringify(snapshotOf({ MX: 'member', GT: 'member', BR: 'withdrawn' })));

    const first = await run('deploy', 'nats-config', '--passwords', '--snapshot', snapshot, '--out', out);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      `${out}: written (mode 0600): feed service user added, BR new (withdrawn), GT new (member), MX new (member)`,
    );
    expect(first.stdout).toContain('generated passwords for registry, feed, node-mx, node-gt');
    expect((await stat(out)).mode & 0o777).toBe(0o600);
    const secrets = join(dir, 'a', 'nats-users.json');
    expect((await stat(secrets)).mode & 0o777).toBe(0o600);
    const passwords = JSON.parse(await readFile(secrets, 'utf8')) as Record<string, string>;
    const text = await readFile(out, 'utf8');
    // Only bcrypt hashes in the server's configuration, never the passwords.
    const hashOf = (user: string): string =>
      new RegExp(`user: "${user}"\\n\\s*password: "(\\$2a\\$11\\$[^"]+)"`).exec(text)?.[1] ?? '';
    expect(bcrypt.compareSync(passwords['node-mx']!, hashOf('node-mx'))).toBe(true);
    expect(bcrypt.compareSync(passwords['feed']!, hashOf('feed'))).toBe(true);
    for (const password of Object.values(passwords)) expect(text).not.toContain(password);
    expect(text).toContain('# BR withdrawn: no user');
    expect(text).toContain('# feed service\n    {\n      user: "feed"\n      password: "$2a$11$');

    const again = await run(
      'deploy',
      'nats-config',
      '--passwords',
      '--snapshot',
      snapshot,
      '--out',
      out,
      '--json',
    );
    expect(JSON.parse(again.stdout)).toMatchObject({
      written: false,
      changes: [],
      feedUser: 'feed',
      generatedPasswords: [],
    });

    await writeFile(snapshot, JSON.stringify(snapshotOf({ MX: 'member', GT: 'suspended', BR: 'withdrawn' })));
    const third = await run(
      'deploy',
      'nats-config',
      '--passwords',
      '--snapshot',
      snapshot,
      '--out',
      out,
      '--json',
    );
    expect(JSON.parse(third.stdout)).toMatchObject({
      written: true,
      changes: [{ country: 'GT', from: 'member', to: 'suspended' }],
      countries: { MX: 'member', GT: 'suspended', BR: 'withdrawn' },
    });
    // Passwords stay what they were.
    expect(JSON.parse(await readFile(secrets, 'utf8'))).toEqual(passwords);
  });

  it('renders the feed service user from the secrets file; --feed-user renames it, --no-feed leaves it out', async () => {
    const snapshot = join(dir, 'feed-snapshot.json');
    await writeFile(snapshot, JSON.stringify(snapshotOf({ MX: 'member' })));
    const out = join(dir, 'feed', 'users.conf');
    const secrets = join(dir, 'feed-secrets.json');
    // Passwords already kept for the services (e.g. by `npm start` or an earlier render) are used as they are.
    await writeFile(secrets, JSON.stringify({ registry: 'registry-secret-1', feed: 'feed-secret-123' }), {
      mode: 0o600,
    });
    const base = [
      'deploy',
      'nats-config',
      '--passwords',
      '--snapshot',
      snapshot,
      '--out',
      out,
      '--secrets',
      secrets,
    ];

    const first = await run(...base, '--json');
    expect(first.stderr).toBe('');
    expect(JSON.parse(first.stdout)).toMatchObject({
      written: true,
      feedUser: 'feed',
      feedChange: 'added',
      generatedPasswords: ['node-mx'],
    });
    const text = await readFile(out, 'utf8');
    expect(text).toMatch(/# feed service\n {4}\{\n {6}user: "feed"\n {6}password: "\$2a\$11\$/);
    expect(text).not.toContain('feed-secret-123');
    expect(text).toContain('"enlace.v1.feed.>"');
    expect(text).toContain('"_INBOX.feed.>"');

    const renamed = await run(...base, '--feed-user', 'fiu-feed');
    expect(renamed.stderr).toBe('');
    expect(renamed.stdout).toContain(`${out}: written (mode 0600): permissions changed`);
    expect(renamed.stdout).toContain(`generated passwords for fiu-feed in ${secrets}`);
    expect(await readFile(out, 'utf8')).toContain('user: "fiu-feed"');

    const without = await run(...base, '--no-feed');
    expect(without.stderr).toBe('');
    expect(without.stdout).toMatch(
      new RegExp(`^${out}: written \\(mode 0600\\): feed service user removed\n`),
    );
    const textWithout = await readFile(out, 'utf8');
    expect(textWithout).not.toContain('feed service');
    expect(textWithout).not.toContain('enlace.v1.feed.');
    const json = await run(...base, '--no-feed', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ written: false, feedUser: null });
    expect(JSON.parse(json.stdout)).not.toHaveProperty('feedChange');

    const back = await run(...base);
    expect(back.stdout).toMatch(new RegExp(`^${out}: written \\(mode 0600\\): feed service user added\n`));
    // The same file but for the feed's new hash (a salted hash of the same password).
    const unsalted = (t: string): string => t.replace(/"\$2a\$11\$[^"]+"/g, '"<hash>"');
    expect(unsalted(await readFile(out, 'utf8'))).toBe(unsalted(text));
  });

  it('--fius renders a fiu-<cc> user per country not withdrawn, reading only its own feeds', async () => {
    const snapshot = join(dir, 'fius-snapshot.json');
    await writeFile(snapshot, JSON.stringify(snapshotOf({ MX: 'member', GT: 'suspended', BR: 'withdrawn' })));
    const out = join(dir, 'fius', 'users.conf');
    const secrets = join(dir, 'fius-secrets.json');
    const result = await run(
      'deploy',
      'nats-config',
      '--passwords',
      '--snapshot',
      snapshot,
      '--out',
      out,
      '--secrets',
      secrets,
      '--fius',
      '--json',
    );
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout).generatedPasswords).toEqual(
      expect.arrayContaining(['fiu-mx', 'fiu-gt']),
    );
    const text = await readFile(out, 'utf8');
    expect(text).toContain('# MX financial intelligence unit');
    expect(text).toContain('"$JS.API.CONSUMER.CREATE.ENLACE_FEEDS.fiu-mx.enlace.v1.feed.MX.>"');
    expect(text).toContain('# GT financial intelligence unit');
    expect(text).not.toContain('fiu-br');
    const passwords = JSON.parse(await readFile(secrets, 'utf8')) as Record<string, string>;
    expect(passwords['fiu-br']).toBeUndefined();
  });

  it('refuses a feed user it cannot render before storing a password for it', async () => {
    const snapshot = join(dir, 'feed-bad.json');
    await writeFile(snapshot, JSON.stringify(snapshotOf({ MX: 'member' })));
    const out = join(dir, 'feed-bad', 'users.conf');
    const base = ['deploy', 'nats-config', '--passwords', '--snapshot', snapshot, '--out', out];
    for (const [user, reason] of [
      ['registry', /differ from the registry's, got "registry"/],
      ['node-mx', /not start with node-/],
      ['fiu feed', /letters, digits/],
    ] as const) {
      const result = await run(...base, '--feed-user', user);
      expect(result.code, user).toBe(2);
      expect(result.stderr).toMatch(reason);
    }
    await expect(stat(join(dir, 'feed-bad', 'nats-users.json'))).rejects.toThrow(/ENOENT/);
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
    const both = await run(...base, '--no-feed', '--feed-user', 'fiu-feed');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("option '--no-feed' cannot be used with option '--feed-user <name>'");
  });

  it('reads the registry over HTTP with the bearer token', async () => {
    let authorization: string | undefined;
    const asked: string[] = [];
    const server = createServer((req, res) => {
      authorization = req.headers.authorization;
      asked.push(new URL(req.url!, 'http://x').pathname);
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify(
          req.url!.startsWith('/v1/memberships')
            ? {
                items: [{ country: 'HN', network: 'trafficking-liaison', role: 'subscriber', validFrom: T0 }],
              }
            : {
                revision: 3,
                items: [{ code: 'HN', names: {}, statusHistory: [{ status: 'member', effectiveAt: T0 }] }],
              },
        ),
      );
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const out = join(dir, 'http.conf');
      const result = await run(
        'deploy',
        'nats-config',
        '--passwords',
        '--url',
        url,
        '--token',
        'tok',
        '--out',
        out,
      );
      expect(result.stderr).toBe('');
      expect(result.stdout).toContain('HN new (member)');
      expect(authorization).toBe('Bearer tok');
      expect(asked).toEqual(['/v1/countries', '/v1/memberships']);
      expect(await readFile(out, 'utf8')).toContain(
        '"$JS.API.CONSUMER.MSG.NEXT.ENLACE_ALERTS.node-HN-net-trafficking-liaison"',
      );
    } finally {
      server.close();
    }
  });

  it('renders public nkeys and the networks of each country; refuses without nkeys unless --passwords', async () => {
    const snapshot = join(dir, 'nkeys-snapshot.json');
    await writeFile(
      snapshot,
      JSON.stringify(snapshotOf({ MX: 'member', GT: 'member' }, ['trafficking-liaison', 'fiu-exchange'])),
    );
    const out = join(dir, 'nkeys', 'users.conf');
    const nkeysFile = join(dir, 'nkeys.json');
    const users = ['registry', 'feed', 'node-mx', 'node-gt'];
    const nkeys = Object.fromEntries(users.map((user) => [user, createNatsNkey()]));
    await writeFile(
      nkeysFile,
      JSON.stringify({ ...Object.fromEntries(users.map((u) => [u, nkeys[u]!.publicKey])) }),
    );
    const base = ['deploy', 'nats-config', '--snapshot', snapshot, '--out', out];

    const missing = await run(...base);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      'enlace: no public nkey for registry, feed, node-mx, node-gt (pass --nkeys FILE): run `enlace keys generate` for each country and add its nats-user.pub, or pass --passwords\n',
    );
    await expect(stat(out)).rejects.toThrow(/ENOENT/);

    const result = await run(...base, '--nkeys', nkeysFile, '--json');
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toMatchObject({
      written: true,
      nkeys: users,
      passwords: [],
      generatedPasswords: [],
      networks: { MX: ['fiu-exchange', 'trafficking-liaison'], GT: ['fiu-exchange', 'trafficking-liaison'] },
    });
    const text = await readFile(out, 'utf8');
    for (const user of users) expect(text).toContain(`nkey: "${nkeys[user]!.publicKey}"`);
    expect(text).not.toContain('password');
    expect(text).toContain('"$JS.API.CONSUMER.MSG.NEXT.ENLACE_ALERTS.node-GT-net-fiu-exchange"');
    expect(text).not.toContain('"_INBOX.>"\n          ]\n        }\n      }\n    }\n    # GT');
    expect(text).toContain('"_INBOX.node-gt.>"');
    await expect(stat(join(dir, 'nkeys', 'nats-users.json'))).rejects.toThrow(/ENOENT/);

    // --passwords only for users without an nkey.
    const partial = join(dir, 'nkeys-partial.json');
    await writeFile(
      partial,
      JSON.stringify({ 'node-mx': nkeys['node-mx']!.publicKey, 'node-gt': nkeys['node-gt']!.publicKey }),
    );
    const mixed = await run(...base, '--nkeys', partial, '--passwords', '--json');
    expect(JSON.parse(mixed.stdout)).toMatchObject({
      passwords: ['registry', 'feed'],
      generatedPasswords: ['registry', 'feed'],
    });
    // Re-rendered unchanged: the hashes are kept, no byte changes.
    const same = await run(...base, '--nkeys', partial, '--passwords', '--json');
    expect(JSON.parse(same.stdout)).toMatchObject({ written: false });

    const seeds = join(dir, 'nkeys-seeds.json');
    await writeFile(seeds, JSON.stringify({ 'node-mx': nkeys['node-mx']!.seed }));
    const seed = await run(...base, '--nkeys', seeds);
    expect(seed.code).toBe(2);
    expect(seed.stderr).toMatch(
      /node-mx must be a user public nkey \(U\.\.\., 56 characters\): that is a seed, keep it on the node only/,
    );

    const shared = await run(...base, '--nkeys', nkeysFile, '--inboxes', 'shared');
    expect(shared.code).toBe(2);
    expect(shared.stderr).toMatch(/unknown option '--inboxes'/);
  });

  it('fails in one line with a code when it cannot work', async () => {
    const out = join(dir, 'err.conf');
    const noSource = await run('deploy', 'nats-config', '--passwords', '--out', out);
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toBe(
      'enlace: no registry state: pass --url http://host:port (or set ENLACE_REGISTRY_URL), or --snapshot FILE\n',
    );
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ countries: [{ code: 'mx' }] }));
    const invalid = await run('deploy', 'nats-config', '--passwords', '--snapshot', bad, '--out', out);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(
      /^enlace: .*bad\.json: countries\[0\]\.code must be an ISO 3166-1 alpha-2 code\n$/,
    );
    const good = join(dir, 'good.json');
    await writeFile(good, JSON.stringify(snapshotOf({ MX: 'member' })));
    const noPid = await run(
      'deploy',
      'nats-config',
      '--passwords',
      '--snapshot',
      good,
      '--out',
      out,
      '--reload',
      join(dir, 'none.pid'),
    );
    expect(noPid.code).toBe(2);
    expect(noPid.stderr).toMatch(/^enlace: cannot read the nats-server pid file .*none\.pid: ENOENT/);
  });
});

describe('enlace deploy nats-config --reload on a running nats-server', () => {
  let server: ChildProcess | undefined;
  let nc: NatsConnection | undefined;
  afterAll(async () => {
    await nc?.close();
    if (server !== undefined && server.exitCode === null) {
      server.kill('SIGTERM');
      await once(server, 'exit');
    }
  });

  it('a suspension re-rendered and reloaded takes the country’s publish rights', async () => {
    const home = join(dir, 'server');
    const snapshot = join(home, 'snapshot.json');
    const users = join(home, 'users.conf');
    const pidFile = join(home, 'nats.pid');
    await mkdir(home, { recursive: true });
    await writeFile(snapshot, JSON.stringify(snapshotOf({ MX: 'member' })));
    expect(
      (await run('deploy', 'nats-config', '--passwords', '--snapshot', snapshot, '--out', users)).code,
    ).toBe(0);
    const port = await findFreePort();
    await writeFile(
      join(home, 'nats.conf'),
      `listen: "127.0.0.1:${port}"\npid_file: ${JSON.stringify(pidFile)}\ninclude ./users.conf\n`,
    );
    server = spawn('nats-server', ['-c', join(home, 'nats.conf')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, PATH: `${process.env['PATH'] ?? ''}${delimiter}/usr/sbin` },
    });
    let log = '';
    server.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    while (!log.includes('Server is ready')) {
      if (server.exitCode !== null) throw new Error(`nats-server exited: ${log}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }

    const passwords = JSON.parse(await readFile(join(home, 'nats-users.json'), 'utf8')) as Record<
      string,
      string
    >;
    nc = await connect({ servers: `127.0.0.1:${port}`, user: 'node-mx', pass: passwords['node-mx']! });
    const own = 'enlace.v1.alert.trafficking-liaison.route.MX';
    const sub = await connect({
      servers: `127.0.0.1:${port}`,
      user: 'registry',
      pass: passwords['registry']!,
    });
    try {
      // Before: the server takes MX's publish on its own subject without an error.
      const firstErrors: unknown[] = [];
      void (async () => {
        for await (const s of nc.status()) if (s.type === 'error') firstErrors.push(s.error);
      })();
      nc.publish(own, 'x');
      await nc.flush();
      expect(firstErrors).toEqual([]);

      await writeFile(snapshot, JSON.stringify(snapshotOf({ MX: 'suspended' })));
      const reloaded = await run(
        'deploy',
        'nats-config',
        '--passwords',
        '--snapshot',
        snapshot,
        '--out',
        users,
        '--reload',
        pidFile,
      );
      expect(reloaded.stderr).toBe('');
      expect(reloaded.stdout).toContain('MX member → suspended');
      expect(reloaded.stdout).toMatch(/nats-server \d+ reloaded \(SIGHUP\)/);
      const deadline = Date.now() + 5_000;
      while (
        !firstErrors.some((e) => e instanceof errors.PermissionViolationError) &&
        Date.now() < deadline
      ) {
        nc.publish(own, 'x');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const violation = firstErrors.find((e) => e instanceof errors.PermissionViolationError) as
        Error | undefined;
      expect(violation?.message).toMatch(
        /Permissions Violation for Publish to "enlace\.v1\.alert\.trafficking-liaison\.route\.MX"/,
      );

      // The feed service's user (rendered by default) delivers on enlace.v1.feed.> and may not
      // publish an alert.
      const feed = await connect({
        servers: `127.0.0.1:${port}`,
        user: 'feed',
        pass: passwords['feed']!,
        inboxPrefix: '_INBOX.feed',
      });
      try {
        const feedErrors: unknown[] = [];
        void (async () => {
          for await (const s of feed.status()) if (s.type === 'error') feedErrors.push(s.error);
        })();
        feed.publish('enlace.v1.feed.GT.cases', 'x');
        await feed.flush();
        expect(feedErrors).toEqual([]);
        feed.publish('enlace.v1.alert.trafficking-liaison.route.GT', 'x');
        const until = Date.now() + 5_000;
        while (feedErrors.length === 0 && Date.now() < until)
          await new Promise((resolve) => setTimeout(resolve, 20));
        expect(String(feedErrors[0])).toMatch(
          /Permissions Violation for Publish to "enlace\.v1\.alert\.trafficking-liaison\.route\.GT"/,
        );
      } finally {
        await feed.close();
      }
    } finally {
      await sub.close();
    }
  });
});

describe('enlace deploy consumers', () => {
  let server: NatsServerHandle | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('creates each country’s durables from the registry as the registry’s nkey user, and follows changes', async () => {
    const home = join(dir, 'consumers');
    await mkdir(home, { recursive: true });
    const snapshot = join(home, 'snapshot.json');
    const users = join(home, 'users.conf');
    const nkeysFile = join(home, 'nkeys.json');
    const registry = createNatsNkey();
    const seedFile = join(home, 'registry.nk');
    await writeFile(seedFile, `${registry.seed}\n`, { mode: 0o600 });
    const mx = createNatsNkey();
    await writeFile(nkeysFile, JSON.stringify({ registry: registry.publicKey, 'node-mx': mx.publicKey }));
    await writeFile(snapshot, JSON.stringify(snapshotOf({ MX: 'member', BR: 'withdrawn' })));
    const rendered = await run(
      'deploy',
      'nats-config',
      '--snapshot',
      snapshot,
      '--out',
      users,
      '--nkeys',
      nkeysFile,
      '--no-feed',
    );
    expect(rendered.stderr).toBe('');
    server = await startNatsServer({
      backend: 'binary',
      name: 'cli-deploy-consumers',
      config: await readFile(users, 'utf8'),
    });
    const nc = await server.connect({
      authenticator: nkeyAuthenticator(new TextEncoder().encode(registry.seed)),
    });
    try {
      await ensureEnlaceStreams(await jetstreamManager(nc));
    } finally {
      await nc.close();
    }
    const base = [
      'deploy',
      'consumers',
      '--snapshot',
      snapshot,
      '--nats-url',
      server.url,
      '--nkey-seed',
      seedFile,
    ];
    const first = await run(...base);
    expect(first.stderr).toBe('');
    expect(first.stdout).toBe(
      'ENLACE_ALERTS: 3 node durables for 1 countries\n' +
        'created node-MX-direct, node-MX-net-trafficking-liaison, node-MX-receipts\n',
    );
    expect((await run(...base)).stdout).toContain('nothing to change');
    await writeFile(snapshot, JSON.stringify(snapshotOf({ MX: 'member' }, ['fiu-exchange'])));
    const moved = JSON.parse((await run(...base, '--json')).stdout) as Record<string, unknown>;
    expect(moved).toMatchObject({
      created: ['node-MX-net-fiu-exchange'],
      deleted: ['node-MX-net-trafficking-liaison'],
    });

    // A country's user may not: the server refuses it, and the command says so with a code.
    const mxSeed = join(home, 'mx.nk');
    await writeFile(mxSeed, mx.seed, { mode: 0o600 });
    const refused = await run(
      'deploy',
      'consumers',
      '--snapshot',
      snapshot,
      '--nats-url',
      server.url,
      '--nkey-seed',
      mxSeed,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^enlace: .*Permissions Violation/);
    // --watch: a registry event makes both commands look again within a second.
    await writeFile(
      snapshot,
      JSON.stringify(snapshotOf({ MX: 'member' }, ['fiu-exchange', 'consular-protection'])),
    );
    const stop = new AbortController();
    let watched = '';
    const watchIo = {
      stdout: { write: (text: string) => void (watched += text) },
      stderr: { write: (text: string) => void (watched += text) },
      env: {},
    };
    const consumersWatch = deployConsumers(
      { snapshot, natsUrl: server.url, nkeySeed: seedFile, watch: true },
      watchIo,
      stop.signal,
    );
    const configWatch = watchNatsConfig(
      {
        snapshot,
        out: users,
        nkeys: nkeysFile,
        feed: false,
        registryUser: 'registry',
        mode: 'authorization',
        natsUrl: server.url,
        nkeySeed: seedFile,
      },
      watchIo,
      stop.signal,
    );
    const waitForText = async (text: string): Promise<void> => {
      const deadline = Date.now() + 5_000;
      while (!watched.includes(text)) {
        if (Date.now() > deadline) throw new Error(`no "${text}" in: ${watched}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    // Both watchers subscribed (each says so) before the event is published.
    const deadline = Date.now() + 5_000;
    while (watched.split('watching registry events').length - 1 < 2) {
      if (Date.now() > deadline) throw new Error(`both watchers not subscribed: ${watched}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    await writeFile(
      snapshot,
      JSON.stringify(snapshotOf({ MX: 'member' }, ['fiu-exchange', 'trafficking-liaison'])),
    );
    const events = await server.connect({
      authenticator: nkeyAuthenticator(new TextEncoder().encode(registry.seed)),
    });
    events.publish('enlace.v1.registry.event.membership.MX', 'look again');
    await events.flush();
    await events.close();
    await waitForText('created node-MX-net-trafficking-liaison');
    await waitForText('deleted node-MX-net-consular-protection');
    await waitForText(`${users}: written (mode 0600): permissions changed`);
    expect(await readFile(users, 'utf8')).toContain('node-MX-net-trafficking-liaison');
    stop.abort();
    await Promise.all([consumersWatch, configWatch]);

    const noNats = await run('deploy', 'consumers', '--snapshot', snapshot);
    expect(noNats.code).toBe(2);
    expect(noNats.stderr).toBe('enlace: pass --nats-url nats://host:port (or set NATS_URL)\n');
  });
});
