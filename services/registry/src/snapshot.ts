/**
 * Registry snapshots: the policy part (a PolicySnapshot projected from registry state, checked
 * with packages/policy's validateSnapshot), every registered key and the revoked bearer tokens
 * (by id, and by subject for deactivated focal points), signed by the registry key
 * as a compact JWS. Nodes verify them with verifySignedSnapshot (./trust.ts).
 */
import type { PolicySnapshot } from '@enlace/policy';
import { POLICY_SNAPSHOT_FORMAT, validateSnapshot } from '@enlace/policy';

import { RegistryError } from './domain/errors.js';
import type { Instant, RegistrySnapshot, RegistryState } from './domain/model.js';
import { REGISTRY_SNAPSHOT_FORMAT } from './domain/model.js';
import type { SignedSnapshot } from './domain/service.js';
import type { RegistryKey } from './registry-key.js';
import { signSnapshot } from './registry-key.js';

/** The policy projection of `state`: exactly the fields packages/policy knows. */
export function buildPolicySnapshot(state: RegistryState, generatedAt: Instant): PolicySnapshot {
  return {
    format: POLICY_SNAPSHOT_FORMAT,
    revision: state.revision,
    generatedAt,
    countries: state.countries.map((c) => ({ code: c.code, statusHistory: c.statusHistory })),
    networks: state.networks,
    memberships: state.memberships.map((m) => ({
      country: m.country,
      network: m.network,
      role: m.role,
      validFrom: m.validFrom,
      ...(m.validUntil === undefined ? {} : { validUntil: m.validUntil }),
    })),
    rules: state.rules,
  };
}

/** The snapshot of `state`; ERR_UNAVAILABLE if its policy part does not validate (a registry bug). */
export function buildRegistrySnapshot(
  state: RegistryState,
  generatedAt: Instant,
  registryKid: string,
): RegistrySnapshot {
  const policy = buildPolicySnapshot(state, generatedAt);
  const errors = validateSnapshot(policy).filter((p) => p.severity === 'error');
  if (errors.length > 0)
    throw new RegistryError(
      'ERR_UNAVAILABLE',
      `registry state at revision ${state.revision} does not make a valid policy snapshot: ${errors
        .slice(0, 3)
        .map((p) => `${p.path}: ${p.message}`)
        .join('; ')}`,
    );
  return {
    format: REGISTRY_SNAPSHOT_FORMAT,
    revision: state.revision,
    generatedAt,
    registryKid,
    policy,
    keys: state.keys,
    ...revocationsOf(state, generatedAt),
  };
}

/** The revocation lists of `state` as the snapshot carries them (and the registry itself checks). */
export function revocationsOf(
  state: RegistryState,
  at: Instant,
): Required<Pick<RegistrySnapshot, 'revokedTokens' | 'revokedSubjects'>> {
  const t = Date.parse(at);
  return {
    // Expired entries are left out: those tokens verify nowhere anyway.
    revokedTokens: state.revokedTokens.filter((r) => Date.parse(r.expiresAt) > t),
    // A deactivated focal point's tokens are refused by subject (see RevokedSubject): the
    // registry does not issue tokens, so it cannot list their ids.
    revokedSubjects: state.focalPoints
      .filter((f) => !f.active)
      .map((f) => ({ subject: f.id, revokedAt: f.deactivatedAt ?? f.createdAt })),
  };
}

/** Signs snapshots, keeping the last one per revision. */
export class SnapshotSigner {
  private cached: { revision: number; signed: Promise<SignedSnapshot> } | undefined;

  constructor(private readonly key: RegistryKey) {}

  signed(state: RegistryState, now: () => Instant): Promise<SignedSnapshot> {
    if (this.cached?.revision === state.revision) return this.cached.signed;
    const signed = (async () => {
      const snapshot = buildRegistrySnapshot(state, now(), this.key.kid);
      return { jws: await signSnapshot(snapshot, this.key), snapshot };
    })();
    this.cached = { revision: state.revision, signed };
    signed.catch(() => {
      if (this.cached?.signed === signed) this.cached = undefined;
    });
    return signed;
  }
}
