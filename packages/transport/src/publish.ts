/**
 * publishAlert(): puts one SignedAlert envelope on the alerts stream and resolves once JetStream
 * has stored it. The alert id travels as `Nats-Msg-Id`, so the stream drops a repeat within its
 * duplicate window; that is what makes retrying a timed-out publish safe, and why this function
 * retries timeouts and no-responders (a server restarting, a leader election) with backoff.
 *
 * The acknowledgements of all publishes on one connection come back on one wildcard inbox
 * subscription (AckInbox), as nats.js's own requests do, but without what nats.js makes for each
 * request: two errors built ahead for their stack traces, a third one thrown away when the
 * request is settled, and a timer. One sweep a tenth of a second fails what waited too long. A
 * JetStreamClient that does not expose its connection is published through as before.
 */
import type { ApiError, JetStreamClient, PubAck } from '@nats-io/jetstream';
import { JetStreamApiError, JetStreamError } from '@nats-io/jetstream';
import {
  ClosedConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  RequestError,
  TimeoutError,
  createInbox,
  headers as createHeaders,
} from '@nats-io/transport-node';
import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';

import { TransportError } from './transport-error.js';

export const DEFAULT_PUBLISH_TIMEOUT_MS = 5_000;
export const DEFAULT_PUBLISH_RETRIES = 5;
const BACKOFF_BASE_MS = 250;
const BACKOFF_MAX_MS = 5_000;

/** Options of publishAlert(). */
export interface PublishAlertOptions {
  /**
   * An alert, direct or ack subject of ENLACE_ALERTS (build it with alertSubject() and friends),
   * or any other subject a stream holds (audit records).
   */
  readonly subject: string;
  /** The serialized SignedAlert, published as is. */
  readonly envelope: Uint8Array;
  /** The alert id (UUIDv7): the stream's deduplication key. */
  readonly msgId: string;
  /** Wait this long for each acknowledgement (default 5 000 ms). */
  readonly timeoutMs?: number;
  /** Further attempts after a timeout or no-responders (default 5; 0 publishes once). */
  readonly retries?: number;
  /** Extra headers (e.g. a trace id). `Nats-Msg-Id` is always set from `msgId`. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Where the alert was stored. */
export interface PublishedAlert {
  readonly stream: string;
  readonly seq: number;
  /** True when the stream already held this msgId (an earlier attempt or an earlier publish). */
  readonly duplicate: boolean;
  /** Attempts made, 1 when the first succeeded. */
  readonly attempts: number;
}

/**
 * Publishes `envelope` on `subject` with `Nats-Msg-Id: msgId` and waits for the stream's
 * acknowledgement. Timeouts and no-responders are retried (bounded, with exponential backoff);
 * anything the stream refuses is not. Errors are TransportError with code ERR_PUBLISH_TIMEOUT,
 * ERR_NO_STREAM, ERR_PUBLISH_REJECTED, ERR_CONNECTION_CLOSED or ERR_INVALID_OPTION.
 */
export async function publishAlert(
  js: JetStreamClient,
  options: PublishAlertOptions,
): Promise<PublishedAlert> {
  const { subject, envelope, msgId } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS;
  const retries = options.retries ?? DEFAULT_PUBLISH_RETRIES;
  if (msgId.trim() === '') throw new TransportError('ERR_INVALID_OPTION', 'msgId must not be empty');
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) {
    throw new TransportError('ERR_INVALID_OPTION', `timeoutMs must be a positive integer, got ${timeoutMs}`);
  }
  if (!Number.isSafeInteger(retries) || retries < 0) {
    throw new TransportError('ERR_INVALID_OPTION', `retries must be an integer >= 0, got ${retries}`);
  }

  let lastRetryable: TransportError | undefined;
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (attempt > 1) await sleep(backoffMs(attempt - 1));
    try {
      const inbox = ackInboxOf(js);
      const ack: PubAck =
        inbox !== undefined
          ? await inbox.publish(subject, envelope, msgId, timeoutMs, options.headers)
          : await js.publish(subject, envelope, {
              msgID: msgId,
              timeout: timeoutMs,
              // Retries are ours, so that timeouts are retried too and every attempt is counted.
              retries: 1,
              ...(options.headers !== undefined && { headers: natsHeaders(options.headers) }),
            });
      return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate, attempts: attempt };
    } catch (err) {
      const error = classify(err, subject, msgId, attempt);
      if (!isRetryable(error)) throw error;
      lastRetryable = error;
    }
  }
  // The loop runs at least once and only falls through after a retryable error.
  throw lastRetryable as TransportError;
}

function classify(err: unknown, subject: string, msgId: string, attempts: number): TransportError {
  const where = `alert ${msgId} on ${subject} (${attempts} attempt${attempts === 1 ? '' : 's'})`;
  const detail = err instanceof Error ? `: ${err.message}` : '';
  if (err instanceof TimeoutError) {
    return new TransportError('ERR_PUBLISH_TIMEOUT', `no acknowledgement from JetStream for ${where}`, {
      cause: err,
    });
  }
  if (
    err instanceof NoRespondersError ||
    (err instanceof RequestError && err.isNoResponders()) ||
    // Not exported by @nats-io/jetstream: what a JetStream request with no responders becomes.
    (err instanceof Error && err.name === 'JetStreamNotEnabled')
  ) {
    return new TransportError(
      'ERR_NO_STREAM',
      `no stream answered for ${where}: no stream holds the subject, or JetStream is unavailable`,
      { cause: err },
    );
  }
  if (err instanceof ClosedConnectionError || err instanceof DrainingConnectionError) {
    return new TransportError(
      'ERR_CONNECTION_CLOSED',
      `cannot publish ${where}: connection closed${detail}`,
      {
        cause: err,
      },
    );
  }
  if (err instanceof JetStreamApiError || err instanceof JetStreamError) {
    return new TransportError('ERR_PUBLISH_REJECTED', `JetStream refused ${where}${detail}`, { cause: err });
  }
  return new TransportError('ERR_PUBLISH_REJECTED', `cannot publish ${where}${detail}`, { cause: err });
}

