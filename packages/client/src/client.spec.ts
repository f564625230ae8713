/**
 * The clients against a stand-in HTTP server: what a call sends, and every way it can fail —
 * unreachable, too slow, refused (both error shapes), not the service — and the streams.
 */
import { once } from 'node:events';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import {
  createFeedClient,
  createNodeClient,
  createRegistryClient,
  EnlaceClientError,
  EnlaceHttpError,
  InvalidBaseUrlError,
  ServiceUnreachableError,
  UnexpectedResponseError,
} from './index.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let base: string;
let handler: Handler;
const seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }> = [];

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(value));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

beforeEach(() => {
  seen.length = 0;
});

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

describe('calls', () => {
  it('sends the bearer token, the request id, the query and the JSON body; paths are encoded', async () => {
    handler = (_req, res) => json(res, 201, { kid: 'MX-sig-2026-01' });
    const registry = createRegistryClient({ baseUrl: `${base}/`, token: 't0ken' });
    await registry.keys.revoke('MX sig/1', { reason: 'lost' }, { requestId: 'req-1' });
    await registry.memberships.list({ country: 'MX', network: 'trafficking-liaison' });
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: '/v1/keys/MX%20sig%2F1/revoke',
      body: '{"reason":"lost"}',
    });
    expect(seen[0]!.headers).toMatchObject({
      authorization: 'Bearer t0ken',
      'x-request-id': 'req-1',
      'content-type': 'application/json',
    });
    expect(seen[1]).toMatchObject({
      method: 'GET',
      url: '/v1/memberships?country=MX&network=trafficking-liaison',
    });
  });

  it('keeps a path prefix of the base URL and sends no authorization without a token', async () => {
    handler = (_req, res) => json(res, 200, { status: 'ok', revision: 3 });
    expect(await createRegistryClient({ baseUrl: `${base}/registry` }).health()).toEqual({
      status: 'ok',
      revision: 3,
    });
    expect(seen[0]!.url).toBe('/registry/health');
    expect(seen[0]!.headers.authorization).toBeUndefined();
  });

  it('answers a node health check that is degraded (503) with its document', async () => {
    handler = (_req, res) => json(res, 503, { status: 'degraded', nats: 'disconnected' });
    expect(await createNodeClient({ baseUrl: base }).health()).toMatchObject({ status: 'degraded' });
  });

  it('reads a binary envelope and a 204 answer', async () => {
    handler = (req, res) => {
      if (req.method === 'DELETE') {
        res.writeHead(204);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end(Buffer.from([1, 2, 3]));
    };
    expect(await createNodeClient({ baseUrl: base }).alerts.envelope('x')).toEqual(new Uint8Array([1, 2, 3]));
    expect(await createFeedClient({ baseUrl: base, token: 't' }).feeds.delete('mx-a')).toBeUndefined();
  });
});

describe('failures', () => {
  it('refuses a base URL that is not http(s), naming it', () => {
    for (const url of ['not a url', 'ftp://example.org']) {
      let error: unknown;
      try {
        createFeedClient({ baseUrl: url });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InvalidBaseUrlError);
      expect(error).toMatchObject({ code: 'ERR_INVALID_URL', url });
      expect((error as Error).message).toContain(`the feed service URL must be an http(s) URL`);
    }
  });

  it('names the service and its URL when nothing answers', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const error = await failure(
      createRegistryClient({ baseUrl: `http://127.0.0.1:${port}` }).countries.list(),
    );
    expect(error).toBeInstanceOf(ServiceUnreachableError);
    expect(error).toMatchObject({ code: 'ERR_UNREACHABLE', service: 'registry', timedOut: false });
    expect((error as Error).message).toMatch(
      new RegExp(`^cannot reach the registry at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED`),
    );
  });

  it('gives up after the timeout with "no answer in time"', async () => {
    handler = () => undefined; // never answers
    const error = await failure(createNodeClient({ baseUrl: base, timeoutMs: 100 }).alerts.list());
    expect(error).toBeInstanceOf(ServiceUnreachableError);
    expect(error).toMatchObject({ code: 'ERR_UNREACHABLE', timedOut: true, reason: 'no answer in time' });
    expect((error as Error).message).toBe(`cannot reach the node at ${base}: no answer in time`);
  });

  it("throws the caller's own abort as is", async () => {
    handler = () => undefined;
    const abort = new AbortController();
    const call = createNodeClient({ baseUrl: base }).alerts.list({}, { signal: abort.signal });
    abort.abort(new Error('user stopped'));
    expect(await failure(call)).toMatchObject({ message: 'user stopped' });
  });

  it('turns the wrapped error shape into an EnlaceHttpError with code, status, message and fields', async () => {
    handler = (_req, res) =>
      json(res, 400, {
        error: {
          code: 'ERR_VALIDATION',
          message: 'invalid membership:\n  role',
          violations: [
            { path: 'role', code: 'invalid_value', message: 'must be publisher' },
            { path: '', code: 'malformed_json', message: 'x' },
          ],
        },
      });
    const error = await failure(
      createRegistryClient({ baseUrl: base, token: 't' }).memberships.add({
        country: 'MX',
        network: 'n',
        role: 'publisher',
      }),
    );
    expect(error).toBeInstanceOf(EnlaceHttpError);
    expect(error).toBeInstanceOf(EnlaceClientError);
    const http = error as EnlaceHttpError;
    expect(http).toMatchObject({ code: 'ERR_VALIDATION', status: 400, service: 'registry' });
    expect(http.message).toBe('invalid membership: role');
    expect(http.violations).toEqual([
      { path: 'role', code: 'invalid_value', message: 'must be publisher' },
      { path: '', code: 'malformed_json', message: 'x' },
    ]);
    expect(http.summary).toBe(
      'registry refused (ERR_VALIDATION, HTTP 400): invalid membership: role [fields: role, (body)]',
    );
  });

  it('parses the bare error shape and keeps a policy reason', async () => {
    handler = (_req, res) =>
      json(res, 403, {
        code: 'ERR_POLICY_DENIED',
        message: 'no',
        reason: 'origin_suspended',
        violations: [],
      });
    const error = await failure(createNodeClient({ baseUrl: base, token: 't' }).alerts.publish({}));
    expect(error).toMatchObject({ code: 'ERR_POLICY_DENIED', status: 403, reason: 'origin_suspended' });
    expect((error as EnlaceHttpError).summary).toBe('node refused (ERR_POLICY_DENIED, HTTP 403): no');
  });

  it('says when the answer is not the service: an HTML error page, malformed JSON, not JSON, wrong shape', async () => {
    const registry = createRegistryClient({ baseUrl: base });
    handler = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>bad gateway</html>');
    };
    expect(await failure(registry.countries.list())).toMatchObject({
      code: 'ERR_UNEXPECTED_RESPONSE',
      problem: 'no_error_body',
      status: 502,
      url: `${base}/v1/countries`,
    });
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"items": [');
    };
    const malformed = await failure(registry.countries.list());
    expect(malformed).toBeInstanceOf(UnexpectedResponseError);
    expect(malformed).toMatchObject({ problem: 'malformed_json' });
    expect((malformed as Error).message).toBe(`the registry at ${base} answered malformed JSON`);
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>welcome</html>');
    };
    expect(await failure(registry.countries.list())).toMatchObject({ problem: 'not_json' });
    handler = (_req, res) => json(res, 200, { hits: [{ digest: 1 }] });
    expect(
      await failure(createFeedClient({ baseUrl: base, token: 't' }).match({ keyId: 'k', digests: ['aa'] })),
    ).toMatchObject({ problem: 'unexpected_shape', url: `${base}/v1/match` });
  });
});

