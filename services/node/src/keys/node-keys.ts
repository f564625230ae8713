/**
 * The node's own private keys, read from its keys directory: every `<kid>.private.jwk` file as
 * written by `enlace keys generate` or the local-network launcher. Signing keys sign outbound
 * alerts; encryption keys open restricted bodies addressed to this country. They never leave
 * the node.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { importPrivateKey, parseKid } from '@enlace/crypto';
import type { PrivateKeyRecord } from '@enlace/crypto';

import { NodeError } from '../errors.js';

export const PRIVATE_KEY_SUFFIX = '.private.jwk';

export interface NodeKeys {
  /** Signing keys of this country, newest kid first. */
  readonly signing: readonly PrivateKeyRecord[];
  /** Encryption keys of this country, by kid. */
  readonly encryption: ReadonlyMap<string, PrivateKeyRecord>;
}

/** Loads the country's private keys; ERR_VALIDATION when a file is unusable or none signs. */
export async function loadNodeKeys(keysDir: string, country: string): Promise<NodeKeys> {
  let files: string[];
  try {
    files = (await readdir(keysDir)).filter((f) => f.endsWith(PRIVATE_KEY_SUFFIX)).sort();
  } catch (cause) {
    throw new NodeError('ERR_VALIDATION', `cannot read the keys directory ${keysDir}`, { cause });
  }
  const signing: PrivateKeyRecord[] = [];
  const encryption = new Map<string, PrivateKeyRecord>();
  for (const file of files) {
    let record: PrivateKeyRecord;
    try {
      record = importPrivateKey(JSON.parse(await readFile(join(keysDir, file), 'utf8')));
    } catch (cause) {
      throw new NodeError('ERR_VALIDATION', `${file} is not a private JWK: ${(cause as Error).message}`, {
        cause,
      });
    }
    const owner = parseKid(record.kid)?.country;
    if (owner !== undefined && owner !== country) continue;
    if (record.use === 'sig') signing.push(record);
    else encryption.set(record.kid, record);
  }
  if (signing.length === 0) {
    throw new NodeError(
      'ERR_VALIDATION',
      `no ${country} signing key (<kid>${PRIVATE_KEY_SUFFIX}) in ${keysDir}`,
    );
  }
  signing.sort((a, b) => b.kid.localeCompare(a.kid));
  return { signing, encryption };
}
