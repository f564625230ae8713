/**
 * deploy/ stays valid: every nats-server configuration passes the server's own check
 * (`nats-server -t`), with placeholder paths made real; the Kubernetes ConfigMap's embedded
 * configuration too; compose and Kubernetes YAML parse and hold what the README promises; the
 * Dockerfiles build on node:24-slim and run as a non-root user.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const run = promisify(execFile);
const DEPLOY = resolve(import.meta.dirname, '../deploy');

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
async function checkConfig(name: string, text: string): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(join(scratch, 'conf-'));
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
});

describe('Dockerfiles', () => {
  it('build in stages on node:24-slim with npm ci and tsc -b, and run as a non-root user', async () => {
    for (const name of ['Dockerfile.node', 'Dockerfile.registry']) {
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
    }
  });
});

describe('Kubernetes', () => {
  it('parses; NATS is a 3-replica StatefulSet; registry and a node are Deployments with Services', async () => {
    const docs: Array<{ kind: string; metadata: { name: string }; spec?: Record<string, unknown> }> = [];
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
});
