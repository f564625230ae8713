/**
 * `enlace request` (alias `rfi`) and `enlace consent`: requests for information between focal
 * points, their threads, and consent to onward use of an alert (the third-party rule), on the
 * country node's API (--url or $ENLACE_NODE_URL, token --token or $ENLACE_NODE_TOKEN: a focal
 * point of that node's country).
 *
 *   request create | list | show | reply | close | withdraw
 *   consent request | decide (--grant | --refuse) | grant | refuse
 *
 * The text is sent to the node over HTTPS and encrypted there to the addressed countries; this
 * command prints it only to the officer who asked for it. Every write reminds the writer that no
 * victim may be identified.
 */
import type { Command } from 'commander';

import { createNodeClient } from '@enlace/client';
import type { NodeClient, SentRequestJson, ThreadDetailJson, ThreadSummaryJson } from '@enlace/client';

import { CliError } from '../errors.js';
import type { CliIo } from '../main.js';
import { call, createClientFor } from '../service-call.js';

/** Said on every write, and in the help (XII RCM 2007, victim-centred approach). */
export const VICTIM_REMINDER =
  'Reminder: a request may concern suspects and documents; it never identifies a victim (victims appear only as counts, age bands and vulnerability flags).';

interface Connection {
  url?: string;
  token?: string;
  json?: boolean;
}

function connection(io: CliIo, opts: Connection): NodeClient {
  const env = io.env ?? process.env;
  const url = opts.url ?? env.ENLACE_NODE_URL;
  const token = opts.token ?? env.ENLACE_NODE_TOKEN;
  if (url === undefined || url === '')
    throw new CliError('ERR_USAGE', 'the node URL is missing: give --url or set ENLACE_NODE_URL');
  const client = createClientFor(() => createNodeClient({ baseUrl: url, token: () => token }), {
    flag: '--url',
    example: 'http://127.0.0.1:8101',
  });
  if (token === undefined || token === '')
    throw new CliError('ERR_USAGE', 'a bearer token is missing: give --token or set ENLACE_NODE_TOKEN');
  return client;
}

