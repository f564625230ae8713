/**
 * deploy/ stays valid: every nats-server configuration passes the server's own check
 * (`nats-server -t`), with placeholder paths made real; the Kubernetes ConfigMap's embedded
 * configuration too, and the configs with the users `enlace deploy nats-config` renders (feed
 * user included) switched on; compose and Kubernetes YAML parse, reference only what exists and
 * hold what the README promises (the feed service's init script runs as the feed user against a
 * real server); the Dockerfiles build on node:24-slim and run as a non-root user.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

import { main } from '@enlace/cli';
import { startNatsServer } from '@enlace/testing';
import { createNatsNkey } from '@enlace/transport';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '..');
const DEPLOY = join(ROOT, 'deploy');

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Users rendered by `enlace deploy nats-config` (registry, feed, countries) into `dir`: the
 * countries by public nkey (`enlace keys generate` writes the pair), the services with passwords
 * (`--passwords`, bcrypt-hashed in the file): the file's text, the passwords it generated and
 * the countries' nkeys.
 */
async function renderUsers(
  dir: string,
  ...extra: string[]
): Promise<{
  file: string;
  text: string;
  passwords: Record<string, string>;
  nkeys: Record<string, { seed: string; publicKey: string }>;
}> {
  await mkdir(dir, { recursive: true });
  const snapshot = join(dir, 'snapshot.json');
  const T0 = '2020-01-01T00:00:00.000Z';
  const history = (status: string) => [{ status, effectiveAt: T0 }];
  await writeFile(
    snapshot,
    JSON.stringify({
      countries: [
        { code: 'MX', statusHistory: history('member') },
        { code: 'CO', statusHistory: history('observer') },
        { code: 'BR', statusHistory: history('withdrawn') },
      ],
      memberships: [
        { country: 'MX', network: 'trafficking-liaison', role: 'publisher', validFrom: T0 },
        { country: 'CO', network: 'trafficking-liaison', role: 'observer-reader', validFrom: T0 },
      ],
    }),
  );
  const nkeys = { 'node-mx': createNatsNkey(), 'node-co': createNatsNkey() };
  const nkeysFile = join(dir, 'nats-nkeys.json');
  await writeFile(
    nkeysFile,
    JSON.stringify(Object.fromEntries(Object.entries(nkeys).map(([user, pair]) => [user, pair.publicKey]))),
  );
  const file = join(dir, 'enlace-accounts.conf');
  let stderr = '';
  const argv = [
    'deploy',
    'nats-config',
    '--snapshot',
    snapshot,
    '--out',
    file,
    '--nkeys',
    nkeysFile,
    '--passwords',
  ];
  const code = await main([...argv, ...extra], {
    stdout: { write: () => undefined },
    stderr: { write: (text) => void (stderr += text) },
    env: {},
  });
  expect(stderr).toBe('');
  expect(code).toBe(0);
  const passwords = JSON.parse(await readFile(join(dir, 'nats-users.json'), 'utf8')) as Record<
    string,
    string
  >;
  return { file, text: await readFile(file, 'utf8'), passwords, nkeys };
}

/** What compose does with `$` in a value: `$$` is a dollar, `$NAME` / `${NAME...}` a variable. */
function badInterpolations(value: unknown, path = ''): string[] {
  if (typeof value === 'string') {
    const rest = value.replaceAll('$$', '');
    const bad = [...rest.matchAll(/\$(?!\{[A-Za-z_][A-Za-z0-9_]*(?::?[-?+][^}]*)?\}|[A-Za-z_])/g)];
    return bad.length > 0 ? [`${path}: ${rest.slice(bad[0]!.index, bad[0]!.index + 12)}`] : [];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => badInterpolations(v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).flatMap(([k, v]) => badInterpolations(v, `${path}.${k}`));
  return [];
}

