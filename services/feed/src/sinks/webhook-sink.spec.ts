import { execFileSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';

import { findFreePort } from '@enlace/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { FeedError } from '../errors.js';
import { FEED_RECORD_FORMAT } from '../feed-record.js';
import type { FeedRecord } from '../feed-record.js';
import { AddressPolicy } from './address-policy.js';
import type { DeliveryProgress, FeedSink } from './sink.js';
import type { WebhookSinkOptions } from './webhook-sink.js';
import {
  createWebhookSink,
  parseRetryAfter,
  verifyWebhookSignature,
  webhookSignature,
} from './webhook-sink.js';

const FEED = 'mx-cases';
const SECRET = 'a-webhook-secret-of-more-than-32-characters';
const FAST = { initialMs: 1, maxMs: 20, factor: 2 };

const haveOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

let certDir: string;
let cert: string;
let key: string;

beforeAll(async () => {
  if (!haveOpenssl) return;
  certDir = await mkdtemp(join(tmpdir(), 'enlace-webhook-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      join(certDir, 'key.pem'),
      '-out',
      join(certDir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'ignore' },
  );
  cert = await readFile(join(certDir, 'cert.pem'), 'utf8');
  key = await readFile(join(certDir, 'key.pem'), 'utf8');
});

afterAll(async () => {
  if (certDir !== undefined) await rm(certDir, { recursive: true, force: true });
});

function record(seq: number): FeedRecord {
  return {
    format: FEED_RECORD_FORMAT,
    id: `${FEED}:0192f1c4-0000-7000-8000-${String(seq).padStart(12, '0')}`,
    feed: FEED,
    seq,
    subject: 'enlace.v1.alert.trafficking-liaison.route.GT',
    alert: { header: { id: `alert-${seq}` }, note: 'ruta por Tecún Umán — ñ' },
    financial: false,
    verification: {
      kid: 'GT-sig-2026-01',
      registryRevision: 7,
      rules: ['members-share'],
      verifiedAt: '2026-11-26T14:00:00.000Z',
      bodyReadable: true,
      expired: false,
    },
    signedAlert: 'AAAA',
  };
}

function progress(signal: AbortSignal = new AbortController().signal): DeliveryProgress & { beats: number } {
  const p = { beats: 0, signal, working: () => void (p.beats += 1) };
  return p;
}

interface Received {
  readonly at: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** What the receiver answers to its n-th request (0-based): a status and headers, or 'hang'. */
type Behaviour = (n: number) => { status: number; headers?: Record<string, string> } | 'hang';

/** A receiver that records every request and answers as told. */
class Receiver {
  readonly requests: Received[] = [];
  private readonly hanging: ServerResponse[] = [];
  private server: Server | undefined;

  constructor(
    private behaviour: Behaviour,
    private readonly tls = true,
  ) {}

  /** Records accepted (2xx), first time each id was accepted. */
  get accepted(): FeedRecord[] {
    return this.requests
      .filter((_, i) => this.statuses[i] !== undefined && this.statuses[i]! < 300)
      .map((r) => JSON.parse(r.body) as FeedRecord);
  }

  private readonly statuses: (number | undefined)[] = [];

  async listen(port = 0): Promise<string> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const n = this.requests.length;
        this.requests.push({
          at: Date.now(),
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const answer = this.behaviour(n);
        if (answer === 'hang') {
          this.statuses.push(undefined);
          this.hanging.push(res);
          return;
        }
        this.statuses.push(answer.status);
        res.writeHead(answer.status, answer.headers).end(answer.status < 300 ? '' : `refused request ${n}`);
      });
    };
    this.server = this.tls ? createHttpsServer({ cert, key }, handler) : createHttpServer(handler);
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    const address = this.server.address() as AddressInfo;
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${address.port}/enlace/hook`;
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve) ?? resolve(undefined));
  }
}

const LOOPBACK_ALLOWED = new AddressPolicy(['127.0.0.1', 'localhost']);

const receivers: Receiver[] = [];
const sinks: FeedSink[] = [];

afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

function receiver(behaviour: Behaviour, tls = true): Receiver {
  const r = new Receiver(behaviour, tls);
  receivers.push(r);
  return r;
}

/** A sink trusting the test CA, or no extra CA when `caCertificate` is null. */
function sink(
  url: string,
  options: Partial<WebhookSinkOptions> = {},
  caCertificate: string | null = cert,
): FeedSink {
  const s = createWebhookSink(
    { type: 'webhook', url, secret: SECRET, ...(caCertificate !== null && { caCertificate }) },
    // The spec's receivers listen on loopback: they go through the operator's allow-list, as in production.
    { feedId: FEED, backoff: FAST, addressPolicy: LOOPBACK_ALLOWED, ...options },
  );
  sinks.push(s);
  return s;
}

/** HMAC-SHA256 through WebCrypto, independently of the module's node:crypto createHmac. */
async function independentHmac(secret: string, message: string): Promise<string> {
  const keyData = new TextEncoder().encode(secret);
  const hmacKey = await webcrypto.subtle.importKey('raw', keyData, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = await webcrypto.subtle.sign('HMAC', hmacKey, new TextEncoder().encode(message));
  return Buffer.from(mac).toString('hex');
}

describe.skipIf(!haveOpenssl)('createWebhookSink against a local HTTPS receiver', () => {
  it('delivers every record in order after 503s, each signed and carrying its id', async () => {
    const r = receiver((n) => (n < 3 ? { status: 503 } : { status: 204 }));
    const url = await r.listen();
    const s = sink(url);
    for (let seq = 1; seq <= 5; seq++) await s.deliver(record(seq), progress());

    expect(r.requests).toHaveLength(8);
    expect(r.accepted.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(r.accepted[0]).toEqual(record(1));
    for (const req of r.requests) {
      const body = JSON.parse(req.body) as FeedRecord;
      expect(req.headers['content-type']).toBe('application/json');
      expect(req.headers['enlace-feed']).toBe(FEED);
      expect(req.headers['enlace-record-id']).toBe(body.id);
      const timestamp = req.headers['enlace-timestamp'] as string;
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(10);
      const signature = req.headers['enlace-signature'] as string;
      expect(signature).toBe(`v1=${await independentHmac(SECRET, `${timestamp}.${req.body}`)}`);
      expect(verifyWebhookSignature(SECRET, timestamp, req.body, signature)).toBe(true);
    }
    expect(s.status()).toMatchObject({ delivered: 5, retries: 3, retrying: false });
    expect(s.status().lastError?.message).toBe(
      `HTTP 503 from webhook:${url} (the receiver is unavailable; retrying)`,
    );
  });

  it('keeps stream order when the runner overlaps deliveries', async () => {
    const r = receiver((n) => (n % 2 === 0 ? { status: 500 } : { status: 200 }));
    const s = sink(await r.listen());
    await Promise.all([1, 2, 3, 4].map((seq) => s.deliver(record(seq), progress())));
    expect(r.accepted.map((x) => x.seq)).toEqual([1, 2, 3, 4]);
    expect(r.requests.map((x) => (JSON.parse(x.body) as FeedRecord).seq)).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it('waits as long as Retry-After says', async () => {
    const r = receiver((n) => (n === 0 ? { status: 429, headers: { 'Retry-After': '1' } } : { status: 200 }));
    const s = sink(await r.listen());
    await s.deliver(record(1), progress());
    expect(r.requests).toHaveLength(2);
    expect(r.requests[1]!.at - r.requests[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('retries a receiver that does not answer in time; the record id lets it drop the repeat', async () => {
    const r = receiver((n) => (n === 0 ? 'hang' : { status: 200 }));
    const s = sink(await r.listen(), { timeoutMs: 200 });
    await s.deliver(record(1), progress());
    expect(r.requests.map((x) => x.headers['enlace-record-id'])).toEqual([record(1).id, record(1).id]);
    expect(s.status().lastError?.message).toMatch(
      /^cannot deliver to webhook:https:.*: no answer within 200 ms$/,
    );
  });

  it('keeps a refused record at the longest backoff and says why, without dropping it', async () => {
    const r = receiver((n) => (n < 2 ? { status: 401 } : { status: 200 }));
    const url = await r.listen();
    const s = sink(url, { backoff: { initialMs: 1, maxMs: 150, factor: 2 } });
    const p = progress();
    const delivered = s.deliver(record(1), p);
    await expect.poll(() => s.status().retries).toBe(1);
    expect(s.status().retrying).toBe(true);
    // The status code and a fixed message: the receiver's text ("refused request 0") is never shown.
    expect(s.status().lastError?.message).toBe(
      `HTTP 401 from webhook:${url} (the receiver refuses the records: check the feed's URL and secret; retrying every 150 ms)`,
    );
    await delivered;
    expect(r.requests).toHaveLength(3);
    expect(r.requests[1]!.at - r.requests[0]!.at).toBeGreaterThanOrEqual(140);
    expect(r.requests[2]!.at - r.requests[1]!.at).toBeGreaterThanOrEqual(140);
    expect(s.status()).toMatchObject({ delivered: 1, retries: 2, retrying: false });
  });

  it('delivers once a receiver that was down comes up on its port', async () => {
    const port = await findFreePort();
    const url = `https://127.0.0.1:${port}/enlace/hook`;
    const s = sink(url, { workingIntervalMs: 10 });
    const p = progress();
    const delivered = s.deliver(record(1), p);
    await expect.poll(() => s.status().retries).toBeGreaterThanOrEqual(3);
    expect(s.status().lastError?.message).toMatch(
      /^cannot deliver to webhook:https:\/\/127\.0\.0\.1:\d+\/enlace\/hook: ECONNREFUSED: the connection was refused$/,
    );
    expect(s.status().delivered).toBe(0);

    const r = receiver(() => ({ status: 200 }));
    await r.listen(port);
    await delivered;
    expect(r.accepted.map((x) => x.id)).toEqual([record(1).id]);
    expect(p.beats).toBeGreaterThan(0);
  });

  it('loses nothing when the receiver restarts between records', async () => {
    const first = receiver(() => ({ status: 200 }));
    const url = await first.listen();
    const port = Number(new URL(url).port);
    const s = sink(url);
    await s.deliver(record(1), progress());
    // The sink's keep-alive connection to the old process dies with it.
    await first.close();
    const delivered = s.deliver(record(2), progress());
    await expect.poll(() => s.status().retries).toBeGreaterThanOrEqual(2);

    const second = receiver(() => ({ status: 200 }));
    await second.listen(port);
    await delivered;
    await s.deliver(record(3), progress());
    expect([...first.accepted, ...second.accepted].map((x) => x.seq)).toEqual([1, 2, 3]);
    expect(s.status()).toMatchObject({ delivered: 3, retrying: false });
  });

  it('trusts only the CA it is given', async () => {
    const r = receiver(() => ({ status: 200 }));
    const s = sink(await r.listen(), {}, null);
    const stop = new AbortController();
    const delivered = s.deliver(record(1), progress(stop.signal));
    await expect.poll(() => s.status().retries).toBeGreaterThanOrEqual(1);
    expect(s.status().lastError?.message).toMatch(
      /(SELF_SIGNED|UNABLE_TO_VERIFY)\w*: the TLS certificate was not accepted$/,
    );
    stop.abort();
    await expect(delivered).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    expect(r.requests).toHaveLength(0);
  });

  it('stops promptly when the feed stops, while waiting or while a request is open', async () => {
    const slow = receiver(() => ({ status: 503 }));
    const waiting = sink(await slow.listen(), { backoff: { initialMs: 60_000, maxMs: 60_000, factor: 2 } });
    const stop = new AbortController();
    const p = waiting.deliver(record(1), progress(stop.signal));
    const queued = waiting.deliver(record(2), progress(stop.signal));
    await expect.poll(() => waiting.status().retries).toBe(1);
    let started = Date.now();
    stop.abort();
    await expect(p).rejects.toThrow(FeedError);
    await expect(p).rejects.toThrow(`delivery of record ${record(1).id} to webhook:`);
    await expect(queued).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(500);
    expect(slow.requests).toHaveLength(1);

    const silent = receiver(() => 'hang');
    const open = sink(await silent.listen());
    const stopOpen = new AbortController();
    const q = open.deliver(record(1), progress(stopOpen.signal));
    await expect.poll(() => silent.requests.length).toBe(1);
    started = Date.now();
    stopOpen.abort();
    await expect(q).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(500);
  });

  it('gives up a delivery still retrying when it is closed', async () => {
    const r = receiver(() => ({ status: 503 }));
    const s = sink(await r.listen(), { backoff: { initialMs: 60_000, maxMs: 60_000, factor: 2 } });
    const delivered = s.deliver(record(1), progress());
    await expect.poll(() => s.status().retries).toBe(1);
    const started = Date.now();
    await s.close();
    await expect(delivered).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(500);
    await expect(s.deliver(record(2), progress())).rejects.toThrow(/is closed$/);
  });

  it('never shows the secret', async () => {
    const r = receiver((n) => (n === 0 ? { status: 403 } : { status: 200 }));
    const s = sink(`${await r.listen()}?token=abc`);
    await s.deliver(record(1), progress());
    const shown = [s.describe, JSON.stringify(s), JSON.stringify(s.status()), String(s)].join('\n');
    expect(shown).not.toContain(SECRET);
    expect(shown).not.toContain('token=abc');
    expect(inspect(s, { depth: 5, showHidden: true })).not.toContain(SECRET);
    expect(s.describe).toMatch(/^webhook:https:\/\/127\.0\.0\.1:\d+\/enlace\/hook$/);
  });
});

