/**
 * `enlace match`: hit/no-hit matching of document and account numbers without revealing them.
 *
 *   key generate   make a network's matching key (HMAC-SHA256, 32 random bytes), mode 0600
 *   digest         turn your own numbers into keyed digests, locally
 *   query          ask the feed service which of your numbers occur in alerts you may receive
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

import { CliError } from '../errors.js';
import { readInputFile, readStructuredFile, writeOutputFile } from '../io.js';
import type { CliIo } from '../main.js';
import { describeFeedError, ProgressBar } from './feed.js';

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
}

/** One of the caller's values, where it came from, and its digest. */
interface Digested {
  readonly value: string;
  /** `argument 2` or `line 17 of numbers.txt` */
  readonly where: string;
  readonly digest: string;
}

/** An alert a hit points to, as POST /v1/match answers it. */
interface AlertRefJson {
  alertId: string;
  origin: string;
  network: string;
  kind: string;
  issuedAt: string;
  field: string;
}

interface MatchAnswer {
  keyId: string;
  queried: number;
  matched: number;
  hits: Array<{ digest: string; alerts: AlertRefJson[] }>;
}

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
    .addHelpText(
      'after',
      '\nExample:\n  $ enlace match query --feed-url http://127.0.0.1:8090 --token "$ENLACE_FEED_TOKEN" \\\n' +
        '      --key fiu-exchange.match.json --kind acct --country MX --file accounts.txt\n',
    )
    .action(async (values: string[], opts: QueryOptions) => {
      const url = opts.feedUrl ?? opts.url ?? env(io, 'ENLACE_FEED_URL');
      const token = opts.token ?? env(io, 'ENLACE_FEED_TOKEN');
      const endpoint = matchEndpoint(url);
      if (token === undefined) {
        throw new CliError('ERR_USAGE', 'a bearer token is missing: give --token or set ENLACE_FEED_TOKEN');
      }
      const { matchingKey, digested } = await digestValues(values, opts, io, true);
      const distinct = [...new Set(digested.map((d) => d.digest))];
      const progress =
        digested.length > PROGRESS_THRESHOLD
          ? new ProgressBar(io.stderr, 'querying', distinct.length)
          : undefined;
      const alertsOf = new Map<string, AlertRefJson[]>();
      for (let at = 0; at < distinct.length; at += MATCH_BATCH) {
        const batch = distinct.slice(at, at + MATCH_BATCH);
        const answer = await postMatch(endpoint, token, { keyId: matchingKey.keyId, digests: batch });
        const sent = new Set(batch);
        for (const hit of answer.hits) {
          if (!sent.has(hit.digest)) {
            throw new CliError(
              'ERR_FEED_UNREACHABLE',
              `${endpoint.origin} answered a hit for a digest that was not asked about; is --feed-url the feed service?`,
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
      if (opts.json) {
        const body = {
          keyId: matchingKey.keyId,
          values: digested.length,
          distinctDigests: distinct.length,
          matched: hits.length,
          hits,
        };
        io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
        return;
      }
      io.stdout.write(renderHits(hits, digested.length, matchingKey.keyId));
    });
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

function matchEndpoint(url: string | undefined): URL {
  if (url === undefined) {
    throw new CliError(
      'ERR_USAGE',
      'the feed service URL is missing: give --feed-url or set ENLACE_FEED_URL',
    );
  }
  let base: URL;
  try {
    base = new URL(url.endsWith('/') ? url : `${url}/`);
  } catch (cause) {
    throw new CliError(
      'ERR_USAGE',
      `--feed-url must be an http(s) URL such as http://127.0.0.1:8090 (got "${url}")`,
      { cause },
    );
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new CliError('ERR_USAGE', `--feed-url must be an http(s) URL (got "${url}")`);
  }
  return new URL('v1/match', base);
}

/** POSTs one batch of digests; every failure is one CliError line with the service's code and fields. */
async function postMatch(
  endpoint: URL,
  token: string,
  body: { keyId: string; digests: string[] },
): Promise<MatchAnswer> {
  let response: Response;
  try {
    response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(120_000),
    });
  } catch (cause) {
    const reason =
      (cause as Error).name === 'TimeoutError'
        ? 'no answer in time'
        : (((cause as Error).cause as Error | undefined)?.message ?? (cause as Error).message);
    throw new CliError(
      'ERR_FEED_UNREACHABLE',
      `cannot reach the feed service at ${endpoint.origin}: ${reason}`,
      {
        cause,
        exitCode: 1,
      },
    );
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    throw new CliError(
      'ERR_FEED_UNREACHABLE',
      `${endpoint.origin}${endpoint.pathname} answered HTTP ${response.status} without JSON; is --feed-url the feed service?`,
      { exitCode: 1 },
    );
  }
  if (!response.ok) {
    // The service wraps errors as { error: { code, message, violations } }; accept the bare form too.
    const wrapped = typeof json === 'object' && json !== null && 'error' in json ? json : { error: json };
    throw new CliError('ERR_FEED_REFUSED', describeFeedError(response.status, wrapped), { exitCode: 1 });
  }
  if (!isMatchAnswer(json)) {
    throw new CliError(
      'ERR_FEED_UNREACHABLE',
      `${endpoint.origin}${endpoint.pathname} did not answer a match result; is --feed-url the feed service?`,
      { exitCode: 1 },
    );
  }
  return json;
}

function isMatchAnswer(value: unknown): value is MatchAnswer {
  if (typeof value !== 'object' || value === null) return false;
  const answer = value as Partial<MatchAnswer>;
  return (
    Array.isArray(answer.hits) &&
    answer.hits.every(
      (hit) =>
        typeof hit === 'object' &&
        hit !== null &&
        typeof hit.digest === 'string' &&
        Array.isArray(hit.alerts) &&
        hit.alerts.every((a) => typeof a === 'object' && a !== null && typeof a.alertId === 'string'),
    )
  );
}

function renderHits(
  hits: ReadonlyArray<{ value: string; where: string; digest: string; alerts: AlertRefJson[] }>,
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
