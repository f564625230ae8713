/**
 * How the registry stops: one NATS connection for the core and the RPC handlers, and a close()
 * that logs no error — neither when NATS is up, nor when the server has already gone (Ctrl-C on
 * `npm start` stops nats-server and the registry together).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { LoggerService } from '@nestjs/common';
import type { NatsServerHandle } from '@enlace/testing';
import { startNatsServer } from '@enlace/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { TrustError } from '@enlace/trust';
import { createRegistryRpcClient } from '@enlace/trust';
import { createRegistryApp } from './create-registry-app.js';
import type { RegistryApp } from './create-registry-app.js';

/** A Nest logger that keeps what it is told, by level. */
class CapturingLogger implements LoggerService {
  readonly lines: Array<{ level: string; message: string }> = [];
  private keep(level: string, message: unknown, rest: unknown[]): void {
    this.lines.push({ level, message: [message, ...rest].map(String).join(' ') });
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.keep('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.keep('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.keep('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.keep('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.keep('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.keep('fatal', message, rest);
  }
  at(...levels: string[]): string[] {
    return this.lines.filter((l) => levels.includes(l.level)).map((l) => l.message);
  }
}

/** Names of the clients connected to `server` (its monitoring endpoint). */
async function connectionNames(server: NatsServerHandle): Promise<string[]> {
  const connz = (await (await fetch(`${server.monitorUrl}/connz`)).json()) as {
    connections?: Array<{ name?: string }>;
  };
  return (connz.connections ?? []).map((c) => c.name ?? '');
}

let dataDir: string;
const servers: NatsServerHandle[] = [];
const apps: RegistryApp[] = [];

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'enlace-registry-close-'));
});

afterEach(async () => {
  for (const app of apps.splice(0)) await app.close().catch(() => undefined);
  for (const server of servers.splice(0)) await server.stop();
});

afterAll(async () => {
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
});

async function start(logger: CapturingLogger): Promise<{ server: NatsServerHandle; app: RegistryApp }> {
  const server = await startNatsServer();
  servers.push(server);
  const app = await createRegistryApp({ natsUrl: server.url, dataDir, logger });
  apps.push(app);
  return { server, app };
}

describe('RegistryApp', () => {
  it('serves RPC on the core’s connection and closes it, with nothing logged as an error', async () => {
    const logger = new CapturingLogger();
    const { server, app } = await start(logger);
    expect((await connectionNames(server)).filter((n) => n.startsWith('enlace-registry'))).toEqual([
      'enlace-registry',
    ]);

    const nc = await server.connect({ name: 'rpc-caller' });
    const refused = await createRegistryRpcClient(nc, { timeoutMs: 3000 })
      .getKey('MX-sig-2026-99')
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TrustError);
    expect((refused as TrustError).code).toBe('ERR_UNKNOWN_KEY');
    await nc.close();

    await app.close();
    expect(logger.at('error', 'fatal', 'warn')).toEqual([]);
    expect((await connectionNames(server)).filter((n) => n.startsWith('enlace-registry'))).toEqual([]);
  });

  it('closes promptly, logging no error, when the NATS server has already gone', async () => {
    const logger = new CapturingLogger();
    const { server, app } = await start(logger);
    await server.kill();
    // Let the client notice the lost connection before the close starts, as after Ctrl-C.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await app.close();
    // Without a server to answer, draining would wait out the reconnect attempts (seconds).
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(logger.at('error', 'fatal')).toEqual([]);
  });
});
