/** The one NATS connect, against a real nats-server: options passed through, link state, drain on close. */
import { findFreePort, startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { NatsConnectError, connectNats, natsServers } from './nats-connect.js';

let server: NatsServerHandle;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: false });
});

afterAll(async () => {
  await server?.stop();
});

describe('connectNats', () => {
  it('connects with the given name and inbox prefix, follows the link, and drains on close', async () => {
    const link = await connectNats({
      url: ` ${server.url} , `,
      name: 'enlace-test',
      inboxPrefix: '_INBOX.test',
    });
    expect(link.connected()).toBe(true);
    expect(link.nc.info?.server_id).toBeTruthy();
    const sub = link.nc.subscribe('kit.echo');
    let seen = 0;
    void (async () => {
      for await (const _ of sub) seen++;
    })();
    link.nc.publish('kit.echo', 'one');
    await link.close();
    // The drain delivered what was in flight before closing.
    expect(seen).toBe(1);
    expect(link.connected()).toBe(false);
    expect(link.nc.isClosed()).toBe(true);
    await link.close();
  });

  it('throws NatsConnectError (ERR_UNAVAILABLE) naming the URL when no server answers', async () => {
    const url = `nats://127.0.0.1:${await findFreePort()}`;
    const error = await connectNats({ url, name: 'enlace-test', maxReconnectAttempts: 0 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NatsConnectError);
    expect((error as NatsConnectError).code).toBe('ERR_UNAVAILABLE');
    expect((error as Error).message).toMatch(new RegExp(`^cannot connect to NATS at ${url}: `));
  });

  it('splits a comma-separated server list', () => {
    expect(natsServers('nats://a:4222, nats://b:4222,,')).toEqual(['nats://a:4222', 'nats://b:4222']);
  });
});
