/**
 * A verified registry snapshot made ready for checking alerts: its policy evaluator, its keys by
 * kid with their public halves imported once, and the keys' validity at a given instant.
 */
import { importPublicKey } from '@enlace/crypto';
import type { PublicKeyRecord } from '@enlace/crypto';
import { createPolicyEvaluator } from '@enlace/policy';
import type { PolicyEvaluator } from '@enlace/policy';

import type { KeyRecord, RegistrySnapshot } from './signed-state.js';
import { tokenRevocationCheck } from './token.js';
import type { TokenRevocationCheck } from './token.js';

/** Where the snapshot in force came from. */
export type TrustSource = 'registry' | 'disk';

export interface TrustView {
  readonly snapshot: RegistrySnapshot;
  /** The compact JWS it was verified from (what is kept on disk). */
  readonly jws: string;
  readonly revision: number;
  readonly policy: PolicyEvaluator;
  readonly source: TrustSource;
  /** When this node verified it. */
  readonly verifiedAt: Date;
  key(kid: string): KeyRecord | undefined;
  /** The imported public key of a registered key (undefined when the JWK is unusable). */
  publicKey(kid: string): PublicKeyRecord | undefined;
  /** Encryption keys of `country` valid and not revoked at `at`, newest first. */
  encryptionKeys(country: string, at: Date): readonly KeyRecord[];
  /** Signing keys of `country` valid and not revoked at `at`, newest first. */
  signingKeys(country: string, at: Date): readonly KeyRecord[];
  /** Why the snapshot's revocation list refuses a token, or undefined (for verifyToken). */
  readonly tokenRevoked: TokenRevocationCheck;
}

/** Why a registered key does not verify at an instant, or undefined when it does. */
export function keyProblemAt(key: KeyRecord, at: Date): 'revoked' | 'not_yet_valid' | 'expired' | undefined {
  const t = at.getTime();
  if (key.revokedAt !== undefined && Date.parse(key.revokedAt) <= t) return 'revoked';
  if (Date.parse(key.notBefore) > t) return 'not_yet_valid';
  if (key.notAfter !== undefined && Date.parse(key.notAfter) <= t) return 'expired';
  return undefined;
}

export function createTrustView(
  snapshot: RegistrySnapshot,
  jws: string,
  source: TrustSource,
  verifiedAt = new Date(),
): TrustView {
  const policy = createPolicyEvaluator(snapshot.policy);
  const keys = new Map(snapshot.keys.map((k) => [k.kid, k]));
  const imported = new Map<string, PublicKeyRecord | undefined>();
  const valid = (country: string, use: 'sig' | 'enc', at: Date): KeyRecord[] =>
    snapshot.keys
      .filter((k) => k.country === country && k.use === use && keyProblemAt(k, at) === undefined)
      .sort((a, b) => Date.parse(b.notBefore) - Date.parse(a.notBefore) || b.kid.localeCompare(a.kid));
  return {
    snapshot,
    jws,
    revision: snapshot.revision,
    policy,
    source,
    verifiedAt,
    key: (kid) => keys.get(kid),
    publicKey(kid) {
      if (!imported.has(kid)) {
        const record = keys.get(kid);
        let key: PublicKeyRecord | undefined;
        try {
          key = record === undefined ? undefined : importPublicKey(record.publicJwk, record.use);
        } catch {
          key = undefined;
        }
        imported.set(kid, key);
      }
      return imported.get(kid);
    },
    encryptionKeys: (country, at) => valid(country, 'enc', at),
    signingKeys: (country, at) => valid(country, 'sig', at),
    tokenRevoked: tokenRevocationCheck(snapshot),
  };
}
