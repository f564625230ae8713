/**
 * Reliability on a 3-server cluster with R3 streams: MX publishes alerts while the stream
 * leader is SIGKILLed and restarted; every alert whose publish JetStream acknowledged must be
 * stored, verified, exactly once at GT and at HN, and the stream must hold each id once.
 *
 * Alerts are signed with MX's key here and published with publishAlert() (Nats-Msg-Id = id,
 * retries on timeout / no responders), which is what the node's publisher does after its HTTP
 * and policy steps; the receiving side is the real nodes' inbound path (durable consumer,
 * verification against the registry's signed state, SQLite store).
 */
import { ALERTS_STREAM, ensureEnlaceStreams, publishAlert } from '@enlace/transport';
import type { NodeApp } from '@enlace/node';
import type { NatsClusterHandle } from '@enlace/testing';
import { startNatsCluster } from '@enlace/testing';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createEnlaceNetwork, inboxIds, signRouteAlert, waitFor } from './support/enlace-network.js';
import type { EnlaceNetwork, SignedRouteAlert } from './support/enlace-network.js';

/**
 * The issue asks for 10,000 (`ENLACE_RELIABILITY_ALERTS=10000`, given ~6 minutes). By default
 * 1,000: measured on the shared 2-core CI machine (load ~11), publishing is fast (2,000 acked in
 * < 5 s) but the three in-process nodes store only ~35 alerts/s between them (each alert is
 * verified, stored and answered with a signed receipt that MX verifies and stores in turn, all
 * on one event loop), so 10,000 would take ~5 minutes of delivery alone.
 */
const ALERTS = Number(process.env['ENLACE_RELIABILITY_ALERTS'] ?? 1_000);
/** How long delivery may take after the last publish: the measured rate with a 2x margin. */
const DELIVERY_TIMEOUT_MS = Math.max(60_000, ALERTS * 60);
/** Publishes in flight at once. */
const CONCURRENCY = 64;
const RECEIVERS = ['GT', 'HN'] as const;

let cluster: NatsClusterHandle;
let network: EnlaceNetwork;
let nc: NatsConnection;
let jsm: JetStreamManager;
const nodes: Record<string, NodeApp> = {};

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
  for (const country of ['MX', ...RECEIVERS]) nodes[country] = await network.startNode(country, urls);
  // createNodeApp() calls ensureEnlaceStreams() with its default (1 replica), which scales the
  // stream down to R1; bring it back to R3 before the faults (see the report: nodes need a
  // replicas option, or ensureEnlaceStreams should never lower num_replicas).
  await ensureEnlaceStreams(jsm, { replicas: 3 });
  await waitForR3();
}, 90_000);

afterAll(async () => {
  for (const node of Object.values(nodes)) await node.close();
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
              jsm.consumers.info(ALERTS_STREAM, `node-${c}`).then(
                (i) =>
                  `${c} pending=${i.num_pending} ackPending=${i.num_ack_pending} redelivered=${i.num_redelivered}`,
                (e: unknown) => `${c} ${(e as Error).message}`,
              ),
            ),
          );
          console.info(
            `[progress] acked=${acked.size} ` +
              RECEIVERS.map((c) => `${c}=${nodes[c]?.context.store.counts().inbox}`).join(' ') +
              ` ${consumers.join('; ')}`,
          );
        })();
      }, 10_000);
      try {
        await waitFor(
          'GT and HN to store every acknowledged alert',
          () => RECEIVERS.every((c) => (nodes[c]?.context.store.counts().inbox ?? 0) >= acked.size),
          DELIVERY_TIMEOUT_MS,
          250,
        );
      } finally {
        clearInterval(progress);
      }
      const deliveredMs = Date.now() - publishStart;

      for (const country of RECEIVERS) {
        const node = nodes[country] as NodeApp;
        const ids = inboxIds(node);
        // Exactly once: no id twice in the store, none missing, nothing unacknowledged lost track of.
        expect(new Set(ids).size, country).toBe(ids.length);
        const missing = [...acked].filter((id) => !node.context.store.has(id));
        expect(missing, `${country} is missing acknowledged alerts`).toEqual([]);
        expect(
          ids.every((id) => acked.has(id) || failed.includes(id)),
          country,
        ).toBe(true);
        // Each stored once: the accepted counter matches, redeliveries were recognised as such.
        expect(node.context.metrics.acceptedCount('inbox'), country).toBe(ids.length);
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
    Math.max(150_000, ALERTS * 80),
  );
});
