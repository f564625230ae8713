import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { generateSigningKey } from '@enlace/crypto';
import { POLICY_SNAPSHOT_FORMAT } from '@enlace/policy';
import { CompactSign } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';

import type { RegistrySnapshot } from './domain/model.js';
import { REGISTRY_SNAPSHOT_FORMAT } from './domain/model.js';
import {
  REGISTRY_PRIVATE_KEY_FILE,
  REGISTRY_PUBLIC_KEY_FILE,
  loadOrCreateRegistryKey,
  signSnapshot,
} from './registry-key.js';
import { TrustError, verifySignedSnapshot } from '@enlace/trust';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'enlace-registry-key-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

function snapshot(revision: number, registryKid: string): RegistrySnapshot {
  const generatedAt = '2026-03-01T00:00:00.000Z';
  return {
    format: REGISTRY_SNAPSHOT_FORMAT,
    revision,
    generatedAt,
    registryKid,
    policy: {
      format: POLICY_SNAPSHOT_FORMAT,
      revision,
      generatedAt,
      countries: [],
      networks: [],
      memberships: [],
      rules: [],
    },
    keys: [],
  };
}

async function code(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(TrustError);
    return (err as TrustError).code;
  }
  throw new Error('expected a TrustError');
}

describe('loadOrCreateRegistryKey', () => {
  it('makes the key on first start (private file 0600) and reads it afterwards', async () => {
    const dir = await tempDir();
    const key = await loadOrCreateRegistryKey(dir, { now: new Date('2026-05-01T00:00:00Z') });
    expect(key.kid).toBe('registry-sig-2026-01');
    expect(key.publicJwk).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      use: 'sig',
      alg: 'EdDSA',
      kid: key.kid,
    });
    expect(key.publicJwk).not.toHaveProperty('d');
    expect((await stat(join(dir, REGISTRY_PRIVATE_KEY_FILE))).mode & 0o777).toBe(0o600);
    const published = JSON.parse(await readFile(join(dir, REGISTRY_PUBLIC_KEY_FILE), 'utf8')) as unknown;
    expect(published).toEqual(key.publicJwk);
    const again = await loadOrCreateRegistryKey(dir, { now: new Date('2027-01-01T00:00:00Z') });
    expect(again.kid).toBe(key.kid);
    expect(again.publicJwk).toEqual(key.publicJwk);
  });

  it('agrees on one key when two instances start together', async () => {
    const dir = await tempDir();
    const [a, b] = await Promise.all([loadOrCreateRegistryKey(dir), loadOrCreateRegistryKey(dir)]);
    expect(a.publicJwk).toEqual(b.publicJwk);
  });
});

describe('verifySignedSnapshot', () => {
  it('returns the snapshot signed by the pinned key and refuses anything else', async () => {
    const key = await loadOrCreateRegistryKey(await tempDir());
    const jws = await signSnapshot(snapshot(7, key.kid), key);
    expect(await verifySignedSnapshot(jws, key.publicJwk)).toEqual(snapshot(7, key.kid));

    const other = await loadOrCreateRegistryKey(await tempDir());
    expect(await code(() => verifySignedSnapshot(jws, other.publicJwk))).toBe('ERR_SIGNATURE_INVALID');
    const impostor = await generateSigningKey({ country: 'ZZ', kid: key.kid });
    expect(await code(() => verifySignedSnapshot(jws, impostor.publicJwk))).toBe('ERR_SIGNATURE_INVALID');
    expect(await code(() => verifySignedSnapshot('not a jws', key.publicJwk))).toBe('ERR_SNAPSHOT_INVALID');
    expect(await code(() => verifySignedSnapshot(jws, { kty: 'OKP' }))).toBe('ERR_VALIDATION');

    // Signed, but not a valid snapshot: refused on content, with paths.
    const bad = await signSnapshot({ ...snapshot(7, key.kid), keys: [{ kid: 1 }] } as never, key);
    const err = await verifySignedSnapshot(bad, key.publicJwk).catch((e: unknown) => e as TrustError);
    expect(err).toMatchObject({ code: 'ERR_SNAPSHOT_INVALID' });
    expect((err as TrustError).violations.map((v) => v.path)).toContain('keys[0].kid');
    const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(snapshot(7, key.kid))))
      .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
      .sign(key.privateKey.key);
    expect(await code(() => verifySignedSnapshot(token, key.publicJwk))).toBe('ERR_SNAPSHOT_INVALID');
    const wrongKid = await signSnapshot(snapshot(7, 'registry-sig-1999-01'), key);
    expect(await code(() => verifySignedSnapshot(wrongKid, key.publicJwk))).toBe('ERR_SNAPSHOT_INVALID');
  });
});