describe('createWebhookSink and the address policy (SSRF)', () => {
  /** A resolver that answers `addresses` for every name (the policy judges them as DNS answers). */
  const answering =
    (...addresses: string[]): WebhookSinkOptions['resolve'] =>
    (_host, callback) =>
      callback(
        null,
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );

  it('never connects to a loopback receiver the allow-list does not name', async () => {
    const r = receiver(() => ({ status: 200 }));
    const url = await r.listen();
    const s = sink(url, { addressPolicy: new AddressPolicy([]) });
    const stop = new AbortController();
    const delivered = s.deliver(record(1), progress(stop.signal));
    await expect.poll(() => s.status().retries).toBeGreaterThanOrEqual(1);
    expect(s.status().lastError?.message).toMatch(
      /resolves to a loopback, private, link-local or otherwise reserved address/,
    );
    stop.abort();
    await expect(delivered).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    expect(r.requests).toHaveLength(0);
  });

  it('refuses a host name resolving to the metadata service, a private or a mixed set of addresses', async () => {
    for (const addresses of [
      ['169.254.169.254'],
      ['fd00:ec2::254'],
      ['93.184.216.34', '10.0.0.7'],
      ['::ffff:127.0.0.1'],
    ]) {
      const r = receiver(() => ({ status: 200 }));
      await r.listen();
      const s = sink('https://hooks.fiu.example/enlace', {
        addressPolicy: new AddressPolicy([]),
        resolve: answering(...addresses),
      });
      const stop = new AbortController();
      const delivered = s.deliver(record(1), progress(stop.signal));
      await expect.poll(() => s.status().retries).toBeGreaterThanOrEqual(1);
      const message = s.status().lastError?.message ?? '';
      expect(message).toMatch(/hooks\.fiu\.example resolves to a loopback, private, link-local/);
      // How internal names resolve is not shown.
      for (const address of addresses) expect(message).not.toContain(address);
      stop.abort();
      await expect(delivered).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    }
  });

  it('connects to the address it checked, and still checks the certificate against the host name', async () => {
    const r = receiver(() => ({ status: 200 }));
    const port = new URL(await r.listen()).port;
    // localhost is allow-listed by name; the lookup's answer is where the socket goes.
    const pinned = sink(`https://localhost:${port}/enlace/hook`, { resolve: answering('127.0.0.1') });
    await pinned.deliver(record(1), progress());
    expect(r.accepted.map((x) => x.seq)).toEqual([1]);

    // Allowed by name too, pinned to the same receiver: its certificate does not name this host.
    const other = sink(`https://hooks.internal:${port}/enlace/hook`, {
      addressPolicy: new AddressPolicy(['hooks.internal']),
      resolve: answering('127.0.0.1'),
    });
    const stop = new AbortController();
    const delivered = other.deliver(record(2), progress(stop.signal));
    await expect.poll(() => other.status().retries).toBeGreaterThanOrEqual(1);
    expect(other.status().lastError?.message).toMatch(
      /ERR_TLS_CERT_ALTNAME_INVALID: the TLS certificate was not accepted$/,
    );
    stop.abort();
    await expect(delivered).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
    expect(r.accepted.map((x) => x.seq)).toEqual([1]);
  });

  it('refuses plain http:// to a host the allow-list does not name, even a public one', async () => {
    const s = sink('http://93.184.216.34/hook', { addressPolicy: new AddressPolicy([]) });
    const stop = new AbortController();
    const delivered = s.deliver(record(1), progress(stop.signal));
    await expect.poll(() => s.status().retries).toBeGreaterThanOrEqual(1);
    expect(s.status().lastError?.message).toMatch(
      /plain http:\/\/ to 93\.184\.216\.34 is not on the feed service's webhook allow-list/,
    );
    stop.abort();
    await expect(delivered).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
  });
});

