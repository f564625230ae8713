/**
 * The registry's own Ed25519 signing key, with which it signs snapshots and change events. Made
 * on first start in the data directory (`registry.private.jwk`, mode 0600, and
 * `registry.public.jwk` for operators to pin on nodes) and read from there afterwards.
 */
import { generateKeyPair as generateKeyPairCb } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

import type { PrivateKeyRecord, PrivateSigningJwk, PublicSigningJwk } from '@enlace/crypto';
import { importPrivateKey } from '@enlace/crypto';
import { CompactSign } from 'jose';

import { RegistryError } from './domain/errors.js';
import type { RegistrySnapshot } from './domain/model.js';
import { REGISTRY_PRIVATE_KEY_FILE, REGISTRY_PUBLIC_KEY_FILE, SNAPSHOT_JWS_TYPE } from '@enlace/trust';

export { REGISTRY_PRIVATE_KEY_FILE, REGISTRY_PUBLIC_KEY_FILE };

/** The registry key, imported once. The private half lives only in `privateKey`. */
export interface RegistryKey {
  readonly kid: string;
  readonly publicJwk: PublicSigningJwk;
  readonly privateKey: PrivateKeyRecord;
}

const generateEd25519 = promisify(generateKeyPairCb) as (
  type: 'ed25519',
  options: undefined,
) => Promise<{ publicKey: KeyObject; privateKey: KeyObject }>;

/** `registry-sig-<yyyy>-<nn>`, e.g. `registry-sig-2026-01`. */
export function registryKid(date: Date, seq = 1): string {
  return `registry-sig-${date.getUTCFullYear()}-${String(seq).padStart(2, '0')}`;
}

/**
 * Generates an Ed25519 key pair as JWKs under `kid`. (packages/crypto's generateSigningKey makes
 * country keys and needs a country code; the registry is none.)
 */
export async function generateRegistryKeyPair(
  kid: string,
): Promise<{ publicJwk: PublicSigningJwk; privateJwk: PrivateSigningJwk }> {
  const { privateKey } = await generateEd25519('ed25519', undefined);
  const exported = privateKey.export({ format: 'jwk' });
  if (typeof exported.x !== 'string' || typeof exported.d !== 'string')
    throw new RegistryError('ERR_UNAVAILABLE', 'node:crypto exported an Ed25519 key without "x" or "d"');
  const publicJwk: PublicSigningJwk = {
    kty: 'OKP',
    crv: 'Ed25519',
    kid,
    use: 'sig',
    alg: 'EdDSA',
    x: exported.x,
  };
  return { publicJwk, privateJwk: { ...publicJwk, d: exported.d } };
}

/**
 * Reads the registry key from `dataDir`, or makes one there when there is none. Two instances
 * starting together on one directory end up with the same key: the private key file is created
 * exclusively, and the loser reads the winner's.
 */
export async function loadOrCreateRegistryKey(
  dataDir: string,
  options: { now?: Date } = {},
): Promise<RegistryKey> {
  const privatePath = join(dataDir, REGISTRY_PRIVATE_KEY_FILE);
  const publicPath = join(dataDir, REGISTRY_PUBLIC_KEY_FILE);
  await mkdir(dataDir, { recursive: true });
  let privateJwk: unknown;
  try {
    privateJwk = JSON.parse(await readFile(privatePath, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new RegistryError('ERR_UNAVAILABLE', `cannot read the registry key ${privatePath}`, {
        cause: err,
      });
    const pair = await generateRegistryKeyPair(registryKid(options.now ?? new Date()));
    try {
      await writeFile(privatePath, `${JSON.stringify(pair.privateJwk, null, 2)}\n`, {
        mode: 0o600,
        flag: 'wx',
      });
      privateJwk = pair.privateJwk;
    } catch (writeErr) {
      if ((writeErr as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new RegistryError('ERR_UNAVAILABLE', `cannot write the registry key ${privatePath}`, {
          cause: writeErr,
        });
      privateJwk = JSON.parse(await readFile(privatePath, 'utf8'));
    }
  }
  let privateKey: PrivateKeyRecord;
  try {
    privateKey = importPrivateKey(privateJwk, 'sig');
  } catch (cause) {
    throw new RegistryError(
      'ERR_UNAVAILABLE',
      `the registry key ${privatePath} is not a usable Ed25519 key`,
      {
        cause,
      },
    );
  }
  // Whatever umask was in force: the private key is for the registry's user only.
  await chmod(privatePath, 0o600);
  const publicJwk = privateKey.publicJwk as PublicSigningJwk;
  const publicText = `${JSON.stringify(publicJwk, null, 2)}\n`;
  const existing = await readFile(publicPath, 'utf8').catch(() => undefined);
  if (existing !== publicText) await writeFile(publicPath, publicText, { mode: 0o644 });
  return { kid: privateKey.kid, publicJwk, privateKey };
}

/** The snapshot as a compact JWS (EdDSA, header `{alg, kid, typ}`, payload = its JSON). */
export async function signSnapshot(snapshot: RegistrySnapshot, key: RegistryKey): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(snapshot)))
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: SNAPSHOT_JWS_TYPE })
    .sign(key.privateKey.key);
}
