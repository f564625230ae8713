/**
 * `npm start`: a complete local Enlace network with nothing else to set up.
 *
 * 1. an embedded nats-server with JetStream (the binary on the PATH), or a running one (NATS_URL);
 * 2. the registry, seeded from seeds/registry (countries, networks, rules, focal points, glossary);
 * 3. keys for each chosen country, generated on first start and registered with the registry
 *    (private keys stay in the state directory, mode 0600);
 * 4. per-country NATS users (DESIGN.md trust model 4): the embedded server starts with only the
 *    registry's user, the launcher creates the streams with it, and once the registry is seeded
 *    the users of every country are rendered from its state and the server reloads them; a
 *    country status change renders and reloads them again. Each node connects as its country;
 * 5. a table of URLs and tokens on the terminal and in <state>/network.json (mode 0600).
 *
 * State lives in `.enlace/` (or --state-dir) and is reused on the next start. Ctrl-C (SIGINT) or
 * SIGTERM stops everything, nats-server included.
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import {
  generateEncryptionKey,
  generateMatchingKey,
  generateSigningKey,
  matchingKeyToJson,
  parseKid,
} from '@enlace/crypto';
import type { NodeApp } from '@enlace/node';
import { createFeedApp } from '@enlace/feed';
import type { FeedApp } from '@enlace/feed';
import { createNodeApp } from '@enlace/node';
import type { RegistryApp } from '@enlace/registry';
import { createRegistryApp } from '@enlace/registry';
import {
  DEFAULT_TOKEN_TTL_SECONDS,
  issueToken,
  REGISTRY_PRIVATE_KEY_FILE,
  SERVICE_AUDIENCES,
} from '@enlace/trust';
import { fiuNatsUser, ensureEnlaceStreams, reconcileNodeConsumers } from '@enlace/transport';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { loadDemoDrafts, startDemo } from './demo.js';
import { LocalNetworkError } from './errors.js';
import type { NatsAuthorization, NatsPasswords } from './nats-authorization.js';
import {
  FEED_NATS_USER,
  NATS_USERS_FILE,
  REGISTRY_NATS_USER,
  createNatsAuthorization,
  loadNatsUsers,
  renderServicesOnly,
} from './nats-authorization.js';
import { findNatsServer, startEmbeddedNats, stopLeftoverNats } from './nats-server.js';
import type { EmbeddedNats } from './nats-server.js';
import { choosePort } from './ports.js';
import { createProgress } from './progress.js';

const REPO_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const MEMBERS = ['BZ', 'CA', 'CR', 'DO', 'SV', 'GT', 'HN', 'MX', 'NI', 'PA', 'US'];
const DEMO_INTERVAL_MS = 3000;
/** The launcher's tokens are renewed this long after they were issued: an hour before they expire. */
const TOKEN_RENEWAL_MS = (DEFAULT_TOKEN_TTL_SECONDS - 3600) * 1000;

export interface StartOptions {
  readonly countries: readonly string[];
  readonly stateDir: string;
  readonly seedsDir: string;
  readonly host: string;
  readonly natsPort: number;
  readonly registryPort: number;
  /** First node's HTTP port; the others follow (0 = free ports). */
  readonly nodePortBase: number;
  /** The feed service's HTTP port (0 = a free port). */
  readonly feedPort: number;
  /** Fail instead of choosing a free port when a requested port is taken. */
  readonly strictPorts: boolean;
  readonly natsUrl?: string;
  readonly json: boolean;
}

