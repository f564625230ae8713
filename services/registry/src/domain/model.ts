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
} from '@enlace/policy';

import type { Actor, FocalPointRole, KeyRecord, RevokedToken } from '@enlace/trust';

export type { Instant, LocalizedText, NetworkId };
// The signed state's shape lives in @enlace/trust (what nodes verify); the registry builds it.
export { FOCAL_POINT_ROLES, REGISTRY_SNAPSHOT_FORMAT, TOKEN_ROLES } from '@enlace/trust';
export type {
  Actor,
  FocalPointRole,
  KeyRecord,
  KeyUse,
  RegistryChange,
  RegistrySnapshot,
  RevokedSubject,
  RevokedToken,
  TokenRole,
} from '@enlace/trust';
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
  /** Bearer tokens revoked by id, not yet pruned (see RegistryService.revokeToken). */
  readonly revokedTokens: readonly RevokedToken[];
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
  /** Only records stored before this audit stream sequence: the next page after a record's `sequence`. */
  readonly before?: number;
  /** Default 100, at most 1000; newest first. */
  readonly limit?: number;
}

export type { MembershipRole, PolicyRule };
