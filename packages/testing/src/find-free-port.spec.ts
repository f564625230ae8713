import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { findFreePort, findFreePorts } from './find-free-port.js';

describe('findFreePort', () => {
  it('returns a loopback port that can be bound, never 4222', async () => {
    const port = await findFreePort();
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(4222);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port }, resolve);
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('returns distinct ports when asked for several', async () => {
    const ports = await findFreePorts(9);
    expect(ports).toHaveLength(9);
    expect(new Set(ports).size).toBe(9);
    expect(ports).not.toContain(4222);
  });
});
