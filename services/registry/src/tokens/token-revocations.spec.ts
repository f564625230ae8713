import { verifyRegistryEvent } from '@enlace/trust';
import { describe, expect, it } from 'vitest';

import { openRegistryCore } from '../registry.js';
import { admin, refusedAt, rejection, seedCtx, useRegistryFixture } from '../testing/registry-fixture.js';

const fixture = useRegistryFixture();

describe('token revocations', () => {
  it('publishes a signed token event on a revocation and prunes revocations past their expiry', async () => {
    // A registry whose clock is two days behind revokes first: that entry has expired by now.
    const nc2 = await fixture.server.connect();
    const past = await openRegistryCore({
      nc: nc2,
      dataDir: fixture.dataDir,
      clock: () => new Date(Date.now() - 48 * 3600_000),
    });
    try {
      await past.service.revokeToken({ jti: 'token-of-two-days-ago' }, { ...admin, reason: 'old' });
    } finally {
      await past.close();
      await nc2.close();
    }
    expect(fixture.core.service.listRevokedTokens().map((r) => r.jti)).not.toContain('token-of-two-days-ago');

    const sub = fixture.nc.subscribe('enlace.v1.registry.event.token.>');
    const seen = (async () => {
      for await (const msg of sub) {
        const change = await verifyRegistryEvent(msg.data, fixture.core.registryKey.publicJwk);
        if (change.id === 'token-now') return { subject: msg.subject, change };
      }
      return undefined;
    })();
    const revoked = await fixture.core.service.revokeToken(
      { jti: 'token-now' },
      { ...admin, reason: 'lost' },
    );
    const got = await Promise.race([
      seen,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), 1_000)),
    ]);
    sub.unsubscribe();
    expect(got?.subject).toBe('enlace.v1.registry.event.token.token-now');
    expect(got?.change).toMatchObject({
      entity: 'token',
      id: 'token-now',
      action: 'token.revoke',
      revision: fixture.core.service.revision(),
    });
    // The write pruned the expired entry from the stored list, not only from what is shown.
    expect(fixture.core.service.state().revokedTokens.map((r) => r.jti)).toEqual(['token-now']);
    const { snapshot } = await fixture.core.service.signedSnapshot();
    expect(snapshot.revokedTokens).toEqual([revoked]);

    expect(
      await refusedAt(() =>
        fixture.core.service.revokeToken({ jti: 'token-now' }, { ...admin, reason: 'again' }),
      ),
    ).toEqual(['ERR_INVALID_TRANSITION', 'jti', 'invalid_transition']);
    const badId = await rejection(() =>
      fixture.core.service.revokeToken({ jti: 'a.b' }, { ...admin, reason: 'x' }),
    );
    expect(badId.code).toBe('ERR_VALIDATION');
    expect(badId.violations.map((v) => v.path)).toEqual(['jti']);
    const noReason = await rejection(() => fixture.core.service.revokeToken({ jti: 'token-x' }, seedCtx));
    expect(noReason.code).toBe('ERR_VALIDATION');
    expect(noReason.violations.map((v) => v.path)).toEqual(['reason']);
  });
});
