/**
 * `enlace deploy nats-config`: renders the nats-server users and permissions of the network from
 * registry state (DESIGN.md trust model 4) with @enlace/transport's renderNatsAuthorization(),
 * writes them atomically (mode 0600) and says what changed; with --reload it signals the running
 * nats-server (SIGHUP) to apply them. Each country's user reads only the durables of the
 * networks it belongs to (registry memberships in force now) and its own inbox prefix.
 *
 * `enlace deploy consumers`: creates, repairs and deletes those durables on ENLACE_ALERTS
 * (reconcileNodeConsumers), connected as the registry's user: country users may not.
 *
 * Registry state comes from the registry's HTTP API (--url/--token, like `enlace registry`:
 * `/v1/countries` and `/v1/memberships`) or from a file: a snapshot (`GET /v1/snapshot?format=json`
 * or its `snapshot` member), a policy snapshot, or the `GET /v1/countries` answer (then no
 * country reads any network).
 *
 * Users authenticate with nkeys: `--nkeys FILE` (JSON `{ "<user>": "U..." }`, public keys only;
 * `enlace keys generate` writes each country's seed and public key). With `--passwords`, a user
 * without an nkey gets a password kept in the secrets file (JSON `{ "<user>": "<password>" }`,
 * mode 0600; missing ones generated) and rendered only as its bcrypt hash: the configuration
 * holds no secret. A hash already in the file is kept while it matches, so an unchanged state
 * renders the same bytes.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import type { NatsCountryStatus, NatsCountryUser, NatsCredential } from '@enlace/transport';
import {
  TransportError,
  countryNatsUser,
  fiuNatsUser,
  hashNatsPassword,
  natsNkeyPublicKey,
  reconcileNodeConsumers,
  renderNatsAuthorization,
} from '@enlace/transport';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import bcrypt from 'bcryptjs';
import type { Command } from 'commander';
import { Option } from 'commander';

import { CliError } from '../errors.js';
import { readStructuredFile, writeOutputFile } from '../io.js';
import type { CliIo } from '../main.js';
import { registryCall, registryClient } from '../registry/registry-http.js';

const STATUSES = ['member', 'observer', 'suspended', 'withdrawn'] as const;
/** A credential renderNatsAuthorization() accepts: used to check user names before any is stored. */
const PLACEHOLDER: NatsCredential = {
  passwordHash: '$2a$04$WmEfy0N19.yDsrjvDSuInukuvPI77KHqU9GzPtzo/u6NRxj/nzqjy',
};
const NKEY = /^U[A-Z2-7]{55}$/;

