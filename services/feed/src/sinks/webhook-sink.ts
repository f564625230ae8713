/**
 * The webhook sink: each FeedRecord is POSTed, as `application/json`, to the FIU's HTTPS
 * endpoint, one request per record, in stream order, until the endpoint answers 2xx.
 *
 * Headers of every request:
 * ```
 * Content-Type:      application/json
 * Enlace-Feed:       <feed id>
 * Enlace-Record-Id:  <record id>              stable across retries and replays: dedupe on it
 * Enlace-Timestamp:  <unix seconds>           when this attempt was signed
 * Enlace-Signature:  v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 * ```
 *
 * Verifying a request (what a receiver must do; verifyWebhookSignature() does it in Node):
 * 1. Take the raw request body bytes, before any JSON parsing, and the Enlace-Timestamp header.
 * 2. Reject the request when the timestamp is more than 5 minutes away from your clock
 *    (a replayed old request).
 * 3. Compute HMAC-SHA256 with the feed's secret over the bytes of `<timestamp>.<body>` (the
 *    timestamp as sent, a full stop, the body) and hex-encode it.
 * 4. Compare it in constant time (e.g. crypto.timingSafeEqual, hmac.compare_digest) with each
 *    `v1=` value of Enlace-Signature (comma-separated; more may come during a secret change);
 *    accept when one matches.
 * 5. Answer 2xx once the record is stored; store each Enlace-Record-Id once (delivery is
 *    at-least-once: after a lost answer the same record comes again, with the same id).
 *
 * Failures: network errors, timeouts, 408, 425, 429 and 5xx are retried with exponential
 * backoff and full jitter (500 ms doubling to 60 s by default), honouring Retry-After. Any other
 * answer (3xx, 400, 401, 403, 404, 410, ...) means the definition or the receiver is wrong; the
 * record is still not dropped: it is retried at the longest backoff and the error is shown in
 * the sink's status (`enlace feed list`) until someone fixes it. A delivery only gives up when
 * the feed stops.
 *
 * Requests go through node:https (node:http only to allow-listed hosts, e.g. loopback in
 * development), so that a private CA given as `caCertificate` is trusted without extra
 * dependencies. The host is resolved by webhookLookup() and the socket connects to the address
 * that was checked (no second lookup an attacker's DNS could answer differently); loopback,
 * private, link-local and reserved addresses are refused unless the operator's allow-list names
 * them (address-policy.ts). The TLS certificate is still checked against the host name.
 *
 * The sink's status never holds text of the receiver's: an answer is reported by its status code
 * and a fixed message, a failed connection by its error code (so neither the body of an internal
 * service nor how internal names resolve can be read back through `GET /v1/feeds/:id`).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';

import { FeedError } from '../errors.js';
import type { FeedRecord } from '../feed-record.js';
import { AddressPolicy, BlockedAddressError, normalizeHost, webhookLookup } from './address-policy.js';
import type { DeliveryProgress, FeedSink, SinkStatus } from './sink.js';
import type { WebhookSinkDefinition } from './sink-definition.js';
import { describeSink } from './sink-definition.js';
import type { BackoffOptions } from './retry.js';
import {
  DEFAULT_WORKING_INTERVAL_MS,
  SerialQueue,
  SinkCounters,
  backoffDelay,
  backoffOptions,
  sleep,
  startHeartbeat,
  stoppedError,
} from './retry.js';

/** Requests older (or newer) than this are refused by verifyWebhookSignature(). */
export const WEBHOOK_TIMESTAMP_TOLERANCE_S = 5 * 60;
/** Each attempt (connect, request, answer) gets this long by default. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 30_000;
/** A Retry-After longer than this (1 hour) is shortened to it. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;
/** Statuses that say "try again later"; 5xx too. */
const TRANSIENT_STATUSES = new Set([408, 425, 429]);
const SIGNATURE_VERSION = 'v1';

