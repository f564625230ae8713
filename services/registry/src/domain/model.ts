/**
 * The registry's entities. Country, Network, Membership and PolicyRule extend the shapes that
 * packages/policy evaluates, so a policy snapshot is a projection of registry state, not a
 * translation. Everything is plain JSON; times are `Instant`s (RFC 3339 UTC, `Z`, ms precision).
 */
import type {
  CountryStatusChange,
  Instant,
  LocalizedText,
  Membership,
  MembershipRole,
  Network,
  NetworkId,
  PolicyRule,
  PolicySnapshot,
} from '@enlace/policy';

export type { Instant, LocalizedText, NetworkId };
/** Roles a country can hold on a network (packages/policy's list). */
export { MEMBERSHIP_ROLES } from '@enlace/policy';

/** Names in the four working languages of the process. */
export interface Names {
  readonly en: string;
  readonly es: string;
  readonly fr: string;
  readonly pt: string;
}

export interface CountryRecord {
  /** ISO 3166-1 alpha-2, upper case. */
  readonly code: string;
  readonly names: Names;
  /** Status changes in strictly increasing effectiveAt order, each with actor, reason, decision. */
  readonly statusHistory: readonly CountryStatusChange[];
}

export type NetworkRecord = Network;

export interface MembershipRecord extends Membership {
  /** `<country>.<network>.<role>.<validFrom>`: stable, unique. */
  readonly id: string;
  /** Who ended it and why, when validUntil is set by a removal. */
  readonly endedBy?: string;
  readonly endReason?: string;
}

export const FOCAL_POINT_ROLES = [
  'liaison-officer',
  'consular-protection-officer',
  'migration-expert',
  'fiu-analyst',
  'administrator',
] as const;
export type FocalPointRole = (typeof FOCAL_POINT_ROLES)[number];

export const CONTACT_CHANNELS = ['email', 'phone', 'secure-messaging'] as const;
export type ContactChannel = (typeof CONTACT_CHANNELS)[number];

export interface FocalPointRecord {
  /** Stable id, lower-case slug, e.g. "mx-inm-liaison-1". */
  readonly id: string;
  /** A named person or a unit (desk) of an agency. */
  readonly kind: 'person' | 'unit';
  readonly name: string;
  readonly agency: string;
  readonly role: FocalPointRole;
  readonly country: string;
  readonly networks: readonly NetworkId[];
  readonly contact: { readonly channel: ContactChannel; readonly address: string };
  readonly active: boolean;
  readonly createdAt: Instant;
  readonly deactivatedAt?: Instant;
  readonly deactivationReason?: string;
}

export type KeyUse = 'sig' | 'enc';

/** A public key of a country, as registered. The private half never reaches the registry. */
export interface KeyRecord {
  /** `<CC>-<use>-<year>-<seq>`, e.g. "MX-sig-2026-01"; its country part must equal `country`. */
  readonly kid: string;
  readonly country: string;
  readonly use: KeyUse;
  /** Public JWK (OKP Ed25519 for sig, OKP X25519 for enc) with kid and use set, nothing private. */
  readonly publicJwk: Readonly<Record<string, unknown>>;
  /** Valid from (inclusive). */
  readonly notBefore: Instant;
  /** Valid until (exclusive); absent: open-ended. */
  readonly notAfter?: Instant;
  readonly registeredAt: Instant;
  /** From this instant the key verifies nothing issued at or after it. */
  readonly revokedAt?: Instant;
  readonly revocationReason?: string;
}

export interface GlossaryTerm {
  /** Stable id, lower-case slug, e.g. "migrant-smuggling". */
  readonly id: string;
  /** e.g. "crime", "document-fraud", "route", "network-role", "handling", "grading". */
  readonly category: string;
  readonly labels: Names;
  readonly definitions: Names;
  /** Where the term comes from (e.g. the UN Smuggling Protocol, art. 3). */
  readonly source?: string;
}

