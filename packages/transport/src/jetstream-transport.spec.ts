import 'reflect-metadata';

import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import type { INestMicroservice } from '@nestjs/common';
import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { DeadLetter, RejectedMessage } from './consume.js';
import { exponentialNakDelay } from './consume.js';
import { JetStreamContext, JetStreamEventPattern, JetStreamTransport } from './jetstream-transport.js';
import { publishAlert } from './publish.js';
import { RejectMessage } from './reject-message.js';
import { ensureEnlaceStreams } from './streams.js';
import { ALERTS_STREAM, ackSubject, alertSubject, directSubject } from './subjects.js';

/** What the handlers saw: [handler, alert id, subject, delivery count, payload]. */
const seen: [string, string, string, number, string][] = [];
let failOnce = true;

function record(handler: string, envelope: Uint8Array, ctx: JetStreamContext): void {
  seen.push([
    handler,
    ctx.getMsgId() ?? '',
    ctx.getSubject(),
    ctx.getDeliveryCount(),
    new TextDecoder().decode(envelope),
  ]);
}

@Controller()
class InboundController {
  @JetStreamEventPattern('enlace.v1.alert.>')
  onAlert(@Payload() envelope: Uint8Array, @Ctx() ctx: JetStreamContext): void {
    record('alert', envelope, ctx);
  }

  /** More specific than `enlace.v1.alert.>`: route alerts land here. */
  @JetStreamEventPattern('enlace.v1.alert.*.route.*')
  async onRoute(@Payload() envelope: Uint8Array, @Ctx() ctx: JetStreamContext): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    record('route', envelope, ctx);
    if (ctx.getMsgId() === 'flaky' && failOnce) {
      failOnce = false;
      throw new Error('store unavailable');
    }
  }

  /** Plain Nest decorator: the context comes typed as `unknown`. */
  @EventPattern('enlace.v1.direct.>')
  onDirect(@Payload() envelope: Uint8Array, @Ctx() ctx: unknown): void {
    record('direct', envelope, ctx as JetStreamContext);
    throw new RejectMessage('not_recipient', 'this country is not a recipient');
  }
}

@Module({ controllers: [InboundController] })
class InboundModule {}

let server: NatsServerHandle;
let nc: NatsConnection;
let js: JetStreamClient;

beforeAll(async () => {
  server = await startNatsServer({ backend: 'binary', name: 'transport-nest' });
  nc = await server.connect();
  js = jetstream(nc);
  await ensureEnlaceStreams(await jetstreamManager(nc));
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

async function waitFor(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const publish = (subject: string, msgId: string) =>
  publishAlert(js, {
    subject,
    envelope: new TextEncoder().encode(`envelope ${msgId}`),
    msgId,
    timeoutMs: 2_000,
    retries: 8,
  });

describe('JetStreamTransport', () => {
  it('feeds @EventPattern handlers from a durable consumer', { timeout: 30_000 }, async () => {
    const rejected: RejectedMessage[] = [];
    const deadLetters: DeadLetter[] = [];
    const transport = new JetStreamTransport({
      connection: { servers: server.url, reconnectTimeWait: 100, maxReconnectAttempts: -1 },
      consumer: {
        stream: ALERTS_STREAM,
        durable: 'nest-GT',
        filterSubject: 'enlace.v1.>',
        maxDeliver: 3,
        nakDelay: exponentialNakDelay({ initialMs: 200 }),
        onRejected: (event) => void rejected.push(event),
        onDeadLetter: (event) => void deadLetters.push(event),
        onError: () => undefined,
      },
    });
    const app: INestMicroservice = await NestFactory.createMicroservice(InboundModule, {
      strategy: transport,
      logger: false,
    });
    await app.listen();
    try {
      await publish(alertSubject({ network: 'trafficking-liaison', kind: 'route', origin: 'MX' }), 'route-1');
      await publish(
        alertSubject({ network: 'trafficking-liaison', kind: 'document', origin: 'HN' }),
        'document-1',
      );
      await publish(directSubject({ dest: 'GT', origin: 'MX' }), 'direct-1');
      await publish(alertSubject({ network: 'trafficking-liaison', kind: 'route', origin: 'HN' }), 'flaky');
      // No handler matches receipts: redelivered, then dead-lettered.
      await publish(ackSubject({ origin: 'GT', from: 'MX' }), 'receipt-1');

      await waitFor('every outcome', () => seen.length === 5 && deadLetters.length === 1);
      expect(seen).toEqual(
        expect.arrayContaining([
          ['route', 'route-1', 'enlace.v1.alert.trafficking-liaison.route.MX', 1, 'envelope route-1'],
          [
            'alert',
            'document-1',
            'enlace.v1.alert.trafficking-liaison.document.HN',
            1,
            'envelope document-1',
          ],
          ['direct', 'direct-1', 'enlace.v1.direct.GT.MX', 1, 'envelope direct-1'],
          ['route', 'flaky', 'enlace.v1.alert.trafficking-liaison.route.HN', 1, 'envelope flaky'],
          ['route', 'flaky', 'enlace.v1.alert.trafficking-liaison.route.HN', 2, 'envelope flaky'],
        ]),
      );
      // The RejectMessage came through Nest's exception filter intact.
      expect(rejected.map((r) => [r.msg.subject, r.reason, r.rejection.message])).toEqual([
        ['enlace.v1.direct.GT.MX', 'not_recipient', 'this country is not a recipient'],
      ]);
      expect(deadLetters[0]?.msg.subject).toBe('enlace.v1.ack.GT.MX');
      expect(deadLetters[0]?.error).toMatchObject({ code: 'ERR_NO_HANDLER' });
      expect(transport.counters()).toMatchObject({
        received: 8,
        acked: 3,
        rejected: 1,
        deadLettered: 1,
        termed: 2,
        naked: 3,
        failed: 4,
      });
    } finally {
      await app.close();
    }
  });

  it('resumes after a nats-server restart', { timeout: 30_000 }, async () => {
    seen.length = 0;
    const transport = new JetStreamTransport({
      connection: nc,
      consumer: {
        stream: ALERTS_STREAM,
        durable: 'nest-HN',
        filterSubject: 'enlace.v1.alert.fiu-exchange.>',
      },
    });
    const app = await NestFactory.createMicroservice(InboundModule, { strategy: transport, logger: false });
    await app.listen();
    try {
      await publish(alertSubject({ network: 'fiu-exchange', kind: 'network', origin: 'MX' }), 'fiu-1');
      await waitFor('the first alert', () => seen.length === 1);
      await server.restart();
      await publish(alertSubject({ network: 'fiu-exchange', kind: 'network', origin: 'MX' }), 'fiu-2');
      await waitFor('the alert after the restart', () => seen.length === 2, 20_000);
      expect(seen.map(([handler, id]) => [handler, id])).toEqual([
        ['alert', 'fiu-1'],
        ['alert', 'fiu-2'],
      ]);
    } finally {
      await app.close();
    }
    // The connection was the caller's: still open.
    expect(nc.isClosed()).toBe(false);
  });
});
