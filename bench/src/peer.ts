/**
 * The peer: what a team would otherwise build with the same stack. A NestJS microservice on
 * Nest's built-in NATS transport (`Transport.NATS`, core NATS through @nats-io/transport-node),
 * to which a ClientProxy emits each alert as JSON signed as a compact JWS (EdDSA, jose); the
 * handler verifies it with jose's compactVerify and parses the JSON. No durability (core NATS
 * drops what nobody is subscribed to), no schema, no policy, no store: it does less per alert
 * than Enlace does, so the comparison flatters the peer.
 */
import 'reflect-metadata';

import type { KeyObject } from 'node:crypto';

import { alertToJson } from '@enlace/schema';
import { Controller, Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxyFactory, EventPattern, Payload, Transport } from '@nestjs/microservices';
import type { ClientProxy, MicroserviceOptions } from '@nestjs/microservices';
import { CompactSign, compactVerify } from 'jose';
import { lastValueFrom } from 'rxjs';

import { cpuMicros, now, openLoop, percentile, pool, progress, until } from './measure.js';
import { alertOf } from './network.js';

const PEER_SUBJECT = 'peer.alert.trafficking-liaison.route.MX';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface PeerResults {
  readonly e2e_per_s: number;
  /** CPU time per alert of sender and receiver together (one process). */
  readonly e2e_cpu_us: number;
  readonly latency_ms: Readonly<Record<string, number>>;
}

/** What the peer's receiving service does with each alert. */
interface PeerReceiver {
  received: number;
  arrived: Map<string, number>;
  publicKey: KeyObject;
}

function peerModule(receiver: PeerReceiver): DynamicModule {
  @Controller()
  class AlertsController {
    @EventPattern(PEER_SUBJECT)
    async alert(@Payload() jws: string): Promise<void> {
      const { payload, protectedHeader } = await compactVerify(jws, receiver.publicKey, {
        algorithms: ['EdDSA'],
      });
      if (protectedHeader.kid === undefined) throw new Error('peer: no kid');
      const alert = JSON.parse(decoder.decode(payload)) as { header: { id: string } };
      receiver.received++;
      receiver.arrived.set(alert.header.id, now());
    }
  }
  @Module({ controllers: [AlertsController] })
  class PeerModule {}
  return { module: PeerModule };
}

export async function measurePeer(options: {
  readonly natsUrl: string;
  readonly draft: Record<string, unknown>;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly kid: string;
  readonly count: number;
  readonly loads: readonly number[];
  readonly loadMs: number;
}): Promise<PeerResults> {
  const receiver: PeerReceiver = { received: 0, arrived: new Map(), publicKey: options.publicKey };
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(peerModule(receiver), {
    transport: Transport.NATS,
    options: { servers: [options.natsUrl] },
    logger: false,
  });
  await app.listen();
  const client: ClientProxy = ClientProxyFactory.create({
    transport: Transport.NATS,
    options: { servers: [options.natsUrl] },
  });
  await client.connect();
  // The sender's side: the alert as JSON, signed, emitted.
  const send = async (): Promise<string> => {
    const json = alertToJson(alertOf(options.draft, 'MX'));
    const jws = await new CompactSign(encoder.encode(JSON.stringify(json)))
      .setProtectedHeader({ alg: 'EdDSA', kid: options.kid })
      .sign(options.privateKey);
    await lastValueFrom(client.emit(PEER_SUBJECT, jws));
    return (json as { header: { id: string } }).header.id;
  };
  try {
    await pool(200, 16, send);
    await until('peer warm-up', () => receiver.received >= 200, 30_000);

    progress(`peer: ${options.count} alerts end to end (Nest NATS transport, JSON + jose JWS)`);
    receiver.received = 0;
    const cpu = cpuMicros();
    const start = now();
    await pool(options.count, 64, send);
    await until('peer alerts', () => receiver.received >= options.count, 120_000);
    const e2e_per_s = (options.count * 1000) / (now() - start);
    const e2e_cpu_us = (cpuMicros() - cpu) / options.count;

    const latency_ms: Record<string, number> = {};
    for (const perSecond of options.loads) {
      progress(`peer: latency at ${perSecond} alerts/s for ${options.loadMs / 1000} s`);
      receiver.arrived.clear();
      const due = new Map<string, number>();
      await openLoop(perSecond, options.loadMs, async (_i, dueAt) => due.set(await send(), dueAt));
      await until('peer latency run', () => receiver.arrived.size >= due.size, 30_000);
      const latencies = skipWarmUp([...due].map(([id, t]) => receiver.arrived.get(id)! - t));
      latency_ms[`p50_at_${perSecond}`] = percentile(latencies, 50);
      latency_ms[`p99_at_${perSecond}`] = percentile(latencies, 99);
    }
    return { e2e_per_s, e2e_cpu_us, latency_ms };
  } finally {
    await client.close();
    await app.close();
  }
}

/** Drops the first tenth of a latency series (connections and JIT warming up). */
export function skipWarmUp(latencies: readonly number[]): number[] {
  return latencies.slice(Math.floor(latencies.length / 10));
}
