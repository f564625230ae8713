/**
 * Enlace itself, on the same machine and servers as the ceiling and the peer:
 *
 * - publish path: a full node's AlertPublisher (draft read and validated, policy, id, jose
 *   signature, JetStream publish with Nats-Msg-Id, outbox row, audit record), without HTTP;
 * - inbound path: the node's InboundAlerts (decode, subject, key at issued_at, signature, policy,
 *   SQLite store) on envelopes already in memory, as many in flight as the node allows;
 * - end to end: one full node (createNodeApp) publishes, another full node receives through its
 *   durable consumer, verifies, stores and sends back a signed receipt; throughput, and latency
 *   at fixed offered loads (open loop: measured from when each alert was due);
 * - replay: a stream of signed alerts drained from the start by a fresh durable consumer feeding
 *   the inbound path (the node's consumer settings);
 * - fan-out: one alert to 10, 50, 200 "nodes", each its own NATS connection, durable consumer,
 *   inbound path and SQLite store, judged against a registry snapshot of 200 member countries.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';

import type { PrivateKeyRecord } from '@enlace/crypto';
import { AlertStore, DEFAULT_INBOUND_CONCURRENCY, InboundAlerts, NodeAudit, NodeMetrics } from '@enlace/node';
import type { InboundTrust, NodeApp } from '@enlace/node';
import type { Country, Membership } from '@enlace/policy';
import { loadOrCreateRegistryKey, signSnapshot } from '@enlace/registry';
import {
  createRegistryRpcClient,
  createTrustView,
  storedTimeOf,
  TrustState,
  verifySignedSnapshot,
} from '@enlace/trust';
import type { RegistrySnapshot, TrustView } from '@enlace/trust';
import { COUNTRY_CODES } from '@enlace/schema';
import {
  ALERTS_STREAM,
  SUBJECT_ROOT,
  consumeDurable,
  ensureEnlaceStreams,
  exponentialNakDelay,
  publishAlert,
} from '@enlace/transport';
import type { DurableConsumer } from '@enlace/transport';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';

import { measureStages } from './stages.js';
import type { StageResults } from './stages.js';
import {
  cpuMicros,
  loopMicros,
  median,
  now,
  openLoop,
  percentile,
  pool,
  progress,
  until,
} from './measure.js';
import type { BenchAlert, BenchNetwork } from './network.js';
import { signedAlert } from './network.js';
import { skipWarmUp } from './peer.js';

const OFFICER = { id: 'bench.officer@mx', roles: ['focal-point'], country: 'MX' };

/** A registry state that never changes: one snapshot, as a node holds between two changes. */
function fixedTrust(view: TrustView): InboundTrust {
  return {
    current: () => view,
    whenAvailable: () => Promise.resolve(view),
    viewAt: () => Promise.resolve(view),
  };
}

/** The settings createNodeApp gives the node's inbound durable consumer. */
/** What consumers reported (pull failures, unconfirmed acks): shown with the results. */
const consumerErrors: string[] = [];

function nodeConsumerOptions(durable: string, deliverPolicy: 'all' | 'new' = 'all') {
  return {
    onError: (error: unknown) => {
      const cause = (error as { cause?: unknown }).cause;
      consumerErrors.push(
        `${new Date().toISOString().slice(11, 23)} ${durable}: ${(error as Error).message}` +
          (cause instanceof Error ? ` (${cause.message})` : ''),
      );
    },
    stream: ALERTS_STREAM,
    durable,
    filterSubject: `${SUBJECT_ROOT}.alert.>`,
    maxDeliver: 1_000,
    nakDelay: exponentialNakDelay({ initialMs: 250, maxMs: 15_000 }),
    maxInFlight: DEFAULT_INBOUND_CONCURRENCY,
    pullExpiresMs: 2_000,
    deliverPolicy,
  } as const;
}

/** An inbound pipeline without HTTP: what a node does with each message of its durable. */
interface BenchReceiver {
  readonly country: string;
  readonly inbound: InstanceType<typeof InboundAlerts>;
  readonly store: AlertStore;
  stored: number;
  close(): Promise<void>;
}