export interface NetworkFile {
  readonly nats: string;
  readonly registry: {
    readonly url: string;
    readonly docs: string;
    /** The administrator console (sign in with `npx enlace console link --role administrator`). */
    readonly console: string;
    readonly token: string;
    readonly auditorToken: string;
    readonly publicKey: Readonly<Record<string, unknown>>;
  };
  readonly nodes: Readonly<
    Record<
      string,
      {
        readonly url: string;
        readonly docs: string;
        /** The country's officer console. */
        readonly console: string;
        readonly token: string;
        readonly keys: readonly string[];
      }
    >
  >;
  /** The FIU feed service: one fiu-analyst token per country, and the networks' matching keys. */
  readonly feed: {
    readonly url: string;
    readonly docs: string;
    /** The FIU console. */
    readonly console: string;
    /** Where file feeds are written: `<fileRoot>/<CC>/<directory given to --to-dir>`. */
    readonly fileRoot: string;
    readonly tokens: Readonly<Record<string, string>>;
    /** Files of the per-network matching keys (held by members; never sent to the service). */
    readonly matchingKeys: Readonly<Record<string, string>>;
    /** Each country's FIU NATS user (password in nats-users.json), for feeds delivered to NATS. */
    readonly natsUsers: Readonly<Record<string, string>>;
  };
}

export interface LocalNetwork {
  /** What network.json holds now (its tokens are renewed while the network runs). */
  readonly info: NetworkFile;
  stop(): Promise<void>;
}

