/**
 * The registry API's JSON, as it travels (services/registry/src/http/*.controller.ts and the
 * schemas of its OpenAPI document at /docs-json). Defined here so no client imports a service.
 */
import type { AlertKind, HandlingCode, MembershipRole, PolicyRule } from '@enlace/policy';

/** An RFC 3339 UTC instant, e.g. 2026-03-01T00:00:00.000Z */
export type InstantText = string;

export interface Names {
  readonly en: string;
  readonly es: string;
  readonly fr: string;
  readonly pt: string;
}

/** Every list of the registry: the items at one revision of its state. */
export interface RegistryList<T> {
  readonly revision: number;
  readonly items: readonly T[];
}

/** Why a change is made, kept in the audit trail. */
export interface Why {
  readonly reason?: string;
  /** The decision it rests on, e.g. "XVII RCM (Panama, 2012), decision 6". */
  readonly decision?: string;
}

export type CountryStatusName = 'member' | 'observer' | 'suspended' | 'withdrawn';

export interface CountryStatusChangeJson {
  readonly status: CountryStatusName;
  readonly effectiveAt: InstantText;
  readonly actor?: string;
  readonly reason?: string;
  readonly decision?: string;
}

export interface CountryJson {
  readonly code: string;
  readonly names: Names;
  readonly statusHistory: readonly CountryStatusChangeJson[];
}

export interface AdmitCountryRequest extends Why {
  readonly code: string;
  readonly status: 'member' | 'observer';
  /** Required when the country is new. */
  readonly names?: Names;
  readonly effectiveAt?: InstantText;
}

export interface StatusChangeRequest extends Why {
  readonly reason: string;
  readonly effectiveAt?: InstantText;
}

export type CountryStatusChange = 'suspend' | 'reinstate' | 'withdraw';

/** A network: its id and what the seeds say of it (mandate, names, legal basis). */
export interface NetworkJson {
  readonly id: string;
  readonly [field: string]: unknown;
}

export interface MembershipJson {
  readonly id: string;
  readonly country: string;
  readonly network: string;
  readonly role: MembershipRole;
  readonly validFrom: InstantText;
  readonly validUntil?: InstantText;
  readonly endedBy?: string;
  readonly endReason?: string;
}

export interface MembershipsQuery {
  readonly country?: string;
  readonly network?: string;
  readonly activeAt?: InstantText;
}

export interface AddMembershipRequest extends Why {
  readonly country: string;
  readonly network: string;
  readonly role: MembershipRole;
  readonly validFrom?: InstantText;
  readonly validUntil?: InstantText;
}

export interface EndMembershipRequest extends Why {
  readonly country: string;
  readonly network: string;
  readonly role: MembershipRole;
  readonly reason: string;
  readonly at?: InstantText;
}

export type FocalPointRoleName = string;
export type ContactChannelName = 'email' | 'phone' | 'secure-messaging';

export interface FocalPointJson {
  readonly id: string;
  readonly kind: 'person' | 'unit';
  readonly name: string;
  readonly agency: string;
  readonly role: FocalPointRoleName;
  readonly country: string;
  readonly networks: readonly string[];
  readonly contact: { readonly channel: ContactChannelName; readonly address: string };
  readonly active: boolean;
  readonly createdAt: InstantText;
  readonly deactivatedAt?: InstantText;
  readonly deactivationReason?: string;
}

export interface FocalPointsQuery {
  readonly country?: string;
  readonly network?: string;
  readonly role?: FocalPointRoleName;
  readonly active?: boolean;
}

export interface AddFocalPointRequest extends Why {
  /** A lower-case slug; made by the registry when absent. */
  readonly id?: string;
  readonly kind: 'person' | 'unit';
  readonly name: string;
  readonly agency: string;
  readonly role: FocalPointRoleName;
  readonly country: string;
  readonly networks: readonly string[];
  readonly contact: { readonly channel: ContactChannelName; readonly address: string };
}

export interface ReasonRequest extends Why {
  readonly reason: string;
}

