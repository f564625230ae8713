/**
 * A receiving node killed mid-stream and started again loses nothing and duplicates nothing.
 * GT runs as its own process (services/node/dist/main.js) and is SIGKILLed while alerts from
 * MX are arriving, with messages in flight; it restarts on the same store and durable consumer.
 * Afterwards its store holds every published alert exactly once.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { AlertStore } from '@enlace/node';
import type { NatsServerHandle } from '@enlace/testing';
import { startNatsServer } from '@enlace/testing';
import { ALERTS_STREAM, publishAlert } from '@enlace/transport';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createEnlaceNetwork, signRouteAlert, waitFor } from './support/enlace-network.js';
import type { EnlaceNetwork, SignedRouteAlert } from './support/enlace-network.js';
import { startNodeProcess } from './support/node-process.js';
import type { NodeProcess } from './support/node-process.js';

const ALERTS = 300;
// The node's durable on the network the alerts travel (one per membership, see nodeDurablesOf).
const DURABLE = 'node-GT-net-trafficking-liaison';

let server: NatsServerHandle;
let network: EnlaceNetwork;
let nc: NatsConnection;
let jsm: JetStreamManager;
let gt: NodeProcess | undefined;
let registryKeyFile: string;

function startGt(): Promise<NodeProcess> {
  return startNodeProcess({
    country: 'GT',
    natsUrl: server.url,
    dataDir: join(network.root, 'data', 'GT'),
    keysDir: join(network.root, 'keys', 'GT'),
    registryKeyFile,
  });
}

async function consumer(): Promise<{
  delivered: number;
  ackFloor: number;
  pending: number;
  ackPending: number;
}> {
  const info = await jsm.consumers.info(ALERTS_STREAM, DURABLE);
  return {
    delivered: info.delivered.stream_seq,
    ackFloor: info.ack_floor.stream_seq,
    pending: info.num_pending,
    ackPending: info.num_ack_pending,
  };
}

beforeAll(async () => {
  server = await startNatsServer({ name: 'enlace-node-restart' });
  network = await createEnlaceNetwork({ natsUrl: server.url, countries: ['MX', 'GT'] });
  registryKeyFile = join(network.root, 'registry.public.jwk');
  await writeFile(registryKeyFile, JSON.stringify(network.pinned));
  nc = await server.connect();
  jsm = await jetstreamManager(nc);
}, 60_000);

afterAll(async () => {
  await gt?.kill();
  await nc?.close();
  await network?.close();
  await server?.stop();
}, 30_000);

describe('a receiving node killed and restarted mid-stream', () => {
  it('loses nothing and duplicates nothing', async () => {
    gt = await startGt();
    const mx = network.signingKeys['MX'];
    if (mx === undefined) throw new Error('no MX key');
    const alerts: SignedRouteAlert[] = [];
    for (let i = 0; i < ALERTS; i++) alerts.push(await signRouteAlert('MX', mx, `Ruta ${i}`));

    // MX publishes at a steady pace in the background, a few in flight at a time.
    const js = jetstream(nc);
    let next = 0;
    const publisher = async (): Promise<void> => {
      while (next < alerts.length) {
        const alert = alerts[next++] as SignedRouteAlert;
        await publishAlert(js, { subject: alert.subject, envelope: alert.envelope, msgId: alert.id });
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const publishing = Promise.all(Array.from({ length: 4 }, publisher));

    // Kill GT once it has taken in a third, at a moment when it holds unacknowledged messages.
    // GT acknowledges within a millisecond or two, so it is frozen first (SIGSTOP): the server
    // keeps delivering to the pulls it has open, and those messages are in flight when it dies.
    await waitFor(
      'GT to take in a third',
      async () => ((await consumer().catch(() => undefined))?.ackFloor ?? 0) >= ALERTS / 3,
      30_000,
      5,
    );
    process.kill(gt.pid, 'SIGSTOP');
    await waitFor(
      'messages in flight to the frozen GT',
      async () => (await consumer()).ackPending > 0,
      10_000,
      20,
    );
    await gt.kill();
    const atKill = await consumer();
    await new Promise((r) => setTimeout(r, 1_000));
    gt = await startGt();
    await publishing;

    // Everything acknowledged by GT: what was in flight at the kill comes back after ack_wait.
    await waitFor(
      'GT to acknowledge every alert',
      async () => {
        const state = await consumer();
        return state.pending === 0 && state.ackPending === 0 && state.ackFloor >= ALERTS;
      },
      60_000,
      250,
    );
    await gt.stop();
    gt = undefined;

    const store = AlertStore.open(join(network.root, 'data', 'GT'));
    try {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = store.list({ box: 'inbox', limit: 500, ...(cursor !== undefined && { cursor }) });
        ids.push(...page.items.map((item) => item.id));
        cursor = page.next;
      } while (cursor !== undefined);
      expect(ids.length).toBe(ALERTS);
      expect(new Set(ids)).toEqual(new Set(alerts.map((a) => a.id)));
    } finally {
      store.close();
    }
    expect(atKill.ackPending, 'the kill left messages unacknowledged').toBeGreaterThan(0);
    expect(atKill.ackFloor).toBeLessThan(ALERTS);
    // The stream holds each alert once.
    const info = await jsm.streams.info(ALERTS_STREAM, { subjects_filter: 'enlace.v1.alert.>' });
    expect(Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0)).toBe(ALERTS);
  }, 120_000);
});
