import { StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectBackends } from './detect-backends.js';
import { startNatsCluster } from './start-nats-cluster.js';
import type { NatsClusterHandle } from './start-nats-cluster.js';

const backends = await detectBackends();
if (!backends.binary.available) {
  console.warn(`SKIPPED nats-server cluster suite: ${backends.binary.reason}`);
}

interface Jsz {
  server_name: string;
  meta_cluster?: { name: string; leader?: string; cluster_size: number };
  account_details?: { stream_detail?: { name: string; state: { messages: number } }[] }[];
}

async function jsz(monitorUrl: string, query = ''): Promise<Jsz> {
  return (await (await fetch(`${monitorUrl}/jsz${query}`)).json()) as Jsz;
}

/** Publish with Nats-Msg-Id, retrying while the stream elects a new leader; duplicates are harmless. */
async function publishWithRetry(js: JetStreamClient, subject: string, id: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      await js.publish(subject, id, { msgID: id, timeout: 1_000 });
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe.skipIf(!backends.binary.available)('startNatsCluster (binary backend)', () => {
  let cluster: NatsClusterHandle;

  beforeAll(async () => {
    cluster = await startNatsCluster({ size: 3, name: 'spec-cluster' });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('routes three loopback servers that elect a JetStream meta leader', async () => {
    expect(cluster.servers.map((server) => server.name)).toEqual([
      'spec-cluster-1',
      'spec-cluster-2',
      'spec-cluster-3',
    ]);
    expect(new Set(cluster.urls).size).toBe(3);
    expect(new Set(cluster.servers.map((server) => server.storeDir)).size).toBe(3);
    for (const server of cluster.servers) {
      expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
      expect(server.port).not.toBe(4222);
      const info = await jsz(server.monitorUrl);
      expect(info.meta_cluster).toMatchObject({ name: 'spec-cluster', cluster_size: 3 });
      expect(cluster.servers.map((s) => s.name)).toContain(info.meta_cluster?.leader);
    }
  });

  it('keeps an R3 stream publishing through the SIGKILL of its leader, and the restarted server catches up', async () => {
    const nc = await cluster.connect();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'R3', subjects: ['r3.>'], storage: StorageType.File, num_replicas: 3 });
    const js = jetstream(nc);
    for (let i = 1; i <= 5; i++) await publishWithRetry(js, 'r3.alert', `before-${i}`);

    const leaderName = (await jsm.streams.info('R3')).cluster?.leader;
    const victim = cluster.servers.find((server) => server.name === leaderName);
    expect(victim).toBeDefined();
    if (victim === undefined) return;
    await victim.kill();
    expect(victim.running).toBe(false);

    for (let i = 1; i <= 5; i++) await publishWithRetry(js, 'r3.alert', `during-${i}`);
    const during = await jsm.streams.info('R3');
    expect(during.state.messages).toBe(10);
    expect(during.cluster?.leader).not.toBe(victim.name);

    await victim.restart();
    await cluster.waitUntilReady();
    // The restarted replica (same ports, same store) catches up with what it missed.
    const deadline = Date.now() + 10_000;
    let replicated = -1;
    while (Date.now() < deadline) {
      const info = await jsz(victim.monitorUrl, '?accounts=true&streams=true');
      const stream = info.account_details
        ?.flatMap((account) => account.stream_detail ?? [])
        .find((s) => s.name === 'R3');
      replicated = stream?.state.messages ?? -1;
      if (replicated === 10) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(replicated).toBe(10);
    await publishWithRetry(js, 'r3.alert', 'after-1');
    expect((await jsm.streams.info('R3')).state.messages).toBe(11);
  });
});
