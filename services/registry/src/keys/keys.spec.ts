import { generateEncryptionKey, generateSigningKey } from '@enlace/crypto';
import { describe, expect, it } from 'vitest';
import { admin, names, refusedAt, rejection, useRegistryFixture } from '../testing/registry-fixture.js';

const fixture = useRegistryFixture();

describe('keys', () => {
  it('registers, refuses bad keys, rotates and revokes', async () => {
    const s = fixture.core.service;
    await s.admitCountry({ code: 'CR', names: names('Costa Rica'), status: 'member' }, admin);
    const k1 = await generateSigningKey({ country: 'CR', seq: 1 });
    const registered = await s.registerKey(
      { country: 'CR', publicJwk: k1.publicJwk, notBefore: '2026-01-01T00:00:00.000Z' },
      admin,
    );
    expect(registered).toMatchObject({
      kid: k1.kid,
      country: 'CR',
      use: 'sig',
      notBefore: '2026-01-01T00:00:00.000Z',
    });
    expect(registered.publicJwk['nbf']).toBe(Date.parse('2026-01-01T00:00:00.000Z') / 1000);
    expect(s.getKey(k1.kid)).toEqual(registered);
    const before = s.revision();

    const priv = await rejection(() => s.registerKey({ country: 'CR', publicJwk: k1.privateJwk }, admin));
    expect(priv.code).toBe('ERR_VALIDATION');
    expect(priv.violations[0]).toMatchObject({ path: 'publicJwk.d' });
    const wrongCrv = await rejection(() =>
      s.registerKey(
        { country: 'CR', publicJwk: { ...k1.publicJwk, kid: 'CR-sig-2026-09', crv: 'X25519' } },
        admin,
      ),
    );
    expect(wrongCrv.violations[0]).toMatchObject({ path: 'publicJwk.crv' });
    const dup = await rejection(() =>
      s.registerKey({ country: 'CR', publicJwk: k1.publicJwk, notBefore: '2030-01-01T00:00:00.000Z' }, admin),
    );
    expect(dup.code).toBe('ERR_DUPLICATE_KID');
    expect(dup.violations).toEqual([{ path: 'publicJwk.kid', code: 'duplicate_kid', message: dup.message }]);
    const mx = await generateSigningKey({ country: 'MX', seq: 7 });
    const mismatch = await rejection(() => s.registerKey({ country: 'CR', publicJwk: mx.publicJwk }, admin));
    expect(mismatch.code).toBe('ERR_KEY_COUNTRY_MISMATCH');
    expect(mismatch.violations.map((v) => [v.path, v.code])).toEqual([['publicJwk.kid', 'country_mismatch']]);
    const cr = await generateSigningKey({ country: 'CR', seq: 8 });
    const foreign = await rejection(() => s.registerKey({ country: 'ZZ', publicJwk: cr.publicJwk }, admin));
    expect(foreign.code).toBe('ERR_KEY_COUNTRY_MISMATCH');
    expect(foreign.violations).toEqual([
      { path: 'publicJwk.kid', code: 'country_mismatch', message: 'must name ZZ' },
    ]);
    const zz = await generateSigningKey({ country: 'ZZ', seq: 1 });
    expect(await refusedAt(() => s.registerKey({ country: 'ZZ', publicJwk: zz.publicJwk }, admin))).toEqual([
      'ERR_UNKNOWN_COUNTRY',
      'country',
      'unknown_country',
    ]);
    const k2 = await generateSigningKey({ country: 'CR', seq: 2 });
    const overlap = await rejection(() =>
      s.registerKey({ country: 'CR', publicJwk: k2.publicJwk, notBefore: '2026-06-01T00:00:00.000Z' }, admin),
    );
    expect(overlap.code).toBe('ERR_KEY_VALIDITY_OVERLAP');
    expect(overlap.violations).toEqual([
      { path: 'notBefore', code: 'key_validity_overlap', message: overlap.message },
    ]);
    expect(s.revision()).toBe(before);

    // An encryption key does not overlap a signing key.
    const e1 = await generateEncryptionKey({ country: 'CR', seq: 1 });
    await s.registerKey(
      { country: 'CR', publicJwk: e1.publicJwk, notBefore: '2026-01-01T00:00:00.000Z' },
      admin,
    );

    const rotated = await s.rotateKey(
      { country: 'CR', publicJwk: k2.publicJwk, at: '2026-06-01T00:00:00.000Z' },
      admin,
    );
    expect(rotated.previous).toMatchObject({ kid: k1.kid, notAfter: '2026-06-01T00:00:00.000Z' });
    expect(rotated.previous?.publicJwk['exp']).toBe(Date.parse('2026-06-01T00:00:00.000Z') / 1000);
    expect(rotated.current).toMatchObject({ kid: k2.kid, notBefore: '2026-06-01T00:00:00.000Z' });
    expect(
      s.listKeys({ country: 'CR', use: 'sig', activeAt: '2026-03-01T00:00:00.000Z' }).map((k) => k.kid),
    ).toEqual([k1.kid]);
    expect(
      s.listKeys({ country: 'CR', use: 'sig', activeAt: '2026-07-01T00:00:00.000Z' }).map((k) => k.kid),
    ).toEqual([k2.kid]);

    const revoked = await s.revokeKey(
      { kid: k2.kid, at: '2026-08-01T00:00:00.000Z' },
      { ...admin, reason: 'compromised' },
    );
    expect(revoked).toMatchObject({ revokedAt: '2026-08-01T00:00:00.000Z', revocationReason: 'compromised' });
    expect(await refusedAt(() => s.revokeKey({ kid: k2.kid }, admin))).toEqual([
      'ERR_INVALID_TRANSITION',
      'kid',
      'invalid_transition',
    ]);
    expect(await refusedAt(() => s.revokeKey({ kid: 'CR-sig-2026-55' }, admin))).toEqual([
      'ERR_UNKNOWN_KEY',
      'kid',
      'unknown_key',
    ]);
    expect(await refusedAt(() => s.getKey('nonsense'))).toEqual(['ERR_UNKNOWN_KEY', 'kid', 'unknown_key']);

    // A rotation whose new key would run into a key registered for later: the fault is `at`.
    const k3 = await generateSigningKey({ country: 'CR', seq: 3 });
    await s.registerKey(
      { country: 'CR', publicJwk: k3.publicJwk, notBefore: '2027-01-01T00:00:00.000Z' },
      admin,
    );
    const k4 = await generateSigningKey({ country: 'CR', seq: 4 });
    expect(
      await refusedAt(() =>
        s.rotateKey({ country: 'CR', publicJwk: k4.publicJwk, at: '2026-09-01T00:00:00.000Z' }, admin),
      ),
    ).toEqual(['ERR_KEY_VALIDITY_OVERLAP', 'at', 'key_validity_overlap']);
    expect(await refusedAt(() => s.rotateKey({ country: 'CR', publicJwk: k3.publicJwk }, admin))).toEqual([
      'ERR_DUPLICATE_KID',
      'publicJwk.kid',
      'duplicate_kid',
    ]);
    expect(s.activeJwks().keys.map((k) => k['kid'])).toContain(e1.kid);
    expect(s.activeJwks().keys.map((k) => k['kid'])).not.toContain(k2.kid);
  });
});