async function createReceiver(options: {
  readonly country: string;
  readonly dir: string;
  readonly trust: InboundTrust;
  readonly js: JetStreamClient;
}): Promise<BenchReceiver> {
  await mkdir(options.dir, { recursive: true });
  const store = AlertStore.open(options.dir);
  const inbound = new InboundAlerts({
    country: options.country,
    trust: options.trust,
    store,
    metrics: new NodeMetrics(),
    audit: new NodeAudit(options.js, options.country),
    encryptionKeys: undefined,
  });
  const receiver: BenchReceiver = {
    country: options.country,
    inbound,
    store,
    stored: 0,
    close: () => {
      store.close();
      return Promise.resolve();
    },
  };
  inbound.onOutcome((event) => {
    if (event.outcome === 'stored') receiver.stored++;
  });
  return receiver;
}

function handleWith(receiver: BenchReceiver) {
  return (msg: JsMsg) =>
    receiver.inbound.handle({
      subject: msg.subject,
      data: msg.data,
      msgId: msg.headers?.get('Nats-Msg-Id') || undefined,
      streamSeq: msg.seq,
      deliveryCount: msg.info.deliveryCount,
      storedAt: storedTimeOf(msg),
    });
}

export interface EnlaceResults {
  readonly publish_per_s: number;
  readonly inbound_per_s: number;
  /** Raw verify/s measured right before and right after the inbound path (mean). */
  readonly raw_verify_beside_inbound_per_s: number;
  readonly e2e_per_s: number;
  /** CPU time per alert in this process (microseconds). */
  readonly publish_cpu_us: number;
  readonly inbound_cpu_us: number;
  readonly e2e_cpu_us: number;
  /** Of which on the event loop's thread. */
  readonly publish_loop_us: number;
  readonly inbound_loop_us: number;
  readonly e2e_loop_us: number;
  /** Each stage alone over the same alerts (stages.ts). */
  readonly stages_us: StageResults;
  readonly latency_ms: Readonly<Record<string, number>>;
  readonly replay: { readonly alerts: number; readonly per_s: number; readonly cpu_us: number };
  readonly fanout_ms: Readonly<Record<string, number>>;
  readonly fanout_rounds: number;
}

export interface EnlaceSizes {
  readonly publish: number;
  readonly inbound: number;
  readonly e2e: number;
  readonly loads: readonly number[];
  readonly loadMs: number;
  readonly replay: number;
  readonly fanout: readonly number[];
  readonly fanoutRounds: number;
  /** Alerts each stage runs over, and how many times (the median is kept). */
  readonly stages: number;
  readonly stageRuns: number;
}

