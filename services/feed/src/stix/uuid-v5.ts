/**
 * Name-based UUIDs, version 5 (RFC 9562, section 5.5): SHA-1 of a namespace UUID and a name.
 * node:crypto has randomUUID (v4) only; this gives the STIX export ids that are the same on every
 * export of the same alert, so MISP and OpenCTI deduplicate instead of piling up copies.
 */
import { createHash } from 'node:crypto';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The UUIDv5 of `name` (UTF-8) in `namespace` (a UUID in canonical form), in lower case. */
export function uuidV5(namespace: string, name: string): string {
  if (!UUID.test(namespace)) throw new TypeError(`not a UUID: ${JSON.stringify(namespace)}`);
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  const bytes = hash.subarray(0, 16);
  // Version 5 in the high nibble of octet 6, RFC variant (0b10) in the top bits of octet 8.
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