function run<T>(promise: Promise<T>): Promise<T> {
  return call('node', promise, { flag: '--url' });
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

function printSent(io: CliIo, sent: SentRequestJson, json: boolean | undefined, what: string): void {
  if (json === true) {
    io.stdout.write(`${JSON.stringify(sent)}\n`);
    return;
  }
  io.stdout.write(`${what} ${sent.id} (thread ${sent.threadId}) on ${sent.subjects.join(', ')}\n`);
  if (sent.undelivered !== undefined && sent.undelivered.length > 0)
    io.stderr.write(
      `  ! not yet stored for ${sent.undelivered.join(', ')}: the node sends it again (enlace request show ${sent.threadId})\n`,
    );
  for (const f of sent.screening ?? []) io.stderr.write(`  ! ${f.path}: ${f.message}\n`);
  io.stderr.write(`${VICTIM_REMINDER}\n`);
}

function threadLine(t: ThreadSummaryJson): string {
  const flags = [t.status, t.overdue ? 'OVERDUE' : '', t.priority === 'routine' ? '' : t.priority]
    .filter((f) => f !== '')
    .join(' ');
  return `${t.id}  ${t.box.padEnd(6)} ${t.type.padEnd(11)} ${t.from} → ${t.to.join(',')}  ${flags}${t.dueAt === undefined ? '' : `  due ${t.dueAt}`}${t.subject === undefined ? '' : `  ${t.subject}`}\n`;
}

function renderThread(t: ThreadDetailJson): string {
  let out = threadLine(t);
  if (t.consent !== undefined)
    out += `  consent ${t.consent.granted ? 'GRANTED' : 'REFUSED'} (${t.consent.id})\n`;
  for (const m of t.messages) {
    out += `\n  ${m.issuedAt}  ${m.from} → ${m.to.join(',')}  ${m.type}  ${m.id}\n`;
    if (m.body === undefined) out += '    (body not readable here)\n';
    else {
      if (m.body.subject !== '') out += `    ${m.body.subject}\n`;
      for (const textLine of m.body.text.split('\n')) out += `    ${textLine}\n`;
    }
    const receipts = (m.receipts ?? []).map((r) => `${r.from} ${r.status}`);
    if (receipts.length > 0) out += `    receipts: ${receipts.join(', ')}\n`;
    const pending = (m.deliveries ?? []).filter((d) => d.status === 'pending').map((d) => d.to);
    if (pending.length > 0) out += `    not yet stored for: ${pending.join(', ')}\n`;
  }
  return out;
}

/** The `text` of a write: --text, or --text-file - (stdin is not read here: give the text). */
function textOf(opts: { text?: string }): string | undefined {
  return opts.text;
}

export function addRequestCommands(program: Command, io: CliIo): void {
  const withConnection = (command: Command): Command =>
    command
      .option('--url <url>', 'country node URL (default $ENLACE_NODE_URL)')
      .option(
        '--token <jwt>',
        "bearer token of a focal point of the node's country (default $ENLACE_NODE_TOKEN)",
      )
      .option('--json', 'print the answer as JSON')
      .exitOverride();

  const request = program
    .command('request')
    .alias('rfi')
    .summary('requests for information between focal points, and their threads')
    .description(
      'Requests for information between the focal points of the process (2010 Declaration, initiatives 10 ' +
        'and 12): ask one or more countries, reply, close or withdraw. Subject, text and references are ' +
        "encrypted to the addressed countries by this country's node. " +
        VICTIM_REMINDER +
        ' Exit code 0 on success, 1 when the node refuses or cannot be reached, 2 for usage errors.',
    )
    .exitOverride();

  withConnection(
    request
      .command('create')
      .alias('send')
      .summary('ask one or more countries')
      .requiredOption('--to <codes>', 'addressed countries (repeat or comma-separate), e.g. GT,HN', collect)
      .requiredOption('--subject <text>', 'subject line, at most 200 characters')
      .requiredOption('--text <text>', 'the question, at most 10000 characters')
      .option('--priority <p>', 'routine, urgent or threat_to_life', 'routine')
      .option('--due <instant>', 'when an answer is due (ISO 8601)')
      .option('--expires <instant>', 'when the request stops being current (ISO 8601)')
      .option('--handling <code>', 'H0-H3', 'H0')
      .option('--tlp <marking>', 'clear, green, amber, amber+strict or red', 'amber')
      .option('--network <id>', 'the network whose focal points are asked')
      .option('--alert <id>', 'an alert the request refers to (repeatable)', collect)
      .option('--series <series>', 'a document series the request refers to (repeatable)', collect)
      .option('--confirm-no-victim', 'confirm, when the screen finds something, that no victim is identified')
      .addHelpText(
        'after',
        `\n${VICTIM_REMINDER}\n\nExample:\n  $ enlace request create --to GT,HN --priority urgent --due 2026-12-05T18:00:00Z \\\n      --subject "Serie G12" --text "¿Tienen detecciones de la serie G12?"\n`,
      ),
  ).action(
    async (
      opts: Connection & {
        to: string[];
        subject: string;
        text: string;
        priority: string;
        due?: string;
        expires?: string;
        handling: string;
        tlp: string;
        network?: string;
        alert?: string[];
        series?: string[];
        confirmNoVictim?: boolean;
      },
    ) => {
      const client = connection(io, opts);
      const sent = await run(
        client.requests.create({
          to: opts.to,
          subject: opts.subject,
          text: opts.text,
          priority: opts.priority as 'routine',
          handling: opts.handling as 'H0',
          tlp: opts.tlp as 'amber',
          ...(opts.due !== undefined && { dueAt: opts.due }),
          ...(opts.expires !== undefined && { expiresAt: opts.expires }),
          ...(opts.network !== undefined && { network: opts.network }),
          references: { alertIds: opts.alert ?? [], documentSeries: opts.series ?? [] },
          ...(opts.confirmNoVictim === true && { confirmNoVictimIdentified: true }),
        }),
      );
      printSent(io, sent, opts.json, 'sent request');
    },
  );

  withConnection(
    request
      .command('list')
      .summary('threads, newest first')
      .option('--box <box>', 'inbox (asked of this country) or outbox (asked by it)')
      .option('--status <status>', 'open, answered, closed or withdrawn')
      .option('--priority <p>', 'routine, urgent or threat_to_life')
      .option('--type <type>', 'information or consent')
      .option('--overdue', 'only open threads past their due time')
      .option('--country <code>', 'only threads with this country')
      .option('-q, --query <words>', 'free text over the subjects and texts this node can read')
      .option('--limit <n>', 'threads per page, 1 to 500')
      .option('--cursor <cursor>', 'the next page of an earlier list'),
  ).action(
    async (
      opts: Connection & {
        box?: 'inbox' | 'outbox';
        status?: 'open';
        priority?: 'routine';
        type?: 'information';
        overdue?: boolean;
        country?: string;
        query?: string;
        limit?: string;
        cursor?: string;
      },
    ) => {
      const client = connection(io, opts);
      const page = await run(
        client.requests.list({
          ...(opts.box !== undefined && { box: opts.box }),
          ...(opts.status !== undefined && { status: opts.status }),
          ...(opts.priority !== undefined && { priority: opts.priority }),
          ...(opts.type !== undefined && { type: opts.type }),
          ...(opts.overdue === true && { overdue: true }),
          ...(opts.country !== undefined && { country: opts.country }),
          ...(opts.query !== undefined && { q: opts.query }),
          ...(opts.limit !== undefined && { limit: Number(opts.limit) }),
          ...(opts.cursor !== undefined && { cursor: opts.cursor }),
        }),
      );
      if (opts.json === true) {
        io.stdout.write(`${JSON.stringify(page)}\n`);
        return;
      }
      for (const t of page.items) io.stdout.write(threadLine(t));
      if (page.next !== undefined) io.stdout.write(`(more: --cursor ${page.next})\n`);
    },
  );

  withConnection(
    request.command('show').summary('a thread with all its messages').argument('<id>', 'thread id'),
  ).action(async (id: string, opts: Connection) => {
    const thread = await run(connection(io, opts).requests.get(id));
    io.stdout.write(opts.json === true ? `${JSON.stringify(thread)}\n` : renderThread(thread));
  });

  for (const [name, summary] of [
    ['reply', 'answer in a thread'],
    ['close', 'close a thread (optional last words)'],
    ['withdraw', 'withdraw a request this country sent'],
  ] as const)
    withConnection(
      request
        .command(name)
        .summary(summary)
        .argument('<id>', 'thread id')
        .option(name === 'reply' ? '--text <text>' : '--text [text]', 'the text, at most 10000 characters')
        .option(
          '--confirm-no-victim',
          'confirm, when the screen finds something, that no victim is identified',
        )
        .addHelpText('after', `\n${VICTIM_REMINDER}\n`),
    ).action(async (id: string, opts: Connection & { text?: string; confirmNoVictim?: boolean }) => {
      const text = textOf(opts);
      if (name === 'reply' && (text === undefined || text === ''))
        throw new CliError('ERR_USAGE', 'a reply needs --text');
      const body = {
        ...(text !== undefined && { text }),
        ...(opts.confirmNoVictim === true && { confirmNoVictimIdentified: true }),
      };
      const client = connection(io, opts);
      const sent = await run(
        name === 'reply'
          ? client.requests.reply(id, body)
          : name === 'close'
            ? client.requests.close(id, body)
            : client.requests.withdraw(id, body),
      );
      printSent(
        io,
        sent,
        opts.json,
        name === 'reply' ? 'sent reply' : `${name === 'close' ? 'closed' : 'withdrew'} thread`,
      );
    });

  const consent = program
    .command('consent')
    .summary('consent to onward use of an alert (the third-party rule)')
    .description(
      "Ask an alert's origin whether you may pass its H2/H3 alert on to a third country (or use an H1 alert in " +
        'judicial proceedings), and, as the origin, grant or refuse. A grant is signed by the origin; a forward ' +
        '(POST /v1/alerts/<id>/forward) to that country, and to no other, then carries it.',
    )
    .exitOverride();

  withConnection(
    consent
      .command('request')
      .summary("ask an alert's origin for consent")
      .argument('<alert-id>', 'the alert, held by this node')
      .option('--to <code>', 'the third country the alert would be forwarded to')
      .option('--purpose <purpose>', 'forward or judicial_use', 'forward')
      .requiredOption('--reason <text>', 'why (encrypted to the origin)')
      .option('--confirm-no-victim', 'confirm, when the screen finds something, that no victim is identified')
      .addHelpText(
        'after',
        '\nExample:\n  $ enlace consent request 0193... --to PA --reason "Fiscalía de Panamá"\n',
      ),
  ).action(
    async (
      alertId: string,
      opts: Connection & { to?: string; purpose: string; reason: string; confirmNoVictim?: boolean },
    ) => {
      const sent = await run(
        connection(io, opts).alerts.requestConsent(alertId, {
          ...(opts.to !== undefined && { to: opts.to }),
          purpose: opts.purpose as 'forward',
          reason: opts.reason,
          ...(opts.confirmNoVictim === true && { confirmNoVictimIdentified: true }),
        }),
      );
      printSent(io, sent, opts.json, 'asked consent');
    },
  );

  const decide = async (
    id: string,
    granted: boolean,
    opts: Connection & { reason?: string },
  ): Promise<void> => {
    const sent = await run(
      connection(io, opts).consents.decide(id, {
        granted,
        ...(opts.reason !== undefined && { reason: opts.reason }),
      }),
    );
    if (opts.json === true) io.stdout.write(`${JSON.stringify(sent)}\n`);
    else io.stdout.write(`${granted ? 'granted' : 'refused'} consent request ${id} (decision ${sent.id})\n`);
  };
  withConnection(
    consent
      .command('decide')
      .summary('grant or refuse a consent request about one of your alerts')
      .argument('<consent-request-id>', 'the consent request (its thread id)')
      .option('--grant', 'grant')
      .option('--refuse', 'refuse')
      .option('--reason <text>', 'why (encrypted to the country that asked)'),
  ).action(async (id: string, opts: Connection & { grant?: boolean; refuse?: boolean; reason?: string }) => {
    if ((opts.grant === true) === (opts.refuse === true))
      throw new CliError('ERR_USAGE', 'give exactly one of --grant and --refuse');
    await decide(id, opts.grant === true, opts);
  });
  for (const [name, granted] of [
    ['grant', true],
    ['refuse', false],
  ] as const)
    withConnection(
      consent
        .command(name)
        .summary(`${name} a consent request (as decide --${name})`)
        .argument('<consent-request-id>', 'the consent request (its thread id)')
        .option('--reason <text>', 'why (encrypted to the country that asked)'),
    ).action((id: string, opts: Connection & { reason?: string }) => decide(id, granted, opts));
}
