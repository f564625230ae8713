import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { consume } from './consume.js';
import { publishAlert } from './publish.js';
import { RejectMessage } from './reject-message.js';
import { ensureEnlaceStreams } from './streams.js';
import { ALERTS_STREAM, alertSubject } from './subjects.js';

let server: NatsServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer({ backend: 'binary', name: 'transport-consume-run' });
  nc = await server.connect();
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
  await ensureEnlaceStreams(jsm);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

/** Publishes `ids` on a network of their own, so each test reads only its messages. */
async function publishIds(network: string, ids: readonly string[]): Promise<void> {
  const subject = alertSubject({ network, kind: 'route', origin: 'MX' });
  for (const id of ids) {
    await publishAlert(js, { subject, envelope: new TextEncoder().encode(id), msgId: id, timeoutMs: 2_000 });
  }
}

/** A durable explicit-ack consumer of `network`'s alerts, as the feed service configures its own. */
async function addDurable(network: string, extra: { max_deliver?: number } = {}): Promise<string> {
  await jsm.consumers.add(ALERTS_STREAM, {
    durable_name: network,
    filter_subject: `enlace.v1.alert.${network}.>`,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
    max_ack_pending: 1_000,
    ...extra,
  });
  return network;
}

const idOf = (msg: JsMsg): string => msg.headers?.get('Nats-Msg-Id') ?? '';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const waiting = async (name: string) => (await jsm.consumers.info(ALERTS_STREAM, name)).num_waiting;

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('consume: the pull strategy', () => {
  it(
    'uses the stall workaround against this machine’s nats-server 2.9 (version from INFO)',
    { timeout: 30_000 },
    async () => {
      expect(nc.info?.version).toMatch(/^2\.9\./);
      const name = await addDurable('strategy-auto');
      const handled: string[] = [];
      const run = await consume(
        js,
        { stream: ALERTS_STREAM, name },
        {},
        (msg) => void handled.push(idOf(msg)),
      );
      try {
        expect(run.pullStrategy).toBe('stall-workaround');
        await waitFor('two pull requests', async () => (await waiting(name)) === 2);
        await publishIds(name, ['auto-1']);
        await waitFor('the message', () => handled.length === 1);
        // Deliveries paused while both pulls wait: a one-message "nudge" pull joins them.
        await waitFor('the nudge pull', async () => (await waiting(name)) === 3, 5_000);
      } finally {
        await run.close();
      }
    },
  );

  it(
    'pulls plainly when the server’s version says it does not stall (2.10 and later)',
    { timeout: 30_000 },
    async () => {
      const name = await addDurable('strategy-plain');
      const handled: string[] = [];
      const run = await consume(
        js,
        { stream: ALERTS_STREAM, name },
        { serverVersion: '2.10.22' },
        (msg) => void handled.push(idOf(msg)),
      );
      try {
        expect(run.pullStrategy).toBe('plain');
        await waitFor('two pull requests', async () => (await waiting(name)) === 2);
        await publishIds(name, ['plain-1']);
        await waitFor('the message', () => handled.length === 1);
        // No nudge: the two pulls stay the only ones, well past when the workaround would nudge.
        const seen = new Set<number>();
        for (let i = 0; i < 12; i++) {
          seen.add(await waiting(name));
          await sleep(50);
        }
        expect(Math.max(...seen)).toBeLessThanOrEqual(2);
        await publishIds(name, ['plain-2']);
        await waitFor('the second message', () => handled.length === 2);
        expect(handled).toEqual(['plain-1', 'plain-2']);
      } finally {
        await run.close();
      }
    },
  );

  it('refuses a strategy it does not know, naming the option', async () => {
    const name = await addDurable('strategy-bad');
    await expect(
      consume(js, { stream: ALERTS_STREAM, name }, { pullStrategy: 'nudge' as 'plain' }, () => undefined),
    ).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      message: 'pullStrategy must be one of auto, plain, stall-workaround, got "nudge"',
    });
  });
});

