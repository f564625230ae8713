/**
 * JWK Sets of public keys, as a country publishes them and the registry distributes them, and the
 * KeyResolver through which verification finds a key by kid. A resolver over a JWKS imports every
 * key once, when it is made; resolving a kid is then a map lookup.
 */
import { describeValue, KeyError } from './errors.js';
import { toPublicKeyRecord } from './import-key.js';
import type { PublicKeyRecord } from './import-key.js';
import { validateJwk } from './jwk.js';
import type { PublicJwk } from './jwk.js';

/** A JWK Set (RFC 7517 §5) of Enlace public keys, kids unique. */
export interface Jwks {
  keys: PublicJwk[];
}

/**
 * Finds the public key filed under a kid. Implementations may look keys up anywhere (a JWKS, the
 * registry); they return undefined for a kid they do not know, and throw only when the lookup
 * itself failed (verification then reports ERR_KEY_RESOLUTION_FAILED, which a caller may retry).
 */
export interface KeyResolver {
  resolve(kid: string): Promise<PublicKeyRecord | undefined>;
}

/**
 * Builds a JWKS from public keys, validating and normalizing each. A private key is
 * ERR_KEY_WRONG_TYPE and a repeated kid ERR_JWKS_INVALID.
 */
export function createJwks(publicJwks: readonly PublicJwk[]): Jwks {
  if (!Array.isArray(publicJwks)) {
    throw new KeyError(
      'ERR_JWKS_INVALID',
      `a key set is built from an array of public JWKs, not ${describeValue(publicJwks)}`,
    );
  }
  return { keys: validateKeys(publicJwks) };
}

/**
 * Reads an untrusted JWKS document (parsed JSON): an object whose `keys` is an array of valid
 * Enlace public JWKs with distinct kids. Returns a normalized copy.
 */
export function parseJwks(json: unknown): Jwks {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new KeyError(
      'ERR_JWKS_INVALID',
      `a JWKS must be a JSON object with "keys", not ${describeValue(json)}`,
    );
  }
  const keys = (json as Record<string, unknown>)['keys'];
  if (!Array.isArray(keys)) {
    throw new KeyError('ERR_JWKS_INVALID', `a JWKS must have a "keys" array (got ${describeValue(keys)})`);
  }
  return { keys: validateKeys(keys) };
}

/**
 * A KeyResolver over a fixed JWKS. Every key is validated and imported here, once; an invalid key
 * or a repeated kid throws now rather than at the first message.
 */
export function createJwksResolver(jwks: Jwks): KeyResolver {
  if (typeof jwks !== 'object' || jwks === null || !Array.isArray(jwks.keys)) {
    throw new KeyError(
      'ERR_JWKS_INVALID',
      `a key resolver needs a JWKS ({ keys: [...] }), not ${describeValue(jwks)}`,
    );
  }
  const records = new Map<string, PublicKeyRecord>();
  jwks.keys.forEach((jwk, index) => {
    const record = toPublicKeyRecord(
      validateJwk(jwk, { need: 'public', what: `JWKS keys[${index}]`, purpose: 'in a key set' }),
    );
    if (records.has(record.kid)) throw duplicateKid(record.kid, index);
    records.set(record.kid, record);
  });
  return {
    resolve: (kid: string) => Promise.resolve(records.get(kid)),
  };
}

function validateKeys(keys: readonly unknown[]): PublicJwk[] {
  const seen = new Set<string>();
  return keys.map((json, index) => {
    const { publicJwk } = validateJwk(json, {
      need: 'public',
      what: `JWKS keys[${index}]`,
      purpose: 'in a key set',
    });
    if (seen.has(publicJwk.kid)) throw duplicateKid(publicJwk.kid, index);
    seen.add(publicJwk.kid);
    return publicJwk;
  });
}

function duplicateKid(kid: string, index: number): KeyError {
  return new KeyError(
    'ERR_JWKS_INVALID',
    `JWKS keys[${index}] repeats kid ${JSON.stringify(kid)}; kids must be unique in a key set`,
  );
}
