/**
 * A country on a leaf node keeps publishing while cut off from the hub, and everything arrives
 * once the link returns. Runs the deploy/nats/leaf configurations (hub.conf, leaf-mx.conf, the
 * stream sources in streams/*.json) rendered with free ports and temporary stores; the leaf's
 * link to the hub goes through a TCP relay that the test cuts and restores, as a WAN outage.
 *
 * MX's node is connected to the leaf only, GT's to the hub only; the registry is on the hub.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { NodeApp } from '@enlace/node';
import { findFreePorts } from '@enlace/testing';
import { ALERTS_STREAM, AUDIT_STREAM, publishAlert } from '@enlace/transport';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager, StreamSource } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createEnlaceNetwork, routeDraft, signRouteAlert, waitFor } from './support/enlace-network.js';
import type { EnlaceNetwork } from './support/enlace-network.js';
import { NatsProcess, renderConfigFile } from './support/nats-process.js';
import { TcpProxy } from './support/tcp-proxy.js';

const LEAF_DIR = resolve(import.meta.dirname, '../deploy/nats/leaf');
const OUTAGE_ALERTS = 100;
const MX_OFFICER = { id: 'mx-liaison-1', roles: ['focal-point'], country: 'MX' } as const;

let dir: string;
let hub: NatsProcess;
let leaf: NatsProcess;
let link: TcpProxy;
let hubUrl: string;
let leafUrl: string;
let hubMonitor: string;
let network: EnlaceNetwork;
let hubNc: NatsConnection;
let leafNc: NatsConnection;
let hubJsm: JetStreamManager;
let leafJsm: JetStreamManager;
const nodes: Record<string, NodeApp> = {};

/** Number of leaf connections the hub has now. */
async function leafLinks(): Promise<number> {
  const response = await fetch(`${hubMonitor}/leafz`);
  return ((await response.json()) as { leafnodes?: number }).leafnodes ?? 0;
}

/** The sources a streams/*.json file adds to a stream. */
async function sourcesOf(file: string): Promise<{ stream: string; sources: StreamSource[] }> {
  return JSON.parse(await readFile(join(LEAF_DIR, 'streams', file), 'utf8')) as {
    stream: string;
    sources: StreamSource[];
  };
}

async function addSources(jsm: JetStreamManager, file: string): Promise<void> {
  const { stream, sources } = await sourcesOf(file);
  await jsm.streams.update(stream, { sources });
}

