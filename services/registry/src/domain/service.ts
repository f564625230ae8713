/**
 * The registry's application service: what the HTTP admin API, the NATS RPC handlers, the seed
 * loader and `enlace registry` all call. Reads come from the in-memory view of the KV state
 * (kept current by a KV watch); commands validate, check invariants against the current state,
 * write with a KV revision check (retrying on a concurrent change, so no update is lost), append
 * an audit record, and publish a signed change event. Every method throws RegistryError only.
 */
import type { PolicyDecision, PolicySnapshot } from '@enlace/policy';
import type {
  AuditQuery,
  AuditRecord,
  CommandContext,
  CountryRecord,
  FocalPointRecord,
  GlossaryTerm,
  Instant,
  KeyRecord,
  KeyUse,
  MembershipRecord,
  MembershipRole,
  Names,
  NetworkRecord,
  PolicyRule,
  RegistrySnapshot,
  RevokedToken,
} from './model.js';
import type { TokenRevocationCheck } from '@enlace/trust';

export interface AdmitCountryInput {
  readonly code: string;
  /** Required when the country is new to the registry. */
  readonly names?: Names;
  readonly status: 'member' | 'observer';
  /** Default: now. */
  readonly effectiveAt?: Instant;
}

export interface StatusChangeInput {
  readonly code: string;
  readonly effectiveAt?: Instant;
}

export interface AddMembershipInput {
  readonly country: string;
  readonly network: string;
  readonly role: MembershipRole;
  readonly validFrom?: Instant;
  readonly validUntil?: Instant;
}

export interface RemoveMembershipInput {
  readonly country: string;
  readonly network: string;
  readonly role: MembershipRole;
  /** When it ends; default now. */
  readonly at?: Instant;
}

export interface AddFocalPointInput {
  readonly id?: string;
  readonly kind: 'person' | 'unit';
  readonly name: string;
  readonly agency: string;
  readonly role: FocalPointRecord['role'];
  readonly country: string;
  readonly networks: readonly string[];
  readonly contact: FocalPointRecord['contact'];
}

export interface RegisterKeyInput {
  readonly country: string;
  /** Public JWK with kid; use/crv decide sig or enc. A private member ("d") is refused. */
  readonly publicJwk: Readonly<Record<string, unknown>>;
  readonly notBefore?: Instant;
  readonly notAfter?: Instant;
}

export interface RotateKeyInput {
  readonly country: string;
  readonly publicJwk: Readonly<Record<string, unknown>>;
  /** When the new key takes over (default now); the current key of that use ends then. */
  readonly at?: Instant;
  readonly notAfter?: Instant;
}

export interface RevokeKeyInput {
  readonly kid: string;
  /** Default now. Alerts issued at or after it no longer verify with the key. */
  readonly at?: Instant;
}

export interface RevokeTokenInput {
  /** The token's id (its `jti` claim). */
  readonly jti: string;
}

export interface KeyFilter {
  readonly country?: string;
  readonly use?: KeyUse;
  /** Only keys valid and not revoked at this instant. */
  readonly activeAt?: Instant;
}

export interface DecideInput {
  readonly action: 'publish' | 'receive';
  readonly network: string;
  readonly kind: 'route' | 'document' | 'network';
  readonly origin: string;
  /** For receive: the receiving country. */
  readonly receiver?: string;
  readonly recipients?: readonly string[];
  readonly handling?: 'H0' | 'H1' | 'H2' | 'H3';
  readonly at?: Instant;
}

/** A command refused before it ran, as the audit trail records it. */
export interface RejectedCommand {
  readonly actor: string;
  readonly roles?: readonly string[];
  /** The command's action, as its own audit records name it, e.g. "country.admit". */
  readonly action: string;
  /** e.g. "country", "membership", "focal-point", "key". */
  readonly entity: string;
  /** The entity the request named, as far as it could be read ("?" when it could not). */
  readonly entityId: string;
  /** Stable error code of the refusal, e.g. ERR_VALIDATION. */
  readonly code: string;
  /** Why it was refused (the error message). */
  readonly reason: string;
  readonly requestId?: string;
}

