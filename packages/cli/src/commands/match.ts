/**
 * `enlace match`: hit/no-hit matching of document and account numbers without revealing them.
 *
 *   key generate   make a network's matching key (HMAC-SHA256, 32 random bytes), mode 0600
 *   digest         turn your own numbers into keyed digests, locally
 *   query          ask the feed service which of your numbers occur in alerts you may receive;
 *                  with --follow-up, open a request for information to each hit alert's origin
 *
 * Clear numbers never leave this machine: `query` computes the digests here, sends only them to
 * POST <feed>/v1/match, and maps the hits back to your numbers locally. `digest` prints only
 * digests, so its output can be handed on; the output of `query` names your numbers and stays
 * with you.
 */
import { Option } from 'commander';
import type { Command } from 'commander';
import {
  CryptoError,
  generateMatchingKey,
  keyedDigest,
  matchingKeyToJson,
  parseMatchingKey,
} from '@enlace/crypto';
import type { IdentifierKind, MatchingKey } from '@enlace/crypto';
import { isCountryCode } from '@enlace/schema';

import { createFeedClient, createNodeClient } from '@enlace/client';
import type { AlertRefJson, FeedClient } from '@enlace/client';

import { CliError } from '../errors.js';
import { readInputFile, readStructuredFile, writeOutputFile } from '../io.js';
import type { CliIo } from '../main.js';
import { call, createClientFor } from '../service-call.js';
import { ProgressBar } from './feed.js';

/** Most digests the feed service takes in one request; longer inputs go in several. */
export const MATCH_BATCH = 100_000;
/** Above this many values, `query` reports its progress on stderr. */
export const PROGRESS_THRESHOLD = 10_000;

const processIo: CliIo = {
  stdout: { write: (text) => void process.stdout.write(text) },
  stderr: { write: (text) => void process.stderr.write(text) },
  env: process.env,
};

interface ValueOptions {
  key: string;
  kind: IdentifierKind;
  country: string;
  file?: string;
  json?: boolean;
}

interface QueryOptions extends ValueOptions {
  feedUrl?: string;
  url?: string;
  token?: string;
  followUp?: boolean;
  followUpText?: string;
  nodeUrl?: string;
  nodeToken?: string;
}

/** One of the caller's values, where it came from, and its digest. */
interface Digested {
  readonly value: string;
  /** `argument 2` or `line 17 of numbers.txt` */
  readonly where: string;
  readonly digest: string;
}

/** A batch of digests may take long to look up: wait up to two minutes for the answer. */
const MATCH_TIMEOUT_MS = 120_000;

