/**
 * `enlace deploy nats-config`: renders the nats-server users and permissions of the network from
 * registry state (DESIGN.md trust model 4) with @enlace/transport's renderNatsAuthorization(),
 * writes them atomically (mode 0600: the file holds passwords) and says what changed; with
 * --reload it signals the running nats-server (SIGHUP) to apply them.
 *
 * Registry state comes from the registry's HTTP API (--url/--token, like `enlace registry`) or
 * from a file: a policy snapshot (`GET /v1/snapshot?format=json`, or its `snapshot` member) or the
 * `GET /v1/countries` answer. Passwords live in a secrets file (JSON `{ "<user>": "<password>" }`,
 * mode 0600; the format `npm start` keeps in .enlace/nats-users.json); missing ones are generated.
 *
 * Besides the countries, the file holds the service users: the registry's (`--registry-user`) and
 * the FIU feed service's (`--feed-user`, default `feed`; `--no-feed` leaves it out), whose
 * passwords come from the same secrets file.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import type { NatsCountryStatus } from '@enlace/transport';
import { TransportError, countryNatsUser, fiuNatsUser, renderNatsAuthorization } from '@enlace/transport';
import type { Command } from 'commander';
import { Option } from 'commander';

import { CliError } from '../errors.js';
import { readStructuredFile, writeOutputFile } from '../io.js';
import type { CliIo } from '../main.js';
import { RegistryHttp } from '../registry/registry-http.js';

const STATUSES = ['member', 'observer', 'suspended', 'withdrawn'] as const;
/** A password renderNatsAuthorization() accepts: used to check user names before any is stored. */
const PLACEHOLDER_PASSWORD = 'placeholder-password';

export interface NatsConfigOptions {
  out: string;
  url?: string;
  token?: string;
  snapshot?: string;
  secrets?: string;
  registryUser: string;
  /** The feed service's NATS user (commander sets it to the default `feed`). */
  feedUser?: string;
  /** False with --no-feed: no feed service user. */
  feed?: boolean;
  /** --fius: a `fiu-<cc>` user per country not withdrawn, reading its own NATS-delivered feeds. */
  fius?: boolean;
  mode: 'authorization' | 'account';
  inboxes: 'shared' | 'per-user';
  reload?: string;
  json?: boolean;
}

interface StatusChange {
  readonly country: string;
  /** Undefined: the country is new to the file. */
  readonly from?: NatsCountryStatus;
  /** Undefined: the country is no longer in the registry. */
  readonly to?: NatsCountryStatus;
}

interface CountryState {
  readonly code: string;
  readonly statusHistory?: ReadonlyArray<{ status?: unknown; effectiveAt?: unknown }>;
}

