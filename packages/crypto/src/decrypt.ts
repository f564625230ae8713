/**
 * Decryption of a restricted alert body by one recipient: the JWE is read strictly, the entry for
 * this recipient's kid is picked, and only that entry is tried with the private X25519 key.
 */
import { flattenedDecrypt } from 'jose';
import type { FlattenedJWE, JWEHeaderParameters } from 'jose';
import type { KeyObject } from 'node:crypto';

import { CryptoError, describeValue, EncryptionError } from './errors.js';
import { assertRecordUsable, isKeyRecord } from './import-key.js';
import type { PrivateKeyRecord } from './import-key.js';
import { validateJwk } from './jwk.js';
import type { PrivateEncryptionJwk } from './jwk.js';
import { CONTENT_ENCRYPTION, KEY_MANAGEMENT, parseGeneralJwe } from './jwe.js';

/** The recipient's private X25519 key: a JWK (its kid names the recipient), the same with the kid apart, or an imported key. */
export type DecryptionKey =
  PrivateEncryptionJwk | { kid: string; privateJwk: PrivateEncryptionJwk } | PrivateKeyRecord;

const MAX_LISTED = 10;

/**
 * Decrypts a JWE (general JSON serialization) with this recipient's key. A JWE without an entry
 * for the key's kid is ERR_JWE_NOT_RECIPIENT; one that does not decrypt with the key (another key
 * under the same kid, altered ciphertext or headers) ERR_JWE_DECRYPTION_FAILED; one that is not a
 * well-formed Enlace JWE ERR_JWE_MALFORMED.
 */
export async function decryptForRecipient(jwe: string, key: DecryptionKey): Promise<Uint8Array> {
  const { kid, keyObject } = decryptionKey(key);
  const parsed = parseGeneralJwe(jwe);
  const recipient = parsed.recipients.find((entry) => entry.kid === kid);
  if (recipient === undefined) {
    const kids = parsed.recipients.map((entry) => JSON.stringify(entry.kid));
    const listed = kids.length > MAX_LISTED ? `${kids.slice(0, MAX_LISTED).join(', ')}, …` : kids.join(', ');
    throw new EncryptionError(
      'ERR_JWE_NOT_RECIPIENT',
      `JWE is not encrypted for key ${JSON.stringify(kid)}; its recipients are ${listed}`,
    );
  }
  const flattened: FlattenedJWE = {
    protected: parsed.protected,
    header: recipient.header as JWEHeaderParameters,
    encrypted_key: recipient.encryptedKey,
    iv: parsed.iv,
    ciphertext: parsed.ciphertext,
    tag: parsed.tag,
    ...(parsed.unprotected === undefined ? {} : { unprotected: parsed.unprotected as JWEHeaderParameters }),
    ...(parsed.aad === undefined ? {} : { aad: parsed.aad }),
  };
  try {
    const { plaintext } = await flattenedDecrypt(flattened, keyObject, {
      keyManagementAlgorithms: [KEY_MANAGEMENT],
      contentEncryptionAlgorithms: [CONTENT_ENCRYPTION],
    });
    return plaintext;
  } catch (cause) {
    throw new EncryptionError(
      'ERR_JWE_DECRYPTION_FAILED',
      `JWE entry for ${JSON.stringify(kid)} does not decrypt with this key: the key is not the one it was encrypted to, or the JWE was altered`,
      { cause },
    );
  }
}

function decryptionKey(key: DecryptionKey): { kid: string; keyObject: KeyObject } {
  if (isKeyRecord(key)) {
    assertRecordUsable(key, 'enc', 'private');
    return { kid: key.kid, keyObject: key.key };
  }
  if (typeof key !== 'object' || key === null) {
    throw new CryptoError(
      'ERR_ARGUMENT_INVALID',
      `a decryption key must be a private JWK, not ${describeValue(key)}`,
    );
  }
  const separateKid = 'privateJwk' in key;
  const validated = validateJwk(separateKid ? key.privateJwk : key, {
    use: 'enc',
    need: 'private',
    purpose: 'to decrypt',
  });
  const kid = validated.publicJwk.kid;
  if (separateKid && key.kid !== kid) {
    throw new CryptoError(
      'ERR_ARGUMENT_INVALID',
      `the decryption key is given as ${describeValue(key.kid)} but its JWK is ${JSON.stringify(kid)}`,
    );
  }
  return { kid, keyObject: validated.privateKey! };
}
