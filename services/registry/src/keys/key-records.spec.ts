import { generateEncryptionKey, generateSigningKey } from '@enlace/crypto';
import { describe, expect, it } from 'vitest';

import { assertNoOverlap, checkPublicJwk, isKeyActiveAt, withJwkWindow } from './key-records.js';
import type { KeyRecord } from '../domain/model.js';
import { thrown } from '../testing/refusals.js';

const record = (kid: string, notBefore: string, extra: Partial<KeyRecord> = {}): KeyRecord => ({
  kid,
  country: 'MX',
  use: 'sig',
  publicJwk: {},
  notBefore,
  registeredAt: notBefore,
  ...extra,
});

describe('checkPublicJwk', () => {
  it('accepts public Ed25519 and X25519 keys and normalizes them', async () => {
    const sig = await generateSigningKey({
      country: 'MX',
      seq: 1,
      notBefore: new Date('2026-01-01T00:00:00Z'),
    });
    const checked = checkPublicJwk('MX', sig.publicJwk, 'key');
    expect(checked).toMatchObject({ kid: 'MX-sig-2026-01', use: 'sig', nbf: '2026-01-01T00:00:00.000Z' });
    expect(checked.jwk).not.toHaveProperty('nbf');
    const enc = await generateEncryptionKey({ country: 'MX', seq: 1 });
    expect(checkPublicJwk('MX', enc.publicJwk, 'key').use).toBe('enc');
  });

  it('refuses private keys, wrong curves, foreign kids and malformed kids with field paths', async () => {
    const sig = await generateSigningKey({ country: 'MX', seq: 1 });
    expect(thrown(() => checkPublicJwk('MX', sig.privateJwk, 'key')).violations[0]).toMatchObject({
      path: 'publicJwk.d',
      code: 'private_key',
    });
    const wrongCrv = thrown(() => checkPublicJwk('MX', { ...sig.publicJwk, crv: 'X25519' }, 'key'));
    expect(wrongCrv.code).toBe('ERR_VALIDATION');
    expect(wrongCrv.violations.map((v) => v.path)).toEqual(['publicJwk.crv']);
    expect(thrown(() => checkPublicJwk('GT', sig.publicJwk, 'key')).code).toBe('ERR_KEY_COUNTRY_MISMATCH');
    expect(
      thrown(() => checkPublicJwk('MX', { ...sig.publicJwk, kid: 'my-key' }, 'key')).violations[0],
    ).toMatchObject({
      path: 'publicJwk.kid',
      code: 'invalid_format',
    });
    expect(
      thrown(() => checkPublicJwk('MX', { ...sig.publicJwk, kid: 'MX-enc-2026-01' }, 'key')).violations[0],
    ).toMatchObject({
      path: 'publicJwk.kid',
    });
    expect(
      thrown(() => checkPublicJwk('MX', { ...sig.publicJwk, x: 'short' }, 'key')).violations[0],
    ).toMatchObject({
      path: 'publicJwk',
      code: 'invalid_jwk',
    });
  });
});

describe('validity windows', () => {
  it('treats revocation as the end of a key and finds overlaps of one use only', () => {
    const a = record('MX-sig-2026-01', '2026-01-01T00:00:00.000Z', { revokedAt: '2026-03-01T00:00:00.000Z' });
    expect(isKeyActiveAt(a, Date.parse('2026-02-01T00:00:00.000Z'))).toBe(true);
    expect(isKeyActiveAt(a, Date.parse('2026-03-01T00:00:00.000Z'))).toBe(false);
    expect(() => assertNoOverlap([a], record('MX-sig-2026-02', '2026-03-01T00:00:00.000Z'))).not.toThrow();
    expect(
      thrown(() => assertNoOverlap([a], record('MX-sig-2026-02', '2026-02-01T00:00:00.000Z'))).code,
    ).toBe('ERR_KEY_VALIDITY_OVERLAP');
    expect(() =>
      assertNoOverlap([a], record('MX-enc-2026-01', '2026-02-01T00:00:00.000Z', { use: 'enc' })),
    ).not.toThrow();
  });

  it('carries the window into the JWK as whole seconds that never make it empty', () => {
    const k = withJwkWindow(
      record('MX-sig-2026-01', '2026-01-01T00:00:00.250Z', { notAfter: '2026-01-01T00:00:00.750Z' }),
    );
    expect(k.publicJwk).toMatchObject({ nbf: 1767225600, exp: 1767225601 });
    expect(withJwkWindow(record('MX-sig-2026-01', '2026-01-01T00:00:00.000Z')).publicJwk).not.toHaveProperty(
      'exp',
    );
  });
});
