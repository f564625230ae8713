/**
 * The registry core: the `Registry` facade (RegistryService) composing the aggregates, each in
 * its feature folder (countries, networks, memberships, focal-points, keys, policy, glossary,
 * tokens) around the one command pipeline (./command-pipeline.ts), plus the audit trail, seed
 * import and signed snapshots. `openRegistryCore` wires it up on a NATS connection: state bucket
 * and its watch, audit stream, registry key.
 */
import type { Jwks } from '@enlace/crypto';
import type { PolicyDecision, PolicySnapshot } from '@enlace/policy';
import type { TokenRevocationCheck } from '@enlace/trust';
import type { NatsConnection } from '@nats-io/transport-node';

import { AuditLog } from './audit/audit-log.js';
import { AuditTrail } from './audit/audit-trail.js';
import type { DeniedRequest } from './audit/audit-trail.js';
import { CommandPipeline } from './command-pipeline.js';
import { Countries } from './countries/countries.js';
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
  RegistryState,
  RevokedToken,
} from './domain/model.js';
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
import { RegistryEventPublisher } from './events.js';
import { FocalPoints } from './focal-points/focal-points.js';
import type { FocalPointFilter } from './focal-points/focal-points.js';
import { Glossary } from './glossary/glossary.js';
import { Keys } from './keys/keys.js';
import type { KeyRotation } from './keys/keys.js';
import { Memberships } from './memberships/memberships.js';
import { Networks } from './networks/networks.js';
import { Policy } from './policy/policy.js';
import { loadOrCreateRegistryKey } from './registry-key.js';
import type { RegistryKey } from './registry-key.js';
import { RegistryView } from './registry-view.js';
import { SeedImport } from './seeds/seed-import.js';
import type { SeedOutcome, SeedRecords } from './seeds/seed-import.js';
import { SnapshotSigner } from './snapshot.js';
import { RegistryStateStore } from './store/state-store.js';
import { TokenRevocations } from './tokens/token-revocations.js';

export class Registry implements RegistryService {
  readonly countries: Countries;
  readonly networks: Networks;
  readonly memberships: Memberships;
  readonly focalPoints: FocalPoints;
  readonly keys: Keys;
  readonly policy: Policy;
  readonly glossaryTerms: Glossary;
  readonly tokenRevocations: TokenRevocations;
  private readonly view: RegistryView;
  private readonly audit: AuditTrail;
  private readonly seeds: SeedImport;
  private readonly signer: SnapshotSigner;

  constructor(
    store: RegistryStateStore,
    audit: AuditLog,
    events: RegistryEventPublisher,
    key: RegistryKey,
    clock: () => Date = () => new Date(),
  ) {
    const view = new RegistryView(store, clock);
    const now = () => view.now();
    const pipeline = new CommandPipeline(store, audit, events, now);
    this.view = view;
    this.policy = new Policy(view);
    this.countries = new Countries(view, pipeline, this.policy);
    this.networks = new Networks(view);
    this.memberships = new Memberships(view, pipeline, this.policy);
    this.focalPoints = new FocalPoints(view, pipeline);
    this.keys = new Keys(view, pipeline);
    this.glossaryTerms = new Glossary(view);
    this.tokenRevocations = new TokenRevocations(view, pipeline);
    this.audit = new AuditTrail(audit, now);
    this.seeds = new SeedImport(view, pipeline, this.policy);
    this.signer = new SnapshotSigner(key);
  }

  // ---- state and snapshots ----------------------------------------------------------------------

  revision(): number {
    return this.view.revision();
  }

  /** The whole state at the view's revision (cached per revision). */
  state(): RegistryState {
    return this.view.state();
  }

  policySnapshot(): PolicySnapshot {
    return this.policy.snapshot();
  }

  signedSnapshot(): Promise<SignedSnapshot> {
    return this.signer.signed(this.view.state(), () => this.view.now());
  }

  // ---- countries and networks -------------------------------------------------------------------

  listCountries(): readonly CountryRecord[] {
    return this.countries.list();
  }

  getCountry(code: string): CountryRecord {
    return this.countries.get(code);
  }

  admitCountry(input: AdmitCountryInput, ctx: CommandContext): Promise<CountryRecord> {
    return this.countries.admit(input, ctx);
  }

