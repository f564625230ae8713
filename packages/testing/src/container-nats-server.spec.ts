import { AckPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { getContainerRuntimeClient } from 'testcontainers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectBackends } from './detect-backends.js';
import { HarnessError } from './harness-error.js';
import type { NatsServerHandle } from './nats-server-handle.js';
import { startNatsServer } from './start-nats-server.js';

const backends = await detectBackends();
if (!backends.container.available) {
  console.warn(
    `SKIPPED container backend suite: ${backends.container.reason}. ` +
      'On CI machines run `eval "$(bash .ci/setup-containers.sh)"` first.',
  );
}

/** This process's harness containers, as the engine lists them. */
async function ownContainers() {
  const engine = await getContainerRuntimeClient();
  return engine.container.dockerode.listContainers({
    all: true,
    filters: { label: [`org.enlace.testing.pid=${process.pid}`] },
  });
}

describe.skipIf(!backends.container.available)('startNatsServer (container backend)', () => {
  let server: NatsServerHandle;

  beforeAll(async () => {
    server = await startNatsServer({ backend: 'container', name: 'spec-container' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('runs nats-server with JetStream in a container published on 127.0.0.1 only', async () => {
    expect(server.backend).toBe('container');
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    expect(server.port).not.toBe(4222);
    expect(server.pid).toBeUndefined();
    expect(server.running).toBe(true);

    const [container] = await ownContainers();
    expect(container?.State).toBe('running');
    const published = container?.Ports.filter((port) => port.PublicPort !== undefined) ?? [];
    expect(published.map((port) => [port.PrivatePort, port.PublicPort, port.IP]).sort()).toEqual(
      [
        [4222, server.port, '127.0.0.1'],
        [8222, Number(new URL(server.monitorUrl).port), '127.0.0.1'],
      ].sort(),
    );

    const nc = await server.connect();
    expect(nc.info?.server_name).toBe('spec-container');
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'BOXED', subjects: ['boxed.>'], storage: StorageType.File });
    const js = jetstream(nc);
    expect((await js.publish('boxed.alert', 'one', { msgID: 'c-1' })).duplicate).toBe(false);
    expect((await js.publish('boxed.alert', 'one again', { msgID: 'c-1' })).duplicate).toBe(true);
    await jsm.consumers.add('BOXED', { durable_name: 'reader', ack_policy: AckPolicy.Explicit });
    const message = await (await js.consumers.get('BOXED', 'reader')).next({ expires: 2_000 });
    expect(message?.string()).toBe('one');
    message?.ack();
  });

  it('kill() then restart() keeps the port and the stream (the store lives in the container)', async () => {
    const { port } = server;
    await server.kill();
    expect(server.running).toBe(false);
    expect((await ownContainers())[0]?.State).toMatch(/exited|stopped/);

    await server.restart();
    expect(server.running).toBe(true);
    expect(server.port).toBe(port);
    const nc = await server.connect();
    expect((await (await jetstreamManager(nc)).streams.info('BOXED')).state.messages).toBe(1);
  });

  it('stop() removes the container', async () => {
    await server.stop();
    expect(await ownContainers()).toEqual([]);
    await expect(server.connect()).rejects.toMatchObject({
      code: 'ERR_NATS_SERVER_STOPPED',
      message: 'cannot connect(): nats-server spec-container was stopped',
    });
    await expect(server.kill()).rejects.toBeInstanceOf(HarnessError);
  });
});
