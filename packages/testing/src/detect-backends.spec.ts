import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { detectBackends } from './detect-backends.js';
import { HarnessError } from './harness-error.js';
import { startNatsCluster } from './start-nats-cluster.js';
import { startNatsServer } from './start-nats-server.js';

const NOWHERE = '/nonexistent/enlace-testing';

/** Make this process look like a machine with neither backend. */
function stubNoBackends(): void {
  vi.stubEnv('PATH', NOWHERE);
  vi.stubEnv('NATS_SERVER_BIN', `${NOWHERE}/nats-server`);
  vi.stubEnv('DOCKER_HOST', `unix://${NOWHERE}/docker.sock`);
}

describe('detectBackends', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('says why each backend is missing', async () => {
    stubNoBackends();
    expect(await detectBackends()).toEqual({
      binary: {
        available: false,
        reason: `NATS_SERVER_BIN=${NOWHERE}/nats-server is not an executable file`,
      },
      container: {
        available: false,
        reason: `DOCKER_HOST=unix://${NOWHERE}/docker.sock does not answer: ${NOWHERE}/docker.sock does not exist`,
      },
    });
  });

  it('takes NATS_SERVER_BIN as the binary and reports its version', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'enlace-fake-nats-'));
    try {
      const fake = join(directory, 'nats-server');
      await writeFile(fake, '#!/bin/sh\necho "nats-server: v9.9.9"\n');
      await chmod(fake, 0o755);
      vi.stubEnv('NATS_SERVER_BIN', fake);
      expect((await detectBackends()).binary).toEqual({ available: true, detail: `${fake} (v9.9.9)` });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});

describe('startNatsServer without a backend', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("'auto' fails with ERR_NO_NATS_BACKEND, giving both reasons and both ways to get a backend", async () => {
    stubNoBackends();
    const failure = await startNatsServer().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(HarnessError);
    expect(failure).toMatchObject({ code: 'ERR_NO_NATS_BACKEND', name: 'HarnessError' });
    const { message } = failure as HarnessError;
    expect(message).toMatch(/^no way to run a test nats-server on this machine \(binary: NATS_SERVER_BIN=/);
    expect(message).toContain(`container: DOCKER_HOST=unix://${NOWHERE}/docker.sock does not answer`);
    // Way 1: the binary.
    expect(message).toContain('install nats-server (Debian/Ubuntu: `apt-get install nats-server`');
    expect(message).toContain('GitHub releases');
    // Way 2: a container engine.
    expect(message).toContain('make a Docker-API container engine reachable');
    expect(message).toContain('TESTCONTAINERS_RYUK_DISABLED=true');
    expect(message).toContain('shared/notes/containers.md');
  });

  it("'binary' fails with ERR_NATS_BINARY_NOT_FOUND", async () => {
    stubNoBackends();
    await expect(startNatsServer({ backend: 'binary' })).rejects.toMatchObject({
      code: 'ERR_NATS_BINARY_NOT_FOUND',
      message: expect.stringMatching(
        /^cannot start nats-server: NATS_SERVER_BIN=\S+ is not an executable file\. Either install nats-server/,
      ),
    });
    await expect(startNatsCluster()).rejects.toMatchObject({
      code: 'ERR_NATS_BINARY_NOT_FOUND',
      message: expect.stringMatching(/^cannot start a nats-server cluster: NATS_SERVER_BIN=/),
    });
  });

  it("'container' fails with ERR_CONTAINER_ENGINE_UNAVAILABLE", async () => {
    stubNoBackends();
    await expect(startNatsServer({ backend: 'container' })).rejects.toMatchObject({
      code: 'ERR_CONTAINER_ENGINE_UNAVAILABLE',
      message: expect.stringMatching(
        /^cannot start a nats-server container: DOCKER_HOST=unix:\/\/\S+ does not answer/,
      ),
    });
  });

  it('rejects cluster options that describe no cluster', async () => {
    await expect(startNatsCluster({ size: 0 })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTIONS',
      message: 'cluster size must be an integer from 1 to 16, got 0',
    });
  });
});
