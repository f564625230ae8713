import { StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { nanos } from '@nats-io/transport-node';
import { startNatsCluster, startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { DEFAULT_MAX_MSG_SIZE, enlaceStreamConfigs, ensureEnlaceStreams } from './streams.js';
import { ALERTS_STREAM, AUDIT_STREAM, auditSubject } from './subjects.js';
import { TransportError } from './transport-error.js';

let server: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer({ backend: 'binary', name: 'transport-streams' });
  nc = await server.connect();
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

beforeEach(async () => {
  for (const name of [ALERTS_STREAM, AUDIT_STREAM]) await jsm.streams.delete(name).catch(() => false);
});

describe('ensureEnlaceStreams', () => {
  it('creates both streams, then leaves them unchanged', { timeout: 15_000 }, async () => {
    const first = await ensureEnlaceStreams(jsm);
    expect(first.map((s) => [s.name, s.action])).toEqual([
      [ALERTS_STREAM, 'created'],
      [AUDIT_STREAM, 'created'],
    ]);
    const again = await ensureEnlaceStreams(jsm);
    expect(again.map((s) => [s.name, s.action])).toEqual([
      [ALERTS_STREAM, 'unchanged'],
      [AUDIT_STREAM, 'unchanged'],
    ]);

    const alerts = (await jsm.streams.info(ALERTS_STREAM)).config;
    expect(alerts.subjects).toEqual(['enlace.v1.alert.>', 'enlace.v1.direct.>', 'enlace.v1.ack.>']);
    expect(alerts.storage).toBe(StorageType.File);
    expect(alerts.duplicate_window).toBeGreaterThanOrEqual(nanos(120_000));
    expect(alerts.max_age).toBe(nanos(400 * 24 * 3600 * 1000));
    expect(alerts.max_msg_size).toBe(DEFAULT_MAX_MSG_SIZE);
    const audit = (await jsm.streams.info(AUDIT_STREAM)).config;
    expect(audit.deny_delete).toBe(true);
    expect(audit.deny_purge).toBe(true);
  });

  it('updates what JetStream can update in place', { timeout: 15_000 }, async () => {
    await ensureEnlaceStreams(jsm);
    const changed = await ensureEnlaceStreams(jsm, {
      alertsMaxAge: 30 * 86_400_000,
      duplicateWindow: 600_000,
    });
    expect(changed[0]).toMatchObject({ name: ALERTS_STREAM, action: 'updated' });
    expect(changed[0]?.changed).toEqual(expect.arrayContaining(['max_age', 'duplicate_window']));
    expect(changed[1]).toMatchObject({
      name: AUDIT_STREAM,
      action: 'updated',
      changed: ['duplicate_window'],
    });
    expect((await jsm.streams.info(ALERTS_STREAM)).config.max_age).toBe(nanos(30 * 86_400_000));
  });

  it('brings an audit stream created elsewhere (registry) up to date', { timeout: 15_000 }, async () => {
    await jsm.streams.add({
      name: AUDIT_STREAM,
      subjects: ['enlace.v1.audit.>'],
      storage: StorageType.File,
      deny_delete: true,
      deny_purge: true,
    });
    const [, audit] = await ensureEnlaceStreams(jsm);
    expect(audit?.action).toBe('updated');
    expect(audit?.info.config.max_msg_size).toBe(DEFAULT_MAX_MSG_SIZE);
  });

  it('refuses a stream it cannot reconcile, with ERR_STREAM_CONFLICT', { timeout: 15_000 }, async () => {
    await jsm.streams.add({
      name: ALERTS_STREAM,
      subjects: ['enlace.v1.alert.>'],
      storage: StorageType.Memory,
    });
    const error = await ensureEnlaceStreams(jsm).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: 'ERR_STREAM_CONFLICT' });
    expect((error as Error).message).toMatch(/stream ENLACE_ALERTS exists with a different storage/);
  });

  it('keeps the audit trail append-only', { timeout: 15_000 }, async () => {
    await ensureEnlaceStreams(jsm);
    const ack = await jetstream(nc).publish(auditSubject('registry', 'admin'), 'record', { msgID: 'a-1' });
    await expect(jsm.streams.deleteMessage(AUDIT_STREAM, ack.seq)).rejects.toThrow(/delete/i);
    await expect(jsm.streams.purge(AUDIT_STREAM)).rejects.toThrow(/purge/i);
  });

  it('checks its options', () => {
    expect(() => enlaceStreamConfigs({ duplicateWindow: 60_000 })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_OPTION',
        message: expect.stringMatching(/duplicateWindow/),
      }),
    );
    expect(() => enlaceStreamConfigs({ replicas: 2 as 1 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: 'replicas must be 1 or 3, got 2' }),
    );
  });
});

describe('ensureEnlaceStreams on a 3-server cluster', () => {
  it('keeps an existing R3 stream at R3 when no replicas are asked for', { timeout: 60_000 }, async () => {
    const cluster = await startNatsCluster({ name: 'transport-streams-r3' });
    const clusterNc = await cluster.connect();
    try {
      const clusterJsm = await jetstreamManager(clusterNc);
      await ensureEnlaceStreams(clusterJsm, { replicas: 3 });
      // What a node does at start: make sure the streams exist, without an opinion on replicas.
      const again = await ensureEnlaceStreams(clusterJsm);
      expect(again.map((s) => [s.name, s.action, s.info.config.num_replicas])).toEqual([
        [ALERTS_STREAM, 'unchanged', 3],
        [AUDIT_STREAM, 'unchanged', 3],
      ]);
      // Asking for 1 explicitly still scales down: that is the operator's call.
      const down = await ensureEnlaceStreams(clusterJsm, { replicas: 1 });
      expect(down.map((s) => [s.action, s.changed])).toEqual([
        ['updated', ['num_replicas']],
        ['updated', ['num_replicas']],
      ]);
    } finally {
      await clusterNc.close();
      await cluster.stop();
    }
  });
});