interface Io {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

function countryList(value: string): string[] {
  const codes = value
    .split(',')
    .map((code) => code.trim().toUpperCase())
    .filter((code) => code !== '');
  const bad = codes.filter((code) => !/^[A-Z]{2}$/.test(code));
  if (codes.length === 0 || bad.length > 0) {
    throw new InvalidArgumentError(
      `expected ISO country codes separated by commas, e.g. MX,GT,HN (not ${bad.join(', ') || 'empty'})`,
    );
  }
  return [...new Set(codes)];
}

function port(value: string): number {
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535');
  return Number(value);
}

/** Brings the network up; `stop()` takes it down. */
export async function startLocalNetwork(options: StartOptions, io: Io): Promise<LocalNetwork> {
  const progressOut = options.json ? io.stderr : io.stdout;
  const progress = createProgress(progressOut);
  const stopping: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    while (stopping.length > 0)
      await stopping
        .pop()?.()
        .catch(() => undefined);
  };
  try {
    await mkdir(options.stateDir, { recursive: true, mode: 0o700 });

    let natsUrl = options.natsUrl;
    let nats: EmbeddedNats | undefined;
    let passwords: NatsPasswords | undefined;
    if (natsUrl === undefined) {
      const binary = await findNatsServer();
      const leftover = await stopLeftoverNats(join(options.stateDir, 'nats'));
      if (leftover !== undefined)
        progress.note(`stopped nats-server ${leftover}, left running by an earlier start`);
      const natsPort = await choosePort(options.natsPort, {
        strict: options.strictPorts,
        host: options.host,
      });
      if (natsPort === undefined) {
        throw new LocalNetworkError(
          'ERR_PORT_TAKEN',
          `port ${options.natsPort} for NATS is taken; choose another with --nats-port, or 0 for any free port`,
        );
      }
      if (natsPort.replaced !== undefined)
        progress.note(
          `port ${natsPort.replaced} is taken (another NATS server?); NATS uses ${natsPort.port} instead`,
        );
      const monitor = await choosePort(0, { strict: false, host: options.host });
      passwords = await loadNatsUsers(options.stateDir);
      const servicesOnly = renderServicesOnly(passwords);
      nats = await progress.step(
        'nats-server with JetStream',
        () =>
          startEmbeddedNats({
            binary,
            dir: join(options.stateDir, 'nats'),
            host: options.host,
            port: natsPort.port,
            monitorPort: monitor!.port,
            extraConfig: servicesOnly,
          }),
        (server) => server.url,
      );
      const embedded = nats;
      stopping.push(() => embedded.stop());
      natsUrl = nats.url;
    } else {
      progress.note(
        `using the NATS server at ${natsUrl} (NATS_URL); its users and permissions are not managed`,
      );
    }
    const registryCredentials =
      passwords === undefined
        ? {}
        : { natsUser: REGISTRY_NATS_USER, natsPass: passwords[REGISTRY_NATS_USER]! };

    // The launcher creates the streams with the registry's user: nodes may only read their info.
    const launcher: NatsConnection = await progress.step(
      'streams ENLACE_ALERTS and ENLACE_AUDIT',
      async () => {
        const nc = await connect({
          servers: natsUrl!.split(','),
          name: 'enlace-local-network',
          ...(registryCredentials.natsUser !== undefined && {
            user: registryCredentials.natsUser,
            pass: registryCredentials.natsPass,
          }),
        });
        try {
          await ensureEnlaceStreams(await jetstreamManager(nc));
        } catch (error) {
          await nc.close();
          throw error;
        }
        return nc;
      },
      () => 'ready',
    );
    stopping.push(() => launcher.close());

    const registryPort = await choosePort(options.registryPort, {
      strict: options.strictPorts,
      host: options.host,
    });
    if (registryPort === undefined) {
      throw new LocalNetworkError(
        'ERR_PORT_TAKEN',
        `port ${options.registryPort} for the registry is taken; choose another with --registry-port, or 0 for any free port`,
      );
    }
    if (registryPort.replaced !== undefined)
      progress.note(`port ${registryPort.replaced} is taken; the registry uses ${registryPort.port} instead`);
    const registryDir = join(options.stateDir, 'registry');
    const registry: RegistryApp = await progress.step(
      'registry (seeded from seeds/registry)',
      () =>
        createRegistryApp({
          natsUrl: natsUrl!,
          dataDir: registryDir,
          host: options.host,
          port: registryPort.port,
          seedsDir: options.seedsDir,
          logger: ['error'],
          ...registryCredentials,
        }),
      (app) => app.url,
    );
    stopping.push(() => registry.close());

    const registryPrivate = JSON.parse(
      await readFile(join(registryDir, REGISTRY_PRIVATE_KEY_FILE), 'utf8'),
    ) as Record<string, unknown>;
    const signingKey = { privateJwk: registryPrivate, kid: registry.registryKey.kid };
    // Tokens are people's, short-lived (12 h) and each for one service: the administrator's and
    // the auditor's for the registry, each officer's for its node, each analyst's for the feed
    // service. A new start issues new ones, and the launcher renews them before they expire.
    const localToken = {
      admin: () =>
        issueToken(signingKey, {
          subject: 'local-admin',
          roles: ['administrator'],
          audience: SERVICE_AUDIENCES.registry,
          ttlSeconds: DEFAULT_TOKEN_TTL_SECONDS,
        }),
      auditor: () =>
        issueToken(signingKey, {
          subject: 'local-auditor',
          roles: ['auditor'],
          audience: SERVICE_AUDIENCES.registry,
          ttlSeconds: DEFAULT_TOKEN_TTL_SECONDS,
        }),
      officer: (country: string) =>
        issueToken(signingKey, {
          subject: `local-officer-${country.toLowerCase()}`,
          roles: ['focal-point'],
          country,
          audience: SERVICE_AUDIENCES.node,
          ttlSeconds: DEFAULT_TOKEN_TTL_SECONDS,
        }),
      analyst: (country: string) =>
        issueToken(signingKey, {
          subject: `local-fiu-analyst-${country.toLowerCase()}`,
          roles: ['fiu-analyst'],
          country,
          audience: SERVICE_AUDIENCES.feed,
          ttlSeconds: DEFAULT_TOKEN_TTL_SECONDS,
        }),
    };
    const adminToken = await localToken.admin();
    const auditorToken = await localToken.auditor();

    const keys: Record<string, string[]> = {};
    await progress.step(
      `keys for ${options.countries.join(', ')}`,
      async () => {
        for (const country of options.countries) {
          keys[country] = await ensureCountryKeys(registry, join(options.stateDir, 'keys', country), country);
        }
      },
      () => 'generated where missing and registered',
    );

    let authorization: NatsAuthorization | undefined;
    const running = new Map<string, NodeApp>();
    if (nats !== undefined) {
      const embedded = nats;
      authorization = await progress.step(
        'NATS users and permissions from the registry',
        async () => {
          const rendered = await createNatsAuthorization({
            stateDir: options.stateDir,
            registry: registry.service,
            reload: (config) => embedded.reload(config),
            // The registry's user creates the nodes' durables; country users may only read theirs.
            reconcile: async (countries) => {
              await reconcileNodeConsumers(await jetstreamManager(launcher), countries);
            },
            // Withdrawal is final: stop the node before the server drops its user and connection.
            beforeRemoving: async (codes) => {
              for (const code of codes) {
                const node = running.get(code);
                if (node === undefined) continue;
                progressOut.write(`${code} was withdrawn from the registry: stopping its node\n`);
                running.delete(code);
                await node.close();
              }
            },
          });
          await rendered.apply();
          return rendered;
        },
        (rendered) =>
          `one user per country (${Object.keys(rendered.statuses()).length}, nkeys in keys/<CC>/nats-user.nk); service passwords in ${join(options.stateDir, NATS_USERS_FILE)}`,
      );
      const watcher = authorization.watch(launcher, (error) =>
        progressOut.write(`NATS users not re-rendered: ${(error as Error).message}\n`),
      );
      stopping.push(async () => watcher.stop());
    }

    const nodes: Record<
      string,
      { url: string; docs: string; console: string; token: string; keys: string[] }
    > = {};
    for (const [index, country] of options.countries.entries()) {
      const status = authorization?.statuses()[country];
      if (status === 'suspended' || status === 'withdrawn') {
        progress.note(`${country} is ${status} in the registry: its node is not started`);
        continue;
      }
      const wanted = options.nodePortBase === 0 ? 0 : options.nodePortBase + index;
      const nodePort = await choosePort(wanted, { strict: options.strictPorts, host: options.host });
      if (nodePort === undefined) {
        throw new LocalNetworkError(
          'ERR_PORT_TAKEN',
          `port ${wanted} for the ${country} node is taken; choose other ports with --node-port-base, or 0 for free ones`,
        );
      }
      const node: NodeApp = await progress.step(
        `node ${country}`,
        async () =>
          createNodeApp({
            country,
            natsUrl: natsUrl!,
            dataDir: join(options.stateDir, 'nodes', country),
            keysDir: join(options.stateDir, 'keys', country),
            registryPublicJwk: registry.registryKey.publicJwk,
            host: options.host,
            port: nodePort.port,
            logger: ['error'],
            ...(authorization !== undefined && {
              natsAuthenticator: nkeyAuthenticator(
                new TextEncoder().encode((await authorization.nkeyOf(country)).seed),
              ),
            }),
          }),
        (app) => app.url,
      );
      stopping.push(() => node.close());
      running.set(country, node);
      const token = await localToken.officer(country);
      nodes[country] = {
        url: node.url,
        docs: `${node.url}/docs`,
        console: `${node.url}/console/`,
        token,
        keys: keys[country]!,
      };
    }

    const matchingKeys = await progress.step(
      'matching keys per network (hit/no-hit)',
      () =>
        ensureMatchingKeys(
          join(options.stateDir, 'keys', 'matching'),
          registry.service.listNetworks().map((n) => n.id),
        ),
      (files) =>
        `${Object.keys(files).length} networks; held by members in ${join(options.stateDir, 'keys', 'matching')}`,
    );
    const feedPort = await choosePort(options.feedPort, { strict: options.strictPorts, host: options.host });
    if (feedPort === undefined) {
      throw new LocalNetworkError(
        'ERR_PORT_TAKEN',
        `port ${options.feedPort} for the feed service is taken; choose another with --feed-port, or 0 for any free port`,
      );
    }
    const feed: FeedApp = await progress.step(
      'feed service (FIU feeds, matching, STIX export)',
      () =>
        createFeedApp({
          natsUrl: natsUrl!,
          dataDir: join(options.stateDir, 'feed'),
          registryPublicJwk: registry.registryKey.publicJwk,
          host: options.host,
          port: feedPort.port,
          logger: ['error'],
          // FIUs' file feeds land in <state>/feed-files/<CC>/<directory>; webhooks may reach
          // receivers on this machine (development only: a real deployment allow-lists nothing
          // by default).
          fileRoot: join(options.stateDir, 'feed-files'),
          webhookAllow: ['localhost', '127.0.0.1', '::1'],
          ...(authorization !== undefined && {
            natsUser: FEED_NATS_USER,
            natsPass: authorization.passwords[FEED_NATS_USER]!,
          }),
        }),
      (app) => app.url,
    );
    stopping.push(() => feed.close());
    const feedTokens: Record<string, string> = {};
    for (const country of Object.keys(nodes)) feedTokens[country] = await localToken.analyst(country);

    const info: NetworkFile = {
      nats: natsUrl,
      registry: {
        url: registry.url,
        docs: `${registry.url}/docs`,
        console: `${registry.url}/console/`,
        token: adminToken,
        auditorToken,
        publicKey: registry.registryKey.publicJwk,
      },
      nodes,
      feed: {
        url: feed.url,
        docs: `${feed.url}/docs`,
        console: `${feed.url}/console/`,
        fileRoot: feed.fileRoot,
        tokens: feedTokens,
        matchingKeys,
        natsUsers: Object.fromEntries(
          Object.keys(feedTokens).map((country) => [country, fiuNatsUser(country)]),
        ),
      },
    };
    const networkFile = join(options.stateDir, 'network.json');
    await writeFile(networkFile, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });

