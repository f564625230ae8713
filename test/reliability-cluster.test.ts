/**
 * Reliability on a 3-server cluster with R3 streams: MX publishes alerts while the stream
 * leader is SIGKILLed and restarted; every alert whose publish JetStream acknowledged must be
 * stored, verified, exactly once at GT and at HN, and the stream must hold each id once.
 *
 * Alerts are signed with MX's key here and published with publishAlert() (Nats-Msg-Id = id,
 * retries on timeout / no responders), which is what the node's publisher does after its HTTP
 * and policy steps; the receiving side is the real nodes' inbound path (durable consumer,
 * verification against the registry's signed state, SQLite store), each node in its own process.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { AlertStore } from '@enlace/node';
import type { NatsClusterHandle } from '@enlace/testing';
import { startNatsCluster } from '@enlace/testing';
import { ALERTS_STREAM, ensureEnlaceStreams, publishAlert } from '@enlace/transport';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createEnlaceNetwork, signRouteAlert, waitFor } from './support/enlace-network.js';
import type { EnlaceNetwork, SignedRouteAlert } from './support/enlace-network.js';
import { startNodeProcess } from './support/node-process.js';
import type { NodeProcess } from './support/node-process.js';

/**
 * The issue asks for 10,000, the default. Measured on this shared 2-core machine with the node's
 * inbound concurrency at its default of 128 (one pull asks for up to 128, 512 unacknowledged at
 * most): 10,000 signed in 9 s, published (through a leader kill) in 12 s, all stored at GT and
 * HN 56 s after publishing began, test 84 s; with 256 in flight 51 s and 82 s, so 128 is kept.
 * When other tests share the cores: 79-84 s to deliver, test 119-124 s. 5,000: test 50 s.
 * (With 8 in flight receivers stored 20-120 alerts/s and 10,000 took 145 s.)
 * `ENLACE_RELIABILITY_ALERTS` sets another count.
 */
const ALERTS = Number(process.env['ENLACE_RELIABILITY_ALERTS'] ?? 10_000);
/** How long delivery may take after the last publish: the slowest measured rate, 1.5x margin. */
const DELIVERY_TIMEOUT_MS = Math.max(90_000, ALERTS * 75);
/** Setup is in beforeAll; the test signs (~1 ms each), publishes, then waits for delivery. */
const TEST_TIMEOUT_MS = DELIVERY_TIMEOUT_MS + 60_000 + ALERTS * 5;
const PROFILE_DIR = process.env['ENLACE_NODE_PROFILE_DIR'];
/** Publishes in flight at once. */
const CONCURRENCY = 64;
const RECEIVERS = ['GT', 'HN'] as const;

let cluster: NatsClusterHandle;
let network: EnlaceNetwork;
let nc: NatsConnection;
let jsm: JetStreamManager;
/** Each node is its own process (services/node/dist/main.js): three event loops, not one. */
const nodes: Record<string, NodeProcess> = {};

/** The node's accepted-alerts counter, from its Prometheus endpoint. */
async function acceptedInbox(country: string): Promise<number> {
  const text = await (await fetch(`${nodes[country]?.url}/metrics`)).text();
  const match = new RegExp(
    `^enlace_node_alerts_accepted_total\\{country="${country}",box="inbox"\\} (\\d+)$`,
    'm',
  ).exec(text);
  return Number(match?.[1] ?? 0);
}

/** Every inbox id in the (stopped) node's store. */
function storedIds(country: string): string[] {
  const store = AlertStore.open(join(network.root, 'data', country));
  try {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = store.list({ box: 'inbox', limit: 500, ...(cursor !== undefined && { cursor }) });
      ids.push(...page.items.map((item) => item.id));
      cursor = page.next;
    } while (cursor !== undefined);
    return ids;
  } finally {
    store.close();
  }
}

/** Wait until ENLACE_ALERTS has a leader and both followers are current. */
async function waitForR3(): Promise<void> {
  await waitFor(
    'ENLACE_ALERTS with 3 current replicas',
    async () => {
      try {
        const info = await jsm.streams.info(ALERTS_STREAM);
        const replicas = info.cluster?.replicas ?? [];
        return (
          info.config.num_replicas === 3 &&
          info.cluster?.leader !== undefined &&
          replicas.length === 2 &&
          replicas.every((r) => r.current)
        );
      } catch {
        return false;
      }
    },
    30_000,
    200,
  );
}

beforeAll(async () => {
  cluster = await startNatsCluster({ size: 3, name: 'enlace-rel' });
  nc = await cluster.connect();
  jsm = await jetstreamManager(nc);
  // The operator's side (registry host / launcher) creates the streams R3 before any node starts.
  await ensureEnlaceStreams(jsm, { replicas: 3 });
  const urls = cluster.urls.join(',');
  network = await createEnlaceNetwork({ natsUrl: urls, countries: ['MX', ...RECEIVERS] });
  const registryKeyFile = join(network.root, 'registry.public.jwk');
  await writeFile(registryKeyFile, JSON.stringify(network.pinned));
  for (const country of ['MX', ...RECEIVERS]) {
    nodes[country] = await startNodeProcess({
      country,
      natsUrl: urls,
      dataDir: join(network.root, 'data', country),
      keysDir: join(network.root, 'keys', country),
      registryKeyFile,
      // ENLACE_NODE_PROFILE_DIR=<dir>: each node writes a CPU profile there when it stops.
      ...(PROFILE_DIR !== undefined && { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] }),
    });
  }
  // createNodeApp() calls ensureEnlaceStreams() with its default (1 replica), which scales the
  // stream down to R1; bring it back to R3 before the faults (see the report: nodes need a
  // replicas option, or ensureEnlaceStreams should never lower num_replicas; nodes connected as
  // per-country users without stream-admin rights leave the streams alone).
  await ensureEnlaceStreams(jsm, { replicas: 3 });
  await waitForR3();
}, 90_000);

