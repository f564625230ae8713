/**
 * `enlace keys generate`: a country's signing and encryption key pair, private halves in files
 * only their owner can read, public halves merged into the country's JWKS; and the NATS nkey of
 * its node (`nats-user.nk`, the seed, mode 0600; `nats-user.pub`, the public nkey the operator
 * adds to `enlace deploy nats-config --nkeys`), unless one is there already: a node keeps its
 * NATS identity across key rotations.
 */
import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { createJwks, generateEncryptionKey, generateSigningKey, parseJwks, parseKid } from '@enlace/crypto';
import type { Jwks } from '@enlace/crypto';
import { isCountryCode } from '@enlace/schema';
import {
  NATS_NKEY_PUBLIC_FILE,
  NATS_NKEY_SEED_FILE,
  countryNatsUser,
  createNatsNkey,
  natsNkeyPublicKey,
} from '@enlace/transport';

import { CliError } from '../errors.js';
import { readStructuredFile, writeOutputFile } from '../io.js';
import type { CliIo } from '../main.js';

export interface KeysGenerateOptions {
  country: string;
  out: string;
  json?: boolean;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

export async function keysGenerate(opts: KeysGenerateOptions, io: CliIo): Promise<void> {
  const country = opts.country.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(country) || !isCountryCode(country)) {
    throw new CliError(
      'ERR_USAGE',
      `--country must be an ISO 3166-1 alpha-2 country code such as MX or GT (got "${opts.country}")`,
    );
  }
  const jwksPath = join(opts.out, 'jwks.json');
  let existing: Jwks = { keys: [] };
  if (await exists(jwksPath)) {
    try {
      existing = parseJwks(await readStructuredFile(jwksPath, 'key set'));
    } catch (cause) {
      if (cause instanceof CliError) throw cause;
      throw new CliError(
        'ERR_KEY_INVALID',
        `existing key set ${jwksPath} is invalid: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
  }

  // Sequence numbers continue from the keys already in the set, so a rotation never reuses a kid.
  const year = new Date().getUTCFullYear();
  const nextSeq = (use: 'sig' | 'enc'): number => {
    let max = 0;
    for (const key of existing.keys) {
      const parsed = key.kid === undefined ? undefined : parseKid(key.kid);
      if (parsed && parsed.country === country && parsed.use === use && parsed.year === year) {
        max = Math.max(max, parsed.seq);
      }
    }
    return max + 1;
  };

  const signing = await generateSigningKey({ country, seq: nextSeq('sig') });
  const encryption = await generateEncryptionKey({ country, seq: nextSeq('enc') });
  const written: Array<{ kid: string; use: 'sig' | 'enc'; privateKeyFile: string }> = [];
  for (const [use, pair] of [
    ['sig', signing],
    ['enc', encryption],
  ] as const) {
    const file = join(opts.out, `${pair.kid}.private.jwk`);
    await writeOutputFile(file, `${JSON.stringify(pair.privateJwk, null, 2)}\n`, {
      mode: 0o600,
      exclusive: true,
    });
    written.push({ kid: pair.kid, use, privateKeyFile: file });
  }
  const jwks = createJwks([...existing.keys, signing.publicJwk, encryption.publicJwk]);
  await writeOutputFile(jwksPath, `${JSON.stringify(jwks, null, 2)}\n`, { mode: 0o644 });
  const nats = await ensureNatsNkey(opts.out);
  const natsUser = countryNatsUser(country);

  if (opts.json) {
    io.stdout.write(
      `${JSON.stringify(
        {
          country,
          keys: written,
          jwks: jwksPath,
          nats: {
            user: natsUser,
            seedFile: nats.seedFile,
            publicKey: nats.publicKey,
            generated: nats.generated,
          },
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  io.stdout.write(`Generated keys for ${country}:\n`);
  for (const key of written) {
    const what = key.use === 'sig' ? 'signing (Ed25519)   ' : 'encryption (X25519) ';
    io.stdout.write(`  ${what} ${key.kid}  private key: ${key.privateKeyFile} (keep it secret)\n`);
  }
  io.stdout.write(`  public keys: ${jwksPath} (${jwks.keys.length} keys; register them with the registry)\n`);
  io.stdout.write(
    `  NATS nkey of ${natsUser}: ${nats.publicKey}${nats.generated ? '' : ' (kept)'}  seed: ${nats.seedFile} (keep it secret)\n` +
      `  add "${natsUser}": "${nats.publicKey}" to the file \`enlace deploy nats-config --nkeys\` reads\n`,
  );
}

/** The node's nkey in `dir`: the one there, else a new pair (seed mode 0600, public key 0644). */
async function ensureNatsNkey(
  dir: string,
): Promise<{ seedFile: string; publicKey: string; generated: boolean }> {
  const seedFile = join(dir, NATS_NKEY_SEED_FILE);
  if (await exists(seedFile)) {
    try {
      return { seedFile, publicKey: natsNkeyPublicKey(await readFile(seedFile, 'utf8')), generated: false };
    } catch (cause) {
      throw new CliError('ERR_KEY_INVALID', `${seedFile}: ${(cause as Error).message}`, { cause });
    }
  }
  const pair = createNatsNkey();
  await writeOutputFile(seedFile, `${pair.seed}\n`, { mode: 0o600, exclusive: true });
  await writeOutputFile(join(dir, NATS_NKEY_PUBLIC_FILE), `${pair.publicKey}\n`, { mode: 0o644 });
  return { seedFile, publicKey: pair.publicKey, generated: true };
}
