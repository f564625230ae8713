/**
 * Feeds the hit/no-hit matching index: a durable consumer over every alert of ENLACE_ALERTS
 * (from the beginning), which verifies each alert as its origin published it (signature, key,
 * the origin's right to publish) and indexes the keyed digests of its clear body — document
 * numbers (`document.number_digests`) and accounts (`network.financial.accounts`). Restricted
 * alerts keep their bodies encrypted and are not indexed. A retraction or a superseding alert
 * removes the earlier alert from the index. Each alert is written to the SQLite match store
 * before it is acknowledged, so the index survives restarts and misses nothing.
 *
 * Queries (POST /v1/match) come with the caller: a hit names only alerts @enlace/policy's read
 * rule lets that reader match in (evaluateRead, channel `match`): for an FIU analyst, alerts of
 * its own country or that its country may receive under the registry policy now, judged on the
 * alert's real handling code as on every other path.
 */
import { AckPolicy, DeliverPolicy } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { evaluateRead } from '@enlace/policy';
import type { AlertKind, HandlingCode, Reader } from '@enlace/policy';
import type { TrustState, VerifiedAlert } from '@enlace/trust';
import {
  ALERTS_STREAM,
  RejectMessage,
  TransportError,
  consume,
  parseMessageSubject,
} from '@enlace/transport';

import { FeedError } from '../errors.js';
import type { AlertVerifier } from '../feeds/alert-verifier.js';
import { isNotFound } from '../feeds/feed-runner.js';
import type { MatchIndex } from '../matching/match-index.js';
import type { AlertRef, KeyedDigestEntry, MatchField } from '../matching/match-index.js';
import { matchResultToJson, parseMatchRequest } from '../matching/match-request.js';
import type { MatchResultJson } from '../matching/match-request.js';
import { MatchStore } from '../matching/match-store.js';

export const INDEXER_CONSUMER = 'feed-match-index';
/** Alerts pulled ahead of the one being indexed. */
const PULL_AHEAD = 256;
/** Redelivery delay of an alert that could not be checked (registry unreachable, ...). */
const RETRY_DELAY_MS = 5_000;

export interface DigestIndexerOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly verifier: AlertVerifier;
  readonly trust: TrustState;
  readonly dataDir: string;
  readonly onWarning?: (message: string, cause?: unknown) => void;
}

/** The keyed digests of a verified alert's clear body, by field. */
export function digestsOf(
  verified: VerifiedAlert,
): Array<{ field: MatchField; digests: KeyedDigestEntry[] }> {
  const body = verified.body;
  if (body?.$case === 'document') {
    const digests = body.document.numberDigests.map((d) => ({ keyId: d.keyId, digest: d.digest }));
    return digests.length > 0 ? [{ field: 'document.number_digests', digests }] : [];
  }
  if (body?.$case === 'network') {
    const digests = (body.network.financial?.accounts ?? [])
      .map((a) => a.digest)
      .filter((d) => d !== undefined)
      .map((d) => ({ keyId: d.keyId, digest: d.digest }));
    return digests.length > 0 ? [{ field: 'network.financial.accounts', digests }] : [];
  }
  return [];
}

export class DigestIndexer {
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  indexedAlerts = 0;

  private constructor(
    private readonly options: DigestIndexerOptions,
    readonly index: MatchIndex,
    private readonly store: MatchStore,
  ) {}

