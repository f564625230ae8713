/**
 * The feed service's API: define, list, inspect, delete and replay feeds; read a feed's records
 * as a stream (tail, replay) and export them (STIX 2.1 bundle or JSON Lines) as text chunks;
 * hit/no-hit matching of keyed digests.
 */
import { UnexpectedResponseError } from './errors.js';
import { operationsClient } from './operations.js';
import type { OperationsClient } from './operations.js';
import { HttpTransport } from './http-transport.js';
import type { CallOptions, ClientOptions } from './http-transport.js';
import { ndjsonStream, textStream } from './streams.js';
import type { RecordStream, TextStream } from './streams.js';
import type {
  ExportQuery,
  FeedDefinitionRequest,
  FeedHealthJson,
  FeedRecordJson,
  FeedStatusJson,
  MatchRequest,
  MatchResultJson,
  RecordsQuery,
} from './feed-types.js';

export interface FeedClient extends OperationsClient {
  readonly origin: string;
  readonly feeds: {
    create(definition: FeedDefinitionRequest, options?: CallOptions): Promise<FeedStatusJson>;
    list(options?: CallOptions): Promise<{ feeds: readonly FeedStatusJson[] }>;
    get(id: string, options?: CallOptions): Promise<FeedStatusJson>;
    delete(id: string, options?: CallOptions): Promise<void>;
    /** The feed starts again from `from`: its destination receives every alert again. */
    replay(id: string, body: { from: string }, options?: CallOptions): Promise<FeedStatusJson>;
    /** The records one by one (`follow: true` keeps waiting for new ones: tail). */
    records(id: string, query?: RecordsQuery, options?: CallOptions): Promise<RecordStream<FeedRecordJson>>;
    /** The same records as JSON Lines text, to write as is. */
    recordsText(id: string, query?: RecordsQuery, options?: CallOptions): Promise<TextStream>;
    /** A STIX 2.1 bundle or JSON Lines, as text. */
    export(id: string, query?: ExportQuery, options?: CallOptions): Promise<TextStream>;
  };
  /** Which digests occur in alerts the caller's country may receive. */
  match(body: MatchRequest, options?: CallOptions): Promise<MatchResultJson>;
  health(options?: CallOptions): Promise<FeedHealthJson>;
}

function isMatchResult(value: unknown): value is MatchResultJson {
  if (typeof value !== 'object' || value === null) return false;
  const hits = (value as { hits?: unknown }).hits;
  return (
    Array.isArray(hits) &&
    hits.every(
      (hit: { digest?: unknown; alerts?: unknown } | null) =>
        typeof hit === 'object' &&
        hit !== null &&
        typeof hit.digest === 'string' &&
        Array.isArray(hit.alerts) &&
        (hit.alerts as unknown[]).every(
          (a) =>
            typeof a === 'object' && a !== null && typeof (a as { alertId?: unknown }).alertId === 'string',
        ),
    )
  );
}

export function createFeedClient(options: ClientOptions): FeedClient {
  const http = new HttpTransport('feed', options);
  const feed = (id: string, action = ''): string => `v1/feeds/${encodeURIComponent(id)}${action}`;
  const recordsQuery = (q: RecordsQuery) => ({ from: q.from, follow: q.follow, limit: q.limit });
  return {
    origin: http.origin,
    feeds: {
      create: (definition, o) => http.json('POST', 'v1/feeds', { ...o, body: definition }),
      list: (o) => http.json('GET', 'v1/feeds', o),
      get: (id, o) => http.json('GET', feed(id), o),
      delete: (id, o) => http.json('DELETE', feed(id), o),
      replay: (id, body, o) => http.json('POST', feed(id, '/replay'), { ...o, body }),
      records: async (id, query = {}, o) => {
        const path = feed(id, '/records');
        const response = await http.stream('GET', path, {
          ...o,
          query: recordsQuery(query),
          accept: 'application/x-ndjson',
        });
        return ndjsonStream<FeedRecordJson>(http, response, http.url(path), o?.signal);
      },
      recordsText: async (id, query = {}, o) => {
        const response = await http.stream('GET', feed(id, '/records'), {
          ...o,
          query: recordsQuery(query),
          accept: 'application/x-ndjson',
        });
        return textStream(http, response, o?.signal);
      },
      export: async (id, query = {}, o) => {
        const response = await http.stream('GET', feed(id, '/export'), {
          ...o,
          query: { format: query.format, from: query.from, until: query.until },
          accept: query.format === 'jsonl' ? 'application/x-ndjson' : 'application/stix+json',
        });
        return textStream(http, response, o?.signal);
      },
    },
    match: async (body, o) => {
      const result = await http.json<unknown>('POST', 'v1/match', { ...o, body });
      if (!isMatchResult(result))
        throw new UnexpectedResponseError('feed', 'unexpected_shape', 200, http.url('v1/match'));
      return result;
    },
    health: (o) => http.json('GET', 'health', { ...o, answers: [503] }),
    ...operationsClient(http),
  };
}
