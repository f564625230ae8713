/**
 * `npm run bench [-- --quick] [-- --json]`: Enlace beside the bare limit (node:crypto Ed25519,
 * raw JetStream) and beside the usual alternative (Nest's NATS transport with jose JWS), in one
 * process run on one machine against real nats-server processes, so that every comparison is a
 * ratio within the run. Progress goes to stderr; results to bench/results/latest.json (full) or
 * bench/results/quick.json (--quick), and the full run's table into bench/README.md.
 */
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, freemem, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

import { sqliteDriver } from '@enlace/service-kit/sqlite';
import type { NatsServerHandle } from '@enlace/testing';

import { measureCrypto, measureJetStream, rawVerifyRate } from './ceiling.js';
import type { CeilingResults } from './ceiling.js';
import { measureEnlace, measureStagesOnly } from './enlace.js';
import { measureMatching } from './matching.js';
import type { MatchingResults, MatchingSizes } from './matching.js';
import type { EnlaceResults, EnlaceSizes } from './enlace.js';
import { now, progress, round } from './measure.js';
import { REPO, createBenchNetwork, routeDraft, signedAlert, startServer } from './network.js';
import { measureDurablePeer } from './durable-peer.js';
import { measurePeer } from './peer.js';
import type { PeerResults } from './peer.js';
import { renderStages, renderTable, replaceTable } from './report.js';
import type { StageCost, StageResults } from './stages.js';

const USAGE = `usage: npm run bench [-- --quick] [-- --json] [-- --stages]
  --quick  small counts, under a minute (CI runs it as a smoke check)
  --stages only the stage-by-stage CPU table (quick counts): results/stages.json
  --json   print the results JSON on stdout (progress stays on stderr)`;

interface Sizes {
  readonly cryptoMs: number;
  readonly rawMessages: number;
  readonly peer: number;
  readonly enlace: EnlaceSizes;
  readonly matching: MatchingSizes;
}

const QUICK: Sizes = {
  cryptoMs: 500,
  rawMessages: 5_000,
  peer: 1_000,
  enlace: {
    publish: 500,
    inbound: 2_000,
    e2e: 500,
    loads: [100, 1_000],
    loadMs: 1_000,
    replay: 5_000,
    fanout: [10, 50, 200],
    fanoutRounds: 3,
    stages: 2_000,
    stageRuns: 3,
  },
  matching: { digests: 1_000_000, queries: 20_000, bulk: 100_000 },
};

const FULL: Sizes = {
  cryptoMs: 3_000,
  rawMessages: 50_000,
  peer: 10_000,
  enlace: {
    publish: 5_000,
    inbound: 20_000,
    e2e: 5_000,
    loads: [100, 1_000],
    loadMs: 10_000,
    replay: 100_000,
    fanout: [10, 50, 200],
    fanoutRounds: 5,
    stages: 5_000,
    stageRuns: 5,
  },
  matching: { digests: 1_000_000, queries: 100_000, bulk: 100_000 },
};

export const TARGETS = {
  verify_vs_raw: 0.85,
  e2e_vs_peer: 1.5,
  e2e_vs_durable_peer: 2,
  p99_at_1000_ms: 10,
  fanout_n200_ms: 1_000,
  matching_p99_ms: 1,
} as const;

function natsServerVersion(): string {
  try {
    const bin = process.env['NATS_SERVER_BIN'] ?? 'nats-server';
    return execFileSync(bin, ['--version'], { encoding: 'utf8' })
      .trim()
      .replace(/^nats-server: /, '');
  } catch {
    return 'unknown';
  }
}

