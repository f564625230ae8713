/**
 * The one HTTP core under the three clients: base URL, bearer token, one timeout, and every
 * failure turned into a ServiceUnreachableError, UnexpectedResponseError or EnlaceHttpError.
 * Only `fetch`, `URL`, `AbortController` and web streams: it runs in Node and in browsers.
 */
import {
  EnlaceClientError,
  EnlaceHttpError,
  InvalidBaseUrlError,
  parseServiceError,
  ServiceUnreachableError,
  UnexpectedResponseError,
  serviceName,
} from './errors.js';
import type { ServiceKind } from './errors.js';

/** The default time a call may take: until the whole answer for JSON, until the headers for streams. */
export const DEFAULT_TIMEOUT_MS = 15_000;

export interface ClientOptions {
  /** The service's base URL, e.g. http://127.0.0.1:8080 (a path prefix is kept). */
  readonly baseUrl: string | URL;
  /** Bearer token, or a function giving the current one (a console refreshes it). */
  readonly token?: string | (() => string | undefined);
  /** Per-call timeout in ms (default 15 000); a call may override it. */
  readonly timeoutMs?: number;
  /** Another fetch (tests, instrumentation); default the global one. */
  readonly fetch?: typeof fetch;
  /** Headers sent with every call. */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface CallOptions {
  /** Cancels the call (and a stream being read); the abort reason is thrown as is. */
  readonly signal?: AbortSignal;
  /** Overrides the client's timeout for this call. */
  readonly timeoutMs?: number;
  /** Sent as `x-request-id`; the registry keeps it in the audit trail. */
  readonly requestId?: string;
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface SendOptions extends CallOptions {
  readonly query?: Query;
  readonly body?: unknown;
  readonly accept?: string;
  /** Keep the timeout only until the headers: the body is read as a stream, maybe for long. */
  readonly stream?: boolean;
  /** Error statuses whose body is the answer, not an error (a health check's 503 "degraded"). */
  readonly answers?: readonly number[];
}

export class HttpTransport {
  readonly service: ServiceKind;
  /** The base URL, ending with `/`. */
  readonly base: URL;
  readonly #options: ClientOptions;

  constructor(service: ServiceKind, options: ClientOptions) {
    this.service = service;
    this.#options = options;
    const text = String(options.baseUrl);
    let base: URL;
    try {
      base = new URL(text);
    } catch (cause) {
      throw new InvalidBaseUrlError(
        text,
        `the ${serviceName(service)} URL must be an http(s) URL such as http://127.0.0.1:8080 (got "${text}")`,
        { cause },
      );
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:')
      throw new InvalidBaseUrlError(
        text,
        `the ${serviceName(service)} URL must be an http(s) URL (got "${text}")`,
      );
    this.base = new URL(base.href.endsWith('/') ? base.href : `${base.href}/`);
  }

  /** The service's origin, e.g. http://127.0.0.1:8080, as messages name it. */
  get origin(): string {
    return this.base.origin;
  }

  url(path: string, query: Query = {}): URL {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(name, String(value));
    return url;
  }

  /**
   * Calls, then reads a successful answer with `read` under the same timeout. With `stream`, the
   * timeout ends with the headers and `read` gets the response to read as long as it likes.
   */
  async #exchange<T>(
    method: string,
    path: string,
    options: SendOptions,
    read: (response: Response, url: URL) => Promise<T>,
  ): Promise<T> {
    const url = this.url(path, options.query);
    const headers: Record<string, string> = {
      ...this.#options.headers,
      accept: options.accept ?? 'application/json',
    };
    const token = typeof this.#options.token === 'function' ? this.#options.token() : this.#options.token;
    if (token !== undefined && token !== '') headers['authorization'] = `Bearer ${token}`;
    if (options.requestId !== undefined) headers['x-request-id'] = options.requestId;
    if (options.body !== undefined) headers['content-type'] = 'application/json';

    const abort = new AbortController();
    const timeoutMs = options.timeoutMs ?? this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timer = setTimeout(
      () => abort.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
      timeoutMs,
    );
    const signal = options.signal;
    const onAbort = (): void => abort.abort(signal?.reason);
    if (signal?.aborted === true) onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let streaming = false;
    try {
      let response: Response;
      try {
        response = await (this.#options.fetch ?? globalThis.fetch)(url, {
          method,
          headers,
          ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
          signal: abort.signal,
        });
      } catch (cause) {
        throw this.unreachable(cause, signal);
      }
      if (!response.ok && options.answers?.includes(response.status) !== true) {
        let text: string;
        try {
          text = await response.text();
        } catch (cause) {
          throw this.unreachable(cause, signal);
        }
        throw this.#refusal(response.status, url, text);
      }
      if (options.stream === true) {
        // The caller reads the body for as long as it likes: only its own signal still applies.
        clearTimeout(timer);
        streaming = true;
        return await read(response, url);
      }
      try {
        return await read(response, url);
      } catch (cause) {
        if (cause instanceof EnlaceClientError) throw cause;
        throw this.unreachable(cause, signal);
      }
    } finally {
      clearTimeout(timer);
      // A stream keeps forwarding the caller's abort to the body it reads.
      if (!streaming) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** A JSON answer (undefined for 204 No Content). */
  json<T>(method: string, path: string, options: SendOptions = {}): Promise<T> {
    return this.#exchange(method, path, options, async (response, url) => {
      const text = await response.text();
      if (response.status === 204) return undefined as T;
      if (!(response.headers.get('content-type') ?? '').includes('json'))
        throw new UnexpectedResponseError(this.service, 'not_json', response.status, url);
      try {
        return JSON.parse(text) as T;
      } catch (cause) {
        throw new UnexpectedResponseError(this.service, 'malformed_json', response.status, url, { cause });
      }
    });
  }

  /** A text answer of the given media type (e.g. the snapshot JWS). */
  text(path: string, accept: string, options: SendOptions = {}): Promise<string> {
    return this.#exchange('GET', path, { ...options, accept }, (response) => response.text());
  }

  /** A binary answer (e.g. a SignedAlert envelope). */
  bytes(path: string, accept: string, options: SendOptions = {}): Promise<Uint8Array> {
    return this.#exchange(
      'GET',
      path,
      { ...options, accept },
      async (response) => new Uint8Array(await response.arrayBuffer()),
    );
  }

  /** A successful response whose body the caller streams (no timeout once the headers are in). */
  stream(method: string, path: string, options: SendOptions = {}): Promise<Response> {
    return this.#exchange(method, path, { ...options, stream: true }, (response) =>
      Promise.resolve(response),
    );
  }

  /** An error status: the service's error, or an answer that is not the service. */
  #refusal(status: number, url: URL, text: string): Error {
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      return new UnexpectedResponseError(this.service, 'no_error_body', status, url);
    }
    const body = parseServiceError(json);
    if (body === undefined) return new UnexpectedResponseError(this.service, 'no_error_body', status, url);
    return new EnlaceHttpError(this.service, status, body);
  }

  /** A failure to get or read an answer, as ServiceUnreachableError (the caller's abort stays as is). */
  unreachable(cause: unknown, signal?: AbortSignal): unknown {
    if (signal?.aborted === true && cause === signal.reason) return cause;
    if (cause instanceof EnlaceClientError) return cause;
    return new ServiceUnreachableError(this.service, this.origin, cause);
  }
}