describe('streams', () => {
  const record = (n: number): string =>
    JSON.stringify({ format: 'enlace.feed.record.v1', id: `gt-all:${n}`, seq: n });

  it('reads NDJSON records split across chunks, with the pending count, and throws an error line', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'enlace-pending': '3' });
      const text = `${record(1)}\n${record(2)}\n`;
      res.write(text.slice(0, 7));
      setTimeout(() => {
        res.write(text.slice(7));
        res.end(
          `${JSON.stringify({ error: { code: 'ERR_INTERNAL', message: 'stream broke', violations: [] } })}\n`,
        );
      }, 20);
    };
    const feed = createFeedClient({ baseUrl: base, token: 't' });
    const stream = await feed.feeds.records('gt-all', { from: 'beginning', follow: true, limit: 5 });
    expect(stream.pending).toBe(3);
    expect(seen[0]!.url).toBe('/v1/feeds/gt-all/records?from=beginning&follow=true&limit=5');
    const ids: string[] = [];
    const error = await failure(
      (async () => {
        for await (const r of stream) ids.push(r.id);
      })(),
    );
    expect(ids).toEqual(['gt-all:1', 'gt-all:2']);
    expect(error).toBeInstanceOf(EnlaceHttpError);
    expect(error).toMatchObject({ code: 'ERR_INTERNAL', status: 500, message: 'stream broke' });
  });

  it('streams an export as text chunks cut at line ends, with its file name', async () => {
    const bundle = `{"type":"bundle","id":"bundle--1","objects":[\n{"type":"report","id":"r1"},\n{"type":"report","id":"r2"}\n]}\n`;
    handler = (_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/stix+json;version=2.1',
        'enlace-pending': '2',
        'content-disposition': 'attachment; filename="gt-all.stix.json"',
      });
      res.write(bundle.slice(0, 60));
      setTimeout(() => res.end(bundle.slice(60)), 20);
    };
    const stream = await createFeedClient({ baseUrl: base, token: 't' }).feeds.export('gt-all', {
      format: 'stix',
      until: '2026-03-01T00:00:00.000Z',
    });
    expect(stream).toMatchObject({ pending: 2, filename: 'gt-all.stix.json' });
    const chunks: string[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.join('')).toBe(bundle);
    for (const chunk of chunks) expect(chunk.endsWith('\n')).toBe(true);
    expect(seen[0]!.url).toBe('/v1/feeds/gt-all/export?format=stix&until=2026-03-01T00%3A00%3A00.000Z');
  });

  it('a stream is not cut by the timeout once its headers are in', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      res.write(`${record(1)}\n`);
      setTimeout(() => res.end(`${record(2)}\n`), 250);
    };
    const stream = await createFeedClient({ baseUrl: base, token: 't', timeoutMs: 100 }).feeds.records(
      'gt-all',
    );
    const ids: string[] = [];
    for await (const r of stream) ids.push(r.id);
    expect(ids).toEqual(['gt-all:1', 'gt-all:2']);
  });
});

describe('the package', () => {
  it('runs in a browser: no module outside its own, and no node: import, in what it ships', async () => {
    const dir = new URL('.', import.meta.url);
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
    for (const file of files) {
      const text = await readFile(new URL(file, dir), 'utf8');
      const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
      for (const source of imports) {
        expect(source.startsWith('./') || source === '@enlace/policy', `${file} imports ${source}`).toBe(
          true,
        );
      }
    }
  });
});