  suspendCountry(input: StatusChangeInput, ctx: CommandContext): Promise<CountryRecord> {
    return this.countries.suspend(input, ctx);
  }

  reinstateCountry(input: StatusChangeInput, ctx: CommandContext): Promise<CountryRecord> {
    return this.countries.reinstate(input, ctx);
  }

  withdrawCountry(input: StatusChangeInput, ctx: CommandContext): Promise<CountryRecord> {
    return this.countries.withdraw(input, ctx);
  }

  listNetworks(): readonly NetworkRecord[] {
    return this.networks.list();
  }

  getNetwork(id: string): NetworkRecord {
    return this.networks.get(id);
  }

  // ---- memberships and focal points -------------------------------------------------------------

  listMemberships(
    filter: { country?: string; network?: string; activeAt?: Instant } = {},
  ): readonly MembershipRecord[] {
    return this.memberships.list(filter);
  }

  addMembership(input: AddMembershipInput, ctx: CommandContext): Promise<MembershipRecord> {
    return this.memberships.add(input, ctx);
  }

  removeMembership(input: RemoveMembershipInput, ctx: CommandContext): Promise<MembershipRecord> {
    return this.memberships.remove(input, ctx);
  }

  listFocalPoints(filter: FocalPointFilter = {}): readonly FocalPointRecord[] {
    return this.focalPoints.list(filter);
  }

  getFocalPoint(id: string): FocalPointRecord {
    return this.focalPoints.get(id);
  }

  addFocalPoint(input: AddFocalPointInput, ctx: CommandContext): Promise<FocalPointRecord> {
    return this.focalPoints.add(input, ctx);
  }

  deactivateFocalPoint(id: string, ctx: CommandContext): Promise<FocalPointRecord> {
    return this.focalPoints.deactivate(id, ctx);
  }

  // ---- keys -------------------------------------------------------------------------------------

  listKeys(filter: KeyFilter = {}): readonly KeyRecord[] {
    return this.keys.list(filter);
  }

  getKey(kid: string): KeyRecord {
    return this.keys.get(kid);
  }

  activeJwks(): Jwks {
    return this.keys.activeJwks();
  }

  registerKey(input: RegisterKeyInput, ctx: CommandContext): Promise<KeyRecord> {
    return this.keys.register(input, ctx);
  }

  rotateKey(input: RotateKeyInput, ctx: CommandContext): Promise<KeyRotation> {
    return this.keys.rotate(input, ctx);
  }

  revokeKey(input: RevokeKeyInput, ctx: CommandContext): Promise<KeyRecord> {
    return this.keys.revoke(input, ctx);
  }

  // ---- policy and glossary ----------------------------------------------------------------------

  listRules(): readonly PolicyRule[] {
    return this.policy.listRules();
  }

  decide(input: DecideInput): PolicyDecision {
    return this.policy.decide(input);
  }

  glossary(): readonly GlossaryTerm[] {
    return this.glossaryTerms.terms();
  }

  // ---- tokens -----------------------------------------------------------------------------------

  listRevokedTokens(): readonly RevokedToken[] {
    return this.tokenRevocations.list();
  }

  tokenRevoked(): TokenRevocationCheck {
    return this.tokenRevocations.check();
  }

  revokeToken(input: RevokeTokenInput, ctx: CommandContext): Promise<RevokedToken> {
    return this.tokenRevocations.revoke(input, ctx);
  }

  // ---- audit and seeds --------------------------------------------------------------------------

  auditDenied(entry: DeniedRequest): Promise<void> {
    return this.audit.recordDenied(entry);
  }

  auditRejected(entry: RejectedCommand): Promise<void> {
    return this.audit.recordRejected(entry);
  }

  queryAudit(query: AuditQuery): Promise<readonly AuditRecord[]> {
    return this.audit.query(query);
  }

  /** Imports one seed record (see SeedImport.import): created unless present, never overwritten. */
  importSeed<E extends keyof SeedRecords>(
    entity: E,
    record: SeedRecords[E],
    ctx: CommandContext,
  ): Promise<SeedOutcome> {
    return this.seeds.import(entity, record, ctx);
  }
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
  readonly service: Registry;
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
  const service = new Registry(store, audit, new RegistryEventPublisher(options.nc, key), key, clock);
  return {
    service,
    registryKey: { kid: key.kid, publicJwk: key.publicJwk },
    close: () => store.close(),
  };
}
