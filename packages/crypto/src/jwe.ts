/**
 * Strict reading of the JWEs that carry restricted alert bodies: general JSON serialization
 * (RFC 7516 §7.2.1), content encrypted with A256GCM, the key wrapped for each recipient with
 * ECDH-ES+A256KW on X25519, each recipient named by the kid of its encryption key.
 */
import { decodeBase64url, isBase64urlOfLength } from './base64url.js';
import { describeValue, EncryptionError } from './errors.js';
import { isKidSyntax } from './kid.js';

export const CONTENT_ENCRYPTION = 'A256GCM';
export const KEY_MANAGEMENT = 'ECDH-ES+A256KW';
/** A256GCM: 96-bit IV, 128-bit tag. A256KW of a 256-bit key: 40 bytes. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const WRAPPED_KEY_BYTES = 40;

/** One recipient entry of a general JWE. */
export interface JweRecipient {
  readonly kid: string;
  readonly encryptedKey: string;
  /** The per-recipient unprotected header as sent. */
  readonly header: Readonly<Record<string, unknown>>;
}

/** A general JWE that passed structural validation. */
export interface GeneralJwe {
  readonly protected: string;
  readonly unprotected: Readonly<Record<string, unknown>> | undefined;
  readonly iv: string;
  readonly ciphertext: string;
  readonly tag: string;
  readonly aad: string | undefined;
  readonly recipients: readonly JweRecipient[];
}

/** The kids of every recipient of a JWE (general JSON serialization), in order. */
export function listJweRecipients(jwe: string): string[] {
  return parseGeneralJwe(jwe).recipients.map((recipient) => recipient.kid);
}

function malformed(problem: string, cause?: unknown): EncryptionError {
  return new EncryptionError(
    'ERR_JWE_MALFORMED',
    `JWE ${problem}`,
    cause === undefined ? undefined : { cause },
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Parses and validates a JWE in general JSON serialization; throws ERR_JWE_MALFORMED. */
export function parseGeneralJwe(jwe: unknown): GeneralJwe {
  if (typeof jwe !== 'string') throw malformed(`must be a string (JSON), not ${describeValue(jwe)}`);
  let json: unknown;
  try {
    json = JSON.parse(jwe);
  } catch (cause) {
    throw malformed('is not JSON', cause);
  }
  if (!isObject(json)) throw malformed(`must be a JSON object, not ${describeValue(json)}`);
  if ('header' in json || 'encrypted_key' in json) {
    throw malformed(
      'is in flattened serialization; Enlace uses the general JSON serialization ("recipients")',
    );
  }

  const encoded = json['protected'];
  if (typeof encoded !== 'string' || encoded.length === 0) {
    throw malformed(`"protected" must be a base64url string, not ${describeValue(encoded)}`);
  }
  const protectedHeader = decodeJsonObject(encoded, '"protected"');
  const unprotected = json['unprotected'];
  if (unprotected !== undefined && !isObject(unprotected)) {
    throw malformed(`"unprotected" must be an object, not ${describeValue(unprotected)}`);
  }
  for (const [name, length] of [
    ['iv', IV_BYTES],
    ['tag', TAG_BYTES],
  ] as const) {
    if (!isBase64urlOfLength(json[name], length)) {
      throw malformed(`"${name}" must be ${length} bytes in unpadded base64url (${CONTENT_ENCRYPTION})`);
    }
  }
  const ciphertext = json['ciphertext'];
  if (typeof ciphertext !== 'string' || decodeBase64url(ciphertext) === undefined) {
    throw malformed('"ciphertext" must be unpadded base64url');
  }
  const aad = json['aad'];
  if (aad !== undefined && (typeof aad !== 'string' || decodeBase64url(aad) === undefined)) {
    throw malformed('"aad" must be unpadded base64url');
  }

  const entries = json['recipients'];
  if (!Array.isArray(entries) || entries.length === 0) {
    throw malformed(`"recipients" must be a non-empty array (got ${describeValue(entries)})`);
  }
  const seen = new Set<string>();
  const recipients = entries.map((entry: unknown, index): JweRecipient => {
    const where = `recipients[${index}]`;
    if (!isObject(entry)) throw malformed(`${where} must be an object, not ${describeValue(entry)}`);
    const header = entry['header'];
    if (!isObject(header))
      throw malformed(`${where} has no "header" object; it must name the recipient's kid`);
    const joined = joinHeaders(protectedHeader, unprotected, header, where);
    const kid = header['kid'];
    if (!isKidSyntax(kid)) {
      throw malformed(
        `${where} "kid" must be 1 to 128 printable ASCII characters (got ${describeValue(kid)})`,
      );
    }
    if (seen.has(kid)) throw malformed(`${where} repeats kid ${JSON.stringify(kid)}`);
    seen.add(kid);
    if (joined['alg'] !== KEY_MANAGEMENT) {
      throw malformed(
        `${where} "alg" is ${describeValue(joined['alg'])}; only "${KEY_MANAGEMENT}" is accepted`,
      );
    }
    if (joined['enc'] !== CONTENT_ENCRYPTION) {
      throw malformed(`"enc" is ${describeValue(joined['enc'])}; only "${CONTENT_ENCRYPTION}" is accepted`);
    }
    if ('zip' in joined) throw malformed('is compressed ("zip"); Enlace does not compress encrypted bodies');
    if ('crit' in joined) throw malformed(`${where} has "crit": no JWE extensions are understood`);
    checkEphemeralKey(joined['epk'], where);
    const encryptedKey = entry['encrypted_key'];
    if (!isBase64urlOfLength(encryptedKey, WRAPPED_KEY_BYTES)) {
      throw malformed(
        `${where} "encrypted_key" must be ${WRAPPED_KEY_BYTES} bytes in unpadded base64url (A256KW)`,
      );
    }
    return { kid, encryptedKey, header };
  });

  return {
    protected: encoded,
    unprotected,
    iv: json['iv'] as string,
    ciphertext,
    tag: json['tag'] as string,
    aad,
    recipients,
  };
}

function decodeJsonObject(encoded: string, name: string): Record<string, unknown> {
  const bytes = decodeBase64url(encoded);
  if (bytes === undefined) throw malformed(`${name} is not canonical unpadded base64url`);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (cause) {
    throw malformed(`${name} is not UTF-8 JSON`, cause);
  }
  if (!isObject(value)) throw malformed(`${name} must be a JSON object, not ${describeValue(value)}`);
  return value;
}

/** The JOSE header of one recipient; RFC 7516 §7.2.1 requires the three parts to be disjoint. */
function joinHeaders(
  protectedHeader: Record<string, unknown>,
  unprotected: Record<string, unknown> | undefined,
  header: Record<string, unknown>,
  where: string,
): Record<string, unknown> {
  // No prototype: a member named "__proto__" stays a plain member.
  const joined = Object.create(null) as Record<string, unknown>;
  for (const part of [protectedHeader, unprotected ?? {}, header]) {
    for (const [name, value] of Object.entries(part)) {
      if (Object.hasOwn(joined, name)) {
        throw malformed(
          `${where}: header parameter "${name}" appears more than once (the headers must be disjoint)`,
        );
      }
      joined[name] = value;
    }
  }
  return joined;
}

function checkEphemeralKey(epk: unknown, where: string): void {
  if (
    !isObject(epk) ||
    epk['kty'] !== 'OKP' ||
    epk['crv'] !== 'X25519' ||
    !isBase64urlOfLength(epk['x'], 32) ||
    'd' in epk
  ) {
    throw malformed(`${where} "epk" must be an ephemeral public X25519 key (kty OKP, crv X25519, 32-byte x)`);
  }
}
