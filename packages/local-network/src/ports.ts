/** Port choice for the local network: the preferred port when free, else a free one. */
import { createServer } from 'node:net';

/** Whether `port` can be bound on `host` right now. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the system considers free now. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port from the system'));
      });
    });
  });
}

export interface PortChoice {
  readonly port: number;
  /** Set when the preferred port was taken and another was chosen. */
  readonly replaced?: number;
}

/**
 * The preferred port when free; when it is taken and `strict` is false, a free one (reported in
 * `replaced`); when strict, undefined so the caller can name the port and the option.
 */
export async function choosePort(
  preferred: number,
  options: { strict: boolean; host?: string },
): Promise<PortChoice | undefined> {
  if (preferred === 0) return { port: await freePort(options.host) };
  if (await isPortFree(preferred, options.host)) return { port: preferred };
  if (options.strict) return undefined;
  return { port: await freePort(options.host), replaced: preferred };
}