export function addDeployCommands(program: Command, io: CliIo): void {
  const deploy = program
    .command('deploy')
    .description('render deployment configuration from registry state')
    .exitOverride();
  deploy
    .command('nats-config')
    .description(
      'render the nats-server users and permissions from the registry: one user per country ' +
        '(node-<cc>) that may publish only on its own origin subjects and read only its own durables; ' +
        'suspended countries keep registry reads only; withdrawn ones get no user. ' +
        "Also the registry's user and the FIU feed service's (unless --no-feed). " +
        'Writes FILE atomically (mode 0600) and prints which countries changed.',
    )
    .requiredOption('-o, --out <file>', 'the configuration file to write (include it from nats-server.conf)')
    .option('--url <url>', 'registry base URL (or $ENLACE_REGISTRY_URL)')
    .option('--token <token>', 'registry bearer token (or $ENLACE_REGISTRY_TOKEN)')
    .option(
      '--snapshot <file>',
      'read registry state from this file instead (snapshot or /v1/countries JSON)',
    )
    .option(
      '--secrets <file>',
      'passwords file, JSON {"<user>": "<password>"}, created mode 0600 (default: nats-users.json beside --out)',
    )
    .option('--registry-user <name>', "the registry service's NATS user", 'registry')
    .addOption(
      new Option(
        '--feed-user <name>',
        "the FIU feed service's NATS user (services/feed: its own consumers on ENLACE_ALERTS, stream ENLACE_FEEDS, bucket enlace_feeds)",
      ).default('feed'),
    )
    .addOption(
      new Option('--no-feed', 'render no feed service user (no feed service runs)').conflicts('feedUser'),
    )
    .option(
      '--fius',
      'also render a fiu-<cc> user per country (not withdrawn) that reads only its own feeds delivered to NATS (enlace.v1.feed.<CC>.>)',
    )
    .addOption(
      new Option('--mode <mode>', 'authorization block (global account) or an ENLACE account')
        .choices(['authorization', 'account'])
        .default('authorization'),
    )
    .addOption(
      new Option(
        '--inboxes <kind>',
        'per-user inboxes need nodes connecting with inboxPrefix _INBOX.node-<cc>',
      )
        .choices(['shared', 'per-user'])
        .default('shared'),
    )
    .option(
      '--reload <pidfile>',
      'send SIGHUP to the nats-server whose pid is in this file, when the file changed',
    )
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  $ enlace deploy nats-config --url http://127.0.0.1:8080 --token "$TOKEN" \\\n' +
        '      --out /etc/nats/enlace-users.conf --reload /var/run/nats-server.pid\n',
    )
    .exitOverride()
    .action(async (opts: NatsConfigOptions) => {
      await deployNatsConfig(opts, io);
    });
}

