/**
 * The durable peer: what a team would build with the same stack when alerts must not be lost.
 * The same Nest app as the naive peer (bench/src/peer.ts), its alerts JSON signed as a compact JWS
 * (EdDSA, jose), but carried by JetStream: the sender `js.publish`es each one and waits for the
 * stream's acknowledgement (stored, file storage), and the receiver is a durable pull consumer
 * with explicit acks that verifies with jose's compactVerify, parses the JSON and acknowledges.
 * Still no schema, no policy and no store of its own: it does less per alert than Enlace does.
 */
import 'reflect-metadata';

import type { KeyObject } from 'node:crypto';

import { alertToJson } from '@enlace/schema';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { Inject, Injectable, Module } from '@nestjs/common';
import type { DynamicModule, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CompactSign, compactVerify } from 'jose';

import { cpuMicros, now, openLoop, percentile, pool, progress, until } from './measure.js';
import { alertOf } from './network.js';
import { skipWarmUp } from './peer.js';
import type { PeerResults } from './peer.js';

const STREAM = 'PEER_DURABLE';
const SUBJECT = 'peer.durable.alert.trafficking-liaison.route.MX';
const DURABLE = 'peer-alerts';
const OPTIONS = Symbol('durable peer options');
const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface DurablePeerOptions {
  readonly natsUrl: string;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  readonly kid: string;
}

/** What the receiving side has seen: counts and arrival times by alert id. */
class Arrivals {
  received = 0;
  failed = 0;
  readonly arrived = new Map<string, number>();
}

/** The sending side: signs the alert's JSON and publishes it, resolving once the stream stored it. */
@Injectable()
class AlertPublisher implements OnApplicationBootstrap, OnApplicationShutdown {
  #nc: NatsConnection | undefined;
  #js: JetStreamClient | undefined;

  constructor(@Inject(OPTIONS) private readonly options: DurablePeerOptions) {}

  async onApplicationBootstrap(): Promise<void> {
    this.#nc = await connect({ servers: this.options.natsUrl });
    const jsm = await jetstreamManager(this.#nc);
    await jsm.streams.add({ name: STREAM, subjects: ['peer.durable.>'] });
    this.#js = jetstream(this.#nc);
  }

  async publish(json: unknown): Promise<void> {
    const jws = await new CompactSign(encoder.encode(JSON.stringify(json)))
      .setProtectedHeader({ alg: 'EdDSA', kid: this.options.kid })
      .sign(this.options.privateKey);
    await this.#js!.publish(SUBJECT, jws);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.#nc?.close();
  }
}

/** The receiving side: a durable consumer; each alert is verified, parsed, then acknowledged. */
@Injectable()
class AlertConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  #nc: NatsConnection | undefined;
  #messages: ConsumerMessages | undefined;

  constructor(
    @Inject(OPTIONS) private readonly options: DurablePeerOptions,
    private readonly arrivals: Arrivals,
    // The publisher creates the stream at bootstrap, which Nest runs in dependency order.
    private readonly _publisher: AlertPublisher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.#nc = await connect({ servers: this.options.natsUrl });
    const jsm = await jetstreamManager(this.#nc);
    await jsm.consumers.add(STREAM, { durable_name: DURABLE, ack_policy: AckPolicy.Explicit });
    const consumer = await jetstream(this.#nc).consumers.get(STREAM, DURABLE);
    const messages = await consumer.consume({ max_messages: 256 });
    this.#messages = messages;
    void (async () => {
      // As Nest's handlers are: each message handled on its own, not one after another.
      for await (const m of messages) void this.#handle(m);
    })();
  }

  async #handle(m: JsMsg): Promise<void> {
    try {
      const { payload, protectedHeader } = await compactVerify(
        decoder.decode(m.data),
        this.options.publicKey,
        {
          algorithms: ['EdDSA'],
        },
      );
      if (protectedHeader.kid === undefined) throw new Error('durable peer: no kid');
      const alert = JSON.parse(decoder.decode(payload)) as { header: { id: string } };
      m.ack();
      this.arrivals.received++;
      this.arrivals.arrived.set(alert.header.id, now());
    } catch {
      // A bad alert is not acknowledged as handled: terminated, so it is not redelivered forever.
      m.term();
      this.arrivals.failed++;
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.#messages?.close();
    await this.#nc?.close();
  }
}

function durablePeerModule(options: DurablePeerOptions, arrivals: Arrivals): DynamicModule {
  @Module({})
  class DurablePeerModule {}
  return {
    module: DurablePeerModule,
    providers: [
      { provide: OPTIONS, useValue: options },
      { provide: Arrivals, useValue: arrivals },
      AlertPublisher,
      AlertConsumer,
    ],
  };
}

export async function measureDurablePeer(options: {
  readonly natsUrl: string;
  readonly draft: Record<string, unknown>;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly kid: string;
  readonly count: number;
  readonly loads: readonly number[];
  readonly loadMs: number;
}): Promise<PeerResults> {
  const arrivals = new Arrivals();
  const app = await NestFactory.createApplicationContext(durablePeerModule(options, arrivals), {
    logger: false,
  });
  await app.init();
  const publisher = app.get(AlertPublisher);
  const send = async (): Promise<string> => {
    const json = alertToJson(alertOf(options.draft, 'MX'));
    await publisher.publish(json);
    return (json as { header: { id: string } }).header.id;
  };
  const noFailures = (): void => {
    if (arrivals.failed > 0) throw new Error(`durable peer: ${arrivals.failed} alerts failed verification`);
  };
  try {
    await pool(200, 16, send);
    await until('durable peer warm-up', () => arrivals.received >= 200, 30_000);

    progress(
      `durable peer: ${options.count} alerts end to end (JetStream js.publish + durable consumer, JSON + jose JWS)`,
    );
    arrivals.received = 0;
    const cpu = cpuMicros();
    const start = now();
    await pool(options.count, 64, send);
    await until('durable peer alerts', () => arrivals.received >= options.count, 120_000);
    const e2e_per_s = (options.count * 1000) / (now() - start);
    const e2e_cpu_us = (cpuMicros() - cpu) / options.count;
    noFailures();

    const latency_ms: Record<string, number> = {};
    for (const perSecond of options.loads) {
      progress(`durable peer: latency at ${perSecond} alerts/s for ${options.loadMs / 1000} s`);
      arrivals.arrived.clear();
      const due = new Map<string, number>();
      await openLoop(perSecond, options.loadMs, async (_i, dueAt) => due.set(await send(), dueAt));
      await until('durable peer latency run', () => arrivals.arrived.size >= due.size, 30_000);
      const latencies = skipWarmUp([...due].map(([id, t]) => arrivals.arrived.get(id)! - t));
      latency_ms[`p50_at_${perSecond}`] = percentile(latencies, 50);
      latency_ms[`p99_at_${perSecond}`] = percentile(latencies, 99);
    }
    noFailures();
    return { e2e_per_s, e2e_cpu_us, latency_ms };
  } finally {
    await app.close();
  }
}
