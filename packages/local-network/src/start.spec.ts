/**
 * `npm start` as a person runs it: the real launcher process (bin/start.js, built by `npm install`
 * or the test script's `tsc -b`) with a real nats-server, its registry on free ports, Ctrl-C.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstream } from '@nats-io/jetstream';
import { errors } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { createFeedClient, createNodeClient, createRegistryClient, EnlaceHttpError } from '@enlace/client';
import { inboxPrefixOf } from '@enlace/transport';
import { parse } from 'yaml';
import { findNatsServer } from './nats-server.js';
import type { NetworkFile } from './start.js';

const bin = fileURLToPath(new URL('../bin/start.js', import.meta.url));
const demoDir = fileURLToPath(new URL('../../../seeds/demo', import.meta.url));
const env = { ...process.env, PATH: `${process.env['PATH'] ?? ''}${delimiter}/usr/sbin`, NATS_URL: '' };
const haveNats = await findNatsServer(env).then(
  () => true,
  () => false,
);
if (!haveNats) console.warn('SKIPPED npm start suite: nats-server not found (apt-get install nats-server)');

interface Started {
  readonly child: ChildProcess;
  readonly info: NetworkFile;
  readonly stderr: () => string;
}

async function start(stateDir: string, ...args: string[]): Promise<Started> {
  const child = spawn(
    process.execPath,
    [
      bin,
      '--state-dir',
      stateDir,
      '--nats-port',
      '0',
      '--registry-port',
      '0',
      '--feed-port',
      '0',
      '--json',
      ...args,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const info = await new Promise<NetworkFile>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      try {
        resolve(JSON.parse(stdout) as NetworkFile);
      } catch {
        // not complete yet
      }
    });
    child.once('exit', (code) => reject(new Error(`launcher exited with ${code}: ${stderr}`)));
  });
  return { child, info, stderr: () => stderr };
}

async function stop(started: Started): Promise<number | null> {
  const exited = once(started.child, 'exit') as Promise<[number | null]>;
  started.child.kill('SIGINT');
  const [code] = await exited;
  return code;
}

function natsPid(stateDir: string): number {
  return Number(readFileSync(join(stateDir, 'nats', 'nats-server.pid'), 'utf8').trim());
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

type PermissionViolation = InstanceType<typeof errors.PermissionViolationError>;

/** Resolves with the permissions violation the server reports for `subject` on `nc`. */
function violation(nc: NatsConnection, subject: string, timeoutMs = 3_000): Promise<PermissionViolation> {
  return new Promise((resolve, reject) => {
    // The iterator has a stop() (nats.js QueuedIterator), missing from the declared type.
    const statuses = nc.status() as AsyncIterable<{ type: string; error?: unknown }> & { stop(): void };
    const timer = setTimeout(() => {
      statuses.stop();
      reject(new Error(`no permissions violation for ${subject}`));
    }, timeoutMs);
    void (async () => {
      for await (const status of statuses) {
        if (
          status.type === 'error' &&
          status.error instanceof errors.PermissionViolationError &&
          status.error.subject === subject
        ) {
          clearTimeout(timer);
          statuses.stop();
          resolve(status.error);
          return;
        }
      }
    })();
  });
}