interface K8sContainer {
  name: string;
  image: string;
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
  env?: { name: string; value?: string }[];
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: { httpGet?: { path: string; port: string } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface K8sDoc {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: {
    replicas?: number;
    strategy?: { type: string };
    selector?: Record<string, unknown>;
    ports?: { name: string; port: number; targetPort: string | number }[];
    template?: {
      metadata: { labels: Record<string, string> };
      spec: {
        initContainers?: K8sContainer[];
        containers: K8sContainer[];
        volumes?: {
          name: string;
          persistentVolumeClaim?: { claimName: string };
          secret?: { secretName: string };
          configMap?: { name: string };
        }[];
      };
    };
  } & Record<string, unknown>;
}

let scratch: string;
let serverVersion: [number, number];

async function filesUnder(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(suffix))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** `nats-server -t -c` on `text`, with the environment the deployments give it. */
async function checkConfig(
  name: string,
  text: string,
  /** Files the configuration includes, by name beside it. */
  includes: Record<string, string> = {},
): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(join(scratch, 'conf-'));
  for (const [file, content] of Object.entries(includes)) await writeFile(join(dir, file), content);
  const rendered = text.split('"/data/jetstream"').join(JSON.stringify(join(dir, 'jetstream')));
  const file = join(dir, name.replace(/[/\\]/g, '_'));
  await writeFile(file, rendered);
  try {
    const { stdout, stderr } = await run('nats-server', ['-t', '-c', file], {
      env: { ...process.env, SERVER_NAME: 'nats-1' },
      timeout: 10_000,
    });
    return { ok: true, output: `${stdout}${stderr}` };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
  }
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'enlace-deploy-'));
  const { stdout } = await run('nats-server', ['--version']);
  const match = /v(\d+)\.(\d+)/.exec(stdout);
  serverVersion = [Number(match?.[1] ?? 0), Number(match?.[2] ?? 0)];
});

afterAll(async () => {
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
});