    // An hour before the tokens expire, fresh ones replace them, in network.json too.
    let current = info;
    const renew = async (): Promise<void> => {
      const renewedNodes: Record<string, NetworkFile['nodes'][string]> = {};
      for (const [country, node] of Object.entries(current.nodes))
        renewedNodes[country] = { ...node, token: await localToken.officer(country) };
      const renewedFeed: Record<string, string> = {};
      for (const country of Object.keys(current.feed.tokens))
        renewedFeed[country] = await localToken.analyst(country);
      const next: NetworkFile = {
        ...current,
        registry: {
          ...current.registry,
          token: await localToken.admin(),
          auditorToken: await localToken.auditor(),
        },
        nodes: renewedNodes,
        feed: { ...current.feed, tokens: renewedFeed },
      };
      await writeFile(`${networkFile}.tmp`, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
      await rename(`${networkFile}.tmp`, networkFile);
      current = next;
      progressOut.write(
        `tokens renewed for another ${DEFAULT_TOKEN_TTL_SECONDS / 3600} h in ${networkFile}\n`,
      );
    };
    const renewal = setInterval(() => {
      renew().catch((error: unknown) =>
        progressOut.write(`tokens not renewed: ${error instanceof Error ? error.message : String(error)}\n`),
      );
    }, TOKEN_RENEWAL_MS);
    renewal.unref();
    stopping.push(async () => clearInterval(renewal));
    return {
      get info() {
        return current;
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The country's keys: generated on first start into `dir` (private JWKs mode 0600) and registered
 * with the registry when it does not hold them yet. Returns their kids.
 */
async function ensureCountryKeys(registry: RegistryApp, dir: string, country: string): Promise<string[]> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const existing = (await readdir(dir)).filter((file) => file.endsWith('.private.jwk'));
  const publics: Array<Record<string, unknown>> = [];
  if (existing.length === 0) {
    for (const generate of [generateSigningKey, generateEncryptionKey]) {
      const pair = await generate({ country });
      await writeFile(join(dir, `${pair.kid}.private.jwk`), `${JSON.stringify(pair.privateJwk, null, 2)}\n`, {
        mode: 0o600,
      });
      publics.push({ ...pair.publicJwk });
    }
    await writeFile(join(dir, 'jwks.json'), `${JSON.stringify({ keys: publics }, null, 2)}\n`);
  } else {
    const jwks = JSON.parse(await readFile(join(dir, 'jwks.json'), 'utf8')) as {
      keys: Array<Record<string, unknown>>;
    };
    publics.push(...jwks.keys);
  }
  const actor = { id: 'local-network', roles: ['administrator'] as const };
  for (const jwk of publics) {
    const kid = String(jwk['kid']);
    const registered = registry.service.listKeys({ country }).some((key) => key.kid === kid);
    if (!registered) {
      await registry.service.registerKey(
        { country, publicJwk: jwk },
        { actor, reason: 'local network: first start' },
      );
    }
  }
  return publics
    .map((jwk) => String(jwk['kid']))
    .sort((a, b) => (parseKid(a)?.use ?? a).localeCompare(parseKid(b)?.use ?? b));
}

/**
 * One matching key per network (HMAC-SHA256 secret for keyed digests of document and account
 * numbers), generated on first start into `dir` (mode 0600). In a real deployment each member
 * holds it; here every country of the local network shares the file. Returns the files by network.
 */
async function ensureMatchingKeys(dir: string, networks: readonly string[]): Promise<Record<string, string>> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files: Record<string, string> = {};
  for (const network of networks) {
    const file = join(dir, `${network}.json`);
    const existing = await readFile(file, 'utf8').catch(() => undefined);
    if (existing === undefined)
      await writeFile(file, `${JSON.stringify(matchingKeyToJson(generateMatchingKey(network)), null, 2)}\n`, {
        mode: 0o600,
      });
    files[network] = file;
  }
  return files;
}

function renderTable(info: NetworkFile, stateDir: string): string {
  const lines = [
    '',
    'Enlace local network is up.',
    '',
    `  NATS       ${info.nats}`,
    `  registry   ${info.registry.url}   (API docs: ${info.registry.docs}; console: ${info.registry.console})`,
    `  feed       ${info.feed.url}   (API docs: ${info.feed.docs}; console: ${info.feed.console})`,
    '',
    '  country  node                     console                          keys',
    ...Object.entries(info.nodes).map(
      ([country, node]) =>
        `  ${country.padEnd(7)}  ${node.url.padEnd(23)}  ${node.console.padEnd(31)}  ${node.keys.join(', ')}`,
    ),
    '',
    "Consoles: `npx enlace console link --country MX` prints a one-time sign-in link for MX's officer",
    '(--role administrator for the registry, --role fiu-analyst for the feed service).',
    '',
    `Tokens (administrator, auditor, one officer and one FIU analyst per country) are in ${join(stateDir, 'network.json')} (mode 0600).`,
    'Each node serves its officers: POST /v1/alerts to publish, GET /v1/alerts for the verified inbox',
    '(API docs at <node>/docs; send the country\'s officer token as "Authorization: Bearer ...").',
    'FIUs: `enlace feed create --url <feed> --token <fiu token> ...`; matching keys in keys/matching/;',
    `file feeds (--to-dir <name>) are written under ${info.feed.fileRoot}/<CC>/<name>/.`,
    'Press Ctrl-C to stop everything.',
    '',
  ];
  return lines.join('\n');
}

export async function runFromCommandLine(
  argv: readonly string[],
  io: Io = { stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const program = new Command('npm start --')
    .description(
      'Start a complete local Enlace network: an embedded nats-server with JetStream, the registry seeded from ' +
        'seeds/registry, and keys for each country. State is kept in the state directory and reused on the next start.',
    )
    .addOption(
      new Option('--countries <codes>', 'countries to run, comma-separated')
        .default(MEMBERS, 'all 11 members')
        .argParser(countryList),
    )
    .addOption(
      new Option('--state-dir <dir>', 'where state is kept').default('.enlace').env('ENLACE_STATE_DIR'),
    )
    .addOption(
      new Option('--seeds <dir>', 'registry seed directory').default(
        join(REPO_ROOT, 'seeds', 'registry'),
        'seeds/registry',
      ),
    )
    .addOption(new Option('--host <addr>', 'interface to listen on').default('127.0.0.1'))
    .addOption(
      new Option('--nats-port <port>', 'NATS client port; 0 = any free').default(4222).argParser(port),
    )
    .addOption(
      new Option('--registry-port <port>', 'registry HTTP port; 0 = any free').default(8080).argParser(port),
    )
    .addOption(
      new Option('--node-port-base <port>', 'HTTP port of the first node, the others follow; 0 = any free')
        .default(8101)
        .argParser(port),
    )
    .addOption(
      new Option('--feed-port <port>', 'feed service HTTP port; 0 = any free').default(8090).argParser(port),
    )
    .addOption(new Option('--strict-ports', 'fail when a port is taken instead of choosing a free one'))
    .addOption(
      new Option('--nats-url <url>', 'use this running NATS server instead of starting one').env('NATS_URL'),
    )
    .addOption(
      new Option('--demo', 'also publish a realistic stream of alerts from seeds/demo between the countries'),
    )
    .option('--json', 'print the network description as JSON on stdout (progress goes to stderr)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  try {
    program.parse([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    throw error;
  }
  const opts = program.opts<{
    countries: string[];
    stateDir: string;
    seeds: string;
    host: string;
    natsPort: number;
    registryPort: number;
    nodePortBase: number;
    feedPort: number;
    strictPorts?: boolean;
    natsUrl?: string;
    demo?: boolean;
    json?: boolean;
  }>();
  const stateDir = resolve(opts.stateDir);
  // Listen for Ctrl-C before anything starts: a signal during the start stops what is up once the
  // start settles, and one right after the table is printed can never find the process unguarded.
  const signalled = new Promise<void>((resolveSignal) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      io.stderr.write(`\n${signal}: stopping the local network…\n`);
      resolveSignal();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  if (!opts.json) io.stdout.write(`Starting the Enlace local network (state in ${stateDir})\n`);
  let network: LocalNetwork;
  try {
    network = await startLocalNetwork(
      {
        countries: opts.countries,
        stateDir,
        seedsDir: resolve(opts.seeds),
        host: opts.host,
        natsPort: opts.natsPort,
        registryPort: opts.registryPort,
        nodePortBase: opts.nodePortBase,
        feedPort: opts.feedPort,
        strictPorts: opts.strictPorts === true,
        json: opts.json === true,
        ...(opts.natsUrl !== undefined && opts.natsUrl !== '' && { natsUrl: opts.natsUrl }),
      },
      io,
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    io.stderr.write(
      `enlace: could not start the local network: ${message}${typeof code === 'string' ? ` (${code})` : ''}\n`,
    );
    return 1;
  }
  if (opts.json) io.stdout.write(`${JSON.stringify(network.info, null, 2)}\n`);
  else io.stdout.write(renderTable(network.info, stateDir));
  let demo: { stop(): Promise<void> } | undefined;
  if (opts.demo) {
    const drafts = await loadDemoDrafts(join(REPO_ROOT, 'seeds', 'demo'));
    const log = opts.json ? io.stderr : io.stdout;
    log.write(
      `demo: publishing one of ${drafts.length} demo alerts every ${DEMO_INTERVAL_MS / 1000} s, from each country in turn\n`,
    );
    // The nodes as network.info has them now: their tokens are renewed while the demo runs.
    demo = startDemo(() => network.info.nodes, drafts, {
      intervalMs: DEMO_INTERVAL_MS,
      report: (published) =>
        log.write(
          published.error === undefined
            ? `demo: ${published.origin} published ${published.draft} as ${published.id} on ${published.subject}\n`
            : `demo: ${published.origin} could not publish ${published.draft}: ${published.error}\n`,
        ),
    });
  }

  await signalled;
  await demo?.stop();
  await network.stop();
  io.stderr.write('stopped.\n');
  return 0;
}