export interface NatsConfigOptions extends NatsOptions {
  out: string;
  url?: string;
  token?: string;
  snapshot?: string;
  secrets?: string;
  /** JSON `{ "<user>": "U..." }`: the public nkey of each user. */
  nkeys?: string;
  /** Users without an nkey get a password (bcrypt-hashed in the file). */
  passwords?: boolean;
  registryUser: string;
  /** The feed service's NATS user (commander sets it to the default `feed`). */
  feedUser?: string;
  /** False with --no-feed: no feed service user. */
  feed?: boolean;
  /** --fius: a `fiu-<cc>` user per country not withdrawn, reading its own NATS-delivered feeds. */
  fius?: boolean;
  mode: 'authorization' | 'account';
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

interface RegistryState {
  readonly countries: CountryState[];
  /** Networks of each country in force now; undefined when the source holds no memberships. */
  readonly networks: Map<string, string[]> | undefined;
}

/** How `deploy consumers` and `--watch` reach NATS (as the registry's user). */
export interface NatsOptions {
  natsUrl?: string;
  natsUser?: string;
  natsPass?: string;
  nkeySeed?: string;
  /** Keep running: again on every registry event (country, membership, network) and every 30 s. */
  watch?: boolean;
}

export interface ConsumersOptions extends NatsOptions {
  url?: string;
  token?: string;
  snapshot?: string;
  json?: boolean;
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
        '(node-<cc>, by nkey) that may publish only on its own origin subjects and read only the durables ' +
        'of the networks it belongs to, its bilateral messages and receipts, and only its own inbox; ' +
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
    .option('--nkeys <file>', 'public nkeys, JSON {"<user>": "U..."} (from `enlace keys generate`)')
    .option(
      '--passwords',
      'users without an nkey authenticate with a password instead (rendered bcrypt-hashed; kept in --secrets)',
    )
    .option(
      '--secrets <file>',
      'with --passwords: passwords file, JSON {"<user>": "<password>"}, created mode 0600 (default: nats-users.json beside --out)',
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
    .option(
      '--reload <pidfile>',
      'send SIGHUP to the nats-server whose pid is in this file, when the file changed',
    )
    .option(
      '--watch',
      'keep running: render (and --reload) again on every registry event, read on NATS (--nats-url ...), and every 30 s',
    )
    .option('--nats-url <url>', 'with --watch: NATS server(s) for registry events (or $NATS_URL)')
    .option('--nats-user <name>', "with --watch: the registry's NATS user (or $ENLACE_NATS_USER)")
    .option('--nats-pass <password>', 'with --watch: its password (or $ENLACE_NATS_PASS)')
    .option('--nkey-seed <file>', 'with --watch: or its nkey seed file')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nNodes connect with inboxPrefix _INBOX.node-<cc> (the only inbox their user may read).\n' +
        'Run `enlace deploy consumers` after it, so that each country has the durables it may read.\n' +
        '\nExample:\n  $ enlace deploy nats-config --url http://127.0.0.1:8080 --token "$TOKEN" \\\n' +
        '      --nkeys /etc/enlace/nats-nkeys.json --passwords \\\n' +
        '      --out /etc/nats/enlace-users.conf --reload /var/run/nats-server.pid\n',
    )
    .exitOverride()
    .action(async (opts: NatsConfigOptions) => {
      if (opts.watch === true) await watchNatsConfig(opts, io, untilInterrupted());
      else await deployNatsConfig(opts, io);
    });
  deploy
    .command('consumers')
    .description(
      "create, repair and delete the nodes' durable consumers on ENLACE_ALERTS from the registry: one per " +
        'country and network it belongs to (node-<CC>-net-<network>), node-<CC>-direct and node-<CC>-receipts. ' +
        "Connects as the registry's NATS user (country users may only read their durables). " +
        'Run it after every membership or status change (and after `enlace deploy nats-config`).',
    )
    .option('--url <url>', 'registry base URL (or $ENLACE_REGISTRY_URL)')
    .option('--token <token>', 'registry bearer token (or $ENLACE_REGISTRY_TOKEN)')
    .option('--snapshot <file>', 'read registry state from this file instead (a registry snapshot)')
    .option('--nats-url <url>', 'NATS server(s), comma-separated (or $NATS_URL)')
    .option('--nats-user <name>', "the registry's NATS user, with --nats-pass (or $ENLACE_NATS_USER)")
    .option('--nats-pass <password>', 'its password (or $ENLACE_NATS_PASS)')
    .option('--nkey-seed <file>', 'or its nkey seed file (mode 0600)')
    .option('--watch', 'keep running: reconcile again on every registry event and every 30 s')
    .option('--json', 'print the result as JSON')
    .exitOverride()
    .action(async (opts: ConsumersOptions) => {
      await deployConsumers(opts, io, opts.watch === true ? untilInterrupted() : undefined);
    });
}

/** The countries as renderNatsAuthorization() and reconcileNodeConsumers() take them. */
function countryUsers(
  state: RegistryState,
  credentialOf: (user: string) => NatsCredential | undefined,
): NatsCountryUser[] {
  const now = Date.now();
  return state.countries.flatMap((country) => {
    const status = statusAt(country, now);
    if (status === undefined) return [];
    const credential = status === 'withdrawn' ? undefined : credentialOf(countryNatsUser(country.code));
    return [
      {
        code: country.code,
        status,
        networks: state.networks?.get(country.code) ?? [],
        ...(credential !== undefined && { credential }),
      },
    ];
  });
}

export async function deployConsumers(
  opts: ConsumersOptions,
  io: CliIo,
  signal?: AbortSignal,
): Promise<void> {
  const nc = await connectNats(opts, io, 'enlace-deploy-consumers');
  try {
    await reconcileOnce(nc, opts, io);
    if (opts.watch === true) await watchRegistry(nc, () => reconcileOnce(nc, opts, io), io, signal);
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/** `deploy nats-config --watch`: renders now, then again on registry events until `signal`. */
export async function watchNatsConfig(
  opts: NatsConfigOptions,
  io: CliIo,
  signal?: AbortSignal,
): Promise<void> {
  const nc = await connectNats({ ...opts, watch: true }, io, 'enlace-deploy-nats-config');
  try {
    await deployNatsConfig(opts, io);
    await watchRegistry(nc, () => deployNatsConfig(opts, io), io, signal);
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/** The NATS connection of `deploy consumers` and of `--watch`: the registry's user. */
async function connectNats(opts: NatsOptions, io: CliIo, name: string): Promise<NatsConnection> {
  const servers = opts.natsUrl ?? env(io, 'NATS_URL');
  if (servers === undefined)
    throw new CliError('ERR_USAGE', 'pass --nats-url nats://host:port (or set NATS_URL)');
  const user = opts.natsUser ?? env(io, 'ENLACE_NATS_USER');
  const pass = opts.natsPass ?? env(io, 'ENLACE_NATS_PASS');
  let auth: Record<string, unknown> = {};
  if (opts.nkeySeed !== undefined) {
    const seed = (
      await readFile(opts.nkeySeed, 'utf8').catch((error: NodeJS.ErrnoException) => {
        throw new CliError(
          'ERR_FILE_UNREADABLE',
          `cannot read the nkey seed ${opts.nkeySeed}: ${error.message}`,
          {
            cause: error,
          },
        );
      })
    ).trim();
    try {
      natsNkeyPublicKey(seed);
    } catch (cause) {
      throw new CliError('ERR_KEY_INVALID', `${opts.nkeySeed}: ${(cause as Error).message}`, { cause });
    }
    auth = { authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)) };
  } else if (user !== undefined) auth = { user, ...(pass !== undefined && { pass }) };
  try {
    return await connect({
      servers: servers.split(',').map((s) => s.trim()),
      name,
      // Once: a command that cannot connect says so; --watch keeps reconnecting.
      maxReconnectAttempts: opts.watch === true ? -1 : 0,
      ...auth,
    });
  } catch (cause) {
    throw new CliError(
      'ERR_NATS_FAILED',
      `cannot connect to NATS at ${servers}: ${(cause as Error).message}`,
      {
        cause,
        exitCode: 1,
      },
    );
  }
}

async function reconcileOnce(nc: NatsConnection, opts: ConsumersOptions, io: CliIo): Promise<void> {
  const state = await readState(opts, io);
  if (state.networks === undefined)
    throw new CliError(
      'ERR_INPUT_INVALID',
      'the registry state holds no memberships: pass --url (the registry) or a snapshot file (GET /v1/snapshot?format=json)',
    );
  let result;
  try {
    result = await reconcileNodeConsumers(
      await jetstreamManager(nc),
      countryUsers(state, () => undefined),
    );
  } catch (cause) {
    throw new CliError('ERR_NATS_FAILED', (cause as Error).message, { cause, exitCode: 1 });
  }
  if (opts.json) {
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const lines = [
    `ENLACE_ALERTS: ${Object.values(result.wanted).flat().length} node durables for ${Object.keys(result.wanted).length} countries`,
    ...(result.created.length > 0 ? [`created ${result.created.join(', ')}`] : []),
    ...(result.updated.length > 0 ? [`repaired ${result.updated.join(', ')}`] : []),
    ...(result.deleted.length > 0 ? [`deleted ${result.deleted.join(', ')}`] : []),
    ...(result.created.length + result.updated.length + result.deleted.length === 0
      ? ['nothing to change']
      : []),
  ];
  io.stdout.write(`${lines.join('\n')}\n`);
}

/** Registry events that change who reads what: statuses, memberships, networks. */
const WATCHED_EVENTS = ['country', 'membership', 'network'].map(
  (entity) => `enlace.v1.registry.event.${entity}.>`,
);
/** Render again this often anyway: a recorded change may take effect later than its event. */
const WATCH_INTERVAL_MS = 30_000;

/**
 * Runs `again` on every registry event that may change permissions (coalesced: a command changes
 * several entries) and every 30 s, until `signal` aborts (SIGINT/SIGTERM from the command line).
 * An event only says "look again": the state is read from the registry itself. A failed run is
 * reported on stderr and tried again on the next event or tick.
 */
async function watchRegistry(
  nc: NatsConnection,
  again: () => Promise<void>,
  io: CliIo,
  signal: AbortSignal | undefined,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const soon = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running
        .then(again)
        .catch((error: unknown) => io.stderr.write(`enlace: ${(error as Error).message} (will try again)\n`));
    }, 200);
  };
  const subscriptions = WATCHED_EVENTS.map((subject) =>
    nc.subscribe(subject, { callback: (error) => (error === null ? soon() : undefined) }),
  );
  const interval = setInterval(soon, WATCH_INTERVAL_MS);
  try {
    await nc.flush();
    io.stderr.write('watching registry events (Ctrl-C to stop)\n');
    await new Promise<void>((resolve) => {
      if (signal?.aborted === true) resolve();
      signal?.addEventListener('abort', () => resolve(), { once: true });
      void nc.closed().then(() => resolve());
    });
  } finally {
    clearTimeout(timer);
    clearInterval(interval);
    for (const subscription of subscriptions) subscription.unsubscribe();
    await running;
  }
}

/** SIGINT/SIGTERM as an AbortSignal, for the long-running `--watch`. */
function untilInterrupted(): AbortSignal {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}

export async function deployNatsConfig(opts: NatsConfigOptions, io: CliIo): Promise<void> {
  const state = await readState(opts, io);
  const previous = await readFile(opts.out, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw new CliError('ERR_FILE_UNREADABLE', `cannot read ${opts.out}: ${error.message}`, { cause: error });
  });
  const nkeys = opts.nkeys === undefined ? {} : await loadNkeys(opts.nkeys);
  const secretsFile = opts.secrets ?? join(dirname(opts.out), 'nats-users.json');
  const feedUser = opts.feed === false ? undefined : (opts.feedUser ?? 'feed');
  const render = (
    credentialOf: (user: string) => NatsCredential,
  ): { text: string; countries: NatsCountryUser[] } => {
    const services = {
      registry: { user: opts.registryUser, credential: credentialOf(opts.registryUser) },
      ...(feedUser !== undefined && { feed: { user: feedUser, credential: credentialOf(feedUser) } }),
    };
    const countries = countryUsers(state, credentialOf);
    const fiuCountries = countries.filter((c) => c.status !== 'withdrawn').map((c) => c.code);
    try {
      const text = renderNatsAuthorization({
        mode: opts.mode,
        services,
        countries,
        ...(opts.fius === true && {
          fius: fiuCountries.map((code) => ({ code, credential: credentialOf(fiuNatsUser(code)) })),
        }),
      });
      return { text, countries };
    } catch (error) {
      if (error instanceof TransportError)
        throw new CliError('ERR_INPUT_INVALID', error.message, { cause: error });
      throw error;
    }
  };
  // User names are checked before the secrets file gets passwords for them.
  const users: string[] = [];
  const { countries: listed } = render((user) => {
    users.push(user);
    return PLACEHOLDER;
  });
  const withoutNkey = users.filter((user) => nkeys[user] === undefined);
  if (withoutNkey.length > 0 && opts.passwords !== true)
    throw new CliError(
      'ERR_INPUT_INVALID',
      `no public nkey for ${withoutNkey.join(', ')}` +
        `${opts.nkeys === undefined ? ' (pass --nkeys FILE)' : ` in ${opts.nkeys}`}: ` +
        'run `enlace keys generate` for each country and add its nats-user.pub, or pass --passwords',
    );
  const { passwords, generated } =
    withoutNkey.length > 0 ? await loadSecrets(secretsFile, withoutNkey) : { passwords: {}, generated: [] };
  const kept = previous === undefined ? new Map<string, string>() : renderedHashes(previous);
  const credentialOf = (user: string): NatsCredential => {
    const nkey = nkeys[user];
    if (nkey !== undefined) return { nkey };
    const password = passwords[user]!;
    const hash = kept.get(user);
    // The hash already rendered, while it is this password's: the same state renders the same bytes.
    if (hash !== undefined && bcrypt.compareSync(password, hash)) return { passwordHash: hash };
    return { passwordHash: hashNatsPassword(password) };
  };
  const { text } = render(credentialOf);
  const statuses = new Map(listed.map((c) => [c.code, c.status] as const));

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
          networks: Object.fromEntries(listed.map((c) => [c.code, c.networks ?? []])),
          nkeys: users.filter((user) => nkeys[user] !== undefined),
          passwords: withoutNkey,
          ...(withoutNkey.length > 0 && { secrets: secretsFile }),
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
  if (state.networks === undefined)
    lines.push('the registry state holds no memberships: no country may read any network');
  if (changed)
    lines.push('next: `enlace deploy consumers`, so that each country has the durables it may read');
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

async function readState(
  opts: Pick<NatsConfigOptions, 'url' | 'token' | 'snapshot'>,
  io: CliIo,
): Promise<RegistryState> {
  let body: unknown;
  let source: string;
  let memberships: unknown;
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
    const client = registryClient({ url, token });
    body = await registryCall(client.countries.list());
    source = `${url}/v1/countries`;
    memberships = (await registryCall(client.memberships.list({ activeAt: new Date().toISOString() }))).items;
  }
  type Policy = { countries?: unknown; memberships?: unknown };
  const record = body as Policy & {
    items?: unknown;
    policy?: Policy;
    snapshot?: Policy & { policy?: Policy };
  };
  const list =
    record?.countries ??
    record?.items ??
    record?.policy?.countries ??
    record?.snapshot?.countries ??
    record?.snapshot?.policy?.countries;
  memberships ??=
    record?.memberships ??
    record?.policy?.memberships ??
    record?.snapshot?.memberships ??
    record?.snapshot?.policy?.memberships;
  if (!Array.isArray(list))
    throw new CliError(
      'ERR_INPUT_INVALID',
      `${source} holds no countries: expected a registry snapshot ({ countries: [...] }) or a /v1/countries answer ({ items: [...] })`,
    );
  const countries = list.map((entry: unknown, index) => {
    const country = entry as CountryState;
    if (typeof country?.code !== 'string' || !/^[A-Z]{2}$/.test(country.code))
      throw new CliError(
        'ERR_INPUT_INVALID',
        `${source}: countries[${index}].code must be an ISO 3166-1 alpha-2 code`,
      );
    return country;
  });
  return { countries, networks: memberships === undefined ? undefined : networksNow(memberships, source) };
}