export async function deployNatsConfig(opts: NatsConfigOptions, io: CliIo): Promise<void> {
  const countries = await readCountries(opts, io);
  const now = Date.now();
  const statuses = new Map<string, NatsCountryStatus>();
  for (const country of countries) {
    const status = statusAt(country, now);
    if (status !== undefined) statuses.set(country.code, status);
  }

  const secretsFile = opts.secrets ?? join(dirname(opts.out), 'nats-users.json');
  const feedUser = opts.feed === false ? undefined : (opts.feedUser ?? 'feed');
  const fiuCountries = [...statuses].filter(([, status]) => status !== 'withdrawn').map(([code]) => code);
  const render = (passwordOf: (user: string) => string): string => {
    try {
      return renderNatsAuthorization({
        mode: opts.mode,
        inboxes: opts.inboxes,
        services: {
          registry: { user: opts.registryUser, credential: { password: passwordOf(opts.registryUser) } },
          ...(feedUser !== undefined && {
            feed: { user: feedUser, credential: { password: passwordOf(feedUser) } },
          }),
        },
        countries: [...statuses].map(([code, status]) => ({
          code,
          status,
          credential: { password: passwordOf(countryNatsUser(code)) },
        })),
        ...(opts.fius === true && {
          fius: fiuCountries.map((code) => ({
            code,
            credential: { password: passwordOf(fiuNatsUser(code)) },
          })),
        }),
      });
    } catch (error) {
      if (error instanceof TransportError)
        throw new CliError('ERR_INPUT_INVALID', error.message, { cause: error });
      throw error;
    }
  };
  // User names are checked before the secrets file gets passwords for them.
  render(() => PLACEHOLDER_PASSWORD);
  const users = [
    opts.registryUser,
    ...(feedUser !== undefined ? [feedUser] : []),
    ...[...statuses.keys()].map(countryNatsUser),
    ...(opts.fius === true ? fiuCountries.map(fiuNatsUser) : []),
  ];
  const { passwords, generated } = await loadSecrets(secretsFile, users);
  const text = render((user) => passwords[user]!);

  const previous = await readFile(opts.out, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new CliError('ERR_FILE_UNREADABLE', `cannot read ${opts.out}: ${error.message}`, { cause: error });
  });
  const changed = previous !== text;
  const changes = diffStatuses(previous === undefined ? new Map() : renderedStatuses(previous), statuses);
  const feedChange = diffFeed(previous, feedUser !== undefined);
  if (changed) await writeOutputFile(opts.out, text, { mode: 0o600 });

  let reloaded: number | undefined;
  if (opts.reload !== undefined && changed) reloaded = await reloadServer(opts.reload);

  if (opts.json) {
    io.stdout.write(
      `${JSON.stringify(
        {
          out: opts.out,
          written: changed,
          countries: Object.fromEntries(statuses),
          changes,
          feedUser: feedUser ?? null,
          ...(feedChange !== undefined && { feedChange }),
          secrets: secretsFile,
          generatedPasswords: generated,
          ...(opts.reload !== undefined && { reloaded: reloaded !== undefined, pid: reloaded }),
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  const lines: string[] = [];
  if (!changed) lines.push(`${opts.out}: unchanged (${statuses.size} countries); nothing written`);
  else {
    const described = [
      ...(feedChange !== undefined ? [`feed service user ${feedChange}`] : []),
      ...changes.map(describeChange),
    ];
    const what = described.length === 0 ? 'permissions changed' : described.join(', ');
    lines.push(`${opts.out}: written (mode 0600): ${what}`);
  }
  if (generated.length > 0)
    lines.push(`generated passwords for ${generated.join(', ')} in ${secretsFile} (mode 0600)`);
  if (opts.reload !== undefined)
    lines.push(
      reloaded === undefined
        ? 'nats-server not reloaded: nothing changed'
        : `nats-server ${reloaded} reloaded (SIGHUP)`,
    );
  io.stdout.write(`${lines.join('\n')}\n`);
}

function env(io: CliIo, name: string): string | undefined {
  const value = (io.env ?? process.env)[name];
  return value === undefined || value === '' ? undefined : value;
}

async function readCountries(opts: NatsConfigOptions, io: CliIo): Promise<CountryState[]> {
  let body: unknown;
  let source: string;
  if (opts.snapshot !== undefined) {
    if (opts.url !== undefined) throw new CliError('ERR_USAGE', 'pass either --snapshot or --url, not both');
    body = await readStructuredFile(opts.snapshot, 'registry snapshot');
    source = opts.snapshot;
  } else {
    const url = opts.url ?? env(io, 'ENLACE_REGISTRY_URL');
    if (url === undefined)
      throw new CliError(
        'ERR_USAGE',
        'no registry state: pass --url http://host:port (or set ENLACE_REGISTRY_URL), or --snapshot FILE',
      );
    const token = opts.token ?? env(io, 'ENLACE_REGISTRY_TOKEN');
    if (token === undefined)
      throw new CliError(
        'ERR_USAGE',
        'no registry token: pass --token or set ENLACE_REGISTRY_TOKEN (an administrator makes one with `enlace registry token`)',
      );
    body = await new RegistryHttp({ url, token }).get('/v1/countries');
    source = `${url}/v1/countries`;
  }
  const record = body as { countries?: unknown; items?: unknown; snapshot?: { countries?: unknown } };
  const list = record?.countries ?? record?.items ?? record?.snapshot?.countries;
  if (!Array.isArray(list))
    throw new CliError(
      'ERR_INPUT_INVALID',
      `${source} holds no countries: expected a registry snapshot ({ countries: [...] }) or a /v1/countries answer ({ items: [...] })`,
    );
  return list.map((entry: unknown, index) => {
    const country = entry as CountryState;
    if (typeof country?.code !== 'string' || !/^[A-Z]{2}$/.test(country.code))
      throw new CliError(
        'ERR_INPUT_INVALID',
        `${source}: countries[${index}].code must be an ISO 3166-1 alpha-2 code`,
      );
    return country;
  });
}

/** The status in force at `now` (a change may be recorded to take effect later). */
function statusAt(country: CountryState, now: number): NatsCountryStatus | undefined {
  let status: NatsCountryStatus | undefined;
  for (const [index, change] of (country.statusHistory ?? []).entries()) {
    if (!(STATUSES as readonly unknown[]).includes(change.status) || typeof change.effectiveAt !== 'string')
      throw new CliError(
        'ERR_INPUT_INVALID',
        `country ${country.code}: statusHistory[${index}] needs a status (${STATUSES.join(', ')}) and an effectiveAt time`,
      );
    if (Date.parse(change.effectiveAt) <= now) status = change.status as NatsCountryStatus;
  }
  return status;
}

async function loadSecrets(
  file: string,
  users: readonly string[],
): Promise<{ passwords: Record<string, string>; generated: string[] }> {
  let stored: Record<string, string> = {};
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new CliError('ERR_FILE_UNREADABLE', `cannot read the secrets file ${file}: ${error.message}`, {
      cause: error,
    });
  });
  if (text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new CliError(
        'ERR_INPUT_INVALID',
        `secrets file ${file} is not valid JSON: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    if (
      typeof parsed !== 'object' ||
      parsed === null ||
      Array.isArray(parsed) ||
      Object.values(parsed).some((v) => typeof v !== 'string')
    )
      throw new CliError(
        'ERR_INPUT_INVALID',
        `secrets file ${file} must be a JSON object of user → password strings`,
      );
    stored = parsed as Record<string, string>;
  }
  const generated = users.filter((user) => stored[user] === undefined);
  if (generated.length === 0) return { passwords: stored, generated };
  const passwords = { ...stored };
  for (const user of generated) passwords[user] = randomBytes(24).toString('base64url');
  await writeOutputFile(file, `${JSON.stringify(passwords, null, 2)}\n`, { mode: 0o600 });
  return { passwords, generated };
}