/** Adds `enlace match key generate`, `enlace match digest` and `enlace match query`. */
export function registerMatchCommands(program: Command, io: CliIo = processIo): void {
  const match = program
    .command('match')
    .summary('hit/no-hit matching of document and account numbers, without revealing them')
    .description(
      'Hit/no-hit matching (as FIU.net Ma3tch): find out whether a document or account number of your ' +
        'case occurs in alerts, without revealing it. Numbers become keyed digests ' +
        '(HMAC-SHA256 of "<kind>:<CC>:<VALUE>" under the network\'s matching key) on this machine; ' +
        'only digests go to the feed service. Exit code 0 on success (hits or not), 1 when the ' +
        'service refuses or cannot be reached, 2 for usage errors and bad input.',
    )
    .exitOverride();

  const key = match
    .command('key')
    .description("manage a network's matching key (held by its members, never by the feed service)")
    .exitOverride();
  key
    .command('generate')
    .summary("generate a network's matching key (mode 0600)")
    .description(
      'Generate a matching key for a network: 32 random bytes as a JWK (kty "oct", HS256) with the ' +
        'network, written with mode 0600. Distribute it to the network members out of band; whoever ' +
        'holds it can test guesses against digests, so guard it like a private key.',
    )
    .requiredOption('-n, --network <id>', 'the network the key is for, e.g. fiu-exchange')
    .option('--key-id <id>', 'key id (default <network>-match-<yyyy>-01)')
    .requiredOption('-o, --out <file>', 'where to write the key (JSON)')
    .option('-f, --force', 'replace --out if it already exists')
    .option('--json', 'print { keyId, network, file } as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  $ enlace match key generate --network fiu-exchange --out fiu-exchange.match.json\n',
    )
    .exitOverride()
    .action(
      async (opts: { network: string; keyId?: string; out: string; force?: boolean; json?: boolean }) => {
        let generated: MatchingKey;
        try {
          generated = generateMatchingKey(opts.network, opts.keyId);
        } catch (cause) {
          if (cause instanceof CryptoError) throw new CliError('ERR_USAGE', cause.message, { cause });
          throw cause;
        }
        const text = `${JSON.stringify(matchingKeyToJson(generated), null, 2)}\n`;
        await writeOutputFile(opts.out, text, { mode: 0o600, exclusive: opts.force !== true });
        const summary = { keyId: generated.keyId, network: generated.network, file: opts.out };
        io.stdout.write(
          opts.json
            ? `${JSON.stringify(summary, null, 2)}\n`
            : `wrote matching key ${generated.keyId} for network ${generated.network} to ${opts.out} (mode 0600)\n`,
        );
      },
    );

  const withValues = (command: Command): Command =>
    command
      .argument(
        '[values...]',
        'your document or account numbers (or --file); put -- before values that begin with "-"',
      )
      .requiredOption('-k, --key <file>', "the network's matching key (from `enlace match key generate`)")
      .addOption(
        new Option('--kind <kind>', 'doc: document numbers; acct: account identifiers')
          .choices(['doc', 'acct'])
          .makeOptionMandatory(),
      )
      .requiredOption(
        '-c, --country <code>',
        'issuing country of the documents / country of the accounts, e.g. CR',
      )
      .option('--file <file>', 'read values from a file, one per line (blank lines are skipped)')
      .exitOverride();

  withValues(match.command('digest'))
    .summary('print the keyed digests of your values (only digests: shareable)')
    .description(
      'Print the keyed digest of each value, one per line in input order (hex), or as JSON ' +
        '[{ digest, keyId }]. Only digests are printed, so the output can be handed on. Values are ' +
        'upper-cased and lose spaces, hyphens, dots and slashes first ("A-0123 4567" is "A01234567").',
    )
    .option('--json', 'print [{ digest, keyId }] as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  $ enlace match digest --key fiu-exchange.match.json --kind doc --country CR A01234567\n',
    )
    .action(async (values: string[], opts: ValueOptions) => {
      const { matchingKey, digested } = await digestValues(values, opts, io, false);
      io.stdout.write(
        opts.json
          ? `${JSON.stringify(
              digested.map((d) => ({ digest: d.digest, keyId: matchingKey.keyId })),
              null,
              2,
            )}\n`
          : digested.map((d) => `${d.digest}\n`).join(''),
      );
    });

  withValues(match.command('query'))
    .summary('ask the feed service which of your values occur in alerts (sends only digests)')
    .description(
      'Ask the feed service which of your values occur in alerts your country may receive. The ' +
        'digests are computed here and only they are sent (POST <feed-url>/v1/match, at most 100,000 ' +
        'per request; longer inputs are sent in several). The answer is mapped back to your values ' +
        'here: the output names them, so keep it with the case.',
    )
    .option('--feed-url <url>', 'feed service URL (default $ENLACE_FEED_URL)')
    .addOption(new Option('--url <url>', 'same as --feed-url').hideHelp())
    .option('--token <jwt>', 'bearer token with the fiu-analyst role (default $ENLACE_FEED_TOKEN)')
    .option(
      '--json',
      'print { keyId, values, distinctDigests, matched, hits: [{ value, where, digest, alerts }] }',
    )
    .option(
      '--follow-up',
      "open a request for information to each hit alert's origin (alert ids and digests only, never your values)",
    )
    .option('--follow-up-text <text>', 'the question of the follow-up requests')
    .option('--node-url <url>', "your country node's URL, for --follow-up (default $ENLACE_NODE_URL)")
    .option(
      '--node-token <jwt>',
      'a focal point token of your country, for --follow-up (default $ENLACE_NODE_TOKEN)',
    )
    .addHelpText(
      'after',
      '\nExample:\n  $ enlace match query --feed-url http://127.0.0.1:8090 --token "$ENLACE_FEED_TOKEN" \\\n' +
        '      --key fiu-exchange.match.json --kind acct --country MX --file accounts.txt\n',
    )
    .action(async (values: string[], opts: QueryOptions) => {
      const url = opts.feedUrl ?? opts.url ?? env(io, 'ENLACE_FEED_URL');
      const token = opts.token ?? env(io, 'ENLACE_FEED_TOKEN');
      const feed = matchClient(url, () => token);
      if (token === undefined) {
        throw new CliError('ERR_USAGE', 'a bearer token is missing: give --token or set ENLACE_FEED_TOKEN');
      }
      const { matchingKey, digested } = await digestValues(values, opts, io, true);
      const distinct = [...new Set(digested.map((d) => d.digest))];
      const progress =
        digested.length > PROGRESS_THRESHOLD
          ? new ProgressBar(io.stderr, 'querying', distinct.length)
          : undefined;
      const alertsOf = new Map<string, readonly AlertRefJson[]>();
      for (let at = 0; at < distinct.length; at += MATCH_BATCH) {
        const batch = distinct.slice(at, at + MATCH_BATCH);
        const answer = await call('feed', feed.match({ keyId: matchingKey.keyId, digests: batch }), {
          flag: '--feed-url',
          answer: 'a match result',
          errorWithoutJson: true,
        });
        const sent = new Set(batch);
        for (const hit of answer.hits) {
          if (!sent.has(hit.digest)) {
            throw new CliError(
              'ERR_FEED_UNREACHABLE',
              `${feed.origin} answered a hit for a digest that was not asked about; is --feed-url the feed service?`,
              { exitCode: 1 },
            );
          }
          alertsOf.set(hit.digest, hit.alerts);
        }
        progress?.update(Math.min(at + MATCH_BATCH, distinct.length));
      }
      const hits = digested
        .filter((d) => alertsOf.has(d.digest))
        .map((d) => ({ value: d.value, where: d.where, digest: d.digest, alerts: alertsOf.get(d.digest)! }));
      progress?.done(`queried ${distinct.length} digests: ${alertsOf.size} hit`);
      const followUps =
        opts.followUp === true ? await openFollowUps(io, opts, matchingKey.keyId, hits) : undefined;
      if (opts.json) {
        const body = {
          keyId: matchingKey.keyId,
          values: digested.length,
          distinctDigests: distinct.length,
          matched: hits.length,
          hits,
          ...(followUps !== undefined && { followUps }),
        };
        io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
        return;
      }
      io.stdout.write(renderHits(hits, digested.length, matchingKey.keyId));
      for (const f of followUps ?? [])
        io.stdout.write(`follow-up request ${f.id} to ${f.to} (alerts ${f.alertIds.join(', ')})\n`);
    });
}

