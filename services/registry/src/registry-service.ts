/**
 * The registry core: RegistryService over the KV state store, with an audit record and a signed
 * change event for every command. `openRegistryCore` wires it up on a NATS connection: bucket,
 * audit stream, watch, registry key.
 *
 * Every command runs the same way: validate the input (zod) and the context, then, inside a
 * compare-and-set on the one KV value it changes, check invariants against the current state and
 * compute the new value; a concurrent change makes it run again on fresh data. Cross-aggregate
 * checks (country known, network known) read the view: countries and networks are never removed.
 * Whatever fails, nothing is written, and the refusal is audited with its code.
 */
import type { Jwks, PublicJwk } from '@enlace/crypto';
import { createJwks, parseKid } from '@enlace/crypto';
import type { PolicyDecision, PolicyEvaluator, PolicySnapshot } from '@enlace/policy';
import { PolicyQueryError, createPolicyEvaluator, validateSnapshot } from '@enlace/policy';
import type { NatsConnection } from '@nats-io/transport-node';
import { MAX_TOKEN_TTL_SECONDS, tokenRevocationCheck } from '@enlace/trust';
import type { TokenRevocationCheck } from '@enlace/trust';
import { v7 as uuidv7 } from 'uuid';

import { AuditLog } from './audit/audit-log.js';
import { applyStatusCommand, currentStatus, newCountry } from './domain/country-status.js';
import type { StatusCommand } from './domain/country-status.js';
import { RegistryError, fieldRefusal } from './domain/errors.js';
import type { RegistryErrorCode } from './domain/errors.js';
import { assertNoOverlap, checkPublicJwk, isKeyActiveAt, withJwkWindow } from './domain/key-records.js';
import type {
  AuditQuery,
  AuditRecord,
  CommandContext,
  CountryRecord,
  FocalPointRecord,
  GlossaryTerm,
  Instant,
  KeyRecord,
  MembershipRecord,
  NetworkRecord,
  PolicyRule,
  RegistryChange,
  RegistryState,
  RevokedToken,
} from './domain/model.js';
import {
  addFocalPointInputSchema,
  addMembershipInputSchema,
  admitCountryInputSchema,
  decideInputSchema,
  registerKeyInputSchema,
  removeMembershipInputSchema,
  revokeKeyInputSchema,
  revokeTokenInputSchema,
  rotateKeyInputSchema,
  statusChangeInputSchema,
} from './domain/schemas.js';
import type {
  AddFocalPointInput,
  AddMembershipInput,
  AdmitCountryInput,
  DecideInput,
  KeyFilter,
  RegisterKeyInput,
  RegistryService,
  RejectedCommand,
  RemoveMembershipInput,
  RevokeKeyInput,
  RevokeTokenInput,
  RotateKeyInput,
  SignedSnapshot,
  StatusChangeInput,
} from './domain/service.js';
import { contextSchema, fieldError, parseInput, validationError } from './domain/validation.js';
import { RegistryEventPublisher } from './events.js';
import { loadOrCreateRegistryKey } from './registry-key.js';
import type { RegistryKey } from './registry-key.js';
import { SnapshotSigner, buildPolicySnapshot, revocationsOf } from './snapshot.js';
import { RegistryStateStore } from './store/state-store.js';
import type { StateChange, StoredEntry } from './store/state-store.js';

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

/**
 * How long a token revoked by id is kept on the list: no token lives longer than
 * MAX_TOKEN_TTL_SECONDS (verifyToken refuses one whose exp - iat says more), so one revoked
 * now expires by then whenever it was issued; five minutes more cover the issuer's clock skew.
 * Operators need not know a token's expiry to revoke it, and the list stays small.
 */
const REVOCATION_KEPT_MS = (MAX_TOKEN_TTL_SECONDS + 300) * 1000;

type Entity = RegistryChange['entity'];

/** What a command tells the runner about itself before it runs. */
interface CommandSpec {
  readonly action: string;
  readonly entity: Entity;
  /** Best guess of the entity id, from the raw input (for audit records of refusals). */
  readonly entityId: string;
  /** The command needs ctx.reason. */
  readonly requireReason?: boolean;
}

/** What a command body returns. */
interface CommandOutcome<R> {
  readonly result: R;
  readonly entityId?: string;
  readonly before: unknown;
  readonly after: unknown;
  /** Undefined when nothing was written (no audit record of a change, no event). */
  readonly revision: number | undefined;
}

/** Outcome of importing one seed record. */
export type SeedOutcome = 'created' | 'unchanged' | 'differing';

/** Seedable entities and the record types they take. */
export interface SeedRecords {
  country: CountryRecord;
  network: NetworkRecord;
  membership: MembershipRecord;
  'focal-point': FocalPointRecord;
  rule: PolicyRule;
  glossary: GlossaryTerm;
}

function str(value: unknown): string {
  return typeof value === 'string' && value !== '' ? value : '?';
}

function field(input: unknown, name: string): unknown {
  return typeof input === 'object' && input !== null ? (input as Record<string, unknown>)[name] : undefined;
}