/** Options of createWebhookSink(). */
export interface WebhookSinkOptions {
  readonly feedId: string;
  /** Delays between attempts (default initial 500 ms, factor 2, max 60 s). */
  readonly backoff?: Partial<BackoffOptions>;
  /** Time allowed for one attempt (default 30 s). */
  readonly timeoutMs?: number;
  /** How often a delivery still going on calls `progress.working()` (default 5 s). */
  readonly workingIntervalMs?: number;
  /**
   * Sends the requests instead of node:https (e.g. to route through a proxy). It then decides
   * which certificates to trust: `caCertificate` is not applied.
   */
  readonly fetchImpl?: typeof fetch;
  /** The clock of Enlace-Timestamp and of status times. */
  readonly now?: () => Date;
  /** Which loopback, private or reserved hosts the operator allows (default: none). */
  readonly addressPolicy?: AddressPolicy;
  /** Replaces DNS for the host name (tests); the policy still judges every address. */
  readonly resolve?: Parameters<typeof webhookLookup>[1];
}

/** `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`: the Enlace-Signature header of a request. */
export function webhookSignature(
  secret: string,
  timestamp: string | number,
  body: string | Uint8Array,
): string {
  return `${SIGNATURE_VERSION}=${hmacHex(secret, String(timestamp), body)}`;
}

/**
 * Checks a webhook request the way a receiver should: `timestamp` is the Enlace-Timestamp header
 * (unix seconds), `body` the raw body, `header` the Enlace-Signature header. True only when the
 * timestamp is within 5 minutes of `now` (milliseconds) and one `v1=` signature matches,
 * compared in constant time.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | number,
  body: string | Uint8Array,
  header: string,
  now: number = Date.now(),
): boolean {
  const stamp = String(timestamp);
  if (!/^\d{1,12}$/.test(stamp)) return false;
  if (Math.abs(now / 1000 - Number(stamp)) > WEBHOOK_TIMESTAMP_TOLERANCE_S) return false;
  const expected = Buffer.from(hmacHex(secret, stamp, body), 'utf8');
  let matched = false;
  for (const part of header.split(',')) {
    const [version, value] = part.trim().split('=', 2);
    if (version !== SIGNATURE_VERSION || value === undefined) continue;
    const given = Buffer.from(value.toLowerCase(), 'utf8');
    // Every candidate is compared, so the time taken does not tell which one matched.
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}

function hmacHex(secret: string, timestamp: string, body: string | Uint8Array): string {
  return createHmac('sha256', secret).update(`${timestamp}.`, 'utf8').update(body).digest('hex');
}

/** Creates the webhook sink of one feed. */
export function createWebhookSink(def: WebhookSinkDefinition, options: WebhookSinkOptions): FeedSink {
  return new WebhookSink(def, options);
}

/** What one attempt came to. */
type Outcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly permanent: boolean;
      readonly message: string;
      readonly retryAfterMs?: number;
    };

interface HttpAnswer {
  readonly status: number;
  readonly retryAfter: string | undefined;
}

class WebhookSink implements FeedSink {
  readonly describe: string;
  private readonly url: URL;
  private readonly backoff: BackoffOptions;
  private readonly timeoutMs: number;
  private readonly workingIntervalMs: number;
  private readonly now: () => Date;
  private readonly counters: SinkCounters;
  private readonly queue = new SerialQueue();
  private readonly agent: HttpAgent | HttpsAgent | undefined;
  private readonly policy: AddressPolicy;
  private readonly lookup: ReturnType<typeof webhookLookup>;
  private closed = false;
  private readonly closing = new AbortController();
  /** A #private field: util.inspect() and JSON.stringify() never show it. */
  readonly #secret: string;

  constructor(
    def: WebhookSinkDefinition,
    private readonly options: WebhookSinkOptions,
  ) {
    this.#secret = def.secret;
    this.describe = describeSink(def);
    this.url = new URL(def.url);
    this.backoff = backoffOptions(options.backoff);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
    if (!(Number.isFinite(this.timeoutMs) && this.timeoutMs > 0)) {
      throw new FeedError('ERR_VALIDATION', `timeoutMs must be a positive number, got ${this.timeoutMs}`);
    }
    this.workingIntervalMs = options.workingIntervalMs ?? DEFAULT_WORKING_INTERVAL_MS;
    this.now = options.now ?? (() => new Date());
    this.counters = new SinkCounters(this.now);
    this.policy = options.addressPolicy ?? new AddressPolicy([]);
    this.lookup = webhookLookup(this.policy, options.resolve);
    if (options.fetchImpl === undefined) {
      this.agent =
        this.url.protocol === 'https:'
          ? new HttpsAgent({
              keepAlive: true,
              ...(def.caCertificate !== undefined && { ca: def.caCertificate }),
            })
          : new HttpAgent({ keepAlive: true });
    }
  }