describe('createWebhookSink with fetchImpl over plain HTTP to loopback', () => {
  it('sends the same signed request through the given fetch', async () => {
    const r = receiver((n) => (n === 0 ? { status: 502 } : { status: 201 }), false);
    const url = await r.listen();
    const calls: string[] = [];
    const s = sink(
      url,
      {
        fetchImpl: (input, init) => {
          calls.push(String(input));
          return fetch(input, init);
        },
      },
      null,
    );
    await s.deliver(record(7), progress());
    expect(calls).toEqual([url, url]);
    const last = r.requests[1]!;
    expect(last.headers['enlace-record-id']).toBe(record(7).id);
    expect(
      verifyWebhookSignature(
        SECRET,
        last.headers['enlace-timestamp'] as string,
        last.body,
        last.headers['enlace-signature'] as string,
      ),
    ).toBe(true);
    expect(s.status()).toMatchObject({ delivered: 1, retries: 1 });
  });
});

describe('verifyWebhookSignature', () => {
  const body = JSON.stringify(record(1));
  const now = Date.UTC(2026, 10, 26, 14, 0, 0);
  const timestamp = String(now / 1000);

  it('accepts the signature a receiver computes independently', async () => {
    const header = `v1=${await independentHmac(SECRET, `${timestamp}.${body}`)}`;
    expect(webhookSignature(SECRET, timestamp, body)).toBe(header);
    expect(verifyWebhookSignature(SECRET, timestamp, body, header, now)).toBe(true);
    expect(verifyWebhookSignature(SECRET, timestamp, Buffer.from(body), header, now)).toBe(true);
    // During a secret change a sender may send two; one match is enough.
    expect(verifyWebhookSignature(SECRET, timestamp, body, `v1=${'0'.repeat(64)}, ${header}`, now)).toBe(
      true,
    );
  });

  it('refuses a wrong secret, a changed body or timestamp, a stale request and junk', async () => {
    const header = webhookSignature(SECRET, timestamp, body);
    expect(verifyWebhookSignature(`${SECRET}!`, timestamp, body, header, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, `${body} `, header, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, String(Number(timestamp) + 1), body, header, now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, header, now + 301_000)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, header, now + 299_000)).toBe(true);
    expect(verifyWebhookSignature(SECRET, timestamp, body, header.replace('v1=', 'v0='), now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, header.slice(0, -2), now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, timestamp, body, '', now)).toBe(false);
    expect(verifyWebhookSignature(SECRET, '1.5e9', body, header, now)).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates, and caps them at an hour', () => {
    const now = Date.UTC(2026, 10, 26, 14, 0, 0);
    expect(parseRetryAfter('3', now)).toBe(3_000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 14:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Thu, 26 Nov 2026 13:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('86400', now)).toBe(3_600_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});