/** JSON with object keys sorted: equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

function asList<T>(entry: StoredEntry | undefined): T[] {
  return Array.isArray(entry?.value) ? [...(entry.value as T[])] : [];
}

export class KvRegistryService implements RegistryService {
  private readonly signer: SnapshotSigner;
  private stateCache: RegistryState | undefined;
  private evaluatorCache: { revision: number; evaluator: PolicyEvaluator } | undefined;
  private revocationCache: { revision: number; check: TokenRevocationCheck } | undefined;

  constructor(
    private readonly store: RegistryStateStore,
    private readonly audit: AuditLog,
    private readonly events: RegistryEventPublisher,
    private readonly key: RegistryKey,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.signer = new SnapshotSigner(key);
  }

  private now(): Instant {
    return this.clock().toISOString();
  }

  // ---- reads ------------------------------------------------------------------------------------

  revision(): number {
    return this.store.revision();
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

  listCountries(): readonly CountryRecord[] {
    return this.state().countries;
  }

  getCountry(code: string): CountryRecord {
    const country = this.store.get(stateKeys.country(code))?.value as CountryRecord | undefined;
    if (country === undefined) throw fieldRefusal('ERR_UNKNOWN_COUNTRY', 'code', `unknown country ${code}`);
    return country;
  }

  listNetworks(): readonly NetworkRecord[] {
    return this.state().networks;
  }

  getNetwork(id: string): NetworkRecord {
    const network = this.store.get(stateKeys.network(id))?.value as NetworkRecord | undefined;
    if (network === undefined) throw fieldRefusal('ERR_UNKNOWN_NETWORK', 'id', `unknown network ${id}`);
    return network;
  }

  listMemberships(
    filter: { country?: string; network?: string; activeAt?: Instant } = {},
  ): readonly MembershipRecord[] {
    const at = filter.activeAt === undefined ? undefined : Date.parse(filter.activeAt);
    return this.state().memberships.filter(
      (m) =>
        (filter.country === undefined || m.country === filter.country) &&
        (filter.network === undefined || m.network === filter.network) &&
        (at === undefined ||
          (Date.parse(m.validFrom) <= at && (m.validUntil === undefined || at < Date.parse(m.validUntil)))),
    );
  }

  listFocalPoints(
    filter: { country?: string; network?: string; role?: string; active?: boolean } = {},
  ): readonly FocalPointRecord[] {
    return this.state().focalPoints.filter(
      (f) =>
        (filter.country === undefined || f.country === filter.country) &&
        (filter.network === undefined || f.networks.includes(filter.network)) &&
        (filter.role === undefined || f.role === filter.role) &&
        (filter.active === undefined || f.active === filter.active),
    );
  }

  getFocalPoint(id: string): FocalPointRecord {
    const fp = this.store.get(stateKeys.focalPoint(id))?.value as FocalPointRecord | undefined;
    if (fp === undefined) throw fieldRefusal('ERR_NOT_FOUND', 'id', `unknown focal point ${id}`);
    return fp;
  }

  listKeys(filter: KeyFilter = {}): readonly KeyRecord[] {
    const at = filter.activeAt === undefined ? undefined : Date.parse(filter.activeAt);
    return this.state().keys.filter(
      (k) =>
        (filter.country === undefined || k.country === filter.country) &&
        (filter.use === undefined || k.use === filter.use) &&
        (at === undefined || isKeyActiveAt(k, at)),
    );
  }

  getKey(kid: string): KeyRecord {
    const country = parseKid(kid)?.country;
    const key =
      country === undefined
        ? undefined
        : asList<KeyRecord>(this.store.get(stateKeys.keys(country))).find((k) => k.kid === kid);
    if (key === undefined) throw fieldRefusal('ERR_UNKNOWN_KEY', 'kid', `unknown key ${kid}`);
    return key;
  }

  listRules(): readonly PolicyRule[] {
    return this.state().rules;
  }

  glossary(): readonly GlossaryTerm[] {
    return this.state().glossary;
  }

  activeJwks(): Jwks {
    const now = this.clock().getTime();
    return createJwks(
      this.listKeys()
        .filter((k) => isKeyActiveAt(k, now))
        .map((k) => k.publicJwk as unknown as PublicJwk),
    );
  }

  policySnapshot(): PolicySnapshot {
    return buildPolicySnapshot(this.state(), this.now());
  }

  signedSnapshot(): Promise<SignedSnapshot> {
    return this.signer.signed(this.state(), () => this.now());
  }

  decide(input: DecideInput): PolicyDecision {
    const q = parseInput(decideInputSchema, input, 'policy question');
    const revision = this.store.revision();
    if (this.evaluatorCache?.revision !== revision) {
      try {
        this.evaluatorCache = { revision, evaluator: createPolicyEvaluator(this.policySnapshot()) };
      } catch (cause) {
        throw new RegistryError('ERR_UNAVAILABLE', 'registry state does not make a valid policy snapshot', {
          cause,
        });
      }
    }
    const evaluator = this.evaluatorCache.evaluator;
    const at = q.at ?? this.now();
    try {
      if (q.action === 'publish')
        return evaluator.evaluatePublish({ origin: q.origin, network: q.network, kind: q.kind, at });
      if (q.receiver === undefined)
        throw fieldError('receiver', 'required', 'is required to decide a receipt', 'policy question');
      return evaluator.evaluateReceive({
        receiver: q.receiver,
        origin: q.origin,
        network: q.network,
        kind: q.kind,
        recipients: q.recipients ?? [],
        handling: q.handling ?? 'H0',
        at,
      });
    } catch (err) {
      if (err instanceof PolicyQueryError)
        throw fieldError(err.field, 'invalid_value', err.message, 'policy question');
      throw err;
    }
  }

  // ---- command runner ---------------------------------------------------------------------------

  private async run<R>(
    spec: CommandSpec,
    rawCtx: CommandContext,
    body: (ctx: CommandContext) => Promise<CommandOutcome<R>>,
  ): Promise<R> {
    const at = this.now();
    let ctx: CommandContext | undefined;
    let outcome: CommandOutcome<R>;
    try {
      ctx = parseInput(contextSchema, rawCtx, 'command context') as CommandContext;
      if (spec.requireReason === true && ctx.reason === undefined)
        throw fieldError('reason', 'required', `is required for ${spec.action}`, spec.action);
      outcome = await body(ctx);
    } catch (err) {
      const error =
        err instanceof RegistryError
          ? err
          : // The detail (a store's message, a path) is for the log, not the caller (issue 11 item 11).
            new RegistryError(
              'ERR_UNAVAILABLE',
              `${spec.action} failed: the registry could not complete it; its log has the details`,
              { cause: err },
            );
      // A refusal that cannot be audited is still a refusal: the caller gets the real reason.
      await this.audit
        .append(
          this.record(at, spec, ctx, rawCtx, {
            entityId: spec.entityId,
            outcome: 'rejected',
            code: error.code,
          }),
        )
        .catch(() => undefined);
      throw error;
    }
    if (outcome.revision !== undefined) {
      const entityId = outcome.entityId ?? spec.entityId;
      // The change is stored; if its audit record cannot be, the caller must hear of it
      // (ERR_UNAVAILABLE from append) rather than believe the trail complete.
      await this.audit.append(
        this.record(at, spec, ctx, rawCtx, {
          entityId,
          outcome: 'ok',
          before: outcome.before,
          after: outcome.after,
          revision: outcome.revision,
        }),
      );
      // Events are best effort: nodes also poll snapshots, so a lost event only delays them.
      await this.events
        .publish({
          revision: outcome.revision,
          entity: spec.entity,
          id: entityId,
          action: spec.action,
          at: this.now(),
        })
        .catch(() => undefined);
    }
    return outcome.result;
  }

  private record(
    at: Instant,
    spec: CommandSpec,
    ctx: CommandContext | undefined,
    rawCtx: unknown,
    outcome: {
      entityId: string;
      outcome: 'ok' | 'rejected';
      code?: RegistryErrorCode;
      before?: unknown;
      after?: unknown;
      revision?: number;
    },
  ): AuditRecord {
    const actor = ctx?.actor ?? (field(rawCtx, 'actor') as { id?: unknown; roles?: unknown } | undefined);
    const roles = Array.isArray(actor?.roles)
      ? actor.roles.filter((r): r is string => typeof r === 'string')
      : [];
    const reason = ctx?.reason;
    const decision = ctx?.decision;
    const requestId = ctx?.requestId;
    return {
      id: uuidv7(),
      at,
      service: 'registry',
      actor: typeof actor?.id === 'string' && actor.id !== '' ? actor.id : 'unknown',
      roles,
      action: spec.action,
      entity: spec.entity,
      entityId: outcome.entityId,
      outcome: outcome.outcome,
      ...(outcome.code === undefined ? {} : { code: outcome.code }),
      ...(outcome.before === undefined ? {} : { before: outcome.before }),
      ...(outcome.after === undefined ? {} : { after: outcome.after }),
      ...(reason === undefined ? {} : { reason }),
      ...(decision === undefined ? {} : { decision }),
      ...(requestId === undefined ? {} : { requestId }),
      ...(outcome.revision === undefined ? {} : { revision: outcome.revision }),
    };
  }

  /**
   * Refuses a change that would leave registry state an invalid policy snapshot (a last line of
   * defence behind the command's own checks: overlapping memberships, roles a network lacks, ...).
   */
  private assertPolicyValid(key: string, value: unknown, what: string): void {
    const base = this.state();
    const replaced = <T>(
      prefix: string,
      list: readonly T[],
      pick: (v: T) => string,
      make: (v: unknown) => T[],
    ) => {
      if (!key.startsWith(prefix)) return list;
      const id = key.slice(prefix.length);
      return [...list.filter((v) => pick(v) !== id), ...make(value)];
    };
    const state: RegistryState = {
      ...base,
      countries: replaced<CountryRecord>(
        'country.',
        base.countries,
        (c) => c.code,
        (v) => [v as CountryRecord],
      ),
      networks: replaced<NetworkRecord>(
        'network.',
        base.networks,
        (n) => n.id,
        (v) => [v as NetworkRecord],
      ),
      memberships: replaced<MembershipRecord>(
        'membership.',
        base.memberships,
        (m) => m.country,
        (v) => v as MembershipRecord[],
      ),
      rules: key === stateKeys.rules ? (value as PolicyRule[]) : base.rules,
    };
    const errors = validateSnapshot(buildPolicySnapshot(state, this.now())).filter(
      (p) => p.severity === 'error',
    );
    if (errors.length > 0)
      throw validationError(
        what,
        errors.map((p) => ({ path: p.path, code: p.code, message: p.message })),
      );
  }

  /** The country a command names in its input field `path`. */
  private requireCountry(code: string, path = 'country'): CountryRecord {
    const country = this.store.get(stateKeys.country(code))?.value as CountryRecord | undefined;
    if (country === undefined) throw fieldRefusal('ERR_UNKNOWN_COUNTRY', path, `unknown country ${code}`);
    return country;
  }

  /** The network a command names in its input field `path`. */
  private requireNetwork(id: string, path = 'network'): NetworkRecord {
    const network = this.store.get(stateKeys.network(id))?.value as NetworkRecord | undefined;
    if (network === undefined) throw fieldRefusal('ERR_UNKNOWN_NETWORK', path, `unknown network ${id}`);
    return network;
  }

  // ---- countries --------------------------------------------------------------------------------

  admitCountry(input: AdmitCountryInput, ctx: CommandContext): Promise<CountryRecord> {
    return this.run(
      { action: 'country.admit', entity: 'country', entityId: str(field(input, 'code')) },
      ctx,
      async (c) => {
        const i = parseInput(admitCountryInputSchema, input, 'country admission');
        const key = stateKeys.country(i.code);
        const applied = await this.store.change<CountryRecord>(key, (current) => {
          const existing = current?.value as CountryRecord | undefined;
          const next =
            existing === undefined
              ? newCountry(i.code, i.names, i.status, i.effectiveAt ?? this.now(), c)
              : applyStatusCommand(
                  existing,
                  'admit',
                  { status: i.status, effectiveAt: i.effectiveAt, now: this.now() },
                  c,
                );
          this.assertPolicyValid(key, next, 'country admission');
          return { write: true, value: next, result: next };
        });
        return { ...applied, entityId: i.code };
      },
    );
  }

  private statusCommand(
    command: Exclude<StatusCommand, 'admit'>,
    input: StatusChangeInput,
    ctx: CommandContext,
  ) {
    return this.run(
      {
        action: `country.${command}`,
        entity: 'country',
        entityId: str(field(input, 'code')),
        requireReason: command !== 'reinstate',
      },
      ctx,
      async (c) => {
        const i = parseInput(statusChangeInputSchema, input, `country ${command}`);
        const key = stateKeys.country(i.code);
        const applied = await this.store.change<CountryRecord>(key, (current) => {
          const existing = current?.value as CountryRecord | undefined;
          if (existing === undefined)
            throw fieldRefusal('ERR_UNKNOWN_COUNTRY', 'code', `unknown country ${i.code}`);
          const next = applyStatusCommand(
            existing,
            command,
            { effectiveAt: i.effectiveAt, now: this.now() },
            c,
          );
          this.assertPolicyValid(key, next, `country ${command}`);
          return { write: true, value: next, result: next };
        });
        return { ...applied, entityId: i.code };
      },
    );
  }

  suspendCountry(input: StatusChangeInput, ctx: CommandContext): Promise<CountryRecord> {
    return this.statusCommand('suspend', input, ctx);
  }

  reinstateCountry(input: StatusChangeInput, ctx: CommandContext): Promise<CountryRecord> {
    return this.statusCommand('reinstate', input, ctx);
  }

  withdrawCountry(input: StatusChangeInput, ctx: CommandContext): Promise<CountryRecord> {
    return this.statusCommand('withdraw', input, ctx);
  }

  // ---- memberships ------------------------------------------------------------------------------

  addMembership(input: AddMembershipInput, ctx: CommandContext): Promise<MembershipRecord> {
    const entityId = `${str(field(input, 'country'))}.${str(field(input, 'network'))}.${str(field(input, 'role'))}`;
    return this.run({ action: 'membership.add', entity: 'membership', entityId }, ctx, async () => {
      const i = parseInput(addMembershipInputSchema, input, 'membership');
      const country = this.requireCountry(i.country);
      const network = this.requireNetwork(i.network);
      if (currentStatus(country) === 'withdrawn')
        throw fieldRefusal(
          'ERR_INVALID_TRANSITION',
          'country',
          `${i.country} has withdrawn and can hold no membership`,
        );
      if (!network.roles.includes(i.role))
        throw fieldError(
          'role',
          'role_not_on_network',
          `network ${i.network} has no role ${i.role} (it has ${network.roles.join(', ')})`,
          'membership',
        );
      const validFrom = i.validFrom ?? this.now();
      const membership: MembershipRecord = {
        id: `${i.country}.${i.network}.${i.role}.${validFrom}`,
        country: i.country,
        network: i.network,
        role: i.role,
        validFrom,
        ...(i.validUntil === undefined ? {} : { validUntil: i.validUntil }),
      };
      const key = stateKeys.memberships(i.country);
      const applied = await this.store.change<MembershipRecord>(key, (current) => {
        const list = asList<MembershipRecord>(current);
        const from = Date.parse(membership.validFrom);
        const until = membership.validUntil === undefined ? Infinity : Date.parse(membership.validUntil);
        const clash = list.find(
          (m) =>
            m.network === membership.network &&
            m.role === membership.role &&
            Date.parse(m.validFrom) < until &&
            from < (m.validUntil === undefined ? Infinity : Date.parse(m.validUntil)),
        );
        if (clash !== undefined)
          throw fieldRefusal(
            'ERR_ALREADY_EXISTS',
            'role',
            `${i.country} already holds ${i.role} on ${i.network} in that period (membership ${clash.id})`,
          );
        const next = [...list, membership];
        this.assertPolicyValid(key, next, 'membership');
        return { write: true, value: next, result: membership };
      });
      return { ...applied, entityId: membership.id, before: undefined, after: membership };
    });
  }

  removeMembership(input: RemoveMembershipInput, ctx: CommandContext): Promise<MembershipRecord> {
    const entityId = `${str(field(input, 'country'))}.${str(field(input, 'network'))}.${str(field(input, 'role'))}`;
    return this.run(
      { action: 'membership.remove', entity: 'membership', entityId, requireReason: true },
      ctx,
      async (c) => {
        const i = parseInput(removeMembershipInputSchema, input, 'membership removal');
        this.requireCountry(i.country);
        const at = i.at ?? this.now();
        const t = Date.parse(at);
        const key = stateKeys.memberships(i.country);
        let before: MembershipRecord | undefined;
        const applied = await this.store.change<MembershipRecord>(key, (current) => {
          const list = asList<MembershipRecord>(current);
          const index = list.findIndex(
            (m) =>
              m.network === i.network &&
              m.role === i.role &&
              Date.parse(m.validFrom) <= t &&
              (m.validUntil === undefined || t < Date.parse(m.validUntil)),
          );
          const found = list[index];
          if (found === undefined)
            throw fieldRefusal(
              'ERR_NOT_FOUND',
              'role',
              `${i.country} holds no ${i.role} membership on ${i.network} at ${at}`,
            );
          if (Date.parse(found.validFrom) >= t)
            throw fieldError(
              'at',
              'empty_interval',
              `must be later than the membership's start (${found.validFrom})`,
              'membership removal',
            );
          before = found;
          const ended: MembershipRecord = {
            ...found,
            validUntil: at,
            endedBy: c.actor.id,
            ...(c.reason === undefined ? {} : { endReason: c.reason }),
          };
          const next = list.map((m, j) => (j === index ? ended : m));
          this.assertPolicyValid(key, next, 'membership removal');
          return { write: true, value: next, result: ended };
        });
        return { ...applied, entityId: applied.result.id, before, after: applied.result };
      },
    );
  }

  // ---- focal points -----------------------------------------------------------------------------

  addFocalPoint(input: AddFocalPointInput, ctx: CommandContext): Promise<FocalPointRecord> {
    return this.run(
      {
        action: 'focal-point.add',
        entity: 'focal-point',
        entityId: str(field(input, 'id') ?? field(input, 'country')),
      },
      ctx,
      async () => {
        const i = parseInput(addFocalPointInputSchema, input, 'focal point');
        this.requireCountry(i.country);
        i.networks.forEach((n, index) => this.requireNetwork(n, `networks[${index}]`));
        const id = i.id ?? this.nextFocalPointId(i.country, i.agency);
        const record: FocalPointRecord = {
          id,
          kind: i.kind,
          name: i.name,
          agency: i.agency,
          role: i.role,
          country: i.country,
          networks: [...new Set(i.networks)],
          contact: i.contact,
          active: true,
          createdAt: this.now(),
        };
        const applied = await this.store.change<FocalPointRecord>(stateKeys.focalPoint(id), (current) => {
          if (current !== undefined)
            throw fieldRefusal('ERR_ALREADY_EXISTS', 'id', `focal point ${id} already exists`);
          return { write: true, value: record, result: record };
        });
        return { ...applied, entityId: id };
      },
    );
  }

  /** `<cc>-<agency slug>-<n>`, the first n not taken. */
  private nextFocalPointId(country: string, agency: string): string {
    const slug =
      agency
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 40)
        .replace(/-+$/, '') || 'unit';
    for (let n = 1; ; n++) {
      const id = `${country.toLowerCase()}-${slug}-${n}`;
      if (this.store.get(stateKeys.focalPoint(id)) === undefined) return id;
    }
  }

  deactivateFocalPoint(id: string, ctx: CommandContext): Promise<FocalPointRecord> {
    return this.run(
      { action: 'focal-point.deactivate', entity: 'focal-point', entityId: str(id), requireReason: true },
      ctx,
      async (c) => {
        if (typeof id !== 'string' || id === '')
          throw fieldError('id', 'required', 'required', 'focal point deactivation');
        const applied = await this.store.change<FocalPointRecord>(stateKeys.focalPoint(id), (current) => {
          const fp = current?.value as FocalPointRecord | undefined;
          if (fp === undefined) throw fieldRefusal('ERR_NOT_FOUND', 'id', `unknown focal point ${id}`);
          if (!fp.active)
            throw fieldRefusal('ERR_INVALID_TRANSITION', 'id', `focal point ${id} is already inactive`);
          const next: FocalPointRecord = {
            ...fp,
            active: false,
            deactivatedAt: this.now(),
            ...(c.reason === undefined ? {} : { deactivationReason: c.reason }),
          };
          return { write: true, value: next, result: next };
        });
        return applied;
      },
    );
  }

  // ---- keys -------------------------------------------------------------------------------------

  registerKey(input: RegisterKeyInput, ctx: CommandContext): Promise<KeyRecord> {
    return this.run(
      { action: 'key.register', entity: 'key', entityId: str(field(field(input, 'publicJwk'), 'kid')) },
      ctx,
      async () => {
        const i = parseInput(registerKeyInputSchema, input, 'key registration');
        const checked = checkPublicJwk(i.country, i.publicJwk, 'key registration');
        const country = this.requireCountry(i.country);
        if (currentStatus(country) === 'withdrawn')
          throw fieldRefusal(
            'ERR_INVALID_TRANSITION',
            'country',
            `${i.country} has withdrawn; it can register no key`,
          );
        const notBefore = i.notBefore ?? checked.nbf ?? this.now();
        const notAfter = i.notAfter ?? checked.exp;
        if (notAfter !== undefined && Date.parse(notAfter) <= Date.parse(notBefore))
          throw fieldError('notAfter', 'empty_interval', 'must be later than notBefore', 'key registration');
        const record = withJwkWindow({
          kid: checked.kid,
          country: i.country,
          use: checked.use,
          publicJwk: checked.jwk,
          notBefore,
          ...(notAfter === undefined ? {} : { notAfter }),
          registeredAt: this.now(),
        });
        const applied = await this.store.change<KeyRecord>(stateKeys.keys(i.country), (current) => {
          const keys = asList<KeyRecord>(current);
          if (keys.some((k) => k.kid === record.kid))
            throw fieldRefusal(
              'ERR_DUPLICATE_KID',
              'publicJwk.kid',
              `kid ${record.kid} is already registered`,
            );
          assertNoOverlap(keys, record, 'notBefore');
          return { write: true, value: [...keys, record], result: record };
        });
        return { ...applied, entityId: record.kid, before: undefined, after: record };
      },
    );
  }

  rotateKey(
    input: RotateKeyInput,
    ctx: CommandContext,
  ): Promise<{ previous?: KeyRecord; current: KeyRecord }> {
    return this.run(
      { action: 'key.rotate', entity: 'key', entityId: str(field(field(input, 'publicJwk'), 'kid')) },
      ctx,
      async () => {
        const i = parseInput(rotateKeyInputSchema, input, 'key rotation');
        const checked = checkPublicJwk(i.country, i.publicJwk, 'key rotation');
        const country = this.requireCountry(i.country);
        if (currentStatus(country) === 'withdrawn')
          throw fieldRefusal(
            'ERR_INVALID_TRANSITION',
            'country',
            `${i.country} has withdrawn; it can register no key`,
          );
        const at = i.at ?? this.now();
        const t = Date.parse(at);
        const notAfter = i.notAfter ?? checked.exp;
        if (notAfter !== undefined && Date.parse(notAfter) <= t)
          throw fieldError(
            'notAfter',
            'empty_interval',
            'must be later than the rotation time',
            'key rotation',
          );
        const applied = await this.store.change<{ previous?: KeyRecord; current: KeyRecord }>(
          stateKeys.keys(i.country),
          (current): StateChange<{ previous?: KeyRecord; current: KeyRecord }> => {
            const keys = asList<KeyRecord>(current);
            if (keys.some((k) => k.kid === checked.kid))
              throw fieldRefusal(
                'ERR_DUPLICATE_KID',
                'publicJwk.kid',
                `kid ${checked.kid} is already registered`,
              );
            const index = keys.findIndex((k) => k.use === checked.use && isKeyActiveAt(k, t));
            const old = keys[index];
            let previous: KeyRecord | undefined;
            if (old !== undefined) {
              if (Date.parse(old.notBefore) >= t)
                throw fieldError(
                  'at',
                  'empty_interval',
                  `must be later than the start of ${old.kid} (${old.notBefore})`,
                  'key rotation',
                );
              previous = withJwkWindow({ ...old, notAfter: at });
            }
            const next = withJwkWindow({
              kid: checked.kid,
              country: i.country,
              use: checked.use,
              publicJwk: checked.jwk,
              notBefore: at,
              ...(notAfter === undefined ? {} : { notAfter }),
              registeredAt: this.now(),
            });
            const updated = keys.map((k, j) => (j === index && previous !== undefined ? previous : k));
            assertNoOverlap(updated, next, 'at');
            return {
              write: true,
              value: [...updated, next],
              result: previous === undefined ? { current: next } : { previous, current: next },
            };
          },
        );
        return {
          ...applied,
          entityId: checked.kid,
          before:
            applied.result.previous === undefined
              ? undefined
              : keysBefore(applied.before, applied.result.previous.kid),
          after: applied.result,
        };
      },
    );
  }

  revokeKey(input: RevokeKeyInput, ctx: CommandContext): Promise<KeyRecord> {
    return this.run(
      { action: 'key.revoke', entity: 'key', entityId: str(field(input, 'kid')), requireReason: true },
      ctx,
      async (c) => {
        const i = parseInput(revokeKeyInputSchema, input, 'key revocation');
        const country = parseKid(i.kid)?.country;
        if (country === undefined) throw fieldRefusal('ERR_UNKNOWN_KEY', 'kid', `unknown key ${i.kid}`);
        const at = i.at ?? this.now();
        let before: KeyRecord | undefined;
        const applied = await this.store.change<KeyRecord>(stateKeys.keys(country), (current) => {
          const keys = asList<KeyRecord>(current);
          const index = keys.findIndex((k) => k.kid === i.kid);
          const found = keys[index];
          if (found === undefined) throw fieldRefusal('ERR_UNKNOWN_KEY', 'kid', `unknown key ${i.kid}`);
          if (found.revokedAt !== undefined)
            throw fieldRefusal(
              'ERR_INVALID_TRANSITION',
              'kid',
              `key ${i.kid} was already revoked at ${found.revokedAt}`,
            );
          before = found;
          const revoked = withJwkWindow({
            ...found,
            revokedAt: at,
            ...(c.reason === undefined ? {} : { revocationReason: c.reason }),
          });
          return { write: true, value: keys.map((k, j) => (j === index ? revoked : k)), result: revoked };
        });
        return { ...applied, entityId: i.kid, before, after: applied.result };
      },
    );
  }

  // ---- tokens -----------------------------------------------------------------------------------

  listRevokedTokens(): readonly RevokedToken[] {
    const now = this.clock().getTime();
    return this.state().revokedTokens.filter((r) => Date.parse(r.expiresAt) > now);
  }

  tokenRevoked(): TokenRevocationCheck {
    const state = this.state();
    if (this.revocationCache?.revision !== state.revision) {
      // Expired entries stay in this check until the next change: harmless, those tokens have expired.
      this.revocationCache = {
        revision: state.revision,
        check: tokenRevocationCheck(revocationsOf(state, this.now())),
      };
    }
    return this.revocationCache.check;
  }

  revokeToken(input: RevokeTokenInput, ctx: CommandContext): Promise<RevokedToken> {
    return this.run(
      { action: 'token.revoke', entity: 'token', entityId: str(field(input, 'jti')), requireReason: true },
      ctx,
      async () => {
        const i = parseInput(revokeTokenInputSchema, input, 'token revocation');
        const now = this.clock().getTime();
        const record: RevokedToken = {
          jti: i.jti,
          revokedAt: new Date(now).toISOString(),
          expiresAt: new Date(now + REVOCATION_KEPT_MS).toISOString(),
        };
        const applied = await this.store.change<RevokedToken>(stateKeys.revokedTokens, (current) => {
          // Entries past their expiry are pruned on every write: those tokens verify nowhere.
          const kept = asList<RevokedToken>(current).filter((r) => Date.parse(r.expiresAt) > now);
          const found = kept.find((r) => r.jti === i.jti);
          if (found !== undefined)
            throw fieldRefusal(
              'ERR_INVALID_TRANSITION',
              'jti',
              `token ${i.jti} was already revoked at ${found.revokedAt}`,
            );
          return { write: true, value: [...kept, record], result: record };
        });
        return { ...applied, entityId: i.jti, before: undefined, after: record };
      },
    );
  }

  // ---- audit ------------------------------------------------------------------------------------

  async auditDenied(entry: {
    actor: string;
    roles?: readonly string[];
    action: string;
    code: string;
    reason: string;
    requestId?: string;
  }): Promise<void> {
    const record: AuditRecord = {
      id: uuidv7(),
      at: this.now(),
      service: 'registry',
      actor: entry.actor === '' ? 'unknown' : entry.actor,
      roles: [...(entry.roles ?? [])],
      action: entry.action,
      entity: 'auth',
      entityId: entry.action,
      outcome: 'rejected',
      code: entry.code,
      reason: entry.reason,
      ...(entry.requestId === undefined ? {} : { requestId: entry.requestId }),
    };
    await this.audit.append(record);
  }

  async auditRejected(entry: RejectedCommand): Promise<void> {
    const record: AuditRecord = {
      id: uuidv7(),
      at: this.now(),
      service: 'registry',
      actor: entry.actor === '' ? 'unknown' : entry.actor,
      roles: [...(entry.roles ?? [])],
      action: entry.action,
      entity: entry.entity,
      entityId: entry.entityId === '' ? '?' : entry.entityId,
      outcome: 'rejected',
      code: entry.code,
      reason: entry.reason,
      ...(entry.requestId === undefined ? {} : { requestId: entry.requestId }),
    };
    await this.audit.append(record);
  }

  queryAudit(query: AuditQuery): Promise<readonly AuditRecord[]> {
    const limit = query.limit;
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000))
      return Promise.reject(
        fieldError('limit', 'invalid_value', 'must be an integer from 1 to 1000', 'audit query'),
      );
    for (const name of ['since', 'until'] as const) {
      const v = query[name];
      if (v !== undefined && Number.isNaN(Date.parse(v)))
        return Promise.reject(
          fieldError(name, 'invalid_format', 'must be an RFC 3339 instant', 'audit query'),
        );
    }
    return this.audit.query(query);
  }

  // ---- seeds ------------------------------------------------------------------------------------

  /**
   * Creates a seed record unless one with its id exists; never overwrites. Returns `created`,
   * `unchanged` (present and equal) or `differing` (present and different: an administrative
   * change the seed must not undo). Only `created` writes, audits (`seed.apply`) and publishes.
   */
  importSeed<E extends keyof SeedRecords>(
    entity: E,
    record: SeedRecords[E],
    ctx: CommandContext,
  ): Promise<SeedOutcome> {
    const { key, id, list } = this.seedTarget(entity, record);
    return this.run({ action: 'seed.apply', entity, entityId: id }, ctx, async () => {
      if (entity === 'membership') this.requireCountry((record as MembershipRecord).country);
      const applied = await this.store.change<SeedOutcome>(key, (current) => {
        if (!list) {
          if (current === undefined) {
            this.assertPolicyValid(key, record, `seed ${entity} ${id}`);
            return { write: true, value: record, result: 'created' };
          }
          return {
            write: false,
            result: canonicalJson(current.value) === canonicalJson(record) ? 'unchanged' : 'differing',
          };
        }
        const items = asList<{ id: string }>(current);
        const existing = items.find((x) => x.id === id);
        if (existing !== undefined)
          return {
            write: false,
            result: canonicalJson(existing) === canonicalJson(record) ? 'unchanged' : 'differing',
          };
        const next = [...items, record];
        this.assertPolicyValid(key, next, `seed ${entity} ${id}`);
        return { write: true, value: next, result: 'created' };
      });
      return { ...applied, entityId: id, before: undefined, after: record };
    });
  }

  private seedTarget(
    entity: keyof SeedRecords,
    record: SeedRecords[keyof SeedRecords],
  ): { key: string; id: string; list: boolean } {
    switch (entity) {
      case 'country': {
        const code = (record as CountryRecord).code;
        return { key: stateKeys.country(code), id: code, list: false };
      }
      case 'network':
        return {
          key: stateKeys.network((record as NetworkRecord).id),
          id: (record as NetworkRecord).id,
          list: false,
        };
      case 'membership': {
        const m = record as MembershipRecord;
        return { key: stateKeys.memberships(m.country), id: m.id, list: true };
      }
      case 'focal-point':
        return {
          key: stateKeys.focalPoint((record as FocalPointRecord).id),
          id: (record as FocalPointRecord).id,
          list: false,
        };
      case 'rule':
        return { key: stateKeys.rules, id: (record as PolicyRule).id, list: true };
      case 'glossary':
        return {
          key: stateKeys.glossary((record as GlossaryTerm).id),
          id: (record as GlossaryTerm).id,
          list: false,
        };
    }
  }
}

