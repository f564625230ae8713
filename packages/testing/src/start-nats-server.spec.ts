import { existsSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { AckPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { detectBackends } from './detect-backends.js';
import { HarnessError } from './harness-error.js';
import type { NatsServerHandle } from './nats-server-handle.js';
import { startNatsServer } from './start-nats-server.js';

const backends = await detectBackends();
if (!backends.binary.available) {
  console.warn(`SKIPPED binary backend suite: ${backends.binary.reason}`);
}

/** Create a file-store stream, publish `ids` with Nats-Msg-Id, return the acks. */
async function publishAll(nc: NatsConnection, stream: string, ids: readonly string[]) {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], storage: StorageType.File });
  const js = jetstream(nc);
  const acks = [];
  for (const id of ids) acks.push(await js.publish(`${stream}.alert`, `payload ${id}`, { msgID: id }));
  return acks;
}

/** Read every message of `stream` through a new durable consumer, as strings. */
async function readAll(nc: NatsConnection, stream: string, durable: string): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const { num_pending } = await jsm.consumers.add(stream, {
    durable_name: durable,
    ack_policy: AckPolicy.Explicit,
  });
  const consumer = await jetstream(nc).consumers.get(stream, durable);
  const seen: string[] = [];
  if (num_pending === 0) return seen;
  for await (const msg of await consumer.fetch({ max_messages: num_pending, expires: 2_000 })) {
    seen.push(msg.string());
    msg.ack();
    if (seen.length === num_pending) break;
  }
  return seen;
}

/** Resolves on the connection's next status event of `type`. */
async function nextStatus(nc: NatsConnection, type: string): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === type) return;
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tcpAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connectTcp({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe.skipIf(!backends.binary.available)('startNatsServer (binary backend)', () => {
  const started: NatsServerHandle[] = [];
  const start = async (options: Parameters<typeof startNatsServer>[0] = {}): Promise<NatsServerHandle> => {
    const server = await startNatsServer({ backend: 'binary', ...options });
    started.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.stop()));
  });

  it('starts on a free loopback port with JetStream; publish deduplicates by Nats-Msg-Id', async () => {
    const server = await start();
    expect(server.backend).toBe('binary');
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).not.toBe(4222);
    expect(server.url).toBe(`nats://127.0.0.1:${server.port}`);
    expect(server.running).toBe(true);
    expect(server.storeDir).toBeDefined();

    const varz = (await (await fetch(`${server.monitorUrl}/varz`)).json()) as { host: string; port: number };
    expect(varz).toMatchObject({ host: '127.0.0.1', port: server.port });

    const nc = await server.connect();
    const acks = await publishAll(nc, 'SMOKE', ['a-1', 'a-2', 'a-1']);
    expect(acks.map((ack) => [ack.seq, ack.duplicate])).toEqual([
      [1, false],
      [2, false],
      [1, true],
    ]);
    expect(await readAll(nc, 'SMOKE', 'reader')).toEqual(['payload a-1', 'payload a-2']);
    expect(existsSync(server.storeDir as string)).toBe(true);
  });

  it('stop() ends the process, closes its connections, frees the port and removes the store', async () => {
    const server = await start();
    const pid = server.pid as number;
    const nc = await server.connect();
    expect(isProcessAlive(pid)).toBe(true);

    await server.stop();
    expect(isProcessAlive(pid)).toBe(false);
    expect(server.pid).toBeUndefined();
    expect(server.running).toBe(false);
    expect(nc.isClosed()).toBe(true);
    expect(await tcpAnswers(server.port)).toBe(false);
    expect(existsSync(server.storeDir as string)).toBe(false);
    await server.stop(); // idempotent

    await expect(server.restart()).rejects.toThrow(HarnessError);
    await expect(server.restart()).rejects.toMatchObject({
      code: 'ERR_NATS_SERVER_STOPPED',
      message: 'cannot restart(): nats-server enlace-test was stopped',
    });
  });

  it('restart() keeps the port and the file-store stream; a connection reconnects', async () => {
    const server = await start();
    const nc = await server.connect();
    await publishAll(nc, 'DURABLE', ['r-1', 'r-2', 'r-3']);
    const { port, storeDir } = server;
    const firstPid = server.pid;
    const reconnected = nextStatus(nc, 'reconnect');

    await server.restart();
    expect(server.port).toBe(port);
    expect(server.storeDir).toBe(storeDir);
    expect(server.pid).not.toBe(firstPid);
    await reconnected; // the same connection, back on the restarted server

    const jsm = await jetstreamManager(nc);
    expect((await jsm.streams.info('DURABLE')).state.messages).toBe(3);
    // Deduplication state survives too: a retried publish is still recognized.
    expect((await jetstream(nc).publish('DURABLE.alert', 'again', { msgID: 'r-2' })).duplicate).toBe(true);
    expect(await readAll(nc, 'DURABLE', 'after-restart')).toEqual([
      'payload r-1',
      'payload r-2',
      'payload r-3',
    ]);
  });

  it('kill() SIGKILLs the server; restart() brings it back with acknowledged messages', async () => {
    const server = await start();
    const nc = await server.connect();
    await publishAll(nc, 'CRASH', ['k-1', 'k-2']);
    const pid = server.pid as number;

    await server.kill();
    expect(isProcessAlive(pid)).toBe(false);
    expect(server.running).toBe(false);
    expect(await tcpAnswers(server.port)).toBe(false);

    await server.restart();
    expect(server.running).toBe(true);
    const fresh = await server.connect();
    expect(await readAll(fresh, 'CRASH', 'after-kill')).toEqual(['payload k-1', 'payload k-2']);
  });

  it('applies extra configuration text (here: users) from the config option', async () => {
    const server = await start({
      name: 'with-users',
      config: 'authorization { users = [ { user: "mx", password: "secret-mx" } ] }',
    });
    await expect(server.connect({ maxReconnectAttempts: 0 })).rejects.toMatchObject({
      message: expect.stringMatching(/authorization/i),
    });
    const nc = await server.connect({ user: 'mx', pass: 'secret-mx' });
    await nc.flush();
    expect(nc.info?.server_name).toBe('with-users');
  });

  it('runs without JetStream when asked', async () => {
    const server = await start({ jetstream: false });
    expect(server.storeDir).toBeUndefined();
    const nc = await server.connect();
    await expect(jetstreamManager(nc)).rejects.toThrow(/jetstream/i);
  });

  it('is disposable with Symbol.asyncDispose', async () => {
    const server = await start();
    const pid = server.pid as number;
    await server[Symbol.asyncDispose]();
    expect(isProcessAlive(pid)).toBe(false);
  });

  it('reports a server that exits at start with its log, and leaves no directory behind', async () => {
    const failure = await startNatsServer({ backend: 'binary', config: 'listen: {{{ not a config' }).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(HarnessError);
    expect(failure).toMatchObject({ code: 'ERR_NATS_START_FAILED' });
    expect((failure as HarnessError).message).toMatch(
      /^nats-server enlace-test exited with code 1 before it was ready \(configuration \/\S+\/nats-server\.conf\); its last log lines:\n.*Parse error/s,
    );
    const directory = /(\/\S*enlace-nats-enlace-test-\w+)\//.exec((failure as HarnessError).message)?.[1];
    expect(directory).toBeDefined();
    expect(existsSync(directory as string)).toBe(false);
  });

  it('rejects a name it cannot use', async () => {
    await expect(startNatsServer({ backend: 'binary', name: 'no spaces' })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
      message:
        "invalid server name \"no spaces\": use up to 63 letters, digits, '.', '_' or '-', starting with a letter or digit",
    });
  });
});
