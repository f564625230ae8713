/**
 * Encryption of restricted alert bodies to their recipient countries: a JWE in general JSON
 * serialization, content encrypted once with A256GCM, the content key wrapped for each recipient
 * with ECDH-ES+A256KW on its X25519 key, each recipient entry naming that key's kid.
 */
import { GeneralEncrypt } from 'jose';

import { CryptoError, describeValue, EncryptionError } from './errors.js';
import { validateJwk } from './jwk.js';
import type { PublicJwk } from './jwk.js';
import { CONTENT_ENCRYPTION, KEY_MANAGEMENT } from './jwe.js';

/**
 * A recipient: the kid and public key of its current encryption key. Typed as any public JWK so
 * that keys straight from a JWKS fit; anything but an X25519 encryption key is rejected.
 */
export interface JweRecipientKey {
  kid: string;
  publicJwk: PublicJwk;
}

/**
 * Encrypts `plaintext` for every recipient and returns the JWE (general JSON serialization) as a
 * string. Needs at least one recipient, distinct kids, and public X25519 encryption keys: another
 * kind of key is ERR_KEY_WRONG_TYPE, a malformed one ERR_JWK_INVALID.
 */
export async function encryptForRecipients(
  plaintext: Uint8Array,
  recipients: readonly JweRecipientKey[],
): Promise<string> {
  if (!(plaintext instanceof Uint8Array)) {
    throw new CryptoError(
      'ERR_ARGUMENT_INVALID',
      `the plaintext must be bytes (a Uint8Array), not ${describeValue(plaintext)}`,
    );
  }
  if (!Array.isArray(recipients) || recipients.length === 0) {
    throw new CryptoError('ERR_ARGUMENT_INVALID', 'a JWE needs at least one recipient');
  }
  const seen = new Set<string>();
  const keys = recipients.map((recipient: unknown, index) => {
    const where = `recipients[${index}]`;
    if (typeof recipient !== 'object' || recipient === null) {
      throw new CryptoError(
        'ERR_ARGUMENT_INVALID',
        `${where} must be { kid, publicJwk }, not ${describeValue(recipient)}`,
      );
    }
    const { kid, publicJwk } = recipient as Partial<JweRecipientKey>;
    const validated = validateJwk(publicJwk, {
      use: 'enc',
      need: 'public',
      what: `${where} key`,
      purpose: 'to encrypt to',
    });
    if (kid !== validated.publicJwk.kid) {
      throw new CryptoError(
        'ERR_ARGUMENT_INVALID',
        `${where} names kid ${describeValue(kid)} but its key is ${JSON.stringify(validated.publicJwk.kid)}`,
      );
    }
    if (seen.has(kid)) {
      throw new CryptoError(
        'ERR_ARGUMENT_INVALID',
        `${where} repeats kid ${JSON.stringify(kid)}; each recipient once`,
      );
    }
    seen.add(kid);
    return { kid, key: validated.publicKey };
  });

  try {
    const jwe = new GeneralEncrypt(Uint8Array.from(plaintext)).setProtectedHeader({
      enc: CONTENT_ENCRYPTION,
    });
    for (const { kid, key } of keys) {
      jwe.addRecipient(key).setUnprotectedHeader({ alg: KEY_MANAGEMENT, kid });
    }
    return JSON.stringify(await jwe.encrypt());
  } catch (cause) {
    throw new EncryptionError('ERR_ENCRYPTION_FAILED', `could not encrypt for ${[...seen].join(', ')}`, {
      cause,
    });
  }
}