function isRetryable(error: TransportError): boolean {
  return error.code === 'ERR_PUBLISH_TIMEOUT' || error.code === 'ERR_NO_STREAM';
}

/** 250 ms, 500 ms, 1 s, ... capped at 5 s, with ±20 % jitter so that publishers do not retry in step. */
function backoffMs(retry: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (retry - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

const SWEEP_MS = 100;

interface WaitingAck {
  readonly resolve: (ack: PubAck) => void;
  readonly reject: (error: unknown) => void;
  readonly deadline: number;
  readonly subject: string;
}

/** Where one connection's publishes are acknowledged (see the top of this file). */
class AckInbox {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  readonly #waiting = new Map<string, WaitingAck>();
  readonly #sub: Subscription;
  #next = 0;
  #sweep: NodeJS.Timeout | undefined;
  /** Set when the subscription failed: publishes go through js.publish from then on. */
  broken = false;

  constructor(nc: NatsConnection, inboxPrefix: string | undefined) {
    this.#nc = nc;
    this.#prefix = `${createInbox(inboxPrefix)}.`;
    this.#sub = nc.subscribe(`${this.#prefix}*`, {
      callback: (error, msg) => (error !== null ? this.#fail(error) : this.#answer(msg)),
    });
    void this.#sub.closed.then(
      (why: unknown) => this.#fail(why instanceof Error ? why : new ClosedConnectionError()),
      (error: unknown) => this.#fail(error),
    );
  }

  publish(
    subject: string,
    data: Uint8Array,
    msgId: string,
    timeoutMs: number,
    extra: Readonly<Record<string, string>> | undefined,
  ): Promise<PubAck> {
    const h = createHeaders();
    if (extra !== undefined) for (const [key, value] of Object.entries(extra)) h.set(key, value);
    h.set('Nats-Msg-Id', msgId);
    const token = (this.#next++).toString(36);
    return new Promise<PubAck>((resolve, reject) => {
      // Throws when the connection is closed or draining: classify() names it.
      this.#nc.publish(subject, data, { reply: this.#prefix + token, headers: h });
      this.#waiting.set(token, { resolve, reject, deadline: Date.now() + timeoutMs, subject });
      this.#sweep ??= setInterval(() => this.#expire(), SWEEP_MS).unref();
    });
  }

  #answer(msg: Msg): void {
    const token = msg.subject.slice(this.#prefix.length);
    const waiting = this.#waiting.get(token);
    if (waiting === undefined) return; // Too late: it timed out and was retried.
    this.#waiting.delete(token);
    if (msg.headers?.code === 503) {
      waiting.reject(new NoRespondersError(waiting.subject));
      return;
    }
    let reply: { stream?: unknown; seq?: unknown; duplicate?: unknown; error?: ApiError };
    try {
      reply = msg.json();
    } catch (error) {
      waiting.reject(new JetStreamError('invalid ack response', { cause: error }));
      return;
    }
    if (reply.error !== undefined) waiting.reject(new JetStreamApiError(reply.error));
    else if (typeof reply.stream !== 'string' || reply.stream === '' || typeof reply.seq !== 'number')
      waiting.reject(new JetStreamError('invalid ack response'));
    else
      waiting.resolve({
        stream: reply.stream,
        seq: reply.seq,
        duplicate: reply.duplicate === true,
        domain: '',
      } as PubAck);
  }

  #expire(): void {
    const now = Date.now();
    for (const [token, waiting] of this.#waiting)
      if (waiting.deadline <= now) {
        this.#waiting.delete(token);
        waiting.reject(new TimeoutError());
      }
    if (this.#waiting.size === 0) {
      clearInterval(this.#sweep);
      this.#sweep = undefined;
    }
  }

  /** The subscription ended (connection closed, permission refused): fail what waits. */
  #fail(error: unknown): void {
    this.broken = true;
    clearInterval(this.#sweep);
    this.#sweep = undefined;
    for (const waiting of this.#waiting.values()) waiting.reject(error);
    this.#waiting.clear();
  }
}

const ackInboxes = new WeakMap<object, AckInbox>();

/** The AckInbox of the connection behind `js`, or undefined to publish through js.publish. */
function ackInboxOf(js: JetStreamClient): AckInbox | undefined {
  const nc = (js as { nc?: NatsConnection }).nc;
  if (nc === undefined || typeof nc.subscribe !== 'function' || nc.isClosed()) return undefined;
  let inbox = ackInboxes.get(nc);
  if (inbox === undefined || inbox.broken) {
    if (inbox?.broken === true || (nc as { isDraining?: () => boolean }).isDraining?.() === true)
      return undefined;
    const options = (nc as { options?: { inboxPrefix?: string } }).options;
    inbox = new AckInbox(nc, options?.inboxPrefix);
    ackInboxes.set(nc, inbox);
  }
  return inbox;
}

function natsHeaders(values: Readonly<Record<string, string>>): MsgHdrs {
  const h = createHeaders();
  for (const [key, value] of Object.entries(values)) h.set(key, value);
  return h;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
