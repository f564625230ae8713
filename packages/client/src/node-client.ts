/**
 * A country node's officer API: publish drafts, retract, supersede, acknowledge and forward
 * alerts, page through the inbox and outbox, read one alert with its verification record and
 * fetch its signed envelope exactly as received; send requests for information, reply in their
 * threads, ask an alert's origin for consent to onward use and decide on it.
 */
import { HttpTransport } from './http-transport.js';
import { operationsClient } from './operations.js';
import type { OperationsClient } from './operations.js';
import type { CallOptions, ClientOptions } from './http-transport.js';
import type {
  AckJson,
  DismissJson,
  JudicialUseJson,
  AlertDetailJson,
  AlertJson,
  AlertListQuery,
  AlertPage,
  AlertSummaryJson,
  ConsentDecisionJson,
  ConsentRequestJson,
  ForwardJson,
  NodeHealthJson,
  PublishedAlertJson,
  RequestCreateJson,
  RequestReplyJson,
  RequestWriteJson,
  SentRequestJson,
  ThreadDetailJson,
  ThreadListQuery,
  ThreadPage,
} from './node-types.js';

export interface NodeClient extends OperationsClient {
  /** The node's origin, e.g. http://127.0.0.1:8101 */
  readonly origin: string;
  readonly alerts: {
    /** Publishes a draft (without header.id and header.issuedAt: the node assigns them). */
    publish(draft: AlertJson, options?: CallOptions): Promise<PublishedAlertJson>;
    retract(id: string, body: { reason: string }, options?: CallOptions): Promise<PublishedAlertJson>;
    supersede(id: string, draft: AlertJson, options?: CallOptions): Promise<PublishedAlertJson>;
    /** Sends a signed receipt to the originator ("read" by default). */
    ack(id: string, body?: { status?: 'read' | 'received' }, options?: CallOptions): Promise<AckJson>;
    /** Passes the signed envelope on to another country, as handling and policy allow. */
    forward(id: string, body: { to: string }, options?: CallOptions): Promise<ForwardJson>;
    /** Puts the alert in this country's archive (reversible with undismiss). */
    dismiss(id: string, options?: CallOptions): Promise<DismissJson>;
    /** Brings a dismissed alert back into the inbox. */
    undismiss(id: string, options?: CallOptions): Promise<DismissJson>;
    /** Records that the alert is used in judicial proceedings (H1+: only with the origin's consent). */
    judicialUse(id: string, options?: CallOptions): Promise<JudicialUseJson>;
    /** One page, newest first. */
    list(query?: AlertListQuery, options?: CallOptions): Promise<AlertPage>;
    /** Every page of a query, in order. */
    all(query?: Omit<AlertListQuery, 'cursor'>, options?: CallOptions): AsyncIterable<AlertSummaryJson>;
    get(id: string, options?: CallOptions): Promise<AlertDetailJson>;
    /** The SignedAlert bytes exactly as received (protobuf). */
    envelope(id: string, options?: CallOptions): Promise<Uint8Array>;
    /** Asks the alert's origin for consent to onward use (forward to `to`, or judicial use). */
    requestConsent(id: string, body: ConsentRequestJson, options?: CallOptions): Promise<SentRequestJson>;
    /**
     * URL of the server-sent events of newly verified inbox alerts (event `alert`, data an
     * AlertSummaryJson): for an EventSource, which carries the console's session cookie.
     */
    eventsUrl(): string;
  };
  /** Requests for information and their threads (replies, consents). */
  readonly requests: {
    create(body: RequestCreateJson, options?: CallOptions): Promise<SentRequestJson>;
    /** One page of threads, newest opened first. */
    list(query?: ThreadListQuery, options?: CallOptions): Promise<ThreadPage>;
    /** A thread with all its messages (read by a focal point: signed read receipts to the senders). */
    get(id: string, options?: CallOptions): Promise<ThreadDetailJson>;
    /** Marks a thread read: the message ids acknowledged now. */
    read(id: string, options?: CallOptions): Promise<{ readonly acknowledged: readonly string[] }>;
    reply(id: string, body: RequestReplyJson, options?: CallOptions): Promise<SentRequestJson>;
    close(id: string, body?: RequestWriteJson, options?: CallOptions): Promise<SentRequestJson>;
    withdraw(id: string, body?: RequestWriteJson, options?: CallOptions): Promise<SentRequestJson>;
  };
  readonly consents: {
    /** Grants or refuses consent request `id` (this country is the alert's origin). */
    decide(id: string, body: ConsentDecisionJson, options?: CallOptions): Promise<SentRequestJson>;
  };
  /** 200 or 503 (degraded): both answer the health document. */
  health(options?: CallOptions): Promise<NodeHealthJson>;
}

export function createNodeClient(options: ClientOptions): NodeClient {
  const http = new HttpTransport('node', options);
  const alert = (id: string, action = ''): string => `v1/alerts/${encodeURIComponent(id)}${action}`;
  const request = (id: string, action = ''): string => `v1/requests/${encodeURIComponent(id)}${action}`;
  const post = <T>(path: string, body: unknown, o?: CallOptions) =>
    http.json<T>('POST', path, { ...o, body });
  const list = (query: AlertListQuery = {}, o?: CallOptions): Promise<AlertPage> =>
    http.json('GET', 'v1/alerts', { ...o, query: { ...query } });
  return {
    origin: http.origin,
    alerts: {
      publish: (draft, o) => post('v1/alerts', draft, o),
      retract: (id, body, o) => post(alert(id, '/retract'), body, o),
      supersede: (id, draft, o) => post(alert(id, '/supersede'), draft, o),
      ack: (id, body = {}, o) => post(alert(id, '/ack'), body, o),
      forward: (id, body, o) => post(alert(id, '/forward'), body, o),
      dismiss: (id, o) => post(alert(id, '/dismiss'), {}, o),
      undismiss: (id, o) => http.json('DELETE', alert(id, '/dismiss'), o),
      judicialUse: (id, o) => post(alert(id, '/judicial-use'), {}, o),
      list,
      all: (query = {}, o) => ({
        async *[Symbol.asyncIterator]() {
          let cursor: string | undefined;
          do {
            const page = await list({ ...query, ...(cursor !== undefined && { cursor }) }, o);
            yield* page.items;
            cursor = page.next;
          } while (cursor !== undefined);
        },
      }),
      get: (id, o) => http.json('GET', alert(id), o),
      envelope: (id, o) => http.bytes(alert(id, '/envelope'), 'application/x-protobuf', o),
      requestConsent: (id, body, o) => post(alert(id, '/consent-requests'), body, o),
      eventsUrl: () => http.url('v1/alert-events').href,
    },
    requests: {
      create: (body, o) => post('v1/requests', body, o),
      list: (query = {}, o) => http.json('GET', 'v1/requests', { ...o, query: { ...query } }),
      get: (id, o) => http.json('GET', request(id), o),
      read: (id, o) => http.json('POST', request(id, '/read'), o),
      reply: (id, body, o) => post(request(id, '/reply'), body, o),
      close: (id, body = {}, o) => post(request(id, '/close'), body, o),
      withdraw: (id, body = {}, o) => post(request(id, '/withdraw'), body, o),
    },
    consents: {
      decide: (id, body, o) => post(`v1/consents/${encodeURIComponent(id)}/decision`, body, o),
    },
    health: (o) => http.json('GET', 'health', { ...o, answers: [503] }),
    ...operationsClient(http),
  };
}
