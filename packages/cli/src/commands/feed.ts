/**
 * `enlace feed`: financial intelligence units define durable, filtered feeds of verified alerts
 * and read them — create, list, show, delete, tail (follow new alerts), replay (read again from
 * the beginning or a time, or have the sink receive them again) and export (STIX 2.1 or JSON
 * Lines). Commands call the feed service at --url (or $ENLACE_FEED_URL) with a registry-signed
 * bearer token (--token or $ENLACE_FEED_TOKEN). Long reads show a progress bar on stderr.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { once } from 'node:events';
import type { Command } from 'commander';
import { Option } from 'commander';

import { CliError } from '../errors.js';
import { readStructuredFile } from '../io.js';
import type { Output } from '../io.js';
import type { CliIo } from '../main.js';

interface Connection {
  url?: string;
  token?: string;
}

interface FeedErrorBody {
  error?: {
    code?: unknown;
    message?: unknown;
    violations?: Array<{ path?: unknown; code?: unknown; message?: unknown }>;
  };
}

/** `feed service refused (ERR_VALIDATION, HTTP 400): ... [fields: sink.url, name]` */
export function describeFeedError(status: number, body: unknown): string {
  const error = (body as FeedErrorBody | undefined)?.error;
  if (error === undefined || typeof error.code !== 'string')
    return `the feed service answered HTTP ${status}`;
  const message = typeof error.message === 'string' ? error.message.replace(/\s+/g, ' ') : '';
  const paths = (error.violations ?? [])
    .map((v) => (typeof v.path === 'string' ? (v.path === '' ? '(body)' : v.path) : undefined))
    .filter((p): p is string => p !== undefined);
  const fields = paths.length > 0 ? ` [fields: ${[...new Set(paths)].join(', ')}]` : '';
  return `feed service refused (${error.code}, HTTP ${status}): ${message}${fields}`;
}

class FeedHttp {
  readonly base: URL;
  constructor(
    url: string | undefined,
    private readonly token: string | undefined,
  ) {
    if (url === undefined || url === '')
      throw new CliError('ERR_USAGE', 'the feed service URL is missing: give --url or set ENLACE_FEED_URL');
    try {
      this.base = new URL(url.endsWith('/') ? url : `${url}/`);
    } catch (cause) {
      throw new CliError(
        'ERR_USAGE',
        `--url must be an http(s) URL such as http://127.0.0.1:8090 (got "${url}")`,
        {
          cause,
        },
      );
    }
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:')
      throw new CliError('ERR_USAGE', `--url must be an http(s) URL (got "${url}")`);
    if (token === undefined || token === '')
      throw new CliError('ERR_USAGE', 'a bearer token is missing: give --token or set ENLACE_FEED_TOKEN');
  }

  url(path: string, query: Record<string, string | undefined> = {}): URL {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
    return url;
  }

  async fetch(method: string, url: URL, body?: unknown, signal?: AbortSignal): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: signal ?? AbortSignal.timeout(30_000),
      });
    } catch (cause) {
      const reason =
        (cause as Error).name === 'TimeoutError'
          ? 'no answer in time'
          : (((cause as Error).cause as Error | undefined)?.message ?? (cause as Error).message);
      throw new CliError(
        'ERR_FEED_UNREACHABLE',
        `cannot reach the feed service at ${this.base.origin}: ${reason}`,
        {
          cause,
          exitCode: 1,
        },
      );
    }
    if (!response.ok) {
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text) as unknown;
      } catch {
        throw new CliError(
          'ERR_FEED_UNREACHABLE',
          `${url.origin}${url.pathname} answered HTTP ${response.status} without a feed service error; is --url the feed service?`,
          { exitCode: 1 },
        );
      }
      throw new CliError('ERR_FEED_REFUSED', describeFeedError(response.status, json), { exitCode: 1 });
    }
    return response;
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetch(method, this.url(path), body);
    if (response.status === 204) return undefined as T;
    try {
      return (await response.json()) as T;
    } catch (cause) {
      throw new CliError(
        'ERR_FEED_UNREACHABLE',
        `the feed service at ${this.base.origin} answered malformed JSON`,
        {
          cause,
          exitCode: 1,
        },
      );
    }
  }
}

/** A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise. */
export class ProgressBar {
  #last = -1;
  constructor(
    private readonly out: Output & { isTTY?: boolean },
    private readonly label: string,
    private readonly total: number,
  ) {}

