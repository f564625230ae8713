/**
 * A TCP relay on 127.0.0.1 that a suite can cut and restore: the stand-in for a country's WAN
 * link to the hub. cut() closes every relayed connection and stops listening, so the far side
 * sees the link drop and cannot reconnect until restore().
 */
import { createConnection, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export class TcpProxy {
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #port = 0;

  constructor(targetPort: number, targetHost = '127.0.0.1') {
    this.#target = { host: targetHost, port: targetPort };
  }

  /** The port it listens on (stable across cut() and restore()). */
  get port(): number {
    return this.#port;
  }

  /** Listen (on a free port the first time, on the same port afterwards). */
  async restore(): Promise<void> {
    if (this.#server !== undefined) return;
    const server = createServer((inbound) => {
      const outbound = createConnection(this.#target);
      for (const socket of [inbound, outbound]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          inbound.destroy();
          outbound.destroy();
        });
      }
      inbound.pipe(outbound);
      outbound.pipe(inbound);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as { port: number }).port;
    this.#server = server;
  }

  /** Drop every relayed connection and stop accepting new ones. */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
