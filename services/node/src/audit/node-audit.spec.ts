import type { JetStreamClient } from '@nats-io/jetstream';
import { describe, expect, it } from 'vitest';

import { AUDIT_MAX_QUEUED, NodeAudit } from './node-audit.js';

interface Published {
  readonly subject: string;
  readonly record: Record<string, unknown>;
  readonly msgID: string | undefined;
}

/** A JetStream client (without a connection: publishAlert calls its publish) answering as told. */
function fakeJs(answer: (call: number) => 'ok' | 'fail' | 'hang') {
  const stored: Published[] = [];
  let calls = 0;
  const js = {
    publish: (subject: string, data: Uint8Array, opts: { msgID?: string }) => {
      const how = answer(++calls);
      if (how === 'hang') return new Promise(() => undefined);
      if (how === 'fail') return Promise.reject(new Error('no stream answered'));
      const record = JSON.parse(new TextDecoder().decode(data)) as Record<string, unknown>;
      stored.push({ subject, record, msgID: opts.msgID });
      return Promise.resolve({ stream: 'ENLACE_AUDIT', seq: stored.length, duplicate: false });
    },
  };
  return { js: js as unknown as JetStreamClient, stored, calls: () => calls };
}

const entry = (entityId: string) =>
  ({ actor: 'officer-1', action: 'alert.publish', entityId, outcome: 'ok' }) as const;

describe('NodeAudit', () => {
  it('queues a record at once and writes it behind, its id as Nats-Msg-Id', async () => {
    const { js, stored } = fakeJs(() => 'ok');
    const audit = new NodeAudit(js, 'MX');
    await audit.record(entry('a1'));
    await audit.record({ ...entry('a2'), outcome: 'rejected', code: 'kind_not_allowed' });
    await audit.flush();
    expect(audit.pending).toBe(0);
    expect(stored.map((p) => p.subject)).toEqual([
      'enlace.v1.audit.node-mx.officer-1',
      'enlace.v1.audit.node-mx.officer-1',
    ]);
    expect(stored[1]!.record).toMatchObject({
      service: 'node-mx',
      action: 'alert.publish',
      entityId: 'a2',
      outcome: 'rejected',
      code: 'kind_not_allowed',
    });
    expect(stored.map((p) => p.msgID)).toEqual(stored.map((p) => p.record['id']));
    await audit.close();
  });

  it('tries a failed record again after a back-off until the stream acknowledges it', async () => {
    const { js, stored, calls } = fakeJs((call) => (call <= 2 ? 'fail' : 'ok'));
    const errors: unknown[] = [];
    const audit = new NodeAudit(js, 'MX', (error) => errors.push(error));
    await audit.record(entry('retried'));
    await audit.flush();
    expect(calls()).toBe(3);
    expect(stored.map((p) => p.record['entityId'])).toEqual(['retried']);
    expect(errors).toHaveLength(2);
    await audit.close();
  });

  it('makes callers wait when the queue is full, and reports on close what it could not write', async () => {
    const { js } = fakeJs(() => 'hang');
    const errors: Error[] = [];
    const audit = new NodeAudit(js, 'MX', (error) => errors.push(error as Error));
    for (let i = 0; i < AUDIT_MAX_QUEUED; i++) await audit.record(entry(`q${i}`));
    let admitted = false;
    const waiting = audit.record(entry('one too many')).then(() => (admitted = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(admitted).toBe(false);
    await audit.close(50);
    await waiting;
    expect(errors.at(-1)?.message).toMatch(/^10001 audit record\(s\) not written before close/);
    await audit.record(entry('after close'));
    expect(errors.at(-1)?.message).toMatch(/not written: the node is closed/);
  });
});
