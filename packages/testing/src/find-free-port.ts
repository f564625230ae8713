/**
 * Free TCP ports on the loopback interface for test servers. Ports are found by binding port 0
 * and releasing it, so a port can in principle be taken again before the server binds it: the
 * harness retries a single server's start once with fresh ports when that happens.
 */
import { createServer } from 'node:net';
import type { Server } from 'node:net';

/** Ports never handed out: 4222 is NATS's default, and other servers on a machine may hold it. */
const AVOIDED_PORTS: ReadonlySet<number> = new Set([4222, 6222, 8222]);

/** One free TCP port on `host` (default 127.0.0.1). */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await findFreePorts(1, host);
  return port as number;
}

/** `count` distinct free TCP ports on `host` (default 127.0.0.1), all held until all are found. */
export async function findFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const server = await listenOnAnyPort(host);
      held.push(server);
      const address = server.address();
      if (address === null || typeof address === 'string') {
        throw new Error(`cannot read the port of a listener on ${host}`);
      }
      // Keep an avoided port held (so it is not returned again) but do not hand it out.
      if (!AVOIDED_PORTS.has(address.port)) ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

function listenOnAnyPort(host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => resolve(server));
  });
}
