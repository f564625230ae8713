/**
 * Credentials of the NATS users renderNatsAuthorization() lists, so that the server
 * configuration holds no secret: a user nkey pair (the server keeps the public nkey and checks an
 * Ed25519 signature of its challenge; the client keeps the seed) or, where an operator asks for
 * passwords, a bcrypt hash of the password.
 */
import bcrypt from 'bcryptjs';
import { createUser, fromSeed } from '@nats-io/nkeys';

import { TransportError } from './transport-error.js';

/** Where a country's node keeps its NATS nkey seed in its keys directory (mode 0600). */
export const NATS_NKEY_SEED_FILE = 'nats-user.nk';
/** Beside it, the public nkey (`U...`) that `enlace deploy nats-config` renders. */
export const NATS_NKEY_PUBLIC_FILE = 'nats-user.pub';
/** bcrypt cost of hashNatsPassword() (2^11 rounds: nats-server checks it on every connect). */
export const NATS_BCRYPT_COST = 11;

/** A new user nkey pair: `seed` (`SU...`, secret) and `publicKey` (`U...`). */
export function createNatsNkey(): { seed: string; publicKey: string } {
  const pair = createUser();
  return { seed: new TextDecoder().decode(pair.getSeed()), publicKey: pair.getPublicKey() };
}

/** The public nkey of a user seed; TransportError ERR_INVALID_OPTION when it is not one. */
export function natsNkeyPublicKey(seed: string): string {
  const text = seed.trim();
  try {
    if (!text.startsWith('SU')) throw new Error('not a user seed (SU...)');
    return fromSeed(new TextEncoder().encode(text)).getPublicKey();
  } catch (cause) {
    throw new TransportError('ERR_INVALID_OPTION', `not a NATS user nkey seed: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/**
 * The bcrypt hash nats-server accepts in place of a password (`$2a$...`). Salted: hash once and
 * keep the hash, or every rendering differs.
 */
export function hashNatsPassword(password: string, cost: number = NATS_BCRYPT_COST): string {
  if (password.length < 12 || password.length > 72)
    throw new TransportError('ERR_INVALID_OPTION', 'a NATS password must be 12 to 72 characters long');
  if (!Number.isInteger(cost) || cost < 4 || cost > 31)
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `bcrypt cost must be an integer from 4 to 31, got ${cost}`,
    );
  // nats-server recognises `$2a$`; bcryptjs writes `$2b$`, the same algorithm.
  return bcrypt.hashSync(password, bcrypt.genSaltSync(cost)).replace(/^\$2b\$/, '$2a$');
}