/** A compact JWS over the snapshot JSON, and the snapshot it carries. */
export interface SignedSnapshot {
  readonly jws: string;
  readonly snapshot: RegistrySnapshot;
}

export interface RegistryService {
  revision(): number;

  listCountries(): readonly CountryRecord[];
  getCountry(code: string): CountryRecord;
  listNetworks(): readonly NetworkRecord[];
  getNetwork(id: string): NetworkRecord;
  listMemberships(filter?: {
    country?: string;
    network?: string;
    activeAt?: Instant;
  }): readonly MembershipRecord[];
  listFocalPoints(filter?: {
    country?: string;
    network?: string;
    role?: string;
    active?: boolean;
  }): readonly FocalPointRecord[];
  getFocalPoint(id: string): FocalPointRecord;
  listKeys(filter?: KeyFilter): readonly KeyRecord[];
  getKey(kid: string): KeyRecord;
  listRules(): readonly PolicyRule[];
  glossary(): readonly GlossaryTerm[];

  /** Public JWKS of keys valid and not revoked now (GET /.well-known/jwks.json). */
  activeJwks(): { keys: Array<Record<string, unknown>> };
  policySnapshot(): PolicySnapshot;
  signedSnapshot(): Promise<SignedSnapshot>;
  decide(input: DecideInput): PolicyDecision;

  admitCountry(input: AdmitCountryInput, ctx: CommandContext): Promise<CountryRecord>;
  suspendCountry(input: StatusChangeInput, ctx: CommandContext): Promise<CountryRecord>;
  reinstateCountry(input: StatusChangeInput, ctx: CommandContext): Promise<CountryRecord>;
  withdrawCountry(input: StatusChangeInput, ctx: CommandContext): Promise<CountryRecord>;

  addMembership(input: AddMembershipInput, ctx: CommandContext): Promise<MembershipRecord>;
  removeMembership(input: RemoveMembershipInput, ctx: CommandContext): Promise<MembershipRecord>;

  addFocalPoint(input: AddFocalPointInput, ctx: CommandContext): Promise<FocalPointRecord>;
  deactivateFocalPoint(id: string, ctx: CommandContext): Promise<FocalPointRecord>;

  registerKey(input: RegisterKeyInput, ctx: CommandContext): Promise<KeyRecord>;
  rotateKey(
    input: RotateKeyInput,
    ctx: CommandContext,
  ): Promise<{ previous?: KeyRecord; current: KeyRecord }>;
  revokeKey(input: RevokeKeyInput, ctx: CommandContext): Promise<KeyRecord>;

  /**
   * Revokes a bearer token by id: from the next revision on, the registry, every node and the
   * feed service refuse it. Kept in the signed snapshot until it would have expired anyway.
   */
  revokeToken(input: RevokeTokenInput, ctx: CommandContext): Promise<RevokedToken>;
  /** Tokens revoked by id and not yet expired. */
  listRevokedTokens(): readonly RevokedToken[];
  /** The revocation check of the state in force (the registry's own bearer guard uses it). */
  tokenRevoked(): TokenRevocationCheck;

  /** Records a refused request (401/403, bad token) in the audit stream. */
  auditDenied(entry: {
    actor: string;
    /** The roles of a valid token refused for lacking one (403). */
    roles?: readonly string[];
    action: string;
    code: string;
    reason: string;
    requestId?: string;
  }): Promise<void>;
  /**
   * Records an authenticated command refused before it reached the core (malformed JSON, a body
   * or path the API's schemas refuse) in the audit stream, outcome `rejected` with its code, so
   * the trail shows every attempted administrative action. Refusals of the commands themselves
   * are audited by the commands; do not record those again.
   */
  auditRejected(entry: RejectedCommand): Promise<void>;
  queryAudit(query: AuditQuery): Promise<readonly AuditRecord[]>;
}