/** The statuses a rendered file names in its comment lines (`# MX member`, `# BR withdrawn: no user`). */
function renderedStatuses(text: string): Map<string, NatsCountryStatus> {
  const statuses = new Map<string, NatsCountryStatus>();
  for (const match of text.matchAll(/^\s*# ([A-Z]{2}) (member|observer|suspended|withdrawn)\b/gm))
    statuses.set(match[1]!, match[2] as NatsCountryStatus);
  return statuses;
}

/** Whether the feed service's user appears or disappears (renderNatsAuthorization's `# feed service` line). */
function diffFeed(previous: string | undefined, now: boolean): 'added' | 'removed' | undefined {
  const before = previous !== undefined && /^\s*# feed service$/m.test(previous);
  if (before === now) return undefined;
  return now ? 'added' : 'removed';
}

function diffStatuses(
  before: ReadonlyMap<string, NatsCountryStatus>,
  after: ReadonlyMap<string, NatsCountryStatus>,
): StatusChange[] {
  const codes = [...new Set([...before.keys(), ...after.keys()])].sort();
  return codes.flatMap((country) => {
    const from = before.get(country);
    const to = after.get(country);
    if (from === to) return [];
    return [{ country, ...(from !== undefined && { from }), ...(to !== undefined && { to }) }];
  });
}

function describeChange(change: StatusChange): string {
  if (change.from === undefined) return `${change.country} new (${change.to})`;
  if (change.to === undefined) return `${change.country} removed (was ${change.from})`;
  return `${change.country} ${change.from} → ${change.to}`;
}

async function reloadServer(pidFile: string): Promise<number> {
  const text = await readFile(pidFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new CliError(
      error.code === 'ENOENT' ? 'ERR_FILE_NOT_FOUND' : 'ERR_FILE_UNREADABLE',
      `cannot read the nats-server pid file ${pidFile}: ${error.message}`,
      { cause: error },
    );
  });
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 1)
    throw new CliError(
      'ERR_INPUT_INVALID',
      `${pidFile} does not hold a process id (got ${JSON.stringify(text.trim())})`,
    );
  try {
    process.kill(pid, 'SIGHUP');
  } catch (cause) {
    throw new CliError(
      'ERR_RELOAD_FAILED',
      `cannot signal nats-server ${pid} (from ${pidFile}): ${(cause as Error).message}; the new file is written, reload it by hand`,
      { cause, exitCode: 1 },
    );
  }
  return pid;
}
