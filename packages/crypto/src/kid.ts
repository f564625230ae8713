/**
 * Key identifiers. Enlace kids read `<CC>-<use>-<yyyy>-<nn>` (e.g. `MX-sig-2026-01`): the owning
 * country, what the key is for, the year it was made and a sequence number within that year, so a
 * receiver can tell whose key signed an alert before it looks the key up.
 */
import { CryptoError, describeValue } from './errors.js';

/** What a key is for, as in the JWK `use` member. */
export type KeyUse = 'sig' | 'enc';

/** The parts of an Enlace kid. */
export interface ParsedKid {
  /** Two uppercase letters (ISO 3166-1 alpha-2). */
  readonly country: string;
  readonly use: KeyUse;
  readonly year: number;
  /** 1 to 99. */
  readonly seq: number;
}

const ENLACE_KID = /^([A-Z]{2})-(sig|enc)-([1-9]\d{3})-(\d{2})$/;
const COUNTRY = /^[A-Z]{2}$/;
/** Printable ASCII without spaces: kids end up in logs, messages and file names. */
const KID_SYNTAX = /^[\x21-\x7e]{1,128}$/;

/** Builds an Enlace kid, e.g. `createKid('MX', 'sig', new Date('2026-03-01'), 1)` is `MX-sig-2026-01`. */
export function createKid(country: string, use: KeyUse, date: Date, seq: number): string {
  assertCountry(country);
  if (use !== 'sig' && use !== 'enc') {
    throw new CryptoError(
      'ERR_ARGUMENT_INVALID',
      `key use must be "sig" or "enc" (got ${describeValue(use)})`,
    );
  }
  const year = date instanceof Date ? date.getUTCFullYear() : NaN;
  if (!(year >= 1000 && year <= 9999)) {
    throw new CryptoError(
      'ERR_ARGUMENT_INVALID',
      'the date of a kid must be a valid Date in the years 1000 to 9999',
    );
  }
  if (!Number.isInteger(seq) || seq < 1 || seq > 99) {
    throw new CryptoError(
      'ERR_ARGUMENT_INVALID',
      `the sequence number of a kid must be an integer from 1 to 99 (got ${describeValue(seq)})`,
    );
  }
  return `${country}-${use}-${year}-${String(seq).padStart(2, '0')}`;
}

/** The parts of an Enlace kid, or undefined when `kid` does not follow the format. */
export function parseKid(kid: string): ParsedKid | undefined {
  if (typeof kid !== 'string') return undefined;
  const match = ENLACE_KID.exec(kid);
  if (!match) return undefined;
  const seq = Number(match[4]);
  if (seq < 1) return undefined;
  return { country: match[1]!, use: match[2] as KeyUse, year: Number(match[3]), seq };
}

/** True when `kid` is usable as a key identifier at all (any scheme): 1–128 printable ASCII characters. */
export function isKidSyntax(kid: unknown): kid is string {
  return typeof kid === 'string' && KID_SYNTAX.test(kid);
}

export function assertCountry(country: unknown): asserts country is string {
  if (typeof country !== 'string' || !COUNTRY.test(country)) {
    throw new CryptoError(
      'ERR_ARGUMENT_INVALID',
      `country must be two uppercase letters (ISO 3166-1 alpha-2, e.g. "MX"); got ${describeValue(country)}`,
    );
  }
}