  /** A webhook cannot tell what its receiver holds: the runner relies on its ack and the record ids. */
  lastDeliveredSeq(): Promise<number | undefined> {
    return Promise.resolve(undefined);
  }

  status(): SinkStatus {
    return this.counters.status();
  }

  /** Never shows the secret. */
  toJSON(): { describe: string; status: SinkStatus } {
    return { describe: this.describe, status: this.status() };
  }

  deliver(record: FeedRecord, progress: DeliveryProgress): Promise<void> {
    if (this.closed)
      return Promise.reject(new FeedError('ERR_UNAVAILABLE', `the sink ${this.describe} is closed`));
    const stopHeartbeat = startHeartbeat(progress, this.workingIntervalMs);
    const signal = AbortSignal.any([progress.signal, this.closing.signal]);
    return this.queue.run(() => this.deliverNow(record, signal)).finally(stopHeartbeat);
  }

  async close(): Promise<void> {
    this.closed = true;
    // A delivery still retrying gives up now rather than holding close() for ever.
    this.closing.abort();
    await this.queue.idle();
    this.agent?.destroy();
  }

  private async deliverNow(record: FeedRecord, signal: AbortSignal): Promise<void> {
    const stopped = (): FeedError => stoppedError(record.id, this.describe, signal);
    const body = Buffer.from(JSON.stringify(record), 'utf8');
    let endRetrying: (() => void) | undefined;
    try {
      for (let retry = 0; ; retry++) {
        if (signal.aborted) throw stopped();
        const outcome = await this.attempt(record, body, signal);
        if (outcome.ok) {
          this.counters.succeeded();
          return;
        }
        if (signal.aborted) throw stopped();
        this.counters.failed(outcome.message);
        this.counters.retried();
        endRetrying ??= this.counters.retryingStarted();
        let delay = outcome.permanent ? this.backoff.maxMs : backoffDelay(retry + 1, this.backoff);
        if (outcome.retryAfterMs !== undefined) delay = Math.max(delay, outcome.retryAfterMs);
        await sleep(delay, signal, stopped);
      }
    } finally {
      endRetrying?.();
    }
  }

  private async attempt(record: FeedRecord, body: Buffer, signal: AbortSignal): Promise<Outcome> {
    const timestamp = String(Math.floor(this.now().getTime() / 1000));
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'User-Agent': 'enlace-feed/1',
      'Enlace-Feed': this.options.feedId,
      'Enlace-Record-Id': record.id,
      'Enlace-Timestamp': timestamp,
      'Enlace-Signature': webhookSignature(this.#secret, timestamp, body),
    };
    const refused = this.refusal();
    if (refused !== undefined) return { ok: false, permanent: true, message: refused };
    let answer: HttpAnswer;
    try {
      answer = await this.post(body, headers, signal);
    } catch (err) {
      if (err instanceof BlockedAddressError) return { ok: false, permanent: true, message: err.message };
      return {
        ok: false,
        permanent: false,
        message: `cannot deliver to ${this.describe}: ${connectionProblem(err)}`,
      };
    }
    const { status } = answer;
    if (status >= 200 && status < 300) return { ok: true };
    const transient = status >= 500 || TRANSIENT_STATUSES.has(status);
    // The status code and a fixed message only: the receiver's text is never shown.
    const what = `HTTP ${status} from ${this.describe}`;
    const retryAfterMs = parseRetryAfter(answer.retryAfter, this.now().getTime());
    return {
      ok: false,
      permanent: !transient,
      message: transient
        ? `${what} (the receiver is unavailable; retrying)`
        : `${what} (the receiver refuses the records: check the feed's URL and secret; retrying every ${formatDuration(this.backoff.maxMs)})`,
      ...(retryAfterMs !== undefined && { retryAfterMs }),
    };
  }

