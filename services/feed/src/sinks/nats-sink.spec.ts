import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { FEED_RECORD_FORMAT } from '../feed-record.js';
import type { FeedRecord } from '../feed-record.js';
import { createNatsSink, ensureFeedsStream, FEEDS_STREAM } from './nats-sink.js';
import type { DeliveryProgress } from './sink.js';

const FEED = 'mx-cases';
const SUBJECT = 'enlace.v1.feed.MX.cases';
const FAST = { initialMs: 1, maxMs: 20, factor: 2 };

let server: NatsServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer({ backend: 'binary', name: 'feed-nats-sink' });
  nc = await server.connect();
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

beforeEach(async () => {
  await jsm.streams.delete(FEEDS_STREAM).catch(() => undefined);
});

function record(seq: number, feed = FEED): FeedRecord {
  return {
    format: FEED_RECORD_FORMAT,
    id: `${feed}:0192f1c4-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    feed,
    seq,
    subject: 'enlace.v1.alert.trafficking-liaison.route.GT',
    alert: { header: { id: `alert-${seq}` } },
    financial: false,
    verification: {
      kid: 'GT-sig-2026-01',
      registryRevision: 7,
      rules: ['members-share'],
      verifiedAt: '2026-11-26T14:00:00.000Z',
      bodyReadable: true,
      expired: false,
    },
    signedAlert: 'AAAA',
  };
}

function progress(signal: AbortSignal = new AbortController().signal): DeliveryProgress & { beats: number } {
  const p = { beats: 0, signal, working: () => void (p.beats += 1) };
  return p;
}

describe('ensureFeedsStream', () => {
  it('creates ENLACE_FEEDS once and then leaves it alone', async () => {
    const created = await ensureFeedsStream(jsm);
    expect(created.action).toBe('created');
    expect(created.info.config).toMatchObject({
      name: FEEDS_STREAM,
      subjects: ['enlace.v1.feed.>'],
      storage: 'file',
      retention: 'limits',
      num_replicas: 1,
      max_age: nanos(30 * 24 * 60 * 60_000),
      duplicate_window: nanos(5 * 60_000),
    });
    expect((await ensureFeedsStream(jsm)).action).toBe('unchanged');
  });

  it('brings the limits of an existing stream back, keeping its replicas', async () => {
    await ensureFeedsStream(jsm, { maxAge: 24 * 60 * 60_000 });
    const updated = await ensureFeedsStream(jsm);
    expect(updated).toMatchObject({ action: 'updated', changed: ['max_age'] });
    expect(updated.info.config.num_replicas).toBe(1);
  });

  it('refuses a stream it cannot change in place', async () => {
    await jsm.streams.add({ name: FEEDS_STREAM, subjects: ['enlace.v1.feed.>'], storage: 'memory' as never });
    await expect(ensureFeedsStream(jsm)).rejects.toMatchObject({
      code: 'ERR_CONFLICT',
      message: expect.stringMatching(/^stream ENLACE_FEEDS exists with a different storage/),
    });
  });
});

describe('createNatsSink', () => {
  it('publishes each record on the subject into ENLACE_FEEDS, deduplicating a re-delivery', async () => {
    await ensureFeedsStream(jsm);
    const sink = createNatsSink({ type: 'nats', subject: SUBJECT }, { feedId: FEED, js, backoff: FAST });
    expect(sink.describe).toBe(`nats:${SUBJECT}`);
    expect(await sink.lastDeliveredSeq()).toBeUndefined();
    for (const seq of [4, 8]) await sink.deliver(record(seq), progress());
    // The runner crashed after the publish and before its ack: the same record comes again.
    await sink.deliver(record(8), progress());

    const info = await jsm.streams.info(FEEDS_STREAM);
    expect(info.state.messages).toBe(2);
    const stored = await jsm.streams.getMessage(FEEDS_STREAM, { seq: 2 });
    expect(stored?.subject).toBe(SUBJECT);
    expect(stored?.json<FeedRecord>()).toEqual(record(8));
    expect(stored?.header.get('Nats-Msg-Id')).toBe(record(8).id);
    expect(stored?.header.get('Enlace-Record-Id')).toBe(record(8).id);
    expect(stored?.header.get('Enlace-Feed')).toBe(FEED);
    expect(stored?.header.get('Content-Type')).toBe('application/json');
    expect(sink.status()).toMatchObject({ delivered: 3, retries: 0, retrying: false });
    expect(JSON.parse(JSON.stringify(sink))).toMatchObject({
      describe: `nats:${SUBJECT}`,
      status: { delivered: 3 },
    });

    expect(await sink.lastDeliveredSeq()).toBe(8);
    // Another feed of the country publishing on the same subject cannot tell.
    const other = createNatsSink({ type: 'nats', subject: SUBJECT }, { feedId: 'mx-other', js });
    expect(await other.lastDeliveredSeq()).toBeUndefined();
    await sink.close();
    await other.close();
  });

  it('retries until the stream is there, calling working() meanwhile', async () => {
    const sink = createNatsSink(
      { type: 'nats', subject: SUBJECT },
      { feedId: FEED, js, backoff: FAST, timeoutMs: 500, workingIntervalMs: 10 },
    );
    const p = progress();
    const delivered = sink.deliver(record(1), p);
    await expect.poll(() => sink.status().retries).toBeGreaterThanOrEqual(3);
    expect(sink.status()).toMatchObject({ delivered: 0, retrying: true });
    expect(sink.status().lastError?.message).toBe(
      `cannot publish record ${record(1).id} on ${SUBJECT}: no stream answered (is ENLACE_FEEDS there and JetStream up?)`,
    );
    await ensureFeedsStream(jsm);
    await delivered;
    expect(p.beats).toBeGreaterThan(0);
    expect(sink.status()).toMatchObject({ delivered: 1, retrying: false });
    expect((await jsm.streams.info(FEEDS_STREAM)).state.messages).toBe(1);
    await sink.close();
  });

  it('retries a publish that times out', async () => {
    // A core subscriber that never answers stands in for a stream too slow to acknowledge.
    const silent = nc.subscribe(SUBJECT);
    const sink = createNatsSink(
      { type: 'nats', subject: SUBJECT },
      { feedId: FEED, js, backoff: FAST, timeoutMs: 100 },
    );
    const delivered = sink.deliver(record(1), progress());
    await expect.poll(() => sink.status().retries).toBeGreaterThanOrEqual(2);
    expect(sink.status().lastError?.message).toBe(
      `cannot publish record ${record(1).id} on ${SUBJECT}: no acknowledgement from JetStream in time`,
    );
    silent.unsubscribe();
    await ensureFeedsStream(jsm);
    await delivered;
    expect((await jsm.streams.info(FEEDS_STREAM)).state.messages).toBe(1);
    await sink.close();
  });

  it('keeps a record JetStream refuses at the longest backoff, and stops promptly', async () => {
    await ensureFeedsStream(jsm);
    const sink = createNatsSink(
      { type: 'nats', subject: SUBJECT },
      { feedId: FEED, js, backoff: { initialMs: 1, maxMs: 60_000, factor: 2 } },
    );
    const huge = { ...record(1), signedAlert: 'A'.repeat(2 * 1024 * 1024) };
    const stop = new AbortController();
    const delivered = sink.deliver(huge, progress(stop.signal));
    await expect.poll(() => sink.status().retries).toBe(1);
    expect(sink.status().lastError?.message).toMatch(
      new RegExp(
        `^JetStream refused record ${huge.id} on ${SUBJECT.replace(/\./g, '\\.')}: .*\\(retrying every 60000 ms\\)$`,
      ),
    );
    const started = Date.now();
    stop.abort();
    await expect(delivered).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(500);
    await sink.close();
  });

  it('rejects when the connection is closed', async () => {
    await ensureFeedsStream(jsm);
    const closed = await server.connect();
    await closed.close();
    const sink = createNatsSink(
      { type: 'nats', subject: SUBJECT },
      { feedId: FEED, js: jetstream(closed), backoff: FAST },
    );
    await expect(sink.deliver(record(1), progress())).rejects.toMatchObject({
      code: 'ERR_UNAVAILABLE',
      message: `cannot publish record ${record(1).id} on ${SUBJECT}: the NATS connection is closed`,
    });
    await sink.close();
  });
});