describe.skipIf(!haveNats)('npm start', () => {
  let stateDir: string;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'enlace-start-'));
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('brings up NATS and the seeded registry with keys for each country, and Ctrl-C stops it all', async () => {
    const started = await start(stateDir, '--countries', 'MX,GT,HN');
    const { info } = started;
    expect(Object.keys(info.nodes)).toEqual(['MX', 'GT', 'HN']);
    expect(info.nodes['MX']!.keys).toEqual(
      ['MX-enc-2026-01', 'MX-sig-2026-01'].map((kid) =>
        kid.replace('2026', String(new Date().getUTCFullYear())),
      ),
    );
    expect(info.nats).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);

    // network.json holds the same, private to its owner.
    const file = join(stateDir, 'network.json');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual(info);
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    // Its tokens are short-lived (12 h) and each for one service, with an id to revoke it by.
    const claims = (token: string): Record<string, unknown> =>
      JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const tokens: Array<[string, string]> = [
      [info.registry.token, 'enlace-registry'],
      [info.registry.auditorToken, 'enlace-registry'],
      [info.nodes['MX']!.token, 'enlace-node'],
      [info.feed.tokens['GT']!, 'enlace-feed'],
    ];
    for (const [token, audience] of tokens) {
      const c = claims(token);
      expect(c['aud']).toBe(audience);
      expect(typeof c['jti']).toBe('string');
      expect((c['exp'] as number) - (c['iat'] as number)).toBe(12 * 3600);
    }
    expect(claims(info.nodes['MX']!.token)['country']).toBe('MX');

    // The registry is seeded and holds the countries' keys.
    const registry = createRegistryClient({ baseUrl: info.registry.url, token: info.registry.token });
    const countries = await registry.countries.list();
    expect(countries.items.map((c) => c.code)).toEqual(
      expect.arrayContaining(['MX', 'GT', 'HN', 'US', 'CO']),
    );
    const jwks = await registry.jwks();
    expect(jwks.keys.map((k) => k.kid)).toEqual(
      expect.arrayContaining([...info.nodes['GT']!.keys, ...info.nodes['HN']!.keys]),
    );

    // An alert POSTed to MX's node is in GT's and HN's verified inbox within a second.
    const draft = parse(await readFile(join(demoDir, 'route-mx-gt-us.yaml'), 'utf8')) as {
      header: Record<string, unknown>;
    };
    draft.header['expiresAt'] = new Date(Date.now() + 30 * 24 * 3600 * 1000).toISOString();
    const mx = createNodeClient({ baseUrl: info.nodes['MX']!.url, token: info.nodes['MX']!.token });
    const { id } = await mx.alerts.publish(draft);
    const postedAt = Date.now();
    for (const country of ['GT', 'HN']) {
      const node = createNodeClient({ baseUrl: info.nodes[country]!.url, token: info.nodes[country]!.token });
      let found = false;
      while (!found && Date.now() - postedAt < 1000) {
        found = await node.alerts.get(id).then(
          () => true,
          (error: unknown) => {
            if (error instanceof EnlaceHttpError && error.code === 'ERR_NOT_FOUND') return false;
            throw error;
          },
        );
        if (!found) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(found, `${country} holds ${id} within 1 s`).toBe(true);
    }

    const pid = natsPid(stateDir);
    expect(alive(pid)).toBe(true);
    expect(await stop(started)).toBe(0);
    expect(alive(pid)).toBe(false);
  }, 60_000);

  it('keeps its state on the next start: same keys, nothing registered twice', async () => {
    const started = await start(stateDir, '--countries', 'MX,GT,HN');
    try {
      // The alert of the first start is still in GT's inbox.
      const gt = started.info.nodes['GT']!;
      const inbox = await createNodeClient({ baseUrl: gt.url, token: gt.token }).alerts.list();
      expect(inbox.items).toHaveLength(1);
      const registry = createRegistryClient({
        baseUrl: started.info.registry.url,
        token: started.info.registry.token,
      });
      const keys = await registry.keys.list({ country: 'MX' });
      expect(keys.items.map((k) => k.kid).sort()).toEqual([...started.info.nodes['MX']!.keys].sort());
    } finally {
      expect(await stop(started)).toBe(0);
    }
  }, 60_000);

  it('stops a nats-server an earlier, killed start left behind', async () => {
    const first = await start(stateDir, '--countries', 'MX');
    const orphan = natsPid(stateDir);
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    expect(alive(orphan)).toBe(true);
    const second = await start(stateDir, '--countries', 'MX');
    try {
      expect(alive(orphan)).toBe(false);
      expect(second.stderr()).toContain(`stopped nats-server ${orphan}`);
    } finally {
      expect(await stop(second)).toBe(0);
    }
  }, 60_000);

  it('--demo publishes the demo alerts between the countries', async () => {
    const started = await start(stateDir, '--countries', 'MX,GT', '--demo');
    try {
      const deadline = Date.now() + 10_000;
      while (
        Date.now() < deadline &&
        (started.stderr().match(/demo: (MX|GT) published /g) ?? []).length < 2
      ) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(started.stderr()).toMatch(
        /demo: MX published \S+ as \S+ on enlace\.v1\.alert\.[a-z-]+\.[a-z]+\.MX/,
      );
      expect(started.stderr()).toMatch(
        /demo: GT published \S+ as \S+ on enlace\.v1\.alert\.[a-z-]+\.[a-z]+\.GT/,
      );
      expect(started.stderr()).not.toContain('could not publish');

      // The feed service runs as its own NATS user: GT's FIU gets a feed replaying what it may see,
      // into files under the local network's file root (as README's `--to-dir fiu-gt`).
      const feeds = 'fiu-gt';
      expect(started.info.feed.fileRoot).toBe(join(stateDir, 'feed-files'));
      const fiu = createFeedClient({
        baseUrl: started.info.feed.url,
        token: started.info.feed.tokens['GT']!,
      });
      const created = await fiu.feeds.create({
        name: 'demo',
        start: 'beginning',
        sink: { type: 'file', directory: feeds },
      });
      expect(created.feed.id).toBe('gt-demo');
      const until = Date.now() + 15_000;
      let delivered = 0;
      while (Date.now() < until && delivered === 0) {
        const status = await fiu.feeds.get('gt-demo');
        delivered = status.counters?.delivered ?? 0;
        if (delivered === 0) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(delivered).toBeGreaterThan(0);
      expect(
        (await readFile(join(stateDir, 'feed-files', 'GT', 'fiu-gt', 'gt-demo.jsonl'), 'utf8')).length,
      ).toBeGreaterThan(0);
      expect(started.info.feed.matchingKeys['fiu-exchange']).toMatch(/fiu-exchange\.json$/);
    } finally {
      expect(await stop(started)).toBe(0);
    }
  }, 60_000);

  it('a Ctrl-C while it starts stops what is already up', async () => {
    const child = spawn(
      process.execPath,
      [bin, '--state-dir', stateDir, '--nats-port', '0', '--registry-port', '0', '--countries', 'MX'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    // Interrupt as soon as nats-server is up, while the registry is still starting.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (output.includes('✓ nats-server with JetStream')) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    const pid = natsPid(stateDir);
    child.kill('SIGINT');
    expect(await exited).toEqual([0, null]);
    expect(alive(pid)).toBe(false);
  }, 60_000);

  it('connects each node as its own NATS user; a suspension takes the country’s rights within seconds', async () => {
    const ownDir = await mkdtemp(join(tmpdir(), 'enlace-start-users-'));
    const started = await start(ownDir, '--countries', 'MX,GT,HN', '--node-port-base', '0');
    const connections: NatsConnection[] = [];
    try {
      const { info } = started;
      const usersFile = join(ownDir, 'nats-users.json');
      expect((await stat(usersFile)).mode & 0o777).toBe(0o600);
      const passwords = JSON.parse(await readFile(usersFile, 'utf8')) as Record<string, string>;
      expect(Object.keys(passwords)).not.toContain('node-mx');
      const nkeyOf = async (cc: string) => {
        const file = join(ownDir, 'keys', cc, 'nats-user.nk');
        expect((await stat(file)).mode & 0o777).toBe(0o600);
        return nkeyAuthenticator(new TextEncoder().encode((await readFile(file, 'utf8')).trim()));
      };
      // The server's configuration holds no secret: public nkeys and bcrypt hashes.
      const config = await readFile(join(ownDir, 'nats', 'nats.conf'), 'utf8');
      for (const password of Object.values(passwords)) expect(config).not.toContain(password);
      expect(config).toContain('"_INBOX.node-gt.>"');
      const as = async (user: string): Promise<NatsConnection> => {
        // Country users get replies on their own inbox prefix only (`_INBOX.node-mx.>`).
        const inboxPrefix = user.startsWith('node-')
          ? inboxPrefixOf(user.slice('node-'.length).toUpperCase())
          : '_INBOX';
        // Nodes authenticate with their nkey (seed beside their keys), services with a password.
        const nc = await connect({
          servers: info.nats,
          ...(user.startsWith('node-')
            ? { authenticator: await nkeyOf(user.slice('node-'.length).toUpperCase()) }
            : { user, pass: passwords[user]! }),
          reconnect: false,
          inboxPrefix,
        });
        connections.push(nc);
        return nc;
      };
      // No anonymous access at all.
      await expect(connect({ servers: info.nats, reconnect: false })).rejects.toThrow(
        /Authorization Violation/i,
      );

      // The server itself refuses MX publishing as GT.
      const mx = await as('node-mx');
      const forged = 'enlace.v1.alert.trafficking-liaison.route.GT';
      const refused = violation(mx, forged);
      mx.publish(forged, 'forged');
      expect((await refused).operation).toBe('publish');

      // GT may publish as itself (an empty message: GT's node rejects it as malformed)...
      const gt = await as('node-gt');
      const own = 'enlace.v1.alert.trafficking-liaison.route.GT';
      const ack = await jetstream(gt).publish(own, '', { msgID: 'gt-own-subject' });
      expect(ack.stream).toBe('ENLACE_ALERTS');
      // ...until the registry suspends it: within a few seconds the server refuses it.
      const registry = createRegistryClient({ baseUrl: info.registry.url, token: info.registry.token });
      await registry.countries.changeStatus('GT', 'suspend', { reason: 'test: broker-level suspension' });
      const deadline = Date.now() + 5_000;
      let lost = false;
      while (!lost && Date.now() < deadline) {
        const denied = violation(gt, own, 500).then(
          () => true,
          () => false,
        );
        gt.publish(own, '');
        lost = await denied;
      }
      expect(lost, 'node-gt may no longer publish on its own subject').toBe(true);
      await expect(
        gt.request('$JS.API.CONSUMER.MSG.NEXT.ENLACE_ALERTS.node-GT-net-trafficking-liaison', '{"batch":1}', {
          timeout: 2_000,
        }),
      ).rejects.toThrow(/Permissions Violation/);

      // A withdrawn country has no user at all: its connections are closed and refused.
      const hn = await as('node-hn');
      await registry.countries.changeStatus('HN', 'withdraw', { reason: 'test: broker-level withdrawal' });
      const closedAt = Date.now();
      await hn.closed();
      expect(Date.now() - closedAt).toBeLessThan(5_000);
      await expect(
        connect({ servers: info.nats, authenticator: await nkeyOf('HN'), reconnect: false }),
      ).rejects.toThrow(/Authorization Violation/i);
    } finally {
      await Promise.all(connections.map((nc) => nc.close()));
      expect(await stop(started)).toBe(0);
      await rm(ownDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('names the problem in one line when nats-server cannot be run', async () => {
    const child = spawn(
      process.execPath,
      [bin, '--state-dir', stateDir, '--nats-port', '0', '--registry-port', '0'],
      {
        env: { ...env, NATS_SERVER_BIN: join(stateDir, 'no-such-nats-server') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(
      /^enlace: could not start the local network: NATS_SERVER_BIN is .*no-such-nats-server, which is not an executable file; install nats-server .*NATS_URL/,
    );
    expect(stderr).toContain('(ERR_NATS_SERVER_MISSING)');
  }, 30_000);
});
