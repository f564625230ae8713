/**
 * The ceiling: what this machine does with nothing of Enlace in the way. Ed25519 sign and verify
 * with node:crypto on the very signing input of an Enlace alert (one core, synchronous; and
 * through libuv's thread pool with many in flight, the most a multi-core machine gives), and
 * JetStream publish and durable consume of messages of the envelope's size on a plain stream.
 */
import { sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';

import { signingInput } from '@enlace/crypto';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

import { asyncRateFor, cpuMicros, now, pool, progress, rateFor, until } from './measure.js';
import type { BenchAlert } from './network.js';

export interface CeilingResults {
  readonly sign_per_s: number;
  /** One core, synchronous node:crypto verify. */
  readonly verify_per_s: number;
  /** node:crypto verify with a callback (libuv thread pool), 64 in flight. */
  readonly verify_threadpool_per_s: number;
  readonly js_publish_per_s: number;
  readonly js_consume_per_s: number;
  /** CPU time of one sign, one verify (microseconds, synchronous). */
  readonly sign_cpu_us: number;
  readonly verify_cpu_us: number;
}

/** Raw one-core verify/s of the alert's signing input, over about `ms`. */
export function rawVerifyRate(alert: BenchAlert, publicKey: KeyObject, ms: number): number {
  const input = signingInput({ alert: alert.alertBytes, protectedHeader: alert.protectedHeader });
  return rateFor(ms, () => verify(null, input, publicKey, alert.signature));
}

export async function measureCrypto(
  alert: BenchAlert,
  privateKey: KeyObject,
  publicKey: KeyObject,
  ms: number,
): Promise<
  Pick<
    CeilingResults,
    'sign_per_s' | 'verify_per_s' | 'verify_threadpool_per_s' | 'sign_cpu_us' | 'verify_cpu_us'
  >
> {
  const input = signingInput({ alert: alert.alertBytes, protectedHeader: alert.protectedHeader });
  const signature = sign(null, input, privateKey);
  if (!verify(null, input, publicKey, alert.signature)) throw new Error('bench: raw verify disagrees');
  rateFor(200, () => verify(null, input, publicKey, signature)); // warm up
  let cpu = cpuMicros();
  let count = 0;
  const sign_per_s = rateFor(ms, () => (count++, sign(null, input, privateKey)));
  const sign_cpu_us = (cpuMicros() - cpu) / count;
  cpu = cpuMicros();
  count = 0;
  const verify_per_s = rateFor(ms, () => (count++, verify(null, input, publicKey, signature)));
  const verify_cpu_us = (cpuMicros() - cpu) / count;
  const verifyAsync = (): Promise<boolean> =>
    new Promise((resolve, reject) =>
      verify(null, input, publicKey, signature, (error, ok) => (error ? reject(error) : resolve(ok))),
    );
  const verify_threadpool_per_s = await asyncRateFor(ms, 64, verifyAsync);
  return { sign_per_s, verify_per_s, verify_threadpool_per_s, sign_cpu_us, verify_cpu_us };
}

/**
 * Publishes `count` messages of `size` bytes on a plain file-backed stream (256 acks awaited at
 * a time, no Nats-Msg-Id), then drains them through a durable explicit-ack pull consumer.
 */
export async function measureJetStream(
  nc: NatsConnection,
  size: number,
  count: number,
): Promise<Pick<CeilingResults, 'js_publish_per_s' | 'js_consume_per_s'>> {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  await jsm.streams.add({ name: 'BENCH_RAW', subjects: ['bench.raw.>'] });
  const payload = new Uint8Array(size).fill(42);
  progress(`ceiling: raw JetStream publish of ${count} x ${size} B`);
  let start = now();
  await pool(count, 256, () => js.publish('bench.raw.alert', payload));
  const js_publish_per_s = (count * 1000) / (now() - start);

  await jsm.consumers.add('BENCH_RAW', { durable_name: 'raw', ack_policy: AckPolicy.Explicit });
  const consumer = await js.consumers.get('BENCH_RAW', 'raw');
  let received = 0;
  start = now();
  const messages = await consumer.consume({ max_messages: 256 });
  const done = (async () => {
    for await (const msg of messages) {
      msg.ack();
      if (++received === count) break;
    }
  })();
  await until('raw consume', () => received >= count, 120_000);
  await done;
  const js_consume_per_s = (count * 1000) / (now() - start);
  await messages.close();
  await jsm.streams.delete('BENCH_RAW');
  return { js_publish_per_s, js_consume_per_s };
}
