import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { AuditRecord } from '../domain/model.js';
import { AuditLog } from './audit-log.js';

if (!(process.env['PATH'] ?? '').split(':').includes('/usr/sbin'))
  process.env['PATH'] = `${process.env['PATH'] ?? ''}:/usr/sbin`;

let server: NatsServerHandle;
let nc: NatsConnection;
let log: AuditLog;
const base = Date.parse('2026-01-01T00:00:00.000Z');
const COUNT = 600;

function record(i: number): AuditRecord {
  return {
    id: `00000000-0000-7000-8000-${String(i).padStart(12, '0')}`,
    at: new Date(base + i * 1000).toISOString(),
    service: 'registry',
    actor: i % 100 === 0 ? 'rare' : 'admin',
    roles: ['administrator'],
    action: i % 2 === 0 ? 'country.suspend' : 'country.reinstate',
    entity: 'country',
    entityId: 'MX',
    outcome: 'ok',
  };
}

beforeAll(async () => {
  server = await startNatsServer({ backend: 'binary' });
  nc = await server.connect();
  log = await AuditLog.open(nc);
  for (let i = 0; i < COUNT; i++) await log.append(record(i));
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

describe('AuditLog.query', () => {
  it('reads across windows, newest first', async () => {
    const all = await log.query({ limit: 1000 });
    expect(all).toHaveLength(COUNT);
    const times = all.map((r) => Date.parse(r.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(all[0]?.sequence).toBe(COUNT);
  });

  it('filters by actor, action and time, and stops at the limit', async () => {
    const rare = await log.query({ actor: 'rare' });
    expect(rare.map((r) => r.id)).toEqual([500, 400, 300, 200, 100, 0].map((i) => record(i).id));
    const since = await log.query({ actor: 'rare', since: record(250).at });
    expect(since).toHaveLength(3);
    const until = await log.query({ action: 'country.suspend', until: record(10).at });
    expect(until.map((r) => r.id)).toEqual([8, 6, 4, 2, 0].map((i) => record(i).id));
    expect(await log.query({ limit: 5 })).toHaveLength(5);
    expect(await log.query({ entity: 'key' })).toEqual([]);
  });

  it('pages with before: each page starts below the last sequence of the one before', async () => {
    const all = await log.query({ limit: 1000 });
    const seen: string[] = [];
    let before: number | undefined;
    for (;;) {
      const page = await log.query({ limit: 70, ...(before !== undefined && { before }) });
      if (page.length === 0) break;
      seen.push(...page.map((r) => r.id));
      before = page[page.length - 1]!.sequence;
    }
    expect(seen).toEqual(all.map((r) => r.id));
    const rare = await log.query({
      actor: 'rare',
      before: all.find((r) => r.id === record(300).id)!.sequence!,
    });
    expect(rare.map((r) => r.id)).toEqual([200, 100, 0].map((i) => record(i).id));
  });

  it('keeps one record per id when an append is retried', async () => {
    await log.append(record(COUNT - 1));
    expect(await log.query({ limit: 1000 })).toHaveLength(COUNT);
  });
});