  update(done: number): void {
    if (this.total <= 0) return;
    const ratio = Math.min(1, done / this.total);
    const pct = Math.floor(ratio * 100);
    if (this.out.isTTY === true) {
      if (pct === this.#last && done !== this.total) return;
      const width = 30;
      const filled = Math.round(ratio * width);
      this.out.write(
        `\r${this.label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${pct}% ${done}/${this.total}`,
      );
    } else {
      const step = Math.floor(pct / 10) * 10;
      if (step <= this.#last) return;
      this.out.write(`${this.label}: ${step}% (${done}/${this.total})\n`);
      this.#last = step;
      return;
    }
    this.#last = pct;
  }

  done(summary: string): void {
    if (this.out.isTTY === true) this.out.write('\r\x1b[K');
    this.out.write(`${summary}\n`);
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== ''),
  ];
}

function connection(io: CliIo, opts: Connection): FeedHttp {
  const env = io.env ?? process.env;
  return new FeedHttp(opts.url ?? env.ENLACE_FEED_URL, opts.token ?? env.ENLACE_FEED_TOKEN);
}

interface FeedStatusJson {
  feed: {
    id: string;
    country: string;
    description: string;
    start: string;
    filter: Record<string, unknown>;
    sink: { type: string; directory?: string; url?: string; subject?: string };
    generation: number;
  };
  running: boolean;
  pending?: number;
  inFlight?: number;
  counters?: {
    delivered: number;
    filtered: number;
    handlingH2: number;
    duplicates: number;
    rejected: Record<string, number>;
    lastDeliveredAt?: string;
  };
  sink?: { delivered: number; retries: number; lastError?: { at: string; message: string } };
}

function sinkText(sink: FeedStatusJson['feed']['sink']): string {
  return sink.type === 'file'
    ? `file ${sink.directory}`
    : sink.type === 'webhook'
      ? `webhook ${sink.url}`
      : `nats ${sink.subject}`;
}

function filterText(filter: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (Array.isArray(value) && value.length > 0) parts.push(`${key}=${value.join(',')}`);
    else if (typeof value === 'string') parts.push(`${key}=${value}`);
    else if (value === true) parts.push(key);
  }
  return parts.length > 0 ? parts.join(' ') : 'all alerts';
}

function statusLines(s: FeedStatusJson): string {
  const rejected = Object.entries(s.counters?.rejected ?? {})
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `${s.feed.id}  (${s.feed.country}, ${s.running ? 'running' : 'stopped'})`,
    `  filter:     ${filterText(s.feed.filter)}`,
    `  delivers:   ${sinkText(s.feed.sink)}`,
    `  delivered:  ${s.counters?.delivered ?? 0}${s.counters?.lastDeliveredAt ? ` (last ${s.counters.lastDeliveredAt})` : ''}; waiting ${s.pending ?? '?'}; in progress ${s.inFlight ?? '?'}`,
    `  skipped:    ${s.counters?.filtered ?? 0} filtered, ${s.counters?.handlingH2 ?? 0} H2 of other countries, ${s.counters?.duplicates ?? 0} duplicates${rejected ? `; rejected: ${rejected}` : ''}`,
    ...(s.sink?.lastError
      ? [`  last error: ${s.sink.lastError.message} (${s.sink.lastError.at}; ${s.sink.retries} retries)`]
      : []),
  ].join('\n');
}

/** Reads an NDJSON response line by line, stopping on an error line. */
async function* lines(response: Response): AsyncGenerator<Record<string, unknown>> {
  if (response.body === null) return;
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let index: number;
    while ((index = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, index).trim();
      buffer = buffer.slice(index + 1);
      if (line === '') continue;
      const value = JSON.parse(line) as Record<string, unknown>;
      if (value.error !== undefined && value.format === undefined)
        throw new CliError('ERR_FEED_REFUSED', describeFeedError(500, value), { exitCode: 1 });
      yield value;
    }
  }
}

function recordSummary(record: Record<string, unknown>): string {
  const alert = record.alert as { header?: Record<string, unknown> } | undefined;
  const h = alert?.header ?? {};
  return `${String(h.issuedAt ?? '')}  ${String(h.origin ?? '')}  ${String(h.network ?? '')}/${String(
    h.kind ?? '',
  )
    .replace('ALERT_KIND_', '')
    .toLowerCase()}  ${String(h.id ?? '')}  ${String(h.title ?? '')}`;
}

