import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { publishAlert } from './publish.js';
import { ensureEnlaceStreams } from './streams.js';
import { ALERTS_STREAM, alertSubject } from './subjects.js';
import { TransportError } from './transport-error.js';

let server: NatsServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

const subject = alertSubject({ network: 'trafficking-liaison', kind: 'route', origin: 'MX' });
const envelope = (text: string) => new TextEncoder().encode(text);

beforeAll(async () => {
  server = await startNatsServer({ backend: 'binary', name: 'transport-publish' });
  nc = await server.connect();
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
  await ensureEnlaceStreams(jsm);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe('publishAlert', () => {
  it('stores an alert once per msgId', { timeout: 15_000 }, async () => {
    const id = '0192f1c4-0000-7000-8000-000000000001';
    const first = await publishAlert(js, { subject, envelope: envelope('one'), msgId: id });
    const second = await publishAlert(js, { subject, envelope: envelope('one again'), msgId: id });
    expect(first).toMatchObject({ stream: ALERTS_STREAM, duplicate: false, attempts: 1 });
    expect(second).toMatchObject({ stream: ALERTS_STREAM, seq: first.seq, duplicate: true });

    const stored = await jsm.streams.getMessage(ALERTS_STREAM, { seq: first.seq });
    expect(stored?.header.get('Nats-Msg-Id')).toBe(id);
    expect(new TextDecoder().decode(stored?.data)).toBe('one');
    const state = (await jsm.streams.info(ALERTS_STREAM)).state;
    expect(state.last_seq).toBe(first.seq);
  });

  it('fails with ERR_NO_STREAM where no stream holds the subject', { timeout: 15_000 }, async () => {
    const error = await publishAlert(js, {
      subject: 'enlace.v1.nowhere.MX',
      envelope: envelope('x'),
      msgId: 'id-nowhere',
      retries: 1,
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: 'ERR_NO_STREAM' });
    expect((error as Error).message).toMatch(
      /^no stream answered for alert id-nowhere on enlace\.v1\.nowhere\.MX \(2 attempts\)/,
    );
  });

  it('does not retry what the stream refuses', { timeout: 15_000 }, async () => {
    const error = await publishAlert(js, {
      subject,
      envelope: new Uint8Array(300 * 1024),
      msgId: 'id-too-large',
    }).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'ERR_PUBLISH_REJECTED' });
    expect((error as Error).message).toMatch(/JetStream refused alert id-too-large .*\(1 attempt\)/);
  });

  it('gives up with ERR_PUBLISH_TIMEOUT when acknowledgements never come', { timeout: 15_000 }, async () => {
    // A core-NATS subscriber that never answers stands in for a stream that is too slow.
    const silent = nc.subscribe('enlace.v1.silent.MX');
    try {
      const error = await publishAlert(js, {
        subject: 'enlace.v1.silent.MX',
        envelope: envelope('x'),
        msgId: 'id-silent',
        timeoutMs: 200,
        retries: 1,
      }).catch((err: unknown) => err);
      expect(error).toMatchObject({ code: 'ERR_PUBLISH_TIMEOUT' });
      expect((error as Error).message).toBe(
        'no acknowledgement from JetStream for alert id-silent on enlace.v1.silent.MX (2 attempts)',
      );
    } finally {
      silent.unsubscribe();
    }
  });

  it('checks its options', async () => {
    await expect(publishAlert(js, { subject, envelope: envelope('x'), msgId: ' ' })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      message: 'msgId must not be empty',
    });
  });

  it('retries through a nats-server restart without duplicating', { timeout: 30_000 }, async () => {
    const before = await publishAlert(js, { subject, envelope: envelope('before'), msgId: 'id-before' });
    await server.kill();
    const restarted = (async () => {
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      await server.restart();
    })();
    const during = await publishAlert(js, {
      subject,
      envelope: envelope('during'),
      msgId: 'id-during',
      timeoutMs: 2_000,
      retries: 8,
    });
    await restarted;
    expect(during).toMatchObject({ stream: ALERTS_STREAM, duplicate: false });
    expect(during.seq).toBe(before.seq + 1);
    // Publishing the same id again (a client that never saw the ack) is absorbed by dedup.
    const again = await publishAlert(js, { subject, envelope: envelope('during'), msgId: 'id-during' });
    expect(again).toMatchObject({ seq: during.seq, duplicate: true });
  });

  it(
    'acknowledges many publishes in flight at once, each with its own sequence',
    { timeout: 15_000 },
    async () => {
      const results = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          publishAlert(js, {
            subject,
            envelope: envelope(`many ${i}`),
            msgId: `id-many-${i}`,
            headers: { 'Enlace-Trace': `t${i}` },
          }),
        ),
      );
      const seqs = results.map((r) => r.seq);
      expect(new Set(seqs).size).toBe(300);
      expect(results.every((r) => r.stream === ALERTS_STREAM && !r.duplicate && r.attempts === 1)).toBe(true);
      const stored = await jsm.streams.getMessage(ALERTS_STREAM, { seq: results[7]!.seq });
      expect(stored?.header.get('Nats-Msg-Id')).toBe('id-many-7');
      expect(stored?.header.get('Enlace-Trace')).toBe('t7');
      expect(new TextDecoder().decode(stored?.data)).toBe('many 7');
    },
  );

  it('publishes through a client that does not expose its connection', { timeout: 15_000 }, async () => {
    const wrapped = { publish: js.publish.bind(js) } as unknown as JetStreamClient;
    const first = await publishAlert(wrapped, { subject, envelope: envelope('w'), msgId: 'id-wrapped' });
    const again = await publishAlert(js, { subject, envelope: envelope('w'), msgId: 'id-wrapped' });
    expect(first).toMatchObject({ stream: ALERTS_STREAM, duplicate: false });
    expect(again).toMatchObject({ seq: first.seq, duplicate: true });
  });
});
