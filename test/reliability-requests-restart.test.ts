/**
 * A node killed mid-thread (SIGKILL) and started again holds every request message sent to it
 * meanwhile, once. GT runs as its own process (services/node/dist/main.js); MX, in process, keeps
 * replying in a thread it opened while GT is killed, down, and back.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { RequestStore } from '@enlace/node';
import type { NodeApp } from '@enlace/node';
import type { NatsServerHandle } from '@enlace/testing';
import { startNatsServer } from '@enlace/testing';
import { ALERTS_STREAM } from '@enlace/transport';
import { jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createEnlaceNetwork, waitFor } from './support/enlace-network.js';
import type { EnlaceNetwork } from './support/enlace-network.js';
import { startNodeProcess } from './support/node-process.js';
import type { NodeProcess } from './support/node-process.js';

const REPLIES = 30;
const OFFICER = { id: 'mx-liaison-1', roles: ['focal-point'], country: 'MX' } as const;

let server: NatsServerHandle;
let network: EnlaceNetwork;
let nc: NatsConnection;
let jsm: JetStreamManager;
let mx: NodeApp | undefined;
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

beforeAll(async () => {
  server = await startNatsServer({ name: 'enlace-requests-restart' });
  network = await createEnlaceNetwork({ natsUrl: server.url, countries: ['MX', 'GT'] });
  registryKeyFile = join(network.root, 'registry.public.jwk');
  await writeFile(registryKeyFile, JSON.stringify(network.pinned));
  nc = await server.connect();
  jsm = await jetstreamManager(nc);
  mx = await network.startNode('MX', server.url);
}, 60_000);

afterAll(async () => {
  await gt?.kill();
  await mx?.close();
  await nc?.close();
  await network?.close();
  await server?.stop();
}, 30_000);

describe('a node killed and restarted mid-thread', () => {
  it('holds every message sent meanwhile, once', async () => {
    gt = await startGt();
    const requests = mx!.context.requests;
    const opened = await requests.create(
      { to: ['GT'], subject: 'Reinicio', text: 'Primera pregunta.' },
      OFFICER,
    );
    const sent = [opened.id];
    const sending = (async () => {
      for (let i = 0; i < REPLIES; i++) {
        sent.push((await requests.reply(opened.threadId, { text: `Seguimiento ${i}` }, OFFICER)).id);
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
    // Kill GT once it took in a few, while MX keeps writing.
    await waitFor(
      'GT to take in a few',
      async () =>
        ((await jsm.consumers.info(ALERTS_STREAM, 'node-GT-direct').catch(() => undefined))?.ack_floor
          .stream_seq ?? 0) > 0,
      30_000,
      5,
    );
    await gt.kill();
    await new Promise((r) => setTimeout(r, 500));
    gt = await startGt();
    await sending;
    await waitFor(
      'GT to acknowledge every message',
      async () => {
        const info = await jsm.consumers.info(ALERTS_STREAM, 'node-GT-direct');
        return info.num_pending === 0 && info.num_ack_pending === 0;
      },
      60_000,
      250,
    );
    await gt.stop();
    gt = undefined;
    const store = RequestStore.open(join(network.root, 'data', 'GT'));
    try {
      const ids = store.messages(opened.threadId).map((m) => m.id);
      expect(ids).toHaveLength(REPLIES + 1);
      expect(new Set(ids)).toEqual(new Set(sent));
      expect(store.thread(opened.threadId)?.messages).toBe(REPLIES + 1);
    } finally {
      store.close();
    }
  }, 120_000);
});