/** Writes to a file atomically (temp + rename) or to stdout. */
async function openSink(
  out: string | undefined,
  io: CliIo,
): Promise<{ write: (t: string) => Promise<void>; commit: () => Promise<void>; abort: () => Promise<void> }> {
  if (out === undefined)
    return {
      write: (t) => Promise.resolve(io.stdout.write(t)),
      commit: () => Promise.resolve(),
      abort: () => Promise.resolve(),
    };
  const temp = `${out}.part-${process.pid}`;
  const stream = createWriteStream(temp, { mode: 0o600 });
  await once(stream, 'open');
  return {
    write: async (t) => {
      if (!stream.write(t)) await once(stream, 'drain');
    },
    commit: async () => {
      stream.end();
      await once(stream, 'finish');
      await rename(temp, out);
    },
    abort: async () => {
      stream.destroy();
      await rm(temp, { force: true });
    },
  };
}

export function addFeedCommands(program: Command, io: CliIo): void {
  const feed = program
    .command('feed')
    .summary('FIU feeds: durable, filtered, replayable feeds of verified alerts; STIX export')
    .description(
      'Feeds of verified alerts for financial intelligence units. A feed filters alerts (network, kind, ' +
        'origin, handling, grading, financial indicators) and delivers each one, with its original ' +
        'signature, to a JSON Lines directory, an HTTPS webhook or a NATS subject of your own — durably: ' +
        'nothing is lost when the service or your receiver restarts. Commands call the feed service at ' +
        '--url (or $ENLACE_FEED_URL) with a token (--token or $ENLACE_FEED_TOKEN) that the registry issued ' +
        'with the fiu-analyst role. Exit code 0 on success, 1 when the service refuses or cannot be reached, ' +
        '2 for usage errors.',
    )
    .exitOverride();
  const withConnection = (command: Command): Command =>
    command
      .option('--url <url>', 'feed service URL (default $ENLACE_FEED_URL)')
      .option('--token <jwt>', 'bearer token (default $ENLACE_FEED_TOKEN)')
      .exitOverride();

  withConnection(
    feed
      .command('create')
      .summary('define a feed and start delivering')
      .description(
        'Define a feed. Give the filters and one destination, or a whole definition with --definition.\n' +
          'Start "now" (default), "beginning" (every alert kept, in order) or at an ISO instant.',
      )
      .option('-n, --name <name>', 'feed name: lower-case letters, digits and hyphens')
      .option('-c, --country <code>', "the FIU's country (administrators; analysts get their own)")
      .option('--network <id>', 'only this network (repeat or comma-separate)', collect)
      .option('--kind <kind>', 'only this kind: route, document, network (repeatable)', collect)
      .option('--origin <code>', 'only alerts from this country (repeatable)', collect)
      .option('--handling <code>', 'only this handling code: H0-H3 (repeatable)', collect)
      .option('--min-grading <grading>', 'Admiralty grading at least this good, e.g. B2')
      .option('--financial-only', 'only alerts with financial indicators')
      .option('--from <start>', 'now, beginning or an ISO 8601 instant', 'now')
      .option(
        '--to-dir <dir>',
        "deliver to JSON Lines files in this directory under the feed service's file root for your " +
          'country (<root>/<CC>/<dir>, e.g. cases; an absolute path must lie inside it)',
      )
      .option('--max-bytes <n>', 'rotate files at this size, at most 1 GiB (with --to-dir)')
      .option(
        '--to-webhook <url>',
        'deliver to this HTTPS webhook (public addresses only, unless the operator allow-lists the host)',
      )
      .option(
        '--webhook-secret <secret>',
        'HMAC secret of the webhook (at least 32 characters; default $ENLACE_WEBHOOK_SECRET)',
      )
      .option('--to-subject <subject>', 'deliver to this NATS subject: enlace.v1.feed.<CC>.<name>')
      .option(
        '--definition <file>',
        'the whole feed definition as JSON or YAML (instead of the options above)',
      )
      .option('--json', 'print the created feed as JSON')
      .addHelpText(
        'after',
        '\nExamples:\n' +
          '  $ enlace feed create --name cases --financial-only --from beginning --to-dir cases\n' +
          '  $ enlace feed create --name docs --kind document --to-webhook https://fiu.example/enlace \\\n' +
          '      --webhook-secret "$SECRET"\n',
      ),
  ).action(async (opts: Record<string, unknown> & Connection) => {
    const http = connection(io, opts);
    let definition: unknown;
    if (opts.definition !== undefined) {
      definition = await readStructuredFile(opts.definition as string, 'feed definition');
    } else {
      const targets = ['toDir', 'toWebhook', 'toSubject'].filter((k) => opts[k] !== undefined);
      if (targets.length !== 1)
        throw new CliError(
          'ERR_USAGE',
          'give exactly one destination: --to-dir, --to-webhook or --to-subject (or --definition)',
        );
      const env = io.env ?? process.env;
      const sink =
        opts.toDir !== undefined
          ? {
              type: 'file',
              directory: opts.toDir,
              ...(opts.maxBytes !== undefined && { maxBytes: Number(opts.maxBytes) }),
            }
          : opts.toWebhook !== undefined
            ? {
                type: 'webhook',
                url: opts.toWebhook,
                secret: opts.webhookSecret ?? env.ENLACE_WEBHOOK_SECRET ?? '',
              }
            : { type: 'nats', subject: opts.toSubject };
      definition = {
        ...(opts.name !== undefined && { name: opts.name }),
        ...(opts.country !== undefined && { country: opts.country }),
        filter: {
          ...(opts.network !== undefined && { networks: opts.network }),
          ...(opts.kind !== undefined && { kinds: opts.kind }),
          ...(opts.origin !== undefined && { origins: opts.origin }),
          ...(opts.handling !== undefined && { handling: opts.handling }),
          ...(opts.minGrading !== undefined && { minGrading: opts.minGrading }),
          ...(opts.financialOnly === true && { financialOnly: true }),
        },
        start: opts.from,
        sink,
      };
    }
    const status = await http.json<FeedStatusJson>('POST', 'v1/feeds', definition);
    io.stdout.write(
      opts.json === true ? `${JSON.stringify(status, null, 2)}\n` : `created\n${statusLines(status)}\n`,
    );
  });

  withConnection(
    feed.command('list').summary('list feeds with their delivery status').option('--json', 'print JSON'),
  ).action(async (opts: Connection & { json?: boolean }) => {
    const { feeds } = await connection(io, opts).json<{ feeds: FeedStatusJson[] }>('GET', 'v1/feeds');
    if (opts.json === true) io.stdout.write(`${JSON.stringify(feeds, null, 2)}\n`);
    else io.stdout.write(feeds.length === 0 ? 'no feeds\n' : `${feeds.map(statusLines).join('\n')}\n`);
  });

  withConnection(
    feed
      .command('show')
      .summary('one feed and its delivery status')
      .argument('<feed>', 'feed id, e.g. mx-cases')
      .option('--json', 'print JSON'),
  ).action(async (id: string, opts: Connection & { json?: boolean }) => {
    const status = await connection(io, opts).json<FeedStatusJson>(
      'GET',
      `v1/feeds/${encodeURIComponent(id)}`,
    );
    io.stdout.write(opts.json === true ? `${JSON.stringify(status, null, 2)}\n` : `${statusLines(status)}\n`);
  });

  withConnection(
    feed
      .command('delete')
      .summary('stop a feed and remove it')
      .argument('<feed>', 'feed id')
      .option('--json', 'print JSON'),
  ).action(async (id: string, opts: Connection & { json?: boolean }) => {
    await connection(io, opts).json('DELETE', `v1/feeds/${encodeURIComponent(id)}`);
    io.stdout.write(opts.json === true ? `${JSON.stringify({ deleted: id })}\n` : `deleted ${id}\n`);
  });

  withConnection(
    feed
      .command('tail')
      .summary("follow a feed's alerts as they arrive (Ctrl-C to stop)")
      .argument('<feed>', 'feed id')
      .option('--from <start>', 'now, beginning or an ISO 8601 instant', 'now')
      .option('--limit <n>', 'stop after this many records')
      .option('--json', 'print each record as one JSON line'),
  ).action(async (id: string, opts: Connection & { from: string; limit?: string; json?: boolean }) => {
    const http = connection(io, opts);
    const response = await http.fetch(
      'GET',
      http.url(`v1/feeds/${encodeURIComponent(id)}/records`, {
        from: opts.from,
        follow: 'true',
        limit: opts.limit,
      }),
      undefined,
      new AbortController().signal,
    );
    for await (const record of lines(response))
      io.stdout.write(opts.json === true ? `${JSON.stringify(record)}\n` : `${recordSummary(record)}\n`);
  });

  withConnection(
    feed
      .command('replay')
      .summary("read a feed's alerts again from the beginning or a time")
      .description(
        "Read the feed's verified alerts again, in order, as JSON Lines to --out or stdout, with a\n" +
          'progress bar on stderr. With --redeliver, the feed itself starts again from --from and its\n' +
          'destination receives every alert again (same record ids, so receivers can deduplicate).',
      )
      .argument('<feed>', 'feed id')
      .option('--from <start>', 'beginning or an ISO 8601 instant', 'beginning')
      .option('-o, --out <file>', 'write the records here instead of stdout')
      .option('--redeliver', 'deliver again to the feed destination instead of reading here')
      .option('--json', 'print a JSON summary (with --out or --redeliver)'),
  ).action(
    async (
      id: string,
      opts: Connection & { from: string; out?: string; redeliver?: boolean; json?: boolean },
    ) => {
      const http = connection(io, opts);
      if (opts.redeliver === true) {
        const status = await http.json<FeedStatusJson>('POST', `v1/feeds/${encodeURIComponent(id)}/replay`, {
          from: opts.from,
        });
        io.stdout.write(
          opts.json === true
            ? `${JSON.stringify(status, null, 2)}\n`
            : `replaying ${id} from ${opts.from}: ${status.pending ?? '?'} alerts to look at\n${statusLines(status)}\n`,
        );
        return;
      }
      await download(http, io, {
        id,
        label: `replay ${id}`,
        path: `v1/feeds/${encodeURIComponent(id)}/records`,
        query: { from: opts.from, follow: 'false' },
        out: opts.out,
        json: opts.json === true,
        count: 'lines',
      });
    },
  );

  withConnection(
    feed
      .command('export')
      .summary("export a feed's alerts as a STIX 2.1 bundle or JSON Lines")
      .description(
        'Export the verified alerts of a feed for MISP, OpenCTI or your own tools: a STIX 2.1 bundle\n' +
          '(routes as locations and infrastructure, networks as threat actors with relationships,\n' +
          'document patterns as indicators, TLP 2.0 and handling markings) or JSON Lines records.',
      )
      .argument('<feed>', 'feed id')
      .addOption(new Option('--format <format>', 'stix or jsonl').choices(['stix', 'jsonl']).default('stix'))
      .option('--from <start>', 'beginning or an ISO 8601 instant', 'beginning')
      .option('--until <instant>', 'only alerts issued up to this ISO 8601 instant')
      .option('-o, --out <file>', 'write here instead of stdout')
      .option('--json', 'print a JSON summary (with --out)'),
  ).action(
    async (
      id: string,
      opts: Connection & { format: string; from: string; until?: string; out?: string; json?: boolean },
    ) => {
      await download(connection(io, opts), io, {
        id,
        label: `export ${id}`,
        path: `v1/feeds/${encodeURIComponent(id)}/export`,
        query: { format: opts.format, from: opts.from, until: opts.until },
        out: opts.out,
        json: opts.json === true,
        count: opts.format === 'stix' ? 'reports' : 'lines',
      });
    },
  );
}

