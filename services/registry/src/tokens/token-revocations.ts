/**
 * The token revocations aggregate (`token-revocations`, one list): bearer tokens revoked by id
 * (`jti`), kept until they would have expired anyway, carried in the signed snapshot so that
 * the registry, every node and the feed service refuse them.
 */
import type { TokenRevocationCheck } from '@enlace/trust';
import { MAX_TOKEN_TTL_SECONDS, tokenRevocationCheck } from '@enlace/trust';

import { fieldRefusal } from '../domain/errors.js';
import type { CommandContext, RevokedToken } from '../domain/model.js';
import { revokeTokenInputSchema } from '../domain/schemas.js';
import type { RevokeTokenInput } from '../domain/service.js';
import { parseInput } from '../domain/validation.js';
import type { CommandPipeline } from '../command-pipeline.js';
import { idText, inputField } from '../command-pipeline.js';
import type { RegistryView } from '../registry-view.js';
import { asList, stateKeys } from '../registry-view.js';
import { revocationsOf } from '../snapshot.js';

/**
 * How long a token revoked by id is kept on the list: no token lives longer than
 * MAX_TOKEN_TTL_SECONDS (verifyToken refuses one whose exp - iat says more), so one revoked
 * now expires by then whenever it was issued; five minutes more cover the issuer's clock skew.
 * Operators need not know a token's expiry to revoke it, and the list stays small.
 */
const REVOCATION_KEPT_MS = (MAX_TOKEN_TTL_SECONDS + 300) * 1000;

export class TokenRevocations {
  private checkCache: { revision: number; check: TokenRevocationCheck } | undefined;

  constructor(
    private readonly view: RegistryView,
    private readonly pipeline: CommandPipeline,
  ) {}

  /** Tokens revoked by id and not yet expired. */
  list(): readonly RevokedToken[] {
    const now = this.view.nowMs();
    return this.view.state().revokedTokens.filter((r) => Date.parse(r.expiresAt) > now);
  }

  /** The revocation check of the state in force (cached per revision). */
  check(): TokenRevocationCheck {
    const state = this.view.state();
    if (this.checkCache?.revision !== state.revision) {
      // Expired entries stay in this check until the next change: harmless, those tokens have expired.
      this.checkCache = {
        revision: state.revision,
        check: tokenRevocationCheck(revocationsOf(state, this.view.now())),
      };
    }
    return this.checkCache.check;
  }

  revoke(input: RevokeTokenInput, ctx: CommandContext): Promise<RevokedToken> {
    return this.pipeline.run(
      {
        action: 'token.revoke',
        entity: 'token',
        entityId: idText(inputField(input, 'jti')),
        requireReason: true,
      },
      ctx,
      async () => {
        const i = parseInput(revokeTokenInputSchema, input, 'token revocation');
        const now = this.view.nowMs();
        const record: RevokedToken = {
          jti: i.jti,
          revokedAt: new Date(now).toISOString(),
          expiresAt: new Date(now + REVOCATION_KEPT_MS).toISOString(),
        };
        const applied = await this.pipeline.change<RevokedToken>(stateKeys.revokedTokens, (current) => {
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
}
