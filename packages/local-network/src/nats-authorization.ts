/**
 * Per-country NATS users for the local network (DESIGN.md trust model 4): each country's node
 * authenticates with its nkey (seed in `<state>/keys/<CC>/nats-user.nk`, mode 0600, generated on
 * first start, the layout `enlace keys generate` writes); the services and FIUs with passwords
 * kept in `<state>/nats-users.json` (mode 0600) and rendered bcrypt-hashed, so the server's
 * configuration holds no secret. The authorization block is rendered from the registry's state
 * (statuses and memberships) by @enlace/transport's renderNatsAuthorization(), and a watcher
 * renders it again, reloads nats-server and reconciles the nodes' durables when a country,
 * membership or network changes.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistryService } from '@enlace/registry';
import type { NatsCountryStatus, NatsCountryUser } from '@enlace/transport';
import {
  NATS_NKEY_PUBLIC_FILE,
  NATS_NKEY_SEED_FILE,
  SUBJECT_ROOT,
  createNatsNkey,
  fiuNatsUser,
  hashNatsPassword,
  natsNkeyPublicKey,
  renderNatsAuthorization,
} from '@enlace/transport';
import type { NatsConnection } from '@nats-io/transport-node';
import { LocalNetworkError } from './errors.js';

/** The user the registry, and the launcher before it, connect as. */
export const REGISTRY_NATS_USER = 'registry';
/** The user the feed service connects as. */
export const FEED_NATS_USER = 'feed';
export const NATS_USERS_FILE = 'nats-users.json';
/** A status change may take effect later than it was recorded: render again this often anyway. */
const RERENDER_INTERVAL_MS = 30_000;

/** `{ "<user>": "<password>" }`. */
export type NatsPasswords = Record<string, string>;

/**
 * The passwords of `users`, read from `file` and completed with new random ones (written back,
 * mode 0600) for users it does not hold yet.
 */
export async function loadNatsPasswords(file: string, users: readonly string[]): Promise<NatsPasswords> {
  let stored: NatsPasswords = {};
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not a JSON object');
    stored = parsed as NatsPasswords;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new LocalNetworkError(
        'ERR_USAGE',
        `cannot read the NATS passwords in ${file}: ${(error as Error).message}; fix or delete it`,
      );
  }
  const missing = users.filter((user) => typeof stored[user] !== 'string');
  if (missing.length === 0) return stored;
  const next = { ...stored };
  for (const user of missing) next[user] = randomBytes(24).toString('base64url');
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 });
  await rename(temp, file);
  return next;
}

/** A NATS user nkey: its seed (secret) and public key. */
export interface NatsNkey {
  readonly seed: string;
  readonly publicKey: string;
}

/**
 * The nkey of the node whose keys live in `keysDir` (`nats-user.nk`, mode 0600, and
 * `nats-user.pub`), generated when missing.
 */
