/**
 * How every service checks the registry's bearer tokens (DESIGN.md trust model 6), given to its
 * BearerAuth as `verify`: signed by the pinned registry key, for this service's own audience
 * only (a node's token is refused by the registry and the feed service), and not revoked by the
 * registry state in force (the registry's own, or the TrustView nodes and the feed service
 * follow through its change events). Every refusal is a TrustError ERR_UNAUTHENTICATED saying
 * why, which the guard answers with 401.
 */
import { verifyToken } from '@enlace/trust';
import type { Actor, ServiceAudience, TokenRevocationCheck } from '@enlace/trust';

export interface TokenVerifierOptions {
  /** The registry's public Ed25519 JWK. */
  readonly registryPublicJwk: Readonly<Record<string, unknown>>;
  /** This service's audience (SERVICE_AUDIENCES.registry, .node or .feed). */
  readonly audience: ServiceAudience;
  /**
   * The revocation list in force, asked on every request (undefined before any state: a service
   * without a snapshot checks none, as it cannot have learnt of any).
   */
  readonly revocations?: () => TokenRevocationCheck | undefined;
}

export function createTokenVerifier(options: TokenVerifierOptions): (token: string) => Promise<Actor> {
  return (token) =>
    verifyToken(token, options.registryPublicJwk, {
      audience: options.audience,
      revoked: options.revocations?.(),
    });
}