export async function measureEnlace(options: {
  readonly natsUrl: string;
  readonly net: BenchNetwork;
  readonly draft: Record<string, unknown>;
  readonly sizes: EnlaceSizes;
  /** Measures the raw verify rate again (alerts/s), to take it beside the inbound path. */
  readonly rawVerify: () => number;
}): Promise<EnlaceResults> {
  const { net, draft, sizes, natsUrl } = options;
  const mxKey = net.signing.get('MX')!;
  const nc = await connect({ servers: natsUrl, name: 'bench-enlace' });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  const purge = () => jsm.streams.purge(ALERTS_STREAM);
  try {
    // Inbound path, in memory: envelopes signed beforehand, handed to InboundAlerts.handle().
    const inbound = await measureInbound(nc, js, net, draft, mxKey, sizes.inbound, options.rawVerify);
    const stages_us = await stagesOf(js, net, draft, mxKey, sizes, purge);

    // Publish path and end to end, with full nodes.
    const mx = await net.startNode('MX', 'e2e');
    let gt: NodeApp | undefined;
    try {
      const publish = async (): Promise<string> => (await mx.context.publisher.publish(draft, OFFICER)).id;
      await pool(100, 16, publish);
      progress(
        `enlace: publish path, ${sizes.publish} alerts (validate, policy, sign, publish, outbox, audit)`,
      );
      let cpu = cpuMicros();
      let loop = loopMicros();
      let start = now();
      await pool(sizes.publish, 64, publish);
      const publish_per_s = (sizes.publish * 1000) / (now() - start);
      const publish_cpu_us = (cpuMicros() - cpu) / sizes.publish;
      const publish_loop_us = (loopMicros() - loop) / sizes.publish;

      await purge();
      gt = await net.startNode('GT', 'e2e');
      const arrived = new Map<string, number>();
      gt.context.inbound.onOutcome((event) => {
        if (event.outcome === 'stored') arrived.set(event.alert.id, now());
      });
      await pool(200, 16, publish);
      await until('end-to-end warm-up', () => arrived.size >= 200, 60_000);

      progress(`enlace: end to end, ${sizes.e2e} alerts MX node -> GT node (full nodes)`);
      arrived.clear();
      cpu = cpuMicros();
      loop = loopMicros();
      start = now();
      await pool(sizes.e2e, 64, publish);
      await until('end-to-end alerts', () => arrived.size >= sizes.e2e, 120_000);
      const e2e_per_s = (sizes.e2e * 1000) / (now() - start);
      const e2e_cpu_us = (cpuMicros() - cpu) / sizes.e2e;
      const e2e_loop_us = (loopMicros() - loop) / sizes.e2e;

      const latency_ms: Record<string, number> = {};
      for (const perSecond of sizes.loads) {
        progress(`enlace: latency at ${perSecond} alerts/s for ${sizes.loadMs / 1000} s`);
        arrived.clear();
        const due = new Map<string, number>();
        // How late the event loop ran its callbacks during the run (both nodes share it here).
        const loopDelay = monitorEventLoopDelay({ resolution: 10 });
        loopDelay.enable();
        await openLoop(perSecond, sizes.loadMs, async (_i, dueAt) => due.set(await publish(), dueAt));
        await until('latency run', () => arrived.size >= due.size, 60_000);
        loopDelay.disable();
        const latencies = skipWarmUp([...due].map(([id, t]) => arrived.get(id)! - t));
        latency_ms[`p50_at_${perSecond}`] = percentile(latencies, 50);
        latency_ms[`p99_at_${perSecond}`] = percentile(latencies, 99);
        latency_ms[`p999_at_${perSecond}`] = percentile(latencies, 99.9);
        latency_ms[`loop_delay_p99_at_${perSecond}`] = loopDelay.percentile(99) / 1e6;
      }
      await gt.close();
      gt = undefined;
      await mx.close();

      const replay = await measureReplay(js, net, draft, mxKey, sizes.replay, purge);
      await purge();
      const fanout = await measureFanout(natsUrl, js, net, draft, mxKey, sizes);
      return {
        publish_per_s,
        publish_cpu_us,
        inbound_per_s: inbound.per_s,
        raw_verify_beside_inbound_per_s: inbound.raw_verify_per_s,
        inbound_cpu_us: inbound.cpu_us,
        e2e_per_s,
        e2e_cpu_us,
        publish_loop_us,
        inbound_loop_us: inbound.loop_us,
        e2e_loop_us,
        stages_us,
        latency_ms,
        replay,
        fanout_ms: fanout,
        fanout_rounds: sizes.fanoutRounds,
      };
    } finally {
      await gt?.close();
      await mx.close();
    }
  } finally {
    await nc.close();
  }
}

async function measureInbound(
  nc: NatsConnection,
  js: JetStreamClient,
  net: BenchNetwork,
  draft: Record<string, unknown>,
  key: PrivateKeyRecord,
  count: number,
  rawVerify: () => number,
): Promise<{ per_s: number; cpu_us: number; loop_us: number; raw_verify_per_s: number }> {
  progress(`enlace: signing ${count} alerts for the inbound path`);
  const alerts: BenchAlert[] = [];
  for (let i = 0; i < count; i++) alerts.push(await signedAlert(draft, 'MX', key));
  const dir = join(net.root, 'data', 'GT-inbound');
  const trust = new TrustState({ nc, dataDir: dir, registryPublicJwk: net.pinned });
  await mkdir(dir, { recursive: true });
  await trust.start();
  const receiver = await createReceiver({ country: 'GT', dir, trust, js });
  try {
    const handle = (i: number) => {
      const a = alerts[i]!;
      return receiver.inbound.handle({
        subject: a.subject,
        data: a.envelope,
        msgId: a.id,
        streamSeq: i + 1,
        deliveryCount: 1,
      });
    };
    const warm = Math.min(500, Math.floor(count / 10));
    await pool(warm, DEFAULT_INBOUND_CONCURRENCY, handle);
    progress(`enlace: inbound path, ${count - warm} alerts (decode, verify, policy, store)`);
    // The machine's load moves: the raw rate is taken again right before and right after.
    const before = rawVerify();
    const cpu = cpuMicros();
    const loop = loopMicros();
    const start = now();
    await pool(count - warm, DEFAULT_INBOUND_CONCURRENCY, (i) => handle(i + warm));
    const per_s = ((count - warm) * 1000) / (now() - start);
    const cpu_us = (cpuMicros() - cpu) / (count - warm);
    const loop_us = (loopMicros() - loop) / (count - warm);
    const raw_verify_per_s = (before + rawVerify()) / 2;
    if (receiver.stored !== count) throw new Error(`bench: ${receiver.stored} of ${count} alerts stored`);
    return { per_s, cpu_us, loop_us, raw_verify_per_s };
  } finally {
    await receiver.close();
    await trust.close();
  }
}