async function download(
  http: FeedHttp,
  io: CliIo,
  o: {
    id: string;
    label: string;
    path: string;
    query: Record<string, string | undefined>;
    out: string | undefined;
    json: boolean;
    count: 'lines' | 'reports';
  },
): Promise<void> {
  const response = await http.fetch(
    'GET',
    http.url(o.path, o.query),
    undefined,
    new AbortController().signal,
  );
  const total = Number(response.headers.get('enlace-pending') ?? '0');
  const bar = new ProgressBar(io.stderr, o.label, total);
  const sink = await openSink(o.out, io);
  let items = 0;
  let bytes = 0;
  try {
    if (response.body !== null) {
      const decoder = new TextDecoder();
      let tail = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true });
        bytes += chunk.byteLength;
        const scan = tail + text;
        const pattern = o.count === 'lines' ? /\n/g : /"type":"report"/g;
        items += (scan.match(pattern) ?? []).length - (tail.match(pattern) ?? []).length;
        tail = scan.slice(-32);
        if (text.includes('\n{"error"') || text.startsWith('{"error"')) {
          const line = text.slice(text.indexOf('{"error"')).split('\n')[0]!;
          throw new CliError('ERR_FEED_REFUSED', describeFeedError(500, JSON.parse(line)), { exitCode: 1 });
        }
        await sink.write(text);
        bar.update(Math.min(items, total));
      }
    }
    await sink.commit();
  } catch (error) {
    await sink.abort();
    throw error;
  }
  const summary = { feed: o.id, alerts: items, bytes, ...(o.out !== undefined && { out: o.out }) };
  if (o.out !== undefined || o.json) {
    if (o.json) io.stdout.write(`${JSON.stringify(summary)}\n`);
    bar.done(
      `${o.label}: ${items} alerts, ${bytes} bytes${o.out !== undefined ? ` written to ${o.out}` : ''}`,
    );
  } else {
    bar.done(`${o.label}: ${items} alerts`);
  }
}