describe('nats-server configurations', () => {
  it('every deploy/nats/**/*.conf passes nats-server -t', async () => {
    const files = await filesUnder(join(DEPLOY, 'nats'), '.conf');
    expect(files.map((f) => relative(DEPLOY, f))).toEqual([
      'nats/cluster/nats-server.conf',
      'nats/leaf/hub.conf',
      'nats/leaf/leaf-mx.conf',
      'nats/single/nats-server.conf',
    ]);
    for (const file of files) {
      const result = await checkConfig(relative(DEPLOY, file), await readFile(file, 'utf8'));
      expect(result.ok, `${relative(DEPLOY, file)}: ${result.output}`).toBe(true);
      expect(result.output).toMatch(/is valid/);
    }
  });

  it('the Kubernetes ConfigMap configuration passes nats-server -t', async () => {
    const docs = parseAllDocuments(await readFile(join(DEPLOY, 'k8s/nats.yaml'), 'utf8')).map((d) =>
      d.toJS(),
    );
    const configMap = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'nats-config');
    let text = configMap.data['nats-server.conf'] as string;
    // sync_interval is a 2.10 option; the 2.9 servers of CI do not know it.
    if (serverVersion[0] === 2 && serverVersion[1] < 10) text = text.replace(/^\s*sync_interval:.*$/m, '');
    const dir = await mkdtemp(join(scratch, 'k8s-'));
    await mkdir(join(dir, 'accounts'));
    await writeFile(join(dir, 'accounts/enlace-accounts.conf'), '# placeholder\n');
    const file = join(dir, 'nats-server.conf');
    await writeFile(
      file,
      text
        .split('"/data/jetstream"')
        .join(JSON.stringify(join(dir, 'js')))
        .split('"/var/run/nats/nats.pid"')
        .join(JSON.stringify(join(dir, 'nats.pid'))),
    );
    const { stdout, stderr } = await run('nats-server', ['-t', '-c', file], {
      env: { ...process.env, SERVER_NAME: 'nats-0' },
      timeout: 10_000,
    });
    expect(`${stdout}${stderr}`).toMatch(/is valid/);
  });

  it('users rendered by `enlace deploy nats-config` (feed user included) pass nats-server -t in each config', async () => {
    const dir = await mkdtemp(join(scratch, 'users-'));
    const authorization = await renderUsers(join(dir, 'authorization'));
    expect(authorization.text).toContain('# feed service');
    expect(authorization.text).toContain('user: "feed"');
    // Countries by nkey, services by bcrypt hash: no secret in the configuration.
    expect(Object.keys(authorization.passwords).sort()).toEqual(['feed', 'registry']);
    expect(authorization.text).toContain(`nkey: "${authorization.nkeys['node-mx']!.publicKey}"`);
    expect(authorization.text).toMatch(/user: "registry"\n\s*password: "\$2a\$11\$/);
    for (const secret of [...Object.values(authorization.passwords), authorization.nkeys['node-mx']!.seed])
      expect(authorization.text).not.toContain(secret);
    expect(authorization.text).toContain(
      '"$JS.API.CONSUMER.MSG.NEXT.ENLACE_ALERTS.node-MX-net-trafficking-liaison"',
    );
    expect(authorization.text).toContain('"_INBOX.node-mx.>"');
    const account = await renderUsers(join(dir, 'account'), '--mode', 'account', '--feed-user', 'fiu-feed');
    expect(account.text).toContain('user: "fiu-feed"');
    for (const [users, config] of [
      [authorization, 'nats/single/nats-server.conf'],
      [authorization, 'nats/cluster/nats-server.conf'],
      [account, 'nats/single/nats-server.conf'],
    ] as const) {
      // The configs carry the include as a comment; here it is switched on, with the rendered file.
      const text = (await readFile(join(DEPLOY, config), 'utf8')).replace(
        /^# (include "\.\/enlace-accounts\.conf")$/m,
        '$1',
      );
      expect(text, config).toMatch(/^include "\.\/enlace-accounts\.conf"$/m);
      const result = await checkConfig(config, text, { 'enlace-accounts.conf': users.text });
      expect(result.ok, `${config}: ${result.output}`).toBe(true);
      expect(result.output).toMatch(/is valid/);
    }
  });

  it('the feed user creates ENLACE_FEEDS and enlace_feeds with the compose and Kubernetes init scripts', async () => {
    const dir = await mkdtemp(join(scratch, 'feed-streams-'));
    const users = await renderUsers(dir);
    const compose = parse(await readFile(join(DEPLOY, 'compose/compose.yaml'), 'utf8'), {
      merge: true,
    }) as { services: Record<string, { entrypoint: string[] }> };
    const composeScript = compose.services['feed-streams']!.entrypoint.at(-1)!;
    const k8s = parseAllDocuments(await readFile(join(DEPLOY, 'k8s/feed.yaml'), 'utf8')).map(
      (d) => d.toJS() as K8sDoc,
    );
    const init = k8s.find((d) => d.kind === 'Deployment')!.spec!.template!.spec.initContainers![0]!;
    const k8sScript = init.args!.at(-1)!;
    expect(k8sScript).toBe(composeScript);
    const server = await startNatsServer({ backend: 'binary', config: users.text });
    try {
      const runScript = async (script: string) =>
        run(process.execPath, ['--input-type=module', '-e', script], {
          cwd: ROOT,
          env: {
            ...process.env,
            ENLACE_NATS_URL: server.url,
            ENLACE_NATS_USER: 'feed',
            ENLACE_NATS_PASS: users.passwords['feed'],
            // One server here: the deployments use 3.
            ENLACE_FEED_REPLICAS: '1',
          },
          timeout: 30_000,
        });
      expect((await runScript(k8sScript)).stdout).toBe('ENLACE_FEEDS: created\nKV_enlace_feeds: created\n');
      expect((await runScript(composeScript)).stdout).toBe(
        'ENLACE_FEEDS: unchanged\nKV_enlace_feeds: exists\n',
      );
      const nc = await connect({
        servers: server.url,
        user: 'feed',
        pass: users.passwords['feed']!,
        inboxPrefix: '_INBOX.feed',
      });
      try {
        const jsm = await jetstreamManager(nc);
        expect((await jsm.streams.info('ENLACE_FEEDS')).config.subjects).toContain('enlace.v1.feed.>');
        // The bucket as the service opens it (FeedRepository: history 10).
        expect((await jsm.streams.info('KV_enlace_feeds')).config.max_msgs_per_subject).toBe(10);
      } finally {
        await nc.close();
      }
    } finally {
      await server.stop();
    }
  });

  it('a configuration the server refuses is reported as invalid (the check is real)', async () => {
    const result = await checkConfig('broken.conf', 'listen: 127.0.0.1:4222\njetstream { domain: [ }\n');
    expect(result.ok).toBe(false);
  });

  it('the leaf keeps Enlace subjects off the link and the stream sources name the domains', async () => {
    const leaf = await readFile(join(DEPLOY, 'nats/leaf/leaf-mx.conf'), 'utf8');
    expect(leaf).toMatch(/domain: mx/);
    for (const subject of ['enlace.v1.alert.>', 'enlace.v1.direct.>', 'enlace.v1.ack.>'])
      expect(leaf).toContain(`"${subject}"`);
    expect(await readFile(join(DEPLOY, 'nats/leaf/hub.conf'), 'utf8')).toMatch(/domain: hub/);
    const streams = await filesUnder(join(DEPLOY, 'nats/leaf/streams'), '.json');
    expect(streams).toHaveLength(3);
    for (const file of streams) {
      const spec = JSON.parse(await readFile(file, 'utf8')) as {
        stream: string;
        sources: { external: { api: string } }[];
      };
      expect(spec.stream).toMatch(/^ENLACE_(ALERTS|AUDIT)$/);
      expect(spec.sources[0]?.external.api).toMatch(/^\$JS\.(mx|hub)\.API$/);
    }
  });
});