function keysBefore(before: unknown, kid: string): KeyRecord | undefined {
  return Array.isArray(before) ? (before as KeyRecord[]).find((k) => k.kid === kid) : undefined;
}

// ---- wiring -----------------------------------------------------------------------------------

export interface RegistryCoreOptions {
  readonly nc: NatsConnection;
  /** Where the registry key lives (`registry.private.jwk`, `registry.public.jwk`). */
  readonly dataDir: string;
  /** The time commands default to; default the system clock. */
  readonly clock?: () => Date;
  /** Values the state bucket keeps per key (default 10, at least 10). */
  readonly historyDepth?: number;
  /** Compare-and-set attempts before ERR_CONFLICT (default 10). */
  readonly maxAttempts?: number;
}

export interface RegistryCore {
  readonly service: KvRegistryService;
  /** The registry's public signing key, for nodes to pin. */
  readonly registryKey: { readonly kid: string; readonly publicJwk: Readonly<Record<string, unknown>> };
  /** Stops the watch; the NATS connection stays the caller's. */
  close(): Promise<void>;
}

/** Opens the registry core on `nc`: state bucket and its watch, audit stream, registry key. */
export async function openRegistryCore(options: RegistryCoreOptions): Promise<RegistryCore> {
  const clock = options.clock ?? (() => new Date());
  const key = await loadOrCreateRegistryKey(options.dataDir, { now: clock() });
  const audit = await AuditLog.open(options.nc);
  const store = await RegistryStateStore.open(options.nc, {
    ...(options.historyDepth === undefined ? {} : { history: options.historyDepth }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
  const service = new KvRegistryService(
    store,
    audit,
    new RegistryEventPublisher(options.nc, key),
    key,
    clock,
  );
  return {
    service,
    registryKey: { kid: key.kid, publicJwk: key.publicJwk },
    close: () => store.close(),
  };
}