export async function loadNatsNkey(keysDir: string): Promise<NatsNkey> {
  const file = join(keysDir, NATS_NKEY_SEED_FILE);
  try {
    const seed = (await readFile(file, 'utf8')).trim();
    return { seed, publicKey: natsNkeyPublicKey(seed) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new LocalNetworkError(
        'ERR_USAGE',
        `cannot read the NATS nkey seed in ${file}: ${(error as Error).message}; fix or delete it`,
      );
  }
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  const nkey = createNatsNkey();
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${nkey.seed}\n`, { mode: 0o600 });
  await rename(temp, file);
  await writeFile(join(keysDir, NATS_NKEY_PUBLIC_FILE), `${nkey.publicKey}\n`, { mode: 0o644 });
  return nkey;
}

/**
 * bcrypt cost of the local network's service and FIU passwords: random 32-character passwords on
 * a loopback server, hashed at every start (about 20 of them), so a lower cost than a
 * deployment's NATS_BCRYPT_COST keeps `npm start` quick.
 */
const LOCAL_BCRYPT_COST = 8;

/** bcrypt hashes of passwords, each made once (a salted hash differs every time). */
function createHasher(): (password: string) => string {
  const hashes = new Map<string, string>();
  return (password) => {
    let hash = hashes.get(password);
    if (hash === undefined) {
      hash = hashNatsPassword(password, LOCAL_BCRYPT_COST);
      hashes.set(password, hash);
    }
    return hash;
  };
}
const hashOnce = createHasher();

/** A country's status in force at `now` (a recorded change may take effect later). */
export function statusAt(
  history: readonly { status: NatsCountryStatus; effectiveAt: string }[],
  now: Date,
): NatsCountryStatus | undefined {
  let status: NatsCountryStatus | undefined;
  for (const change of history) if (Date.parse(change.effectiveAt) <= now.getTime()) status = change.status;
  return status;
}

export interface NatsAuthorization {
  /** Passwords of the service and FIU users (countries use nkeys). */
  readonly passwords: NatsPasswords;
  /** The nkey of a country's node (its seed, for nkeyAuthenticator). */
  nkeyOf(code: string): Promise<NatsNkey>;
  /** The countries rendered last, with their networks (what the nodes' durables follow). */
  countries(): readonly NatsCountryUser[];
  /** The users and statuses rendered last, e.g. `{ MX: 'member' }`. */
  statuses(): Readonly<Record<string, NatsCountryStatus>>;
  /** Renders from the registry now and reloads nats-server when the text changed. */
  apply(): Promise<boolean>;
  /** Applies again on every country, membership or network event on `nc`, and every 30 s. */
  watch(nc: NatsConnection, onError: (error: unknown) => void): { stop(): void };
}

/** Only the registry's user: what nats-server starts with, before the registry is up. */
export function renderServicesOnly(passwords: NatsPasswords): string {
  return renderNatsAuthorization({
    countries: [],
    services: {
      registry: {
        user: REGISTRY_NATS_USER,
        credential: { passwordHash: hashOnce(passwords[REGISTRY_NATS_USER]!) },
      },
    },
  });
}

export async function loadNatsUsers(stateDir: string): Promise<NatsPasswords> {
  return loadNatsPasswords(join(stateDir, NATS_USERS_FILE), [REGISTRY_NATS_USER]);
}

/**
 * Renders the users of every country the registry knows (withdrawn ones get none) and reloads
 * the server through `reload` whenever the result differs from what it applied last.
 */
export async function createNatsAuthorization(options: {
  readonly stateDir: string;
  readonly registry: RegistryService;
  readonly reload: (config: string) => Promise<void>;
  /**
   * Makes the nodes' durables follow the countries just applied (reconcileNodeConsumers with a
   * privileged connection); called after each apply, after the reload.
   */
  readonly reconcile?: (countries: readonly NatsCountryUser[]) => Promise<void>;
  /** Where each country's keys (and nkey seed) live (default `<stateDir>/keys/<CC>`). */
  readonly keysDirOf?: (code: string) => string;
  /**
   * Called before a reload that removes the users of `codes` (newly withdrawn): the server will
   * close their connections, so whatever runs as them should stop first.
   */
  readonly beforeRemoving?: (codes: readonly string[]) => Promise<void>;
  readonly clock?: () => Date;
}): Promise<NatsAuthorization> {
  const file = join(options.stateDir, NATS_USERS_FILE);
  const codes = options.registry.listCountries().map((country) => country.code);
  let passwords = await loadNatsPasswords(file, [
    REGISTRY_NATS_USER,
    FEED_NATS_USER,
    ...codes.map(fiuNatsUser),
  ]);
  const keysDirOf = options.keysDirOf ?? ((code: string) => join(options.stateDir, 'keys', code));
  const nkeys = new Map<string, NatsNkey>();
  const nkeyOf = async (code: string): Promise<NatsNkey> => {
    let nkey = nkeys.get(code);
    if (nkey === undefined) {
      nkey = await loadNatsNkey(keysDirOf(code));
      nkeys.set(code, nkey);
    }
    return nkey;
  };
  let applied: string | undefined;
  let statuses: Record<string, NatsCountryStatus> = {};
  let appliedCountries: NatsCountryUser[] = [];
  let running: Promise<boolean> = Promise.resolve(false);

  const render = async (): Promise<{
    text: string;
    statuses: Record<string, NatsCountryStatus>;
    countries: NatsCountryUser[];
  }> => {
    const now = (options.clock ?? (() => new Date()))();
    const countries = options.registry.listCountries();
    const users = countries.map((country) => fiuNatsUser(country.code));
    if (users.some((user) => passwords[user] === undefined))
      passwords = await loadNatsPasswords(file, [REGISTRY_NATS_USER, FEED_NATS_USER, ...users]);
    const current: Record<string, NatsCountryStatus> = {};
    const rendered: NatsCountryUser[] = [];
    for (const country of countries) {
      const status = statusAt(country.statusHistory, now);
      if (status === undefined) continue;
      current[country.code] = status;
      const networks = [
        ...new Set(
          options.registry
            .listMemberships({ country: country.code, activeAt: now.toISOString() })
            .map((m) => m.network),
        ),
      ].sort();
      rendered.push({
        code: country.code,
        status,
        networks,
        ...(status !== 'withdrawn' && { credential: { nkey: (await nkeyOf(country.code)).publicKey } }),
      });
    }
    const text = renderNatsAuthorization({
      services: {
        registry: {
          user: REGISTRY_NATS_USER,
          credential: { passwordHash: hashOnce(passwords[REGISTRY_NATS_USER]!) },
        },
        feed: { user: FEED_NATS_USER, credential: { passwordHash: hashOnce(passwords[FEED_NATS_USER]!) } },
      },
      // Each country's FIU reads its NATS-delivered feeds (enlace.v1.feed.<CC>.>) as fiu-<cc>;
      // a withdrawn country's FIU has no user.
      fius: countries
        .filter((country) => {
          const status = statusAt(country.statusHistory, now);
          return status !== undefined && status !== 'withdrawn';
        })
        .map((country) => ({
          code: country.code,
          credential: { passwordHash: hashOnce(passwords[fiuNatsUser(country.code)]!) },
        })),
      // Each user reads only its own inbox prefix and the durables of its own networks.
      countries: rendered,
    });
    return { text, statuses: current, countries: rendered };
  };

  const apply = (): Promise<boolean> => {
    running = running
      .catch(() => false)
      .then(async () => {
        const next = await render();
        if (next.text === applied) {
          // Durables may still be missing (a reconcile that failed, a consumer deleted by hand).
          await options.reconcile?.(next.countries);
          return false;
        }
        const removed = Object.keys(statuses).filter(
          (code) => statuses[code] !== 'withdrawn' && next.statuses[code] === 'withdrawn',
        );
        if (removed.length > 0) await options.beforeRemoving?.(removed);
        await options.reload(next.text);
        applied = next.text;
        statuses = next.statuses;
        appliedCountries = next.countries;
        // After the reload: a membership that ended is no longer readable before its durable goes.
        await options.reconcile?.(next.countries);
        return true;
      });
    return running;
  };

  return {
    get passwords() {
      return passwords;
    },
    statuses: () => statuses,
    countries: () => appliedCountries,
    nkeyOf,
    apply,
    watch(nc, onError) {
      let timer: NodeJS.Timeout | undefined;
      const soon = (): void => {
        // Coalesce a burst of events (a command changes several entries) into one reload.
        clearTimeout(timer);
        timer = setTimeout(() => {
          apply().catch(onError);
        }, 50);
      };
      // An event only says "look again": the state rendered is read from the registry itself, so
      // an event need not be verified here.
      const subscriptions = ['country', 'membership', 'network'].map((entity) =>
        nc.subscribe(`${SUBJECT_ROOT}.registry.event.${entity}.>`, {
          callback: (error) => {
            if (error === null) soon();
          },
        }),
      );
      const interval = setInterval(soon, RERENDER_INTERVAL_MS);
      interval.unref();
      return {
        stop() {
          clearTimeout(timer);
          clearInterval(interval);
          for (const subscription of subscriptions) subscription.unsubscribe();
        },
      };
    },
  };
}