/** Messages on MX's alert subjects in a stream. */
async function mxAlerts(jsm: JetStreamManager): Promise<number> {
  const info = await jsm.streams.info(ALERTS_STREAM, { subjects_filter: 'enlace.v1.alert.*.*.MX' });
  return Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enlace-leaf-'));
  const [hubPort, hubHttp, hubLeafPort, leafPort, leafHttp] = (await findFreePorts(5)) as [
    number,
    number,
    number,
    number,
    number,
  ];
  link = new TcpProxy(hubLeafPort);
  await link.restore();
  await renderConfigFile(join(LEAF_DIR, 'hub.conf'), join(dir, 'hub.conf'), [
    ['listen: 0.0.0.0:4222', `listen: 127.0.0.1:${hubPort}`],
    ['http: 0.0.0.0:8222', `http: 127.0.0.1:${hubHttp}`],
    // Leaves learn the hub's leafnode URLs from it and would reconnect around the relay: the
    // hub advertises the relay, as a hub behind a load balancer advertises its public address.
    ['listen: 0.0.0.0:7422', `listen: 127.0.0.1:${hubLeafPort}\n  advertise: "127.0.0.1:${link.port}"`],
    ['"/data/jetstream"', JSON.stringify(join(dir, 'hub-js'))],
  ]);
  await renderConfigFile(join(LEAF_DIR, 'leaf-mx.conf'), join(dir, 'leaf-mx.conf'), [
    ['listen: 0.0.0.0:4222', `listen: 127.0.0.1:${leafPort}`],
    ['http: 0.0.0.0:8222', `http: 127.0.0.1:${leafHttp}`],
    ['"/data/jetstream"', JSON.stringify(join(dir, 'leaf-js'))],
    ['nats-leaf://hub.enlace.example:7422', `nats-leaf://127.0.0.1:${link.port}`],
  ]);
  hubUrl = `nats://127.0.0.1:${hubPort}`;
  leafUrl = `nats://127.0.0.1:${leafPort}`;
  hubMonitor = `http://127.0.0.1:${hubHttp}`;
  hub = new NatsProcess('hub', join(dir, 'hub.conf'));
  leaf = new NatsProcess('leaf-mx', join(dir, 'leaf-mx.conf'));
  await hub.start();
  await leaf.start();
  await waitFor('the leaf to connect to the hub', async () => (await leafLinks()) === 1, 15_000);

  network = await createEnlaceNetwork({ natsUrl: hubUrl, countries: ['MX', 'GT'] });
  nodes['GT'] = await network.startNode('GT', hubUrl);
  nodes['MX'] = await network.startNode('MX', leafUrl);
  hubNc = await connect({ servers: hubUrl, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  leafNc = await connect({ servers: leafUrl, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  hubJsm = await jetstreamManager(hubNc);
  leafJsm = await jetstreamManager(leafNc);
  // The operator's step (deploy/nats/leaf/README.md): wire the streams of the two domains.
  await addSources(hubJsm, 'hub-alerts-sources.json');
  await addSources(hubJsm, 'hub-audit-sources.json');
  await addSources(leafJsm, 'leaf-alerts-sources.json');
}, 90_000);

afterAll(async () => {
  for (const node of Object.values(nodes)) await node.close();
  await hubNc?.close();
  await leafNc?.close();
  await network?.close();
  await leaf?.kill();
  await hub?.kill();
  await link?.cut();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}, 60_000);

describe('a country on a leaf node', () => {
  it(`publishes ${OUTAGE_ALERTS} alerts while cut off from the hub; all arrive when the link returns`, async () => {
    const mx = nodes['MX'] as NodeApp;
    const gt = nodes['GT'] as NodeApp;
    const ids: string[] = [];

    // Link up: MX -> GT through the leaf's stream and the hub's source of it.
    const before = await mx.context.publisher.publish(routeDraft('MX', 'antes del corte'), MX_OFFICER);
    ids.push(before.id);
    await waitFor('the first alert at GT', () => gt.context.store.has(before.id), 15_000);

    // Link down: MX's node keeps publishing, acknowledged by the leaf's JetStream.
    await link.cut();
    await waitFor('the hub to see the leaf gone', async () => (await leafLinks()) === 0, 15_000);
    for (let i = 0; i < OUTAGE_ALERTS; i++) {
      const published = await mx.context.publisher.publish(
        routeDraft('MX', `durante el corte ${i}`),
        MX_OFFICER,
      );
      expect(published.stream).toBe(ALERTS_STREAM);
      ids.push(published.id);
    }
    // Meanwhile GT publishes on the hub (signed by GT, straight onto the hub's stream).
    const gtKey = network.signingKeys['GT'];
    if (gtKey === undefined) throw new Error('no GT key');
    const fromGt = await signRouteAlert('GT', gtKey, 'desde Guatemala durante el corte');
    await publishAlert(jetstream(hubNc), {
      subject: fromGt.subject,
      envelope: fromGt.envelope,
      msgId: fromGt.id,
    });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(ids.slice(1).filter((id) => gt.context.store.has(id))).toEqual([]);
    expect(mx.context.store.has(fromGt.id)).toBe(false);

    // Link back: the hub's source catches up, GT stores every one; MX gets GT's alert.
    const restoredAt = Date.now();
    await link.restore();
    await waitFor(
      `all ${ids.length} MX alerts at GT`,
      () => ids.every((id) => gt.context.store.has(id)),
      45_000,
      200,
    );
    const caughtUpMs = Date.now() - restoredAt;
    await waitFor('the GT alert at MX', () => mx.context.store.has(fromGt.id), 30_000, 200);

    // Exactly once: each id once at GT and once on each stream, also after the sources settle
    // (the two domains source each other; Nats-Msg-Id deduplication stops the echo).
    await new Promise((r) => setTimeout(r, 2_000));
    expect(gt.context.metrics.acceptedCount('inbox')).toBe(ids.length);
    expect(await mxAlerts(hubJsm)).toBe(ids.length);
    expect(await mxAlerts(leafJsm)).toBe(ids.length);
    const hubAudit = await hubJsm.streams.info(AUDIT_STREAM, {
      subjects_filter: 'enlace.v1.audit.node-mx.>',
    });
    expect(hubAudit.state.messages).toBeGreaterThan(0);
    console.info(
      `[reliability-leaf] ${ids.length - 1} alerts published while cut off reached GT ${caughtUpMs} ms after the link returned`,
    );
  }, 120_000);
});