describe('compose', () => {
  it('parses and runs a 3-server NATS cluster, the registry and country nodes', async () => {
    const compose = parse(await readFile(join(DEPLOY, 'compose/compose.yaml'), 'utf8'), { merge: true });
    const services = compose.services as Record<string, Record<string, unknown>>;
    expect(Object.keys(services)).toEqual(
      expect.arrayContaining([
        'nats-1',
        'nats-2',
        'nats-3',
        'streams',
        'registry',
        'node-mx',
        'node-gt',
        'node-hn',
      ]),
    );
    for (const name of ['nats-1', 'nats-2', 'nats-3']) {
      expect(services[name]?.['image']).toMatch(/^nats:2\.(1[0-9]|[2-9]\d)\./);
      expect(services[name]?.['volumes']).toContain(
        '../nats/cluster/nats-server.conf:/etc/nats/nats-server.conf:ro',
      );
    }
    expect((services['registry']?.['build'] as { dockerfile: string }).dockerfile).toBe(
      'deploy/docker/Dockerfile.registry',
    );
    expect((services['node-mx']?.['build'] as { dockerfile: string }).dockerfile).toBe(
      'deploy/docker/Dockerfile.node',
    );
    expect(String((services['streams']?.['entrypoint'] as string[]).join('\n'))).toContain('replicas: 3');
  });

  it('references what exists: Dockerfiles, services it waits for, volumes; no stray `$` for compose', async () => {
    const compose = parse(await readFile(join(DEPLOY, 'compose/compose.yaml'), 'utf8'), { merge: true });
    const services = compose.services as Record<string, Record<string, unknown>>;
    const volumes = Object.keys(compose.volumes as Record<string, unknown>);
    for (const [name, service] of Object.entries(services)) {
      const build = service['build'] as { context: string; dockerfile: string } | undefined;
      if (build !== undefined) {
        expect(resolve(DEPLOY, 'compose', build.context), name).toBe(ROOT);
        expect(await exists(join(ROOT, build.dockerfile)), `${name}: ${build.dockerfile}`).toBe(true);
      }
      for (const dependency of Object.keys((service['depends_on'] as object | undefined) ?? {}))
        expect(Object.keys(services), `${name} depends on ${dependency}`).toContain(dependency);
      for (const volume of (service['volumes'] as string[] | undefined) ?? []) {
        const source = volume.split(':')[0]!;
        if (!source.startsWith('.')) expect(volumes, `${name}: volume ${source}`).toContain(source);
      }
    }
    // compose reads `${...}` in every value as its own variable (a script's template literal too).
    expect(badInterpolations(compose.services)).toEqual([]);
    expect(badInterpolations({ x: 'a ${s.name} b' })).toHaveLength(1);
    expect(badInterpolations({ x: '${A:-} $$x $B' })).toEqual([]);
  });

  it('runs the feed service after the streams, the registry and its own R3 streams, as NATS user feed', async () => {
    const compose = parse(await readFile(join(DEPLOY, 'compose/compose.yaml'), 'utf8'), { merge: true });
    const services = compose.services as Record<string, Record<string, unknown>>;
    const feed = services['feed']!;
    const streams = services['feed-streams']!;
    for (const service of [feed, streams])
      expect((service['build'] as { dockerfile: string }).dockerfile).toBe('deploy/docker/Dockerfile.feed');
    expect(streams['depends_on']).toEqual({ streams: { condition: 'service_completed_successfully' } });
    expect(streams['restart']).toBe('no');
    expect((streams['entrypoint'] as string[]).join('\n')).toMatch(
      /ensureFeedsStream\(jsm, \{ replicas \}\)/,
    );
    expect(feed['depends_on']).toEqual({
      'feed-streams': { condition: 'service_completed_successfully' },
      registry: { condition: 'service_healthy' },
    });
    const env = feed['environment'] as Record<string, string>;
    expect(env).toMatchObject({
      ENLACE_NATS_URL: 'nats://nats-1:4222,nats://nats-2:4222,nats://nats-3:4222',
      ENLACE_NATS_USER: 'feed',
      ENLACE_NATS_PASS: '${ENLACE_FEED_NATS_PASS:-}',
    });
    expect(streams['environment']).toMatchObject({ ENLACE_FEED_REPLICAS: '3', ENLACE_NATS_USER: 'feed' });
    // The Dockerfile's defaults are where compose mounts the data volume and the pinned key.
    const dockerfile = await readFile(join(DEPLOY, 'docker/Dockerfile.feed'), 'utf8');
    expect(dockerfile).toMatch(/ENLACE_FEED_DATA=\/var\/lib\/enlace-feed\b/);
    expect(dockerfile).toMatch(/ENLACE_REGISTRY_PUBLIC_KEY=\/etc\/enlace\/registry\.public\.jwk\b/);
    expect(dockerfile).toMatch(/ENLACE_FEED_PORT=8090\b/);
    expect(feed['volumes']).toEqual([
      'feed:/var/lib/enlace-feed',
      './secrets/registry.public.jwk:/etc/enlace/registry.public.jwk:ro',
    ]);
    expect(feed['ports']).toEqual(['127.0.0.1:8090:8090']);
  });
});