/** The registry's whole state at one revision. */
export interface RegistryState {
  /** Last sequence of the state bucket's stream when the state was read; grows with every change. */
  readonly revision: number;
  readonly countries: readonly CountryRecord[];
  readonly networks: readonly NetworkRecord[];
  readonly memberships: readonly MembershipRecord[];
  readonly focalPoints: readonly FocalPointRecord[];
  readonly keys: readonly KeyRecord[];
  readonly rules: readonly PolicyRule[];
  readonly glossary: readonly GlossaryTerm[];
}

export const REGISTRY_SNAPSHOT_FORMAT = 'enlace.registry.snapshot.v1';

/**
 * What nodes trust: signed by the registry key as a compact JWS (EdDSA, payload = this JSON),
 * checked against the pinned registry public key. `policy` is exactly what
 * createPolicyEvaluator() takes; `keys` are all registered keys, revoked ones included (with
 * revokedAt), so a node can tell revoked_key from unknown_key and judge keys at issued_at.
 */
export interface RegistrySnapshot {
  readonly format: typeof REGISTRY_SNAPSHOT_FORMAT;
  readonly revision: number;
  readonly generatedAt: Instant;
  /** kid of the registry key that signed it. */
  readonly registryKid: string;
  readonly policy: PolicySnapshot;
  readonly keys: readonly KeyRecord[];
}

/**
 * Roles carried by registry-issued bearer tokens (JWT). `fiu-analyst`: an analyst of a country's
 * financial intelligence unit (2010 Declaration, initiative 14), who manages that country's feeds
 * and matches its cases; it always names its country.
 */
export const TOKEN_ROLES = ['administrator', 'focal-point', 'auditor', 'fiu-analyst'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** Who does something, for authorization and the audit trail. */
export interface Actor {
  /** Token subject, e.g. "admin@secretariat" or "seed". */
  readonly id: string;
  readonly roles: readonly TokenRole[];
  /** The actor's country, for focal-point tokens. */
  readonly country?: string;
}

/** What every administrative command carries for the audit trail. */
export interface CommandContext {
  readonly actor: Actor;
  /** Why, in words; required for status changes, removals, deactivations and revocations. */
  readonly reason?: string;
  /** The decision it rests on, e.g. "XVII RCM (Panama, 2012), decision 6". */
  readonly decision?: string;
  /** Correlates the audit record with a request (HTTP request id, NATS inbox). */
  readonly requestId?: string;
}

/** One record of the append-only audit stream (ENLACE_AUDIT, enlace.v1.audit.registry.<actor>). */
export interface AuditRecord {
  /** UUIDv7. */
  readonly id: string;
  /** Stream sequence, set when read back. */
  readonly sequence?: number;
  readonly at: Instant;
  readonly service: 'registry';
  readonly actor: string;
  readonly roles: readonly string[];
  /** e.g. "country.admit", "country.suspend", "key.revoke", "auth.denied", "seed.apply". */
  readonly action: string;
  /** e.g. "country", "membership", "focal-point", "key", "rule", "auth". */
  readonly entity: string;
  readonly entityId: string;
  readonly outcome: 'ok' | 'rejected';
  /** Stable error code when rejected. */
  readonly code?: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly reason?: string;
  readonly decision?: string;
  readonly requestId?: string;
  /** Registry revision after the change (ok outcomes that changed state). */
  readonly revision?: number;
}

export interface AuditQuery {
  readonly actor?: string;
  readonly action?: string;
  readonly entity?: string;
  readonly entityId?: string;
  readonly since?: Instant;
  readonly until?: Instant;
  /** Default 100, at most 1000; newest first. */
  readonly limit?: number;
}

/** A change event on enlace.v1.registry.event.<entity>.<id>, signed by the registry. */
export interface RegistryChange {
  readonly revision: number;
  readonly entity: 'country' | 'network' | 'membership' | 'focal-point' | 'key' | 'rule' | 'glossary';
  readonly id: string;
  readonly action: string;
  readonly at: Instant;
}

export type { MembershipRole, PolicyRule };
