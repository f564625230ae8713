/**
 * The shape of what the registry signs and nodes, the feed service and tools trust (DESIGN.md
 * trust model 1 and 6): the snapshot (policy + every registered key), the change events, and
 * the roles bearer tokens carry. The registry builds these from its state; everyone else only
 * reads them. Times are `Instant`s (RFC 3339 UTC, `Z`, ms precision).
 */
import type { Instant, PolicySnapshot } from '@enlace/policy';

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
  /**
   * Bearer tokens revoked by id (`jti`), each kept until it would have expired anyway, then
   * pruned. Absent in snapshots of registries that predate revocation: none revoked.
   */
  readonly revokedTokens?: readonly RevokedToken[];
  /**
   * Subjects whose tokens are all refused: focal points that were deactivated. Tokens are issued
   * where the registry key is (the CLI, the local network), not by the registry's API, so the
   * registry cannot know every jti issued to a focal point; it knows the subject. A deactivated
   * focal point is never reactivated, so every token with its id as subject is refused,
   * whenever it was issued (also one issued after the deactivation by mistake).
   */
  readonly revokedSubjects?: readonly RevokedSubject[];
}

/** A token revoked by id. */
export interface RevokedToken {
  readonly jti: string;
  readonly revokedAt: Instant;
  /** No token with this id verifies after this instant anyway: the entry may be pruned then. */
  readonly expiresAt: Instant;
}

/** A subject (a deactivated focal point's id) none of whose tokens is accepted any more. */
export interface RevokedSubject {
  readonly subject: string;
  readonly revokedAt: Instant;
}

/** A change event on enlace.v1.registry.event.<entity>.<id>, signed by the registry. */
export interface RegistryChange {
  readonly revision: number;
  readonly entity:
    'country' | 'network' | 'membership' | 'focal-point' | 'key' | 'rule' | 'glossary' | 'token';
  readonly id: string;
  readonly action: string;
  readonly at: Instant;
}

/** Roles a focal point of a country can hold (the conference decisions' designations). */
export const FOCAL_POINT_ROLES = [
  'liaison-officer',
  'consular-protection-officer',
  'migration-expert',
  'fiu-analyst',
  'administrator',
] as const;
export type FocalPointRole = (typeof FOCAL_POINT_ROLES)[number];

/**
 * Roles carried by registry-issued bearer tokens (JWT). `fiu-analyst`: an analyst of a country's
 * financial intelligence unit (2010 Declaration, initiative 14), who manages that country's feeds
 * and matches its cases; it always names its country.
 */
export const TOKEN_ROLES = ['administrator', 'focal-point', 'auditor', 'fiu-analyst'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** Who does something, for authorization and the audit trail: what a verified token says. */
export interface Actor {
  /** Token subject, e.g. "admin@secretariat" or "seed". */
  readonly id: string;
  readonly roles: readonly TokenRole[];
  /** The actor's country, for focal-point tokens. */
  readonly country?: string;
}