describe('Dockerfiles', () => {
  it('build in stages on node:24-slim with npm ci and tsc -b, and run as a non-root user', async () => {
    for (const name of ['Dockerfile.node', 'Dockerfile.registry', 'Dockerfile.feed']) {
      const text = await readFile(join(DEPLOY, 'docker', name), 'utf8');
      const froms = text.match(/^FROM .*$/gm) ?? [];
      expect(froms.length, name).toBeGreaterThanOrEqual(2);
      expect(
        froms.filter((f) => f.startsWith('FROM node:')).every((f) => f.startsWith('FROM node:24-slim')),
        name,
      ).toBe(true);
      expect(text).toMatch(/npm ci/);
      expect(text).toMatch(/tsc -b/);
      expect(text.match(/^USER (\S+)$/m)?.[1], name).toBe('node');
      // Its own .dockerignore (BuildKit reads <Dockerfile>.dockerignore) keeps hosts' builds out.
      expect(await readFile(join(DEPLOY, 'docker', `${name}.dockerignore`), 'utf8'), name).toMatch(
        /^\*\*\/node_modules$/m,
      );
      // The entry point is a service's compiled main, and the health check asks its /health.
      const entry = /^ENTRYPOINT \["node", "(services\/[a-z]+)\/dist\/main\.js"\]$/m.exec(text);
      expect(entry, name).not.toBeNull();
      expect(await exists(join(ROOT, entry![1]!, 'src/main.ts')), name).toBe(true);
      expect(text, name).toMatch(/^HEALTHCHECK .*\/health/m);
    }
    const feed = await readFile(join(DEPLOY, 'docker/Dockerfile.feed'), 'utf8');
    expect(feed).toMatch(/^ENTRYPOINT \["node", "services\/feed\/dist\/main\.js"\]$/m);
    expect(feed).toMatch(/^VOLUME \["\/var\/lib\/enlace-feed"\]$/m);
    // The images run Node 24, whose stores use node:sqlite: no better-sqlite3 build, no toolchain.
    for (const name of ['Dockerfile.node', 'Dockerfile.registry', 'Dockerfile.feed']) {
      const text = await readFile(join(DEPLOY, 'docker', name), 'utf8');
      expect(text, name).toMatch(/^ {4}ENLACE_SQLITE_DRIVER=node:sqlite \\$/m);
      expect(text, name).not.toMatch(/npm rebuild better-sqlite3|g\+\+/);
    }
  });
});