/**
 * The follow-up of a hit (Prüm's hit, then request): one request for information to each origin
 * country, on this country's node, naming the alerts and the matching digests. Never the values.
 */
async function openFollowUps(
  io: CliIo,
  opts: QueryOptions,
  keyId: string,
  hits: ReadonlyArray<{ digest: string; alerts: readonly AlertRefJson[] }>,
): Promise<Array<{ id: string; to: string; alertIds: string[] }>> {
  const url = opts.nodeUrl ?? env(io, 'ENLACE_NODE_URL');
  const token = opts.nodeToken ?? env(io, 'ENLACE_NODE_TOKEN');
  if (url === undefined) throw new CliError('ERR_USAGE', '--follow-up needs --node-url or ENLACE_NODE_URL');
  if (token === undefined)
    throw new CliError('ERR_USAGE', '--follow-up needs --node-token or ENLACE_NODE_TOKEN');
  const node = createClientFor(() => createNodeClient({ baseUrl: url, token: () => token }), {
    flag: '--node-url',
    example: 'http://127.0.0.1:8101',
  });
  const byOrigin = new Map<string, { alertIds: Set<string>; digests: Set<string>; network: string }>();
  for (const hit of hits)
    for (const alert of hit.alerts) {
      const entry = byOrigin.get(alert.origin) ?? {
        alertIds: new Set(),
        digests: new Set(),
        network: alert.network,
      };
      entry.alertIds.add(alert.alertId);
      entry.digests.add(hit.digest);
      byOrigin.set(alert.origin, entry);
    }
  const opened: Array<{ id: string; to: string; alertIds: string[] }> = [];
  for (const [origin, entry] of byOrigin) {
    const alertIds = [...entry.alertIds].slice(0, 50);
    const sent = await call(
      'node',
      node.requests.create({
        to: [origin],
        subject: `Follow-up of a match hit on ${alertIds.length} alert(s)`,
        text:
          opts.followUpText ??
          'We had a hit/no-hit match on the alerts referenced here. Can you tell us more about them?',
        network: entry.network,
        references: {
          alertIds,
          keyedDigests: [...entry.digests].slice(0, 50).map((digest) => ({ keyId, digest })),
        },
      }),
      { flag: '--node-url' },
    );
    opened.push({ id: sent.id, to: origin, alertIds });
  }
  return opened;
}