describe('consume: what the feed service relies on', () => {
  it(
    'one at a time in stream order, acks confirmed before the next starts',
    { timeout: 30_000 },
    async () => {
      const ids = Array.from({ length: 30 }, (_, i) => `ordered-${i}`);
      const name = await addDurable('ordered');
      await publishIds(name, ids);
      const handled: string[] = [];
      let running = 0;
      let maxRunning = 0;
      const ackedAtStart: number[] = [];
      const run = await consume(
        js,
        { stream: ALERTS_STREAM, name },
        { maxInFlight: 1, pullAhead: 8, acks: 'confirmed' },
        async (msg) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          // The server confirmed the ack of every message before this one.
          ackedAtStart.push(run.counters().acked);
          await sleep(2);
          handled.push(idOf(msg));
          running--;
        },
      );
      try {
        await waitFor('every id', () => handled.length === ids.length);
        expect(handled).toEqual(ids);
        expect(maxRunning).toBe(1);
        expect(ackedAtStart).toEqual(ids.map((_, i) => i));
        // Confirmed acks: nothing pending, without close() flushing anything.
        await waitFor('the last ack', () => run.counters().acked === ids.length);
        const info = await jsm.consumers.info(ALERTS_STREAM, name);
        expect(info.num_ack_pending).toBe(0);
      } finally {
        await run.close();
      }
    },
  );

  it('pulls nothing while paused, hands back what arrives, and resumes', { timeout: 30_000 }, async () => {
    const name = await addDurable('paused');
    let paused = false;
    const handled: string[] = [];
    const run = await consume(
      js,
      { stream: ALERTS_STREAM, name },
      { maxInFlight: 1, paused: () => paused },
      (msg) => void handled.push(idOf(msg)),
    );
    try {
      await waitFor('two pull requests', async () => (await waiting(name)) === 2);
      // Paused with pulls open: what they still bring is handed back, and they end.
      paused = true;
      await publishIds(name, ['in-open-pull']);
      await waitFor('the hand-back', () => run.counters().naked === 1);
      await waitFor('the pulls to end', async () => (await waiting(name)) === 0);
      await publishIds(name, ['while-paused']);
      await sleep(600);
      expect(await waiting(name)).toBe(0);
      expect(handled).toEqual([]);
      paused = false;
      await waitFor('both messages after resuming', () => handled.length === 2);
      // The one handed back first: nothing newer overtakes it (the feed runner relies on it).
      expect(handled).toEqual(['in-open-pull', 'while-paused']);
      expect(run.counters()).toMatchObject({ received: 2, acked: 2, naked: 1 });
    } finally {
      await run.close();
    }
  });

  it(
    'never dead-letters on a consumer without a delivery limit (max_deliver -1)',
    { timeout: 30_000 },
    async () => {
      const name = await addDurable('unlimited', { max_deliver: -1 });
      await publishIds(name, ['flaky']);
      let deliveries = 0;
      const deadLetters: unknown[] = [];
      const run = await consume(
        js,
        { stream: ALERTS_STREAM, name },
        { nakDelay: () => 0, onDeadLetter: (event) => void deadLetters.push(event) },
        () => {
          deliveries++;
          if (deliveries < 7) throw new Error('sink down');
        },
      );
      try {
        await waitFor('the seventh delivery', () => run.counters().acked === 1);
        expect(deliveries).toBe(7);
        expect(deadLetters).toEqual([]);
        expect(run.counters()).toMatchObject({ failed: 6, naked: 6, termed: 0, deadLettered: 0 });
      } finally {
        await run.close();
      }
    },
  );

  it(
    'ends a bounded read of an ephemeral consumer (no acks) at the end of the stream',
    { timeout: 30_000 },
    async () => {
      const network = 'bounded';
      await publishIds(network, ['b-1', 'b-2', 'b-forged', 'b-3']);
      const info = await jsm.consumers.add(ALERTS_STREAM, {
        name: 'bounded-read',
        filter_subject: `enlace.v1.alert.${network}.>`,
        ack_policy: AckPolicy.None,
        deliver_policy: DeliverPolicy.All,
        inactive_threshold: nanos(30_000),
        mem_storage: true,
      });
      const handled: string[] = [];
      const rejected: string[] = [];
      const run = await consume(
        js,
        { stream: ALERTS_STREAM, name: 'bounded-read', info },
        {
          maxInFlight: 1,
          pullAhead: 16,
          stopAt: 'end',
          onRejected: ({ msg }) => void rejected.push(idOf(msg)),
        },
        (msg) => {
          if (idOf(msg) === 'b-forged') throw new RejectMessage('bad_signature');
          handled.push(idOf(msg));
        },
      );
      // Resolves by itself: nothing more was pending after b-3.
      await run.closed();
      expect(handled).toEqual(['b-1', 'b-2', 'b-3']);
      expect(rejected).toEqual(['b-forged']);
      expect(run.counters()).toMatchObject({ received: 4, acked: 0, termed: 0, rejected: 1 });
      await jsm.consumers.delete(ALERTS_STREAM, 'bounded-read');
    },
  );
});