/** Each country's networks with a membership (any role) in force now. */
function networksNow(memberships: unknown, source: string): Map<string, string[]> {
  if (!Array.isArray(memberships))
    throw new CliError('ERR_INPUT_INVALID', `${source}: memberships must be a list`);
  const now = Date.now();
  const networks = new Map<string, Set<string>>();
  for (const [index, entry] of memberships.entries()) {
    const m = entry as { country?: unknown; network?: unknown; validFrom?: unknown; validUntil?: unknown };
    if (typeof m?.country !== 'string' || typeof m.network !== 'string' || typeof m.validFrom !== 'string')
      throw new CliError(
        'ERR_INPUT_INVALID',
        `${source}: memberships[${index}] needs a country, a network and a validFrom time`,
      );
    if (Date.parse(m.validFrom) > now) continue;
    if (typeof m.validUntil === 'string' && Date.parse(m.validUntil) <= now) continue;
    let set = networks.get(m.country);
    if (set === undefined) networks.set(m.country, (set = new Set()));
    set.add(m.network);
  }
  return new Map([...networks].map(([code, set]) => [code, [...set].sort()]));
}

/** `{ "<user>": "U..." }`: public nkeys only (a seed here would be a secret in the wrong place). */
async function loadNkeys(file: string): Promise<Record<string, string>> {
  const parsed = (await readStructuredFile(file, 'public nkeys')) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new CliError('ERR_INPUT_INVALID', `${file} must be a JSON object of user → public nkey (U...)`);
  for (const [user, value] of Object.entries(parsed)) {
    if (typeof value !== 'string' || !NKEY.test(value))
      throw new CliError(
        'ERR_INPUT_INVALID',
        `${file}: ${user} must be a user public nkey (U..., 56 characters)` +
          `${typeof value === 'string' && value.startsWith('S') ? ': that is a seed, keep it on the node only' : ''}`,
      );
  }
  return parsed as Record<string, string>;
}

/** The bcrypt hashes a rendered file holds, by user. */
function renderedHashes(text: string): Map<string, string> {
  const hashes = new Map<string, string>();
  for (const match of text.matchAll(/user: "([^"]+)"\n\s*password: "(\$2[aby]\$[^"]+)"/g))
    hashes.set(match[1]!, match[2]!);
  return hashes;
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