describe('Kubernetes', () => {
  it('parses; NATS is a 3-replica StatefulSet; registry and a node are Deployments with Services', async () => {
    const docs: K8sDoc[] = [];
    for (const file of await filesUnder(join(DEPLOY, 'k8s'), '.yaml')) {
      for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) {
        expect(doc.errors, file).toEqual([]);
        docs.push(doc.toJS());
      }
    }
    const find = (kind: string, name: string) =>
      docs.find((d) => d.kind === kind && d.metadata.name === name);
    expect(find('StatefulSet', 'nats')?.spec?.['replicas']).toBe(3);
    expect(find('Deployment', 'registry')).toBeDefined();
    expect(find('Deployment', 'node-mx')).toBeDefined();
    for (const service of ['nats', 'nats-headless', 'registry', 'node-mx'])
      expect(find('Service', service), service).toBeDefined();
    expect(find('Secret', 'nats-accounts')).toBeDefined();
    expect(find('Job', 'enlace-streams')).toBeDefined();
  });

  it('every workload references Secrets, ConfigMaps and claims that exist; every Service selects pods', async () => {
    const docs: K8sDoc[] = [];
    for (const file of await filesUnder(join(DEPLOY, 'k8s'), '.yaml'))
      for (const doc of parseAllDocuments(await readFile(file, 'utf8'))) docs.push(doc.toJS() as K8sDoc);
    const names = (kind: string) => docs.filter((d) => d.kind === kind).map((d) => d.metadata.name);
    const workloads = docs.filter((d) => ['Deployment', 'StatefulSet', 'Job'].includes(d.kind));
    for (const workload of workloads) {
      const pod = workload.spec!.template!.spec;
      const what = `${workload.kind} ${workload.metadata.name}`;
      for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
        for (const from of container.envFrom ?? []) {
          if (from.secretRef) expect(names('Secret'), what).toContain(from.secretRef.name);
          if (from.configMapRef) expect(names('ConfigMap'), what).toContain(from.configMapRef.name);
        }
        const claimTemplates = (workload.spec!['volumeClaimTemplates'] ?? []) as {
          metadata: { name: string };
        }[];
        const mounted = [...(pod.volumes ?? []), ...claimTemplates.map((c) => c.metadata)].map((v) => v.name);
        for (const mount of container.volumeMounts ?? []) expect(mounted, what).toContain(mount.name);
      }
      for (const volume of pod.volumes ?? []) {
        if (volume.persistentVolumeClaim)
          expect(names('PersistentVolumeClaim'), what).toContain(volume.persistentVolumeClaim.claimName);
        if (volume.secret) expect(names('Secret'), what).toContain(volume.secret.secretName);
        if (volume.configMap) expect(names('ConfigMap'), what).toContain(volume.configMap.name);
      }
    }
    for (const service of docs.filter((d) => d.kind === 'Service')) {
      const selector = service.spec!.selector as Record<string, string>;
      const pods = workloads.filter((w) =>
        Object.entries(selector).every(([k, v]) => w.spec!.template!.metadata?.labels?.[k] === v),
      );
      expect(pods.length, `Service ${service.metadata.name}`).toBeGreaterThan(0);
      for (const port of service.spec!.ports ?? [])
        if (typeof port.targetPort === 'string')
          expect(
            pods.some((p) =>
              p.spec!.template!.spec.containers.some((c) =>
                c.ports?.some((cp) => cp.name === port.targetPort),
              ),
            ),
            `Service ${service.metadata.name} port ${port.targetPort}`,
          ).toBe(true);
    }
  });

  it('the feed service: one replica (Recreate), its own NATS user, data claim, pinned registry key, /health', async () => {
    const docs = parseAllDocuments(await readFile(join(DEPLOY, 'k8s/feed.yaml'), 'utf8')).map(
      (d) => d.toJS() as K8sDoc,
    );
    const deployment = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'feed')!;
    expect(deployment.spec?.replicas).toBe(1);
    expect(deployment.spec?.strategy?.type).toBe('Recreate');
    const pod = deployment.spec!.template!.spec;
    const container = pod.containers.find((c) => c.name === 'feed')!;
    expect(container.image).toMatch(/\/enlace\/feed:/);
    expect(container.envFrom).toEqual([{ secretRef: { name: 'feed-nats' } }]);
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      ENLACE_FEED_PORT: '8090',
      ENLACE_FEED_DATA: '/var/lib/enlace-feed',
      ENLACE_REGISTRY_PUBLIC_KEY: '/etc/enlace/registry/registry.public.jwk',
    });
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8090 }]);
    expect(container.readinessProbe?.httpGet?.path).toBe('/health');
    const mounts = Object.fromEntries((container.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
    const volumes = Object.fromEntries((pod.volumes ?? []).map((v) => [v.name, v]));
    expect(volumes[mounts['/var/lib/enlace-feed']!]?.persistentVolumeClaim?.claimName).toBe('feed-data');
    expect(volumes[mounts['/etc/enlace/registry']!]?.configMap?.name).toBe('registry-public-key');
    const secret = docs.find((d) => d.kind === 'Secret' && d.metadata.name === 'feed-nats') as unknown as {
      stringData: Record<string, string>;
    };
    expect(secret.stringData['ENLACE_NATS_USER']).toBe('feed');
    const init = pod.initContainers?.find((c) => c.name === 'feed-streams');
    expect(init?.envFrom).toEqual([{ secretRef: { name: 'feed-nats' } }]);
    expect(init?.env).toContainEqual({ name: 'ENLACE_FEED_REPLICAS', value: '3' });
    expect(docs.find((d) => d.kind === 'Service' && d.metadata.name === 'feed')?.spec?.ports).toEqual([
      { name: 'http', port: 8090, targetPort: 'http' },
    ]);
  });
});
