/**
 * `enlace keys generate`: a country's signing and encryption key pair, private halves in files
 * only their owner can read, public halves merged into the country's JWKS.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';

import { createJwks, generateEncryptionKey, generateSigningKey, parseJwks, parseKid } from '@enlace/crypto';
import type { Jwks } from '@enlace/crypto';
import { isCountryCode } from '@enlace/schema';

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

  if (opts.json) {
    io.stdout.write(`${JSON.stringify({ country, keys: written, jwks: jwksPath }, null, 2)}\n`);
    return;
  }
  io.stdout.write(`Generated keys for ${country}:\n`);
  for (const key of written) {
    const what = key.use === 'sig' ? 'signing (Ed25519)   ' : 'encryption (X25519) ';
    io.stdout.write(`  ${what} ${key.kid}  private key: ${key.privateKeyFile} (keep it secret)\n`);
  }
  io.stdout.write(`  public keys: ${jwksPath} (${jwks.keys.length} keys; register them with the registry)\n`);
}
