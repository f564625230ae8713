/**
 * The inbound and publish paths stage by stage: each stage run alone over the same alerts in the
 * same run, with the CPU it takes on the event loop (the main thread's own run time) and off it
 * (the rest of the process: libuv's thread pool, the garbage collector's helper threads), so
 * that the stages' sum can be set beside the whole path measured the same way.
 *
 * A stage does what the node does for it, with the node's own code: decode is decodeSignedAlert
 * and decodeAlert; schema is validateAlert; subject and key are the subject parse, the kid read
 * and signingKeyAt; verify is verifySignedAlert with 128 in flight (on the thread pool); policy
 * is the publish and receive decisions (through the trust view, as verifyInbound asks them);
 * row building is toRow; the commit is AlertStore.insertMany in batches of the size the node
 * forms; the receipt is ReceiptExchange.received (one signed batch per origin per turn, its
 * publish and its receipt rows); metrics is NodeMetrics.accepted; pull/ack is a durable consumer
 * of the node's settings taking the same envelopes from JetStream with a handler that does
 * nothing.
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { signAlertSync, verifySignedAlert } from '@enlace/crypto';
import type { PrivateKeyRecord } from '@enlace/crypto';
import {
  AlertStore,
  DEFAULT_INBOUND_CONCURRENCY,
  InboundAlerts,
  NodeAudit,
  NodeMetrics,
  ReceiptExchange,
  toRow,
} from '@enlace/node';
import type { StoredAlert } from '@enlace/node';
import {
  alertFromJson,
  assertValidAlert,
  decodeAlert,
  decodeSignedAlert,
  encodeAlert,
  encodeSignedAlert,
  handlingName,
  kindName,
  validateAlert,
} from '@enlace/schema';
import type { Alert } from '@enlace/schema';
import { judgedAt, signingKeyAt } from '@enlace/trust';
import type { TrustView } from '@enlace/trust';
import {
  ALERTS_STREAM,
  SUBJECT_ROOT,
  alertSubject,
  consumeDurable,
  parseMessageSubject,
  publishAlert,
} from '@enlace/transport';
import type { JetStreamClient } from '@nats-io/jetstream';

import { cpuMicros, loopMicros, pool, progress, until } from './measure.js';
import type { BenchAlert, BenchNetwork } from './network.js';
import { uuidv7 } from './network.js';

/** CPU per alert of one stage, in microseconds. */
export interface StageCost {
  readonly loop: number;
  readonly off: number;
}

export interface StageResults {
  readonly inbound: Record<string, StageCost>;
  readonly publish: Record<string, StageCost>;
}

/** The rows the node commits together: about what one turn holds with 128 in flight. */
const COMMIT_BATCH = 64;
/** Outbox rows whose acks arrive in one turn, about. */
const OUTBOX_BATCH = 40;

/** Runs `fn` and returns its CPU per item: on the event loop and off it. */
async function stage(count: number, fn: () => unknown): Promise<StageCost> {
  const total = cpuMicros();
  const loop = loopMicros();
  await fn();
  const loopUs = loopMicros() - loop;
  const totalUs = cpuMicros() - total;
  return { loop: loopUs / count, off: Math.max(0, totalUs - loopUs) / count };
}

/** The median of `runs` measures of the same stage, taken field by field. */
async function medianOf(runs: number, measure: () => Promise<StageCost>): Promise<StageCost> {
  const loops: number[] = [];
  const offs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = await measure();
    loops.push(c.loop);
    offs.push(c.off);
  }
  const mid = (v: number[]) => v.sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
  return { loop: mid(loops), off: mid(offs) };
}