/** The stages alone (npm run bench -- --stages): for working on one stage without the whole run. */
export async function measureStagesOnly(options: {
  readonly natsUrl: string;
  readonly net: BenchNetwork;
  readonly draft: Record<string, unknown>;
  readonly sizes: EnlaceSizes;
}): Promise<StageResults> {
  const nc = await connect({ servers: options.natsUrl, name: 'bench-stages' });
  try {
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const key = options.net.signing.get('MX')!;
    return await stagesOf(js, options.net, options.draft, key, options.sizes, () =>
      jsm.streams.purge(ALERTS_STREAM),
    );
  } finally {
    await nc.close();
  }
}

/** Each stage of both paths alone, over the same freshly signed alerts (stages.ts). */
async function stagesOf(
  js: JetStreamClient,
  net: BenchNetwork,
  draft: Record<string, unknown>,
  key: PrivateKeyRecord,
  sizes: EnlaceSizes,
  purge: () => Promise<unknown>,
): Promise<StageResults> {
  // The streams a node creates at start; the stages may run before any node did.
  await ensureEnlaceStreams(await js.jetstreamManager());
  const alerts: BenchAlert[] = [];
  for (let i = 0; i < sizes.stages; i++) alerts.push(await signedAlert(draft, 'MX', key));
  const view = await registryView(js, net);
  return measureStages({ js, net, view, draft, alerts, key, runs: sizes.stageRuns, purge });
}

async function measureReplay(
  js: JetStreamClient,
  net: BenchNetwork,
  draft: Record<string, unknown>,
  key: PrivateKeyRecord,
  count: number,
  purge: () => Promise<unknown>,
): Promise<{ alerts: number; per_s: number; cpu_us: number }> {
  await purge();
  progress(`enlace: replay, signing and publishing ${count} alerts`);
  let published = 0;
  await pool(count, 256, async () => {
    const a = await signedAlert(draft, 'MX', key);
    await publishAlert(js, { subject: a.subject, envelope: a.envelope, msgId: a.id });
    if (++published % 20_000 === 0) progress(`enlace: replay, ${published} published`);
  });
  const view = await registryView(js, net);
  const receiver = await createReceiver({
    country: 'GT',
    dir: join(net.root, 'data', 'GT-replay'),
    trust: fixedTrust(view),
    js,
  });
  progress(`enlace: replay, draining ${count} alerts through a fresh durable`);
  const cpu = cpuMicros();
  const start = now();
  const consumer = await consumeDurable(js, nodeConsumerOptions('replay-GT'), handleWith(receiver));
  try {
    await until('replay', () => receiver.stored >= count, 30 * 60_000, 20);
    if (consumerErrors.length > 0)
      progress(`enlace: replay consumer reported ${consumerErrors.length} errors, e.g. ${consumerErrors[0]}`);
    consumerErrors.length = 0;
    return { alerts: count, per_s: (count * 1000) / (now() - start), cpu_us: (cpuMicros() - cpu) / count };
  } finally {
    await consumer.close();
    await (await js.jetstreamManager()).consumers.delete(ALERTS_STREAM, 'replay-GT');
    await receiver.close();
  }
}

/** The registry's signed snapshot, as a node verifies it. */
async function registryView(js: JetStreamClient, net: BenchNetwork): Promise<TrustView> {
  const nc = (js as unknown as { nc: NatsConnection }).nc;
  const { jws } = await createRegistryRpcClient(nc).getSnapshot();
  return createTrustView(await verifySignedSnapshot(jws, net.pinned), jws, 'registry');
}

