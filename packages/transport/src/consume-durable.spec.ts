import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ConsumerNotification, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DeadLetter, RejectedMessage } from './consume.js';
import { exponentialNakDelay } from './consume.js';
import type { DurableConsumer } from './consume-durable.js';
import { consumeDurable } from './consume-durable.js';
import { pullRetryDelay } from './pull-strategy.js';
import { publishAlert } from './publish.js';
import { RejectMessage } from './reject-message.js';
import { ensureEnlaceStreams } from './streams.js';
import { ALERTS_STREAM, alertSubject } from './subjects.js';

let server: NatsServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer({ backend: 'binary', name: 'transport-consume' });
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
    await publishAlert(js, {
      subject,
      envelope: new TextEncoder().encode(id),
      msgId: id,
      timeoutMs: 2_000,
      retries: 8,
    });
  }
}

const idOf = (msg: JsMsg): string => msg.headers?.get('Nats-Msg-Id') ?? '';
const filterOf = (network: string): string => `enlace.v1.alert.${network}.>`;

async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('consumeDurable', () => {
  it('survives a consumer restart without loss or duplicate handling', { timeout: 30_000 }, async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `restart-${i}`);
    await publishIds('consumer-restart', ids);
    const handled = new Map<string, number>();
    const handler = async (msg: JsMsg) => {
      await sleep(5);
      handled.set(idOf(msg), (handled.get(idOf(msg)) ?? 0) + 1);
    };
    const options = {
      stream: ALERTS_STREAM,
      durable: 'restart',
      filterSubject: filterOf('consumer-restart'),
      maxInFlight: 4,
    };

    const first = await consumeDurable(js, options, handler);
    await waitFor('a first batch', () => handled.size >= 12);
    await first.close();
    const firstCounters = first.counters();
    expect(firstCounters.acked).toBe(handled.size);
    expect(first.inFlight()).toBe(0);

    const second = await consumeDurable(js, options, handler);
    try {
      await waitFor('every id', () => handled.size === ids.length);
      await sleep(300);
      expect([...handled.values()].every((n) => n === 1)).toBe(true);
      expect(firstCounters.acked + second.counters().acked).toBe(ids.length);
      const info = await jsm.consumers.info(ALERTS_STREAM, 'restart');
      expect(info.num_pending).toBe(0);
      expect(info.num_ack_pending).toBe(0);
    } finally {
      await second.close();
    }
  });

  it(
    'terminates rejected messages: never redelivered, reported with their reason',
    { timeout: 30_000 },
    async () => {
      await publishIds('reject', ['good-1', 'forged', 'lying', 'good-2']);
      const deliveries = new Map<string, number>();
      const rejected: RejectedMessage[] = [];
      const consumer = await consumeDurable(
        js,
        {
          stream: ALERTS_STREAM,
          durable: 'reject',
          filterSubject: filterOf('reject'),
          ackWaitMs: 1_000,
          onRejected: (event) => void rejected.push(event),
        },
        (msg) => {
          const id = idOf(msg);
          deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
          if (id === 'forged') throw new RejectMessage('bad_signature', 'signature does not verify');
          if (id === 'lying') return new RejectMessage('subject_mismatch');
          return undefined;
        },
      );
      try {
        await waitFor('four deliveries', () => deliveries.size === 4);
        // Longer than two ack waits: a message not terminated would have come back by now.
        await sleep(2_500);
        expect(Object.fromEntries(deliveries)).toEqual({ 'good-1': 1, forged: 1, lying: 1, 'good-2': 1 });
        expect(rejected.map((r) => [idOf(r.msg), r.reason, r.rejection.code])).toEqual([
          ['forged', 'bad_signature', 'ERR_MESSAGE_REJECTED'],
          ['lying', 'subject_mismatch', 'ERR_MESSAGE_REJECTED'],
        ]);
        expect(consumer.counters()).toMatchObject({
          received: 4,
          acked: 2,
          termed: 2,
          rejected: 2,
          naked: 0,
        });
        const info = await jsm.consumers.info(ALERTS_STREAM, 'reject');
        expect(info.num_ack_pending).toBe(0);
        expect(info.num_redelivered).toBe(0);
      } finally {
        await consumer.close();
      }
    },
  );

  it('redelivers failed messages with backoff, then dead-letters them', { timeout: 30_000 }, async () => {
    await publishIds('nak', ['flaky', 'broken']);
    const seen = new Map<string, number[]>();
    const deadLetters: DeadLetter[] = [];
    const errors: unknown[] = [];
    const consumer = await consumeDurable(
      js,
      {
        stream: ALERTS_STREAM,
        durable: 'nak',
        filterSubject: filterOf('nak'),
        maxDeliver: 3,
        nakDelay: exponentialNakDelay({ initialMs: 300, maxMs: 1_000 }),
        onDeadLetter: (event) => void deadLetters.push(event),
        onError: (error) => void errors.push(error),
      },
      (msg) => {
        const id = idOf(msg);
        const times = [...(seen.get(id) ?? []), Date.now()];
        seen.set(id, times);
        if (id === 'broken' || times.length < 3)
          throw new Error(`${id} failed on delivery ${msg.info.deliveryCount}`);
      },
    );
    try {
      await waitFor('the dead letter', () => deadLetters.length === 1 && consumer.counters().acked === 1);
      const flaky = seen.get('flaky') ?? [];
      expect(flaky).toHaveLength(3);
      // nak(300 ms) after delivery 1, nak(600 ms) after delivery 2.
      expect((flaky[1] ?? 0) - (flaky[0] ?? 0)).toBeGreaterThanOrEqual(250);
      expect((flaky[2] ?? 0) - (flaky[1] ?? 0)).toBeGreaterThanOrEqual(550);
      expect(seen.get('broken')).toHaveLength(3);
      expect(deadLetters[0]).toMatchObject({ deliveryCount: 3 });
      expect(idOf(deadLetters[0]!.msg)).toBe('broken');
      expect((deadLetters[0]!.error as Error).message).toBe('broken failed on delivery 3');
      expect(consumer.counters()).toMatchObject({
        received: 6,
        acked: 1,
        naked: 4,
        failed: 5,
        deadLettered: 1,
        termed: 1,
      });
      expect(errors).toHaveLength(5);
    } finally {
      await consumer.close();
    }
  });

  it('resumes after a nats-server restart', { timeout: 30_000 }, async () => {
    const handled = new Set<string>();
    let consumer: DurableConsumer | undefined;
    try {
      consumer = await consumeDurable(
        js,
        { stream: ALERTS_STREAM, durable: 'server-restart', filterSubject: filterOf('server-restart') },
        (msg) => void handled.add(idOf(msg)),
      );
      await publishIds('server-restart', ['before-1', 'before-2']);
      await waitFor('messages before the restart', () => handled.size === 2);
      await server.restart();
      await publishIds('server-restart', ['after-1', 'after-2']);
      await waitFor('messages after the restart', () => handled.size === 4, 20_000);
      expect([...handled].sort()).toEqual(['after-1', 'after-2', 'before-1', 'before-2']);
    } finally {
      await consumer?.close();
    }
  });

  it('updates an existing consumer, and refuses one it cannot use', { timeout: 15_000 }, async () => {
    const base = { stream: ALERTS_STREAM, durable: 'settings', filterSubject: filterOf('settings') };
    const first = await consumeDurable(js, base, () => undefined);
    await first.close();
    const second = await consumeDurable(js, { ...base, ackWaitMs: 10_000, maxDeliver: 7 }, () => undefined);
    await second.close();
    expect(second.info.config).toMatchObject({ ack_wait: 10_000_000_000, max_deliver: 7 });

    await jsm.consumers.add(ALERTS_STREAM, {
      durable_name: 'push',
      ack_policy: AckPolicy.Explicit,
      deliver_subject: '_INBOX.push',
    });
    await expect(consumeDurable(js, { ...base, durable: 'push' }, () => undefined)).rejects.toMatchObject({
      code: 'ERR_CONSUMER_CONFLICT',
      message: expect.stringMatching(
        /^consumer push on stream ENLACE_ALERTS exists but is not an explicit-ack pull consumer/,
      ),
    });
  });

  it(
    'pulls ahead: at most maxInFlight handlers, the next messages already held',
    { timeout: 30_000 },
    async () => {
      const ids = Array.from({ length: 48 }, (_, i) => `ahead-${i}`);
      await publishIds('read-ahead', ids);
      const handled = new Map<string, number>();
      let running = 0;
      let maxRunning = 0;
      let maxAckPending = 0;
      const consumer = await consumeDurable(
        js,
        {
          stream: ALERTS_STREAM,
          durable: 'read-ahead',
          filterSubject: filterOf('read-ahead'),
          maxInFlight: 4,
        },
        async (msg) => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          // What the server counts as delivered and not acknowledged: running plus pulled ahead.
          const info = await jsm.consumers.info(ALERTS_STREAM, 'read-ahead');
          maxAckPending = Math.max(maxAckPending, info.num_ack_pending);
          await sleep(20);
          handled.set(idOf(msg), (handled.get(idOf(msg)) ?? 0) + 1);
          running--;
        },
      );
      try {
        await waitFor('every id', () => handled.size === ids.length);
        await consumer.close();
        expect([...handled.values()].every((n) => n === 1)).toBe(true);
        expect(maxRunning).toBe(4);
        // Four running and up to four more pulled ahead (maxAckPending, 16 by default, allows it),
        // plus at most one from a nudge pull (1 message) opened while deliveries paused.
        expect(maxAckPending).toBeGreaterThan(4);
        expect(maxAckPending).toBeLessThanOrEqual(9);
        expect(consumer.counters()).toMatchObject({ received: ids.length, acked: ids.length, naked: 0 });
        // Acks are not waited for one by one; close() made sure the server has them all.
        const info = await jsm.consumers.info(ALERTS_STREAM, 'read-ahead');
        expect(info.num_ack_pending).toBe(0);
        expect(info.num_pending).toBe(0);
      } finally {
        await consumer.close();
      }
    },
  );

  it(
    'replaces a pull whose heartbeats went missing at once (server paused with SIGSTOP)',
    { timeout: 30_000 },
    async () => {
      const pid = server.pid;
      expect(pid).toBeDefined();
      const statuses: { type: string; at: number }[] = [];
      const handled = new Map<string, number>();
      const consumer = await consumeDurable(
        js,
        {
          stream: ALERTS_STREAM,
          durable: 'missed-heartbeats',
          filterSubject: filterOf('missed-heartbeats'),
          // Idle heartbeats every 500 ms: nats.js gives a pull up after about a second without any.
          pullExpiresMs: 1_000,
          onStatus: (status: ConsumerNotification) =>
            void statuses.push({ type: status.type, at: Date.now() }),
        },
        (msg) => void handled.set(idOf(msg), Date.now()),
      );
      try {
        await publishIds('missed-heartbeats', ['before-pause']);
        await waitFor('the message before the pause', () => handled.has('before-pause'));
        process.kill(pid!, 'SIGSTOP');
        try {
          await waitFor(
            'two missed-heartbeat pulls',
            () => statuses.filter((s) => s.type === 'heartbeats_missed').length >= 2,
          );
          await sleep(300);
        } finally {
          process.kill(pid!, 'SIGCONT');
        }
        const resumedAt = Date.now();
        await publishIds('missed-heartbeats', ['after-pause']);
        await waitFor('the message after the pause', () => handled.has('after-pause'));
        expect(handled.get('after-pause')! - resumedAt).toBeLessThan(2_000);

        // Each pull given up on is followed by a new pull request at once, not after a back-off.
        const missed = statuses.filter((s) => s.type === 'heartbeats_missed');
        expect(missed.length).toBeGreaterThanOrEqual(2);
        for (const m of missed) {
          const next = statuses.find((s) => s.type === 'next' && s.at >= m.at);
          expect(next).toBeDefined();
          expect(next!.at - m.at).toBeLessThan(250);
        }
      } finally {
        await consumer.close();
      }
    },
  );

  it(
    'opens a small extra pull once deliveries pause (nats-server 2.9 may stop serving the others)',
    { timeout: 30_000 },
    async () => {
      const handled: string[] = [];
      const consumer = await consumeDurable(
        js,
        { stream: ALERTS_STREAM, durable: 'nudge', filterSubject: filterOf('nudge') },
        (msg) => void handled.push(idOf(msg)),
      );
      const waiting = async () => (await jsm.consumers.info(ALERTS_STREAM, 'nudge')).num_waiting;
      try {
        // Two pull requests open, each for half of what may be held.
        await waitFor('two pull requests', async () => (await waiting()) === 2);
        await publishIds('nudge', ['nudge-1']);
        await waitFor('the message', () => handled.length === 1);
        // Both pulls stay open (not full); about 100 ms later a one-message pull joins them.
        await waitFor('the nudge pull', async () => (await waiting()) === 3, 5_000);
        // It expires after a second; nothing more is asked for while nothing comes.
        await waitFor('the nudge pull to expire', async () => (await waiting()) === 2, 5_000);
        await publishIds('nudge', ['nudge-2']);
        await waitFor('the second message', () => handled.length === 2);
        expect(handled).toEqual(['nudge-1', 'nudge-2']);
      } finally {
        await consumer.close();
      }
    },
  );

  it('refuses a stream that does not exist', async () => {
    await expect(
      consumeDurable(js, { stream: 'NO_SUCH_STREAM', durable: 'x', filterSubject: 'x.>' }, () => undefined),
    ).rejects.toMatchObject({
      code: 'ERR_NO_STREAM',
      message: 'cannot create consumer x on stream NO_SUCH_STREAM: stream NO_SUCH_STREAM does not exist',
    });
  });
});

describe('pullRetryDelay', () => {
  it('pulls again at once after a pull that ended, or the first two that missed heartbeats', () => {
    expect(pullRetryDelay('ended', 0)).toBe(0);
    expect(pullRetryDelay('heartbeats_missed', 1)).toBe(0);
    expect(pullRetryDelay('heartbeats_missed', 2)).toBe(0);
  });

  it('backs off when heartbeats keep missing, and after refused or failed pulls', () => {
    expect([3, 4, 5, 6, 7, 8, 50].map((n) => pullRetryDelay('heartbeats_missed', n))).toEqual([
      500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000,
    ]);
    expect([1, 2, 3, 4, 5, 6, 50].map((n) => pullRetryDelay('failed', n))).toEqual([
      500, 1_000, 2_000, 4_000, 5_000, 5_000, 5_000,
    ]);
    expect(pullRetryDelay('refused', 1)).toBe(500);
  });
});
