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

import { createFeedClient } from '@enlace/client';
import type {
  FeedClient,
  FeedDefinitionRequest,
  FeedRecordJson,
  FeedStatusJson,
  TextStream,
} from '@enlace/client';

import { CliError } from '../errors.js';
import { readStructuredFile } from '../io.js';
import type { Output } from '../io.js';
import type { CliIo } from '../main.js';
import { call, createClientFor } from '../service-call.js';

interface Connection {
  url?: string;
  token?: string;
}

/** Feed calls time out after 30 s (streams: until their headers arrive). */
const FEED_TIMEOUT_MS = 30_000;

/** Runs a feed service call, its failures as CliErrors worded for --url. */
function feedCall<T>(run: Promise<T>): Promise<T> {
  return call('feed', run, { flag: '--url' });
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

function connection(io: CliIo, opts: Connection): FeedClient {
  const env = io.env ?? process.env;
  const url = opts.url ?? env.ENLACE_FEED_URL;
  const token = opts.token ?? env.ENLACE_FEED_TOKEN;
  if (url === undefined || url === '')
    throw new CliError('ERR_USAGE', 'the feed service URL is missing: give --url or set ENLACE_FEED_URL');
  const client = createClientFor(
    () => createFeedClient({ baseUrl: url, timeoutMs: FEED_TIMEOUT_MS, token: () => token }),
    { flag: '--url', example: 'http://127.0.0.1:8090' },
  );
  if (token === undefined || token === '')
    throw new CliError('ERR_USAGE', 'a bearer token is missing: give --token or set ENLACE_FEED_TOKEN');
  return client;
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
    `  skipped:    ${s.counters?.filtered ?? 0} filtered, ${s.counters?.readRefused ?? 0} refused by the read rule, ${s.counters?.duplicates ?? 0} duplicates${rejected ? `; rejected: ${rejected}` : ''}`,
    ...(s.sink?.lastError
      ? [`  last error: ${s.sink.lastError.message} (${s.sink.lastError.at}; ${s.sink.retries} retries)`]
      : []),
  ].join('\n');
}

function recordSummary(record: FeedRecordJson): string {
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
    const status = await feedCall(http.feeds.create(definition as FeedDefinitionRequest));
    io.stdout.write(
      opts.json === true ? `${JSON.stringify(status, null, 2)}\n` : `created\n${statusLines(status)}\n`,
    );
  });

  withConnection(
    feed.command('list').summary('list feeds with their delivery status').option('--json', 'print JSON'),
  ).action(async (opts: Connection & { json?: boolean }) => {
    const { feeds } = await feedCall(connection(io, opts).feeds.list());
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
    const status = await feedCall(connection(io, opts).feeds.get(id));
    io.stdout.write(opts.json === true ? `${JSON.stringify(status, null, 2)}\n` : `${statusLines(status)}\n`);
  });

  withConnection(
    feed
      .command('taxii-url')
      .summary('the TAXII 2.1 and MISP feed URLs of a feed, for OpenCTI, MISP or a TAXII client')
      .description(
        'Print where FIU tools follow a feed: the TAXII 2.1 discovery URL, the API root of its country,\n' +
          'its collection (the feed id is accepted as the collection alias) and its MISP feed. Tools\n' +
          'authenticate with the same registry token, as a bearer or as the HTTP Basic password.',
      )
      .argument('<feed>', 'feed id, e.g. gt-cases')
      .option('--json', 'print JSON'),
  ).action(async (id: string, opts: Connection & { json?: boolean }) => {
    const env = io.env ?? process.env;
    const status = await feedCall(connection(io, opts).feeds.get(id));
    const base = String(opts.url ?? env.ENLACE_FEED_URL).replace(/\/+$/, '');
    const cc = status.feed.country.toLowerCase();
    const urls = {
      discovery: `${base}/taxii2/`,
      apiRoot: `${base}/taxii2/${cc}/`,
      collection: `${base}/taxii2/${cc}/collections/${status.feed.id}/`,
      objects: `${base}/taxii2/${cc}/collections/${status.feed.id}/objects/`,
      misp: `${base}/misp/${cc}/${status.feed.name}/`,
    };
    io.stdout.write(
      opts.json === true
        ? `${JSON.stringify(urls, null, 2)}\n`
        : [
            `TAXII discovery   ${urls.discovery}`,
            `TAXII API root    ${urls.apiRoot}`,
            `TAXII collection  ${urls.collection}`,
            `MISP feed         ${urls.misp}  (manifest.json, hashes.csv, <event uuid>.json)`,
          ].join('\n') + '\n',
    );
  });

  withConnection(
    feed
      .command('delete')
      .summary('stop a feed and remove it')
      .argument('<feed>', 'feed id')
      .option('--json', 'print JSON'),
  ).action(async (id: string, opts: Connection & { json?: boolean }) => {
    await feedCall(connection(io, opts).feeds.delete(id));
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
    const records = await feedCall(
      connection(io, opts).feeds.records(id, {
        from: opts.from,
        follow: true,
        ...(opts.limit !== undefined && { limit: Number(opts.limit) }),
      }),
    );
    await feedCall(
      (async () => {
        for await (const record of records)
          io.stdout.write(opts.json === true ? `${JSON.stringify(record)}\n` : `${recordSummary(record)}\n`);
      })(),
    );
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
        const status = await feedCall(http.feeds.replay(id, { from: opts.from }));
        io.stdout.write(
          opts.json === true
            ? `${JSON.stringify(status, null, 2)}\n`
            : `replaying ${id} from ${opts.from}: ${status.pending ?? '?'} alerts to look at\n${statusLines(status)}\n`,
        );
        return;
      }
      await download(io, {
        id,
        label: `replay ${id}`,
        open: () => http.feeds.recordsText(id, { from: opts.from, follow: false }),
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
      const http = connection(io, opts);
      await download(io, {
        id,
        label: `export ${id}`,
        open: () =>
          http.feeds.export(id, {
            format: opts.format as 'stix' | 'jsonl',
            from: opts.from,
            ...(opts.until !== undefined && { until: opts.until }),
          }),
        out: opts.out,
        json: opts.json === true,
        count: opts.format === 'stix' ? 'reports' : 'lines',
      });
    },
  );
}

async function download(
  io: CliIo,
  o: {
    id: string;
    label: string;
    open: () => Promise<TextStream>;
    out: string | undefined;
    json: boolean;
    count: 'lines' | 'reports';
  },
): Promise<void> {
  const stream = await feedCall(o.open());
  const total = stream.pending ?? 0;
  const bar = new ProgressBar(io.stderr, o.label, total);
  const sink = await openSink(o.out, io);
  let items = 0;
  let bytes = 0;
  try {
    let tail = '';
    const pattern = o.count === 'lines' ? /\n/g : /"type":"report"/g;
    await feedCall(
      (async () => {
        for await (const text of stream) {
          bytes += new TextEncoder().encode(text).byteLength;
          const scan = tail + text;
          items += (scan.match(pattern) ?? []).length - (tail.match(pattern) ?? []).length;
          tail = scan.slice(-32);
          await sink.write(text);
          bar.update(Math.min(items, total));
        }
      })(),
    );
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
