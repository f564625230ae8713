/**
 * What every aggregate reads: the KV keys of the aggregates, the in-memory view of the state
 * store as a RegistryState (cached per revision), the clock, and the cross-aggregate lookups
 * commands make (country known, network known). Countries and networks are never removed, so a
 * check against the view holds when the command writes.
 */
import { fieldRefusal } from './domain/errors.js';
import type {
  CountryRecord,
  FocalPointRecord,
  GlossaryTerm,
  Instant,
  KeyRecord,
  MembershipRecord,
  NetworkRecord,
  PolicyRule,
  RegistryState,
  RevokedToken,
} from './domain/model.js';
import type { RegistryStateStore, StoredEntry } from './store/state-store.js';

/** KV keys of the aggregates. */
export const stateKeys = {
  country: (code: string) => `country.${code}`,
  network: (id: string) => `network.${id}`,
  memberships: (country: string) => `membership.${country}`,
  focalPoint: (id: string) => `focal-point.${id}`,
  keys: (country: string) => `key.${country}`,
  rules: 'rules',
  glossary: (id: string) => `glossary.${id}`,
  revokedTokens: 'token-revocations',
} as const;

/** The records of an aggregate stored as one list under its key (memberships, keys, rules, ...). */
export function asList<T>(entry: StoredEntry | undefined): T[] {
  return Array.isArray(entry?.value) ? [...(entry.value as T[])] : [];
}

export class RegistryView {
  private stateCache: RegistryState | undefined;

  constructor(
    private readonly store: RegistryStateStore,
    private readonly clock: () => Date,
  ) {}

  /** The clock's time as an Instant (what commands default to). */
  now(): Instant {
    return this.clock().toISOString();
  }

  /** The clock's time in milliseconds. */
  nowMs(): number {
    return this.clock().getTime();
  }

  revision(): number {
    return this.store.revision();
  }

  /** The view's entry under `key`. */
  entry(key: string): StoredEntry | undefined {
    return this.store.get(key);
  }

  /** The view's value under `key`, as the aggregate stores it. */
  value<T>(key: string): T | undefined {
    return this.store.get(key)?.value as T | undefined;
  }

  /** The whole state at the view's revision (cached per revision). */
  state(): RegistryState {
    const revision = this.store.revision();
    if (this.stateCache?.revision === revision) return this.stateCache;
    const values = <T>(prefix: string) => this.store.list(prefix).map((e) => e.value as T);
    const lists = <T>(prefix: string) => this.store.list(prefix).flatMap((e) => asList<T>(e));
    const state: RegistryState = {
      revision,
      countries: values<CountryRecord>('country.'),
      networks: values<NetworkRecord>('network.'),
      memberships: lists<MembershipRecord>('membership.'),
      focalPoints: values<FocalPointRecord>('focal-point.'),
      keys: lists<KeyRecord>('key.'),
      rules: asList<PolicyRule>(this.store.get(stateKeys.rules)),
      glossary: values<GlossaryTerm>('glossary.'),
      revokedTokens: asList<RevokedToken>(this.store.get(stateKeys.revokedTokens)),
    };
    this.stateCache = state;
    return state;
  }

  /** The country a command names in its input field `path`. */
  requireCountry(code: string, path = 'country'): CountryRecord {
    const country = this.value<CountryRecord>(stateKeys.country(code));
    if (country === undefined) throw fieldRefusal('ERR_UNKNOWN_COUNTRY', path, `unknown country ${code}`);
    return country;
  }

  /** The network a command names in its input field `path`. */
  requireNetwork(id: string, path = 'network'): NetworkRecord {
    const network = this.value<NetworkRecord>(stateKeys.network(id));
    if (network === undefined) throw fieldRefusal('ERR_UNKNOWN_NETWORK', path, `unknown network ${id}`);
    return network;
  }
}
