/**
 * The nodes' durable consumers on ENLACE_ALERTS, reconciled from registry state by a privileged
 * user (the registry's, in `npm start`; `enlace deploy consumers` for deployments). Country users
 * may only read their durables (countryNatsPermissions): whoever runs this decides each one's
 * filter and limits, so a country reads exactly the networks it belongs to, its bilateral messages
 * and its receipts.
 *
 * Creates what is missing, brings limits back to nodeDurablesOf()'s, replaces a durable whose
 * filter or kind differs (a push consumer, another ack policy), and deletes the node durables no
 * country should have any more (a membership that ended, a withdrawn country, the single
 * `node-<CC>` durable on `enlace.v1.alert.>` of earlier versions). Consumers not named like a
 * node's (the feed service's, ordered readers) are left alone.
 */
import type { ConsumerConfig, ConsumerInfo, JetStreamManager } from '@nats-io/jetstream';
import { AckPolicy, DeliverPolicy, JetStreamApiError, ReplayPolicy } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

import type { NatsCountryUser, NodeDurable } from './nats-permissions.js';
import { nodeDurablesOf } from './nats-permissions.js';
import { ALERTS_STREAM } from './subjects.js';
import { TransportError } from './transport-error.js';

/** What reconcileNodeConsumers() changed, by durable name (sorted). */
export interface NodeConsumersReconciled {
  readonly created: readonly string[];
  readonly updated: readonly string[];
  readonly deleted: readonly string[];
  /** Every durable wanted after the run, by country. */
  readonly wanted: Readonly<Record<string, readonly string[]>>;
}

/** A consumer name the nodes use: `node-<CC>` or `node-<CC>-...`. */
const NODE_CONSUMER = /^node-[A-Z]{2}(?:-[A-Za-z0-9_-]+)?$/;
const CONSUMER_NOT_FOUND = 10014;

/** The durables each country should have: none when withdrawn; a suspended one keeps them. */
export function wantedNodeDurables(countries: readonly NatsCountryUser[]): Map<string, NodeDurable> {
  const wanted = new Map<string, NodeDurable>();
  for (const country of countries) {
    if (country.status === 'withdrawn') continue;
    for (const durable of nodeDurablesOf(country.code, country.networks ?? []))
      wanted.set(durable.durable, durable);
  }
  return wanted;
}

function configOf(d: NodeDurable): Partial<ConsumerConfig> {
  return {
    durable_name: d.durable,
    ack_policy: AckPolicy.Explicit,
    // A new network durable starts at the stream's beginning: the node terminates (and records)
    // what this country may not receive by the policy in force when JetStream stored it.
    deliver_policy: DeliverPolicy.All,
    replay_policy: ReplayPolicy.Instant,
    filter_subject: d.filterSubject,
    ack_wait: nanos(d.ackWaitMs),
    max_deliver: d.maxDeliver,
    max_ack_pending: d.maxAckPending,
  };
}

/**
 * Makes the node durables of ENLACE_ALERTS what `countries` call for. Throws TransportError
 * ERR_NO_STREAM when the stream is missing, ERR_JETSTREAM_UNAVAILABLE when JetStream refused a
 * change (the others are still attempted; the error names every failure).
 */
export async function reconcileNodeConsumers(
  jsm: JetStreamManager,
  countries: readonly NatsCountryUser[],
): Promise<NodeConsumersReconciled> {
  const wanted = wantedNodeDurables(countries);
  const existing = new Map<string, ConsumerInfo>();
  try {
    for await (const info of jsm.consumers.list(ALERTS_STREAM)) {
      if (NODE_CONSUMER.test(info.name)) existing.set(info.name, info);
    }
  } catch (cause) {
    if (cause instanceof JetStreamApiError && cause.code === 10059)
      throw new TransportError('ERR_NO_STREAM', `stream ${ALERTS_STREAM} does not exist`, { cause });
    throw new TransportError(
      'ERR_JETSTREAM_UNAVAILABLE',
      `cannot list the consumers of ${ALERTS_STREAM}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const created: string[] = [];
  const updated: string[] = [];
  const deleted: string[] = [];
  const failures: string[] = [];
  const attempt = async (what: string, step: () => Promise<unknown>): Promise<boolean> => {
    try {
      await step();
      return true;
    } catch (error) {
      if (
        error instanceof JetStreamApiError &&
        error.code === CONSUMER_NOT_FOUND &&
        what.startsWith('delete')
      )
        return true;
      failures.push(`${what}: ${(error as Error).message}`);
      return false;
    }
  };

  for (const name of [...existing.keys()].sort()) {
    if (wanted.has(name)) continue;
    if (await attempt(`delete ${name}`, () => jsm.consumers.delete(ALERTS_STREAM, name))) deleted.push(name);
  }
  for (const d of [...wanted.values()].sort((a, b) => a.durable.localeCompare(b.durable))) {
    const config = configOf(d);
    const current = existing.get(d.durable)?.config;
    if (current === undefined) {
      if (await attempt(`create ${d.durable}`, () => jsm.consumers.add(d.stream, config)))
        created.push(d.durable);
      continue;
    }
    const replace =
      current.filter_subject !== d.filterSubject ||
      current.ack_policy !== AckPolicy.Explicit ||
      current.deliver_subject !== undefined;
    if (replace) {
      // Another filter means other messages: start over rather than carry acks across.
      const ok =
        (await attempt(`delete ${d.durable}`, () => jsm.consumers.delete(d.stream, d.durable))) &&
        (await attempt(`create ${d.durable}`, () => jsm.consumers.add(d.stream, config)));
      if (ok) updated.push(d.durable);
      continue;
    }
    const limits = ['ack_wait', 'max_deliver', 'max_ack_pending'] as const;
    if (limits.every((f) => current[f] === config[f])) continue;
    const ok = await attempt(`update ${d.durable}`, () =>
      jsm.consumers.update(d.stream, d.durable, {
        ack_wait: config.ack_wait!,
        max_deliver: config.max_deliver!,
        max_ack_pending: config.max_ack_pending!,
      }),
    );
    if (ok) updated.push(d.durable);
  }
  if (failures.length > 0)
    throw new TransportError(
      'ERR_JETSTREAM_UNAVAILABLE',
      `JetStream refused ${failures.length} consumer change(s) on ${ALERTS_STREAM}: ${failures.join('; ')}`,
    );
  const byCountry: Record<string, string[]> = {};
  for (const d of wanted.values()) (byCountry[d.durable.slice(5, 7)] ??= []).push(d.durable);
  for (const list of Object.values(byCountry)) list.sort();
  return { created, updated, deleted, wanted: byCountry };
}
