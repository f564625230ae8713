/**
 * Per-country NATS users for the local network (DESIGN.md trust model 4): passwords kept in
 * `<state>/nats-users.json` (mode 0600, generated on first start, the same format
 * `enlace deploy nats-config --secrets` reads), the authorization block rendered from the
 * registry's state by @enlace/transport's renderNatsAuthorization(), and a watcher that renders
 * it again and reloads nats-server when a country's status changes.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistryService } from '@enlace/registry';
import type { NatsCountryStatus } from '@enlace/transport';
import { SUBJECT_ROOT, countryNatsUser, fiuNatsUser, renderNatsAuthorization } from '@enlace/transport';
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
  readonly passwords: NatsPasswords;
  /** The users and statuses rendered last, e.g. `{ MX: 'member' }`. */
  statuses(): Readonly<Record<string, NatsCountryStatus>>;
  /** Renders from the registry now and reloads nats-server when the text changed. */
  apply(): Promise<boolean>;
  /** Applies again on every country event on `nc`, and every 30 s. */
  watch(nc: NatsConnection, onError: (error: unknown) => void): { stop(): void };
}

/** Only the registry's user: what nats-server starts with, before the registry is up. */
export function renderServicesOnly(passwords: NatsPasswords): string {
  return renderNatsAuthorization({
    countries: [],
    services: {
      registry: { user: REGISTRY_NATS_USER, credential: { password: passwords[REGISTRY_NATS_USER]! } },
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
    ...codes.map(countryNatsUser),
    ...codes.map(fiuNatsUser),
  ]);
  let applied: string | undefined;
  let statuses: Record<string, NatsCountryStatus> = {};
  let running: Promise<boolean> = Promise.resolve(false);

  const render = async (): Promise<{ text: string; statuses: Record<string, NatsCountryStatus> }> => {
    const now = (options.clock ?? (() => new Date()))();
    const countries = options.registry.listCountries();
    const users = countries.flatMap((country) => [countryNatsUser(country.code), fiuNatsUser(country.code)]);
    if (users.some((user) => passwords[user] === undefined))
      passwords = await loadNatsPasswords(file, [REGISTRY_NATS_USER, FEED_NATS_USER, ...users]);
    const current: Record<string, NatsCountryStatus> = {};
    const text = renderNatsAuthorization({
      // Each country's replies come on its own inbox prefix (nodes connect with it), so no
      // country can read replies meant for another.
      inboxes: 'per-user',
      services: {
        registry: { user: REGISTRY_NATS_USER, credential: { password: passwords[REGISTRY_NATS_USER]! } },
        feed: { user: FEED_NATS_USER, credential: { password: passwords[FEED_NATS_USER]! } },
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
          credential: { password: passwords[fiuNatsUser(country.code)]! },
        })),
      countries: countries.flatMap((country) => {
        const status = statusAt(country.statusHistory, now);
        if (status === undefined) return [];
        current[country.code] = status;
        return [
          { code: country.code, status, credential: { password: passwords[countryNatsUser(country.code)]! } },
        ];
      }),
    });
    return { text, statuses: current };
  };

  const apply = (): Promise<boolean> => {
    running = running
      .catch(() => false)
      .then(async () => {
        const next = await render();
        if (next.text === applied) return false;
        const removed = Object.keys(statuses).filter(
          (code) => statuses[code] !== 'withdrawn' && next.statuses[code] === 'withdrawn',
        );
        if (removed.length > 0) await options.beforeRemoving?.(removed);
        await options.reload(next.text);
        applied = next.text;
        statuses = next.statuses;
        return true;
      });
    return running;
  };

  return {
    get passwords() {
      return passwords;
    },
    statuses: () => statuses,
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
      const subscription = nc.subscribe(`${SUBJECT_ROOT}.registry.event.country.>`, {
        callback: (error) => {
          if (error === null) soon();
        },
      });
      const interval = setInterval(soon, RERENDER_INTERVAL_MS);
      interval.unref();
      return {
        stop() {
          clearTimeout(timer);
          clearInterval(interval);
          subscription.unsubscribe();
        },
      };
    },
  };
}
