import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { RegistryError } from '../domain/errors.js';
import { REGISTRY_STATE_BUCKET, RegistryStateStore } from './state-store.js';

if (!(process.env['PATH'] ?? '').split(':').includes('/usr/sbin'))
  process.env['PATH'] = `${process.env['PATH'] ?? ''}:/usr/sbin`;

let server: NatsServerHandle;
const connections: NatsConnection[] = [];
const stores: RegistryStateStore[] = [];

async function open(options: { maxAttempts?: number } = {}): Promise<RegistryStateStore> {
  const nc = await server.connect();
  connections.push(nc);
  const store = await RegistryStateStore.open(nc, { maxAttempts: 50, ...options });
  stores.push(store);
  return store;
}

beforeAll(async () => {
  server = await startNatsServer({ backend: 'binary' });
});

afterAll(async () => {
  for (const s of stores) await s.close();
  for (const nc of connections) await nc.close();
  await server?.stop();
});

describe('RegistryStateStore', () => {
  it('creates the bucket with history and starts from what it holds', async () => {
    const a = await open();
    await a.change('country.MX', () => ({ write: true, value: { code: 'MX' }, result: undefined }));
    const nc = connections[0]!;
    const status = await (await new Kvm(nc).open(REGISTRY_STATE_BUCKET)).status();
    expect(status.history).toBeGreaterThanOrEqual(10);
    const b = await open();
    expect(b.get('country.MX')?.value).toEqual({ code: 'MX' });
    expect(b.revision()).toBe(a.revision());
  });

  it('loses no update under concurrent read-modify-write from three instances', async () => {
    const instances = [await open(), await open(), await open()];
    const increments = 30;
    await Promise.all(
      Array.from({ length: increments }, (_, i) =>
        instances[i % instances.length]!.change('counter', (current) => {
          const n = typeof current?.value === 'number' ? current.value : 0;
          return { write: true, value: n + 1, result: n + 1 };
        }),
      ),
    );
    for (const s of instances) {
      await s.waitFor(Math.max(...instances.map((x) => x.revision())));
      expect(s.get('counter')?.value).toBe(increments);
    }
  });

  it('reads its own writes and writes nothing when a command decides so or throws', async () => {
    const s = await open();
    const applied = await s.change('glossary.term', () => ({
      write: true,
      value: { id: 'term' },
      result: 'ok',
    }));
    expect(applied.revision).toBe(s.revision());
    expect(s.get('glossary.term')?.revision).toBe(applied.revision);
    const before = s.revision();
    const noop = await s.change('glossary.term', () => ({ write: false, result: 'same' }));
    expect(noop).toMatchObject({ result: 'same', revision: undefined });
    await expect(
      s.change('glossary.term', () => {
        throw new RegistryError('ERR_VALIDATION', 'no');
      }),
    ).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    expect(s.revision()).toBe(before);
  });

  it('gives up with ERR_CONFLICT when the key keeps changing, and counts only what it wrote', async () => {
    const instances = [await open({ maxAttempts: 1 }), await open({ maxAttempts: 1 })];
    await instances[0]!.change('tally', () => ({ write: true, value: 0, result: 0 }));
    await Promise.all(instances.map((s) => s.waitFor(instances[0]!.revision())));
    // Every call decides at once against the same revision: one write wins, the others conflict.
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        instances[i % 2]!.change('tally', (current) => ({
          write: true,
          value: (current?.value as number) + 1,
          result: undefined,
        })),
      ),
    );
    const failures = outcomes.filter((o) => o.status === 'rejected');
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) expect((f.reason as RegistryError).code).toBe('ERR_CONFLICT');
    const s = instances[0]!;
    await s.waitFor(Math.max(...instances.map((x) => x.revision())));
    expect(s.get('tally')?.value).toBe(outcomes.length - failures.length);
  });
});