  static async open(options: DigestIndexerOptions): Promise<DigestIndexer> {
    const store = MatchStore.open(options.dataDir);
    const index = store.load();
    const indexer = new DigestIndexer(options, index, store);
    try {
      await indexer.#ensureConsumer();
    } catch (error) {
      store.close();
      throw error;
    }
    indexer.#loop = (async () => {
      while (!indexer.#abort.signal.aborted) {
        try {
          await indexer.#run();
        } catch (error) {
          if (indexer.#abort.signal.aborted) return;
          options.onWarning?.('the matching indexer was interrupted, starting again in 2 s', error);
          await new Promise((r) => setTimeout(r, 2_000));
          await indexer.#ensureConsumer().catch(() => undefined);
        }
      }
    })();
    return indexer;
  }

  /** Digests held by the index. */
  get size(): number {
    return this.index.size;
  }

  async close(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
    this.store.close();
  }

  /** Answers POST /v1/match for `reader` (an FIU analyst of a country, or an administrator). */
  async match(body: unknown, reader: Reader): Promise<MatchResultJson> {
    const request = parseMatchRequest(body);
    const view = this.options.trust.current();
    if (view === undefined) throw new FeedError('ERR_UNAVAILABLE', 'no verified registry snapshot yet');
    const now = new Date();
    // Only open bodies are indexed (restricted ones stay encrypted here), hence no recipients.
    const allow = (ref: AlertRef): boolean =>
      evaluateRead(
        reader,
        {
          origin: ref.origin,
          network: ref.network,
          kind: ref.kind as AlertKind,
          handling: ref.handling as HandlingCode,
          recipients: [],
          issuedAt: ref.issuedAt,
        },
        'match',
        { at: now, policy: view.policy },
      ).allowed;
    // Sliced, so that a bulk query of 100,000 digests does not hold up single ones.
    return matchResultToJson(await this.index.queryAsync(request.keyId, request.digests, allow));
  }

  async #ensureConsumer(): Promise<void> {
    const { jsm } = this.options;
    try {
      await jsm.consumers.info(ALERTS_STREAM, INDEXER_CONSUMER);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await jsm.consumers.add(ALERTS_STREAM, {
        durable_name: INDEXER_CONSUMER,
        description: 'Enlace feed service: keyed digests for hit/no-hit matching',
        filter_subject: 'enlace.v1.alert.>',
        deliver_policy: DeliverPolicy.All,
        ack_policy: AckPolicy.Explicit,
        ack_wait: nanos(60_000),
        max_deliver: -1,
        max_ack_pending: 2_000,
      });
    }
  }

  /** Consumes until close(); resolves early only if consumption ended otherwise (then it starts again). */
  async #run(): Promise<void> {
    const { js, verifier, onWarning } = this.options;
    const signal = this.#abort.signal;
    while (!signal.aborted && !(await verifier.ready(1_000)));
    if (signal.aborted) return;
    const run = await consume(
      js,
      { stream: ALERTS_STREAM, name: INDEXER_CONSUMER },
      {
        // One at a time in stream order: a retraction finds the alert it retracts indexed.
        maxInFlight: 1,
        pullAhead: PULL_AHEAD,
        acks: 'confirmed',
        nakDelay: () => RETRY_DELAY_MS,
        onError: (error, msg) => {
          if (signal.aborted) return;
          // An ack not confirmed: redelivered later, and hasAlert makes that harmless.
          if (error instanceof TransportError && error.code === 'ERR_ACK_UNCONFIRMED') return;
          if (msg !== undefined) {
            onWarning?.(`matching indexer: alert at sequence ${msg.seq} not checked, will retry`, error);
          } else {
            onWarning?.('matching indexer: fetch failed', error);
          }
        },
        onStatus: (status) => {
          // Removed by an operator: end, so that it is created again.
          if (status.type === 'consumer_deleted' || status.type === 'consumer_not_found') void run.close();
        },
      },
      (msg) => this.#handle(msg),
    );
    const stop = (): void => void run.close();
    signal.addEventListener('abort', stop, { once: true });
    if (signal.aborted) stop();
    try {
      await run.closed();
    } finally {
      signal.removeEventListener('abort', stop);
    }
    if (!signal.aborted) throw new Error(`matching indexer: consumption of ${run.name} ended`);
  }

  /** Indexes one alert; resolves once the match store holds it (consume() then acknowledges it). */
  async #handle(msg: JsMsg): Promise<void> {
    // Judged as its origin published it: no receive check, restricted bodies stay closed. A
    // rejection is terminated; any other failure is redelivered.
    const origin = parseMessageSubject(msg.subject);
    const country = origin.type === 'alert' ? origin.origin : '';
    const verified: VerifiedAlert = await this.options.verifier.verify(msg, country);
    const header = verified.alert.header!;
    for (const earlier of [header.retractsId, header.supersedesId]) {
      if (earlier !== '' && this.index.originOf(earlier) === header.origin) {
        this.store.removeAlert(earlier);
        this.index.removeAlert(earlier);
      }
    }
    if (!this.index.hasAlert(header.id)) {
      for (const { field, digests } of digestsOf(verified)) {
        const ref: AlertRef = {
          alertId: header.id,
          origin: header.origin,
          network: header.network,
          kind: verified.kind,
          issuedAt: verified.issuedAt.toISOString(),
          handling: verified.handling,
          field,
        };
        try {
          this.store.add(ref, digests);
        } catch (error) {
          // A digest that is not 32 bytes or has no key id: the schema should have refused it.
          this.options.onWarning?.(`matching indexer: alert ${header.id} not indexed`, error);
          throw new RejectMessage('malformed', `alert ${header.id}: digests not indexable`, { cause: error });
        }
        this.index.add(ref, digests);
      }
      this.indexedAlerts++;
    }
  }
}