function env(io: CliIo, name: string): string | undefined {
  const value = (io.env ?? process.env)[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Reads the key and the values, and digests every value; one error line lists the bad ones. */
async function digestValues(
  args: readonly string[],
  opts: ValueOptions,
  io: CliIo,
  withProgress: boolean,
): Promise<{ matchingKey: MatchingKey; digested: Digested[] }> {
  const country = opts.country.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(country) || !isCountryCode(country)) {
    throw new CliError(
      'ERR_USAGE',
      `--country must be an ISO 3166-1 alpha-2 country code such as CR or MX (got "${opts.country}")`,
    );
  }
  const matchingKey = await readMatchingKey(opts.key);

  const inputs: Array<{ value: string; where: string }> = args.map((value, i) => ({
    value,
    where: `argument ${i + 1}`,
  }));
  if (opts.file !== undefined) {
    const lines = (await readInputFile(opts.file, 'value file')).toString('utf8').split(/\r?\n/);
    for (const [i, line] of lines.entries()) {
      if (line.trim() !== '') inputs.push({ value: line.trim(), where: `line ${i + 1} of ${opts.file}` });
    }
  }
  if (inputs.length === 0) {
    throw new CliError('ERR_USAGE', 'no values: give them as arguments or with --file (one per line)');
  }

  const progress =
    withProgress && inputs.length > PROGRESS_THRESHOLD
      ? new ProgressBar(io.stderr, 'digesting', inputs.length)
      : undefined;
  const digested: Digested[] = [];
  const bad: string[] = [];
  let badCount = 0;
  for (const [i, { value, where }] of inputs.entries()) {
    try {
      const digest = Buffer.from(keyedDigest(matchingKey, opts.kind, country, value)).toString('hex');
      digested.push({ value, where, digest });
    } catch (cause) {
      if (!(cause instanceof CryptoError)) throw cause;
      badCount++;
      // The reason, never the value: an error line may end up in a shared log.
      if (bad.length < 3) bad.push(`${where}: ${cause.message}`);
    }
    if (progress !== undefined && (i + 1) % 5000 === 0) progress.update(i + 1);
  }
  if (badCount > 0) {
    const more = badCount > bad.length ? `; and ${badCount - bad.length} more` : '';
    throw new CliError(
      'ERR_INPUT_INVALID',
      `${badCount} value${badCount === 1 ? '' : 's'} cannot be digested (${bad.join('; ')}${more})`,
    );
  }
  progress?.done(`digested ${digested.length} values`);
  return { matchingKey, digested };
}

async function readMatchingKey(path: string): Promise<MatchingKey> {
  const json = await readStructuredFile(path, 'matching key');
  try {
    return parseMatchingKey(json);
  } catch (cause) {
    if (cause instanceof CryptoError) {
      throw new CliError('ERR_KEY_INVALID', `${path} is not a matching key: ${cause.message}`, { cause });
    }
    throw cause;
  }
}

/** The feed client for --feed-url; a missing or bad URL is a usage error naming --feed-url. */
function matchClient(url: string | undefined, token: () => string | undefined): FeedClient {
  if (url === undefined) {
    throw new CliError(
      'ERR_USAGE',
      'the feed service URL is missing: give --feed-url or set ENLACE_FEED_URL',
    );
  }
  return createClientFor(() => createFeedClient({ baseUrl: url, token, timeoutMs: MATCH_TIMEOUT_MS }), {
    flag: '--feed-url',
    example: 'http://127.0.0.1:8090',
  });
}

function renderHits(
  hits: ReadonlyArray<{ value: string; where: string; digest: string; alerts: readonly AlertRefJson[] }>,
  total: number,
  keyId: string,
): string {
  const head = `${hits.length} of ${total} value${total === 1 ? '' : 's'} hit (matching key ${keyId})`;
  if (hits.length === 0) return `${head}\n`;
  const lines = [`${head}:`];
  for (const hit of hits) {
    lines.push(`  ${hit.value}  (${hit.where})`);
    for (const a of hit.alerts) {
      lines.push(`    ${a.alertId}  ${a.origin}  ${a.network}/${a.kind}  ${a.issuedAt}  ${a.field}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