async function packageVersion(name: string): Promise<string> {
  const text = await readFile(join(REPO, 'node_modules', name, 'package.json'), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

// better-sqlite3 is optional: a Node it has no build for (24 offline) runs without it.
async function optionalPackageVersion(name: string): Promise<string> {
  return packageVersion(name).catch(() => 'not installed');
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const unknown = args.filter((a) => a !== '--quick' && a !== '--json' && a !== '--stages');
  if (unknown.length > 0) throw new Error(`unknown option ${unknown.join(' ')}\n${USAGE}`);
  const stagesOnly = args.includes('--stages');
  const quick = args.includes('--quick') || stagesOnly;
  const sizes = quick ? QUICK : FULL;
  // Debian installs nats-server in /usr/sbin, which a non-root PATH may lack.
  if (!`:${process.env['PATH'] ?? ''}:`.includes(':/usr/sbin:'))
    process.env['PATH'] = `${process.env['PATH'] ?? ''}:/usr/sbin`;

  const startedAt = new Date();
  const loadAtStart = loadavg()[0] ?? 0;
  const t0 = now();
  const root = await mkdtemp(join(tmpdir(), 'enlace-bench-'));
  const servers: NatsServerHandle[] = [];
  progress(`${quick ? 'quick' : 'full'} run in ${root}`);
  try {
    const draft = await routeDraft();
    const [rawServer, enlaceServer] = await Promise.all([
      startServer('bench-raw'),
      startServer('bench-enlace'),
    ]);
    servers.push(rawServer, enlaceServer);
    const net = await createBenchNetwork({ natsUrl: enlaceServer.url, root, countries: ['MX', 'GT'] });
    if (stagesOnly) {
      try {
        const stages = stagesRounded(
          await measureStagesOnly({ natsUrl: enlaceServer.url, net, draft, sizes: sizes.enlace }),
        );
        const file = join(REPO, 'bench', 'results', 'stages.json');
        await writeFile(
          file,
          `${JSON.stringify({ started_at: startedAt.toISOString(), node: process.versions.node, stages_us: stages }, null, 2)}\n`,
        );
        process.stderr.write(`\n${renderStages(stages, {})}\n`);
        progress(`done; results in ${file}`);
      } finally {
        await net.close();
      }
      return;
    }
    let enlace: EnlaceResults;
    let ceiling: CeilingResults;
    let peer: PeerResults;
    let durablePeer: PeerResults;
    let sample;
    try {
      const key = net.signing.get('MX')!;
      const publicKey = createPublicKey(key.key);
      sample = await signedAlert(draft, 'MX', key);
      progress(`alert: ${sample.alertBytes.length} B signed, ${sample.envelope.length} B envelope`);

      progress(`ceiling: node:crypto Ed25519 sign and verify, ${sizes.cryptoMs} ms each`);
      const crypto = await measureCrypto(sample, key.key, publicKey, sizes.cryptoMs);
      const nc = await rawServer.connect();
      const raw = await measureJetStream(nc, sample.envelope.length, sizes.rawMessages);
      await nc.close();
      ceiling = { ...crypto, ...raw };

      peer = await measurePeer({
        natsUrl: rawServer.url,
        draft,
        privateKey: key.key,
        publicKey,
        kid: key.kid,
        count: sizes.peer,
        loads: sizes.enlace.loads,
        loadMs: sizes.enlace.loadMs,
      });

      durablePeer = await measureDurablePeer({
        natsUrl: rawServer.url,
        draft,
        privateKey: key.key,
        publicKey,
        kid: key.kid,
        count: sizes.peer,
        loads: sizes.enlace.loads,
        loadMs: sizes.enlace.loadMs,
      });

      const signed = sample;
      enlace = await measureEnlace({
        natsUrl: enlaceServer.url,
        net,
        draft,
        sizes: sizes.enlace,
        rawVerify: () => rawVerifyRate(signed, publicKey, Math.min(1_000, sizes.cryptoMs)),
      });
    } finally {
      await net.close();
    }
    // Last, alone: a million digests in memory, no server needed.
    const matching: MatchingResults = await measureMatching(sizes.matching);

    const cpuList = cpus();
    const results = {
      format: 'enlace-bench/1',
      mode: quick ? 'quick' : 'full',
      started_at: startedAt.toISOString(),
      duration_s: round((now() - t0) / 1000, 1),
      machine: {
        cpus: cpuList.length,
        model: cpuList[0]?.model ?? 'unknown',
        memory_gib: round(totalmem() / 2 ** 30, 1),
        free_memory_gib: round(freemem() / 2 ** 30, 1),
        load_average_1m_at_start: round(loadAtStart, 2),
        load_average_1m_at_end: round(loadavg()[0] ?? 0, 2),
        os: `${platform()} ${release()}`,
      },
      versions: {
        node: process.versions.node,
        nats_server: natsServerVersion(),
        nats_js: await packageVersion('@nats-io/transport-node'),
        nestjs_microservices: await packageVersion('@nestjs/microservices'),
        jose: await packageVersion('jose'),
        better_sqlite3: await optionalPackageVersion('better-sqlite3'),
        sqlite_driver: sqliteDriver(),
      },
      alert: { signed_bytes: sample.alertBytes.length, envelope_bytes: sample.envelope.length },
      ceiling: roundAll(ceiling),
      peer: {
        e2e_per_s: round(peer.e2e_per_s),
        e2e_cpu_us: round(peer.e2e_cpu_us),
        latency_ms: roundAll(peer.latency_ms, 2),
      },
      durable_peer: {
        e2e_per_s: round(durablePeer.e2e_per_s),
        e2e_cpu_us: round(durablePeer.e2e_cpu_us),
        latency_ms: roundAll(durablePeer.latency_ms, 2),
      },
      enlace: {
        publish_per_s: round(enlace.publish_per_s),
        inbound_per_s: round(enlace.inbound_per_s),
        raw_verify_beside_inbound_per_s: round(enlace.raw_verify_beside_inbound_per_s),
        e2e_per_s: round(enlace.e2e_per_s),
        publish_cpu_us: round(enlace.publish_cpu_us),
        inbound_cpu_us: round(enlace.inbound_cpu_us),
        e2e_cpu_us: round(enlace.e2e_cpu_us),
        publish_loop_us: round(enlace.publish_loop_us),
        inbound_loop_us: round(enlace.inbound_loop_us),
        e2e_loop_us: round(enlace.e2e_loop_us),
        replay: {
          alerts: enlace.replay.alerts,
          per_s: round(enlace.replay.per_s),
          cpu_us: round(enlace.replay.cpu_us),
        },
        fanout_rounds: enlace.fanout_rounds,
      },
      ratios: {
        // Against the raw rate taken right before and after the inbound path (the load moves).
        verify_vs_raw: round(enlace.inbound_per_s / enlace.raw_verify_beside_inbound_per_s, 3),
        verify_vs_raw_ceiling_run: round(enlace.inbound_per_s / ceiling.verify_per_s, 3),
        verify_vs_raw_threadpool: round(enlace.inbound_per_s / ceiling.verify_threadpool_per_s, 3),
        e2e_vs_peer: round(enlace.e2e_per_s / peer.e2e_per_s, 3),
        e2e_vs_durable_peer: round(enlace.e2e_per_s / durablePeer.e2e_per_s, 3),
        publish_vs_raw_sign: round(enlace.publish_per_s / ceiling.sign_per_s, 3),
        publish_vs_raw_publish: round(enlace.publish_per_s / ceiling.js_publish_per_s, 3),
        replay_vs_raw_consume: round(enlace.replay.per_s / ceiling.js_consume_per_s, 3),
        // The same comparisons by CPU time per alert: what each would do with one whole core.
        verify_vs_raw_cpu: round(ceiling.verify_cpu_us / enlace.inbound_cpu_us, 3),
        e2e_vs_peer_cpu: round(peer.e2e_cpu_us / enlace.e2e_cpu_us, 3),
        e2e_vs_durable_peer_cpu: round(durablePeer.e2e_cpu_us / enlace.e2e_cpu_us, 3),
      },
      matching,
      stages_us: stagesRounded(enlace.stages_us),
      latency_ms: roundAll(enlace.latency_ms, 2),
      fanout_ms: roundAll(enlace.fanout_ms, 1),
      targets: [] as Array<{ name: string; target: string; value: number; met: boolean }>,
    };
    const p99 = results.latency_ms['p99_at_1000'] ?? Number.NaN;
    const n200 = results.fanout_ms['n200'] ?? Number.NaN;
    results.targets = [
      {
        name: 'inbound path ÷ raw verify',
        target: `>= ${TARGETS.verify_vs_raw}`,
        value: results.ratios.verify_vs_raw,
        met: results.ratios.verify_vs_raw >= TARGETS.verify_vs_raw,
      },
      {
        name: 'end to end ÷ peer',
        target: `>= ${TARGETS.e2e_vs_peer}`,
        value: results.ratios.e2e_vs_peer,
        met: results.ratios.e2e_vs_peer >= TARGETS.e2e_vs_peer,
      },
      {
        name: 'end to end ÷ durable peer',
        target: `>= ${TARGETS.e2e_vs_durable_peer}`,
        value: results.ratios.e2e_vs_durable_peer,
        met: results.ratios.e2e_vs_durable_peer >= TARGETS.e2e_vs_durable_peer,
      },
      {
        name: 'p99 at 1,000 alerts/s (ms)',
        target: `< ${TARGETS.p99_at_1000_ms}`,
        value: p99,
        met: p99 < TARGETS.p99_at_1000_ms,
      },
      {
        name: 'matching p99, one digest among 1,000,000 (ms)',
        target: `< ${TARGETS.matching_p99_ms}`,
        value: matching.single_p99_ms,
        met: matching.single_p99_ms < TARGETS.matching_p99_ms,
      },
      {
        name: 'fan-out to 200 nodes (ms)',
        target: `< ${TARGETS.fanout_n200_ms}`,
        value: n200,
        met: n200 < TARGETS.fanout_n200_ms,
      },
    ];

    const file = join(REPO, 'bench', 'results', quick ? 'quick.json' : 'latest.json');
    await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
    const table = renderTable(results);
    if (!quick) {
      const readme = join(REPO, 'bench', 'README.md');
      await writeFile(readme, replaceTable(await readFile(readme, 'utf8'), table));
    }
    process.stderr.write(`\n${table}\n`);
    progress(`done in ${results.duration_s} s; results in ${file}`);
    for (const t of results.targets)
      if (!t.met) progress(`target missed: ${t.name} = ${t.value} (target ${t.target})`);
    if (args.includes('--json')) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } finally {
    await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
    await rm(root, { recursive: true, force: true });
  }
}

function stagesRounded(stages: StageResults): Record<keyof StageResults, Record<string, StageCost>> {
  const side = (costs: Record<string, StageCost>) =>
    Object.fromEntries(
      Object.entries(costs).map(([k, c]) => [k, { loop: round(c.loop, 1), off: round(c.off, 1) }]),
    );
  return { inbound: side(stages.inbound), publish: side(stages.publish) };
}

function roundAll<T extends object>(values: T, digits = 0): { [K in keyof T]: number } {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, round(v as number, digits)])) as {
    [K in keyof T]: number;
  };
}

main().then(
  // Open handles (NATS reconnect timers, Nest) must not keep a finished run alive.
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exit(1);
  },
);