/** A public JSON Web Key (RFC 7517) with its kid; never "d". */
export interface PublicJwkJson {
  readonly kid: string;
  readonly [member: string]: unknown;
}

export interface KeyJson {
  readonly kid: string;
  readonly country: string;
  readonly use: 'sig' | 'enc';
  readonly publicJwk: PublicJwkJson;
  readonly notBefore: InstantText;
  readonly notAfter?: InstantText;
  readonly registeredAt: InstantText;
  readonly revokedAt?: InstantText;
  readonly revocationReason?: string;
}

export interface KeysQuery {
  readonly country?: string;
  readonly use?: 'sig' | 'enc';
  /** Only keys valid and not revoked now. */
  readonly active?: boolean;
  readonly activeAt?: InstantText;
}

export interface RegisterKeyRequest extends Why {
  readonly country: string;
  readonly publicJwk: PublicJwkJson;
  readonly notBefore?: InstantText;
  readonly notAfter?: InstantText;
}

export interface RotateKeyRequest extends Why {
  readonly country: string;
  readonly publicJwk: PublicJwkJson;
  /** When the new key takes over; default now. */
  readonly at?: InstantText;
  readonly notAfter?: InstantText;
}

export interface KeyRotationJson {
  readonly previous?: KeyJson;
  readonly current: KeyJson;
}

export interface RevokeKeyRequest extends Why {
  readonly reason: string;
  readonly at?: InstantText;
}

export interface RevokeTokenRequest extends Why {
  readonly reason: string;
}

/** A bearer token revoked by id, kept on the list until it would have expired anyway. */
export interface RevokedTokenJson {
  readonly jti: string;
  readonly revokedAt: InstantText;
  readonly expiresAt: InstantText;
}

export interface DecideRequest {
  readonly action: 'publish' | 'receive';
  readonly network: string;
  readonly kind: AlertKind;
  readonly origin: string;
  /** For receive: the receiving country. */
  readonly receiver?: string;
  readonly recipients?: readonly string[];
  readonly handling?: HandlingCode;
  readonly at?: InstantText;
}

export interface PolicyDecisionJson {
  readonly allowed: boolean;
  /** Stable reason code when denied, e.g. origin_suspended. */
  readonly reason?: string;
  readonly message?: string;
  readonly rules?: readonly string[];
  readonly basis?: readonly unknown[];
}

export type PolicyRuleJson = PolicyRule;

export interface GlossaryTermJson {
  readonly id: string;
  readonly category: string;
  readonly labels: Names;
  readonly definitions: Names;
  readonly source?: string;
}

export interface AuditQuery {
  readonly actor?: string;
  readonly action?: string;
  readonly entity?: string;
  readonly entityId?: string;
  readonly since?: InstantText;
  readonly until?: InstantText;
  /** Paging: only records older than this sequence (the last `sequence` of the page before). */
  readonly before?: number | string;
  /** 1 to 1000, default 100. */
  readonly limit?: number | string;
}

export interface AuditRecordJson {
  readonly id: string;
  readonly sequence?: number;
  readonly at: InstantText;
  readonly service: 'registry';
  readonly actor: string;
  readonly roles: readonly string[];
  readonly action: string;
  readonly entity: string;
  readonly entityId: string;
  readonly outcome: 'ok' | 'rejected';
  readonly code?: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly reason?: string;
  readonly decision?: string;
  readonly requestId?: string;
  readonly revision?: number;
}

export interface RegistryHealthJson {
  readonly status: 'ok';
  readonly revision: number;
}

export interface JwksJson {
  readonly keys: readonly PublicJwkJson[];
}

/** GET /v1/snapshot?format=json: the JWS and its payload (unverified: verify the JWS). */
export interface SignedSnapshotJson {
  readonly jws: string;
  readonly snapshot: {
    readonly format: string;
    readonly revision: number;
    readonly generatedAt: InstantText;
    readonly [field: string]: unknown;
  };
}
