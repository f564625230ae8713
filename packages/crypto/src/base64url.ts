/**
 * Strict base64url (RFC 4648 §5, no padding) for values read from keys and messages: only the
 * canonical encoding is accepted, so one value has exactly one textual form.
 */

const ALPHABET = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes canonical unpadded base64url, or returns undefined: a character outside the alphabet,
 * padding, an impossible length, or non-zero spare bits in the last character.
 */
export function decodeBase64url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1 || !ALPHABET.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  // Buffer ignores spare bits; re-encoding tells a canonical string from an aliased one.
  if (bytes.toString('base64url') !== text) return undefined;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** True when `text` is canonical unpadded base64url of exactly `length` bytes. */
export function isBase64urlOfLength(text: unknown, length: number): text is string {
  if (typeof text !== 'string' || text.length !== Math.ceil((length * 4) / 3)) return false;
  return decodeBase64url(text)?.length === length;
}

export function encodeBase64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}