  /**
   * Why the URL may not be reached before any connection (a definition stored before the
   * allow-list changed): plain http:// to a host not allow-listed, or an address literal in a
   * refused range. Undefined when it may be tried.
   */
  private refusal(): string | undefined {
    const host = normalizeHost(this.url.hostname);
    if (this.url.protocol === 'http:' && !this.policy.allowsHost(host))
      return `plain http:// to ${host} is not on the feed service's webhook allow-list: use https://`;
    if (isIP(host) !== 0 && !this.policy.allowsAddress(host, host))
      return new BlockedAddressError(host).message;
    return undefined;
  }

  private post(body: Buffer, headers: Record<string, string>, signal: AbortSignal): Promise<HttpAnswer> {
    return this.options.fetchImpl === undefined
      ? this.postWithNode(body, headers, signal)
      : this.postWithFetch(this.options.fetchImpl, body, headers, signal);
  }

  private postWithNode(
    body: Buffer,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<HttpAnswer> {
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<HttpAnswer>((resolve, reject) => {
      const req = send(this.url, {
        method: 'POST',
        agent: this.agent,
        // The socket connects to the address this lookup checked (address literals never get here unchecked: refusal()).
        lookup: this.lookup,
        headers: { ...headers, 'Content-Length': String(body.length) },
      });
      const fail = (err: Error): void => {
        cleanup();
        req.destroy(err);
        reject(err);
      };
      const timer = setTimeout(
        () => fail(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      const onAbort = (): void => fail(new Error('the feed is stopping'));
      const cleanup = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => {
        cleanup();
        reject(err);
      });
      req.on('response', (res) => {
        // The body is read to the end (so the connection can be reused) and thrown away.
        res.resume();
        res.on('error', (err) => {
          cleanup();
          reject(err);
        });
        res.on('end', () => {
          cleanup();
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: headerValue(res.headers, 'retry-after'),
          });
        });
      });
      req.end(body);
    });
  }

  private async postWithFetch(
    fetchImpl: typeof fetch,
    body: Buffer,
    headers: Record<string, string>,
    signal: AbortSignal,
  ): Promise<HttpAnswer> {
    // A fetch of the caller's (e.g. through a proxy) resolves the host itself: check it first.
    await this.checkResolved();
    const response = await fetchImpl(this.url, {
      method: 'POST',
      headers,
      body: new Uint8Array(body),
      redirect: 'manual',
      signal: AbortSignal.any([signal, AbortSignal.timeout(this.timeoutMs)]),
    });
    await response.body?.cancel().catch(() => undefined);
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after') ?? undefined,
    };
  }

  /** Resolves the host through the policy's lookup (for fetchImpl, which cannot be pinned). */
  private checkResolved(): Promise<void> {
    const host = normalizeHost(this.url.hostname);
    if (isIP(host) !== 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.lookup(host, { all: true }, (err) => (err === null ? resolve() : reject(err)));
    });
  }
}

/** Retry-After as milliseconds from now: delay-seconds or an HTTP date; capped at MAX_RETRY_AFTER_MS. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 1000)} s`;
}

/**
 * A failed connection as its error code and a fixed message (never the error's own text, which
 * may name resolved addresses or quote the peer).
 */
export function connectionProblem(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) {
    return [...new Set(err.errors.map(connectionProblem))].join('; ');
  }
  const code =
    typeof (err as { code?: unknown })?.code === 'string' ? (err as { code: string }).code : undefined;
  if (code === undefined) {
    const message = err instanceof Error ? err.message : '';
    if (message.startsWith('no answer within')) return message;
    if (message === 'the feed is stopping') return message;
    return 'the request failed';
  }
  const known: Record<string, string> = {
    ECONNREFUSED: 'the connection was refused',
    ECONNRESET: 'the connection was reset',
    ETIMEDOUT: 'the connection timed out',
    ENOTFOUND: 'the host name does not resolve',
    EAI_AGAIN: 'the host name could not be resolved now',
    EHOSTUNREACH: 'the host is unreachable',
    ENETUNREACH: 'the network is unreachable',
    EPIPE: 'the connection was closed',
    UND_ERR_SOCKET: 'the connection was closed',
  };
  const text =
    known[code] ??
    (code.includes('CERT') || code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL')
      ? 'the TLS certificate was not accepted'
      : 'the request failed');
  return `${code}: ${text}`;
}