afterAll(async () => {
  for (const node of Object.values(nodes)) await node.kill();
  await nc?.close();
  await network?.close();
  await cluster?.stop();
}, 60_000);

describe('3-server cluster, R3 streams', () => {
  it(
    `keeps every acknowledged alert of ${ALERTS} through a SIGKILL and restart of the stream leader`,
    async () => {
      const mx = network.signingKeys['MX'];
      if (mx === undefined) throw new Error('no MX key');
      const started = Date.now();
      const alerts: SignedRouteAlert[] = [];
      for (let i = 0; i < ALERTS; i++) alerts.push(await signRouteAlert('MX', mx, `Ruta ${i}`));
      const signedMs = Date.now() - started;

      const js = jetstream(nc);
      const acked = new Set<string>();
      const failed: string[] = [];
      let next = 0;
      const publisher = async (): Promise<void> => {
        while (next < alerts.length) {
          const alert = alerts[next++] as SignedRouteAlert;
          try {
            await publishAlert(js, {
              subject: alert.subject,
              envelope: alert.envelope,
              msgId: alert.id,
              timeoutMs: 2_000,
              retries: 8,
            });
            acked.add(alert.id);
          } catch {
            // Not acknowledged: the test makes no promise about it (it may or may not arrive).
            failed.push(alert.id);
          }
        }
      };

      // The fault: once a quarter is published, SIGKILL the stream leader; restart it 2 s later.
      const fault = (async () => {
        await waitFor('a quarter published', () => acked.size >= ALERTS / 4, 60_000, 20);
        const leader = (await jsm.streams.info(ALERTS_STREAM)).cluster?.leader;
        const victim = cluster.servers.find((s) => s.name === leader) ?? cluster.servers[0];
        if (victim === undefined) throw new Error('no server to kill');
        await victim.kill();
        const killedAt = acked.size;
        await new Promise((r) => setTimeout(r, 2_000));
        await victim.restart();
        return { victim: victim.name, wasLeader: victim.name === leader, killedAt };
      })();

      const publishStart = Date.now();
      await Promise.all(Array.from({ length: CONCURRENCY }, publisher));
      const publishMs = Date.now() - publishStart;
      const faultReport = await fault;

      const progress = setInterval(() => {
        void (async () => {
          const consumers = await Promise.all(
            RECEIVERS.map((c) =>
              jsm.consumers.info(ALERTS_STREAM, `node-${c}-net-trafficking-liaison`).then(
                (i) =>
                  `${c} pending=${i.num_pending} ackPending=${i.num_ack_pending} redelivered=${i.num_redelivered}`,
                (e: unknown) => `${c} ${(e as Error).message}`,
              ),
            ),
          );
          console.info(`[progress] acked=${acked.size} ${consumers.join('; ')}`);
        })();
      }, 10_000);
      try {
        await waitFor(
          'GT and HN to store every acknowledged alert',
          async () => {
            const infos = await Promise.all(
              RECEIVERS.map((c) =>
                jsm.consumers.info(ALERTS_STREAM, `node-${c}-net-trafficking-liaison`).catch(() => undefined),
              ),
            );
            return infos.every((i) => i !== undefined && i.num_pending === 0 && i.num_ack_pending === 0);
          },
          DELIVERY_TIMEOUT_MS,
          250,
        );
      } finally {
        clearInterval(progress);
      }
      const deliveredMs = Date.now() - publishStart;

      const accepted: Record<string, number> = {};
      for (const country of RECEIVERS) {
        accepted[country] = await acceptedInbox(country);
        await nodes[country]?.stop();
      }
      for (const country of RECEIVERS) {
        const ids = storedIds(country);
        const stored = new Set(ids);
        // Exactly once: no id twice in the store, none acknowledged missing, nothing unknown.
        expect(stored.size, country).toBe(ids.length);
        const missing = [...acked].filter((id) => !stored.has(id));
        expect(missing, `${country} is missing acknowledged alerts`).toEqual([]);
        expect(
          ids.every((id) => acked.has(id) || failed.includes(id)),
          country,
        ).toBe(true);
        // Each stored once: the accepted counter matches, redeliveries were recognised as such.
        expect(accepted[country], country).toBe(ids.length);
      }
      // The stream itself holds each MX alert once (Nats-Msg-Id deduplicated the retries).
      const info = await jsm.streams.info(ALERTS_STREAM, { subjects_filter: 'enlace.v1.alert.>' });
      const onStream = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
      expect(onStream).toBeGreaterThanOrEqual(acked.size);
      expect(onStream).toBeLessThanOrEqual(acked.size + failed.length);

      console.info(
        `[reliability-cluster] ${ALERTS} alerts: signed in ${signedMs} ms, published in ${publishMs} ms ` +
          `(${acked.size} acknowledged, ${failed.length} not), all stored at GT and HN after ${deliveredMs} ms; ` +
          `killed ${faultReport.victim} (stream leader: ${faultReport.wasLeader}) after ${faultReport.killedAt} acks`,
      );
    },
    TEST_TIMEOUT_MS,
  );
});