export async function measureStages(options: {
  readonly js: JetStreamClient;
  readonly net: BenchNetwork;
  readonly view: TrustView;
  readonly draft: Record<string, unknown>;
  readonly alerts: readonly BenchAlert[];
  readonly key: PrivateKeyRecord;
  readonly runs: number;
  /** Purges the alerts stream. */
  readonly purge: () => Promise<unknown>;
}): Promise<StageResults> {
  const { js, net, view, alerts, draft, key, runs } = options;
  const n = alerts.length;
  const country = 'GT';
  progress(`enlace: stages, each alone over the same ${n} alerts, median of ${runs}`);
  const inbound: Record<string, StageCost> = {};
  const publish: Record<string, StageCost> = {};
  let dirs = 0;
  const freshStore = async (): Promise<AlertStore> => {
    const dir = join(net.root, 'data', `stages-${dirs++}`);
    await mkdir(dir, { recursive: true });
    const store = AlertStore.open(dir);
    // Its first commit creates the WAL: warm-up, not counted.
    store.insertMany([rowOf(alerts[0]!, 'inbox')]);
    return store;
  };

  // Inputs each stage takes from the one before, computed once outside the measures.
  const signedOf = alerts.map((a) => decodeSignedAlert(a.envelope));
  const alertOf = signedOf.map((s) => decodeAlert(s.alert));
  const kidOf = (header: string): string =>
    (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid: string }).kid;

  // pull/ack: the node's durable consumer over the same envelopes, a handler that does nothing.
  await options.purge();
  await pool(n, 256, (i) =>
    publishAlert(js, { subject: alerts[i]!.subject, envelope: alerts[i]!.envelope, msgId: alerts[i]!.id }),
  );
  inbound['pull_ack'] = await medianOf(runs, async () => {
    const durable = `stages-${dirs++}`;
    let seen = 0;
    const cost = await stage(n, async () => {
      const consumer = await consumeDurable(
        js,
        {
          stream: ALERTS_STREAM,
          durable,
          filterSubject: `${SUBJECT_ROOT}.alert.>`,
          maxDeliver: 1_000,
          maxInFlight: DEFAULT_INBOUND_CONCURRENCY,
          pullExpiresMs: 2_000,
          deliverPolicy: 'all',
        },
        () => {
          seen++;
          return Promise.resolve();
        },
      );
      await until('pull/ack stage', () => seen >= n, 120_000, 1);
      await consumer.close();
    });
    await (await js.jetstreamManager()).consumers.delete(ALERTS_STREAM, durable);
    return cost;
  });
  await options.purge();

  inbound['decode'] = await medianOf(runs, () =>
    stage(n, () => {
      for (const a of alerts) decodeAlert(decodeSignedAlert(a.envelope).alert);
    }),
  );
  inbound['schema'] = await medianOf(runs, () =>
    stage(n, () => {
      for (const alert of alertOf) validateAlert(alert);
    }),
  );
  inbound['subject_key'] = await medianOf(runs, () =>
    stage(n, () => {
      for (let i = 0; i < n; i++) {
        const header = alertOf[i]!.header!;
        const parsed = parseMessageSubject(alerts[i]!.subject);
        if (parsed.type !== 'alert' || parsed.origin !== header.origin) throw new Error('bench: subject');
        kindName(header.kind);
        handlingName(header.handling);
        signingKeyAt(
          view,
          kidOf(signedOf[i]!.protectedHeader),
          header.origin,
          judgedAt(header.issuedAt!, undefined),
        );
      }
    }),
  );
  inbound['verify'] = await medianOf(runs, () =>
    stage(n, () =>
      pool(n, DEFAULT_INBOUND_CONCURRENCY, async (i) => {
        const s = signedOf[i]!;
        const publicKey = view.publicKey(kidOf(s.protectedHeader))!;
        await verifySignedAlert(
          s,
          { resolve: () => Promise.resolve(publicKey) },
          { at: alertOf[i]!.header!.issuedAt! },
        );
      }),
    ),
  );
  inbound['policy'] = await medianOf(runs, () =>
    stage(n, () => {
      for (const alert of alertOf) {
        const h = alert.header!;
        const kind = kindName(h.kind)!;
        const at = h.issuedAt!;
        view.policy.evaluatePublish({ origin: h.origin, network: h.network, kind, at });
        view.policy.evaluateReceive({
          receiver: country,
          origin: h.origin,
          network: h.network,
          kind,
          recipients: h.recipients,
          handling: handlingName(h.handling)!,
          at,
          receivedAt: at,
        });
      }
    }),
  );
  const rows = alerts.map((a, i) => rowOf(a, 'inbox', alertOf[i]));
  inbound['row'] = await medianOf(runs, () =>
    stage(n, () => {
      for (let i = 0; i < n; i++) rowOf(alerts[i]!, 'inbox', alertOf[i]);
    }),
  );
  inbound['commit'] = await medianOf(runs, async () => {
    const store = await freshStore();
    try {
      return await stage(n, () => {
        for (let i = 0; i < n; i += COMMIT_BATCH) store.insertMany(rows.slice(i, i + COMMIT_BATCH));
        // The search index is filled behind the commits: what is still waiting is counted here.
        store.indexPending();
      });
    } finally {
      store.close();
    }
  });
  inbound['receipt'] = await medianOf(runs, async () => {
    const store = await freshStore();
    const audit = new NodeAudit(js, country);
    const receipts = new ReceiptExchange({
      country,
      js,
      trust: { require: () => view, current: () => view } as never,
      store,
      audit,
      signing: [net.signing.get(country)!],
    });
    try {
      return await stage(n, async () => {
        for (let i = 0; i < n; i += COMMIT_BATCH) {
          for (let j = i; j < Math.min(n, i + COMMIT_BATCH); j++)
            receipts.received({ id: alerts[j]!.id, origin: 'MX' } as StoredAlert);
          // One turn per batch, as the inbound path stores them.
          await new Promise((resolve) => setImmediate(resolve));
        }
        await receipts.flush();
      });
    } finally {
      await audit.close();
      store.close();
    }
  });
  const metrics = new NodeMetrics({ country });
  inbound['metrics'] = await medianOf(runs, () =>
    stage(n, () => {
      for (let i = 0; i < n; i++) metrics.accepted('inbox');
    }),
  );
  // A stored alert is not audited on the inbound side (only rejections are): nothing per alert.
  inbound['audit'] = { loop: 0, off: 0 };

  // The whole inbound path over the same alerts (fresh store each run): InboundAlerts.handle.
  inbound['whole'] = await medianOf(runs, async () => {
    const store = await freshStore();
    const audit = new NodeAudit(js, country);
    const path = new InboundAlerts({
      country,
      trust: {
        current: () => view,
        whenAvailable: () => Promise.resolve(view),
        viewAt: () => Promise.resolve(view),
      },
      store,
      metrics: new NodeMetrics({ country }),
      audit,
      encryptionKeys: undefined,
    });
    try {
      return await stage(n, async () => {
        await pool(n, DEFAULT_INBOUND_CONCURRENCY, (i) =>
          path.handle({
            subject: alerts[i]!.subject,
            data: alerts[i]!.envelope,
            msgId: alerts[i]!.id,
            deliveryCount: 1,
          }),
        );
        store.indexPending();
      });
    } finally {
      await audit.close();
      store.close();
    }
  });

  // Publish path, stage by stage, over as many drafts.
  const knownNetworks = view.snapshot.policy.networks.map((x) => x.id);
  const knownRecipients = view.snapshot.policy.countries.map((c) => c.code);
  const mxDraft = { ...draft, header: { ...(draft['header'] as Record<string, unknown>), origin: 'MX' } };
  const mxKey = key;
  let drafts: Alert[] = [];
  publish['read_draft'] = await medianOf(runs, () =>
    stage(n, () => {
      drafts = [];
      const now = new Date();
      for (let i = 0; i < n; i++)
        drafts.push(
          alertFromJson(mxDraft, { draft: true, validate: { knownNetworks, knownRecipients, now } }),
        );
    }),
  );
  publish['policy'] = await medianOf(runs, () =>
    stage(n, () => {
      const at = new Date();
      for (const alert of drafts)
        view.policy.evaluatePublish({ origin: 'MX', network: alert.header!.network, kind: 'route', at });
    }),
  );
  publish['id_schema'] = await medianOf(runs, () =>
    stage(n, () => {
      const at = new Date();
      for (const alert of drafts) {
        alert.header!.id = uuidv7(at.getTime());
        alert.header!.issuedAt = at;
        assertValidAlert(alert, { now: at });
      }
    }),
  );
  let envelopes: Uint8Array[] = [];
  publish['sign_encode'] = await medianOf(runs, () =>
    stage(n, () => {
      envelopes = drafts.map((alert) => {
        const parts = signAlertSync(encodeAlert(alert), mxKey, { at: alert.header!.issuedAt! });
        return encodeSignedAlert(parts);
      });
    }),
  );
  const subject = alertSubject({ network: drafts[0]!.header!.network, kind: 'route', origin: 'MX' });
  publish['jetstream_publish'] = await medianOf(runs, async () => {
    await options.purge();
    const tag = uuidv7();
    return stage(n, () =>
      pool(n, 64, (i) => publishAlert(js, { subject, envelope: envelopes[i]!, msgId: `${tag}-${i}` })),
    );
  });
  await options.purge();
  const outbox = drafts.map((alert, i) => ({ alert, envelope: envelopes[i]! }));
  publish['outbox_row'] = await medianOf(runs, async () => {
    const store = await freshStore();
    try {
      return await stage(n, () => {
        for (let i = 0; i < n; i += OUTBOX_BATCH)
          store.insertMany(
            outbox.slice(i, i + OUTBOX_BATCH).map((o) => ({
              ...rowOf(
                { id: o.alert.header!.id, subject, envelope: o.envelope } as BenchAlert,
                'outbox',
                o.alert,
              ),
              id: `${uuidv7()}`,
            })),
          );
        store.indexPending();
      });
    } finally {
      store.close();
    }
  });
  publish['audit'] = await medianOf(runs, async () => {
    const audit = new NodeAudit(js, 'MX');
    try {
      return await stage(n, async () => {
        for (let i = 0; i < n; i++)
          await audit.record({
            actor: 'bench.officer@mx',
            roles: ['focal-point'],
            action: 'alert.publish',
            entityId: drafts[i]!.header!.id,
            outcome: 'ok',
            details: { subject, stream: ALERTS_STREAM, seq: i },
          });
        await audit.flush();
      });
    } finally {
      await audit.close();
    }
  });
  publish['metrics'] = await medianOf(runs, () =>
    stage(n, () => {
      for (let i = 0; i < n; i++) metrics.published();
    }),
  );
  return { inbound, publish };
}

/** The inbox or outbox row the node builds for `a` (verification record as verifyInbound's). */
function rowOf(a: BenchAlert, box: 'inbox' | 'outbox', alert: Alert = a.alert) {
  const header = alert.header!;
  return toRow({
    box,
    alert,
    body: alert.body?.$case === 'encrypted' ? undefined : alert.body,
    title: header.title,
    summary: header.summary,
    kind: 'route',
    handling: handlingName(header.handling)!,
    envelope: a.envelope,
    subject: a.subject,
    streamSeq: undefined,
    verification: {
      verifiedAt: new Date().toISOString(),
      kid: 'bench',
      registryRevision: 1,
      rules: [],
      bodyReadable: true,
      checks: ['schema', 'subject', 'key', 'signature', 'publish_policy', 'receive_policy'],
    },
  });
}

/** The main thread's own CPU time is in /proc on Linux; elsewhere none is reported off the loop. */
export function loopClockAvailable(): boolean {
  try {
    readFileSync(`/proc/self/task/${process.pid}/schedstat`);
    return true;
  } catch {
    return false;
  }
}