/**
 * The registry's snapshot with `extra` more member countries, each holding GT's memberships,
 * signed with the registry's own key: the state of a 200-country process.
 */
async function syntheticView(
  js: JetStreamClient,
  net: BenchNetwork,
  codes: readonly string[],
): Promise<TrustView> {
  const base = (await registryView(js, net)).snapshot;
  const gt = base.policy.countries.find((c) => c.code === 'GT')!;
  const memberships = base.policy.memberships.filter((m) => m.country === 'GT');
  const countries: Country[] = [...base.policy.countries, ...codes.map((code) => ({ ...gt, code }))];
  const more: Membership[] = codes.flatMap((code) => memberships.map((m) => ({ ...m, country: code })));
  const snapshot: RegistrySnapshot = {
    ...base,
    policy: { ...base.policy, countries, memberships: [...base.policy.memberships, ...more] },
  };
  const jws = await signSnapshot(snapshot, await loadOrCreateRegistryKey(net.registryDir));
  return createTrustView(await verifySignedSnapshot(jws, net.pinned), jws, 'registry');
}

async function measureFanout(
  natsUrl: string,
  js: JetStreamClient,
  net: BenchNetwork,
  draft: Record<string, unknown>,
  key: PrivateKeyRecord,
  sizes: EnlaceSizes,
): Promise<Record<string, number>> {
  const largest = Math.max(...sizes.fanout);
  const taken = new Set((await registryView(js, net)).snapshot.policy.countries.map((c) => c.code));
  const codes = [...COUNTRY_CODES].filter((c) => !taken.has(c)).slice(0, largest);
  const view = await syntheticView(js, net, codes);
  const trust = fixedTrust(view);
  const out: Record<string, number> = {};
  for (const n of sizes.fanout) {
    progress(`enlace: fan-out, starting ${n} nodes`);
    const nodes: Array<{ nc: NatsConnection; receiver: BenchReceiver; consumer: DurableConsumer }> = [];
    try {
      for (const country of codes.slice(0, n)) {
        const nc = await connect({ servers: natsUrl, name: `bench-fanout-${country}` });
        const njs = jetstream(nc);
        const receiver = await createReceiver({
          country,
          dir: join(net.root, 'data', `fanout-${n}-${country}`),
          trust,
          js: njs,
        });
        const consumer = await consumeDurable(
          njs,
          nodeConsumerOptions(`fanout-${country}`, 'new'),
          handleWith(receiver),
        );
        nodes.push({ nc, receiver, consumer });
      }
      // One alert first, not counted: each new store creates its WAL file on its first commit,
      // and each node's code path warms up, as happens once in a node's life.
      const times: number[] = [];
      for (let round = -1; round < sizes.fanoutRounds; round++) {
        const alert = await signedAlert(draft, 'MX', key);
        const start = now();
        await publishAlert(js, { subject: alert.subject, envelope: alert.envelope, msgId: alert.id });
        await until(`fan-out to ${n}`, () => nodes.every((x) => x.receiver.stored > round + 1), 60_000, 1);
        const ms = now() - start;
        if (round >= 0) times.push(ms);
        if (consumerErrors.length > 0) {
          progress(
            `enlace: fan-out consumers reported ${consumerErrors.length} errors, e.g. ${consumerErrors[0]}`,
          );
          consumerErrors.length = 0;
        }
        progress(
          `enlace: fan-out to ${n} nodes, ${round < 0 ? 'warm-up' : `round ${round + 1}`}: ${ms.toFixed(1)} ms`,
        );
      }
      out[`n${n}`] = median(times);
      out[`n${n}_max`] = Math.max(...times);
    } finally {
      await Promise.all(nodes.map((x) => x.consumer.close()));
      const jsm = await js.jetstreamManager();
      for (const x of nodes) {
        await jsm.consumers.delete(ALERTS_STREAM, x.consumer.durable).catch(() => undefined);
        await x.receiver.close();
        await x.nc.close();
      }
      await rm(join(net.root, 'data'), { recursive: true, force: true }).catch(() => undefined);
    }
  }
  return out;
}
