/**
 * What a node needs to trust the registry (DESIGN.md, trust model 1): checks of signed
 * snapshots and signed change events against the registry public key the node pins. No NATS, no
 * Nest, no file system.
 */
import type { PublicKeyRecord } from '@enlace/crypto';
import { createJwksResolver, importPublicKey, verifySignedAlert } from '@enlace/crypto';
import type { PolicySnapshot } from '@enlace/policy';
import { isInstant, validateSnapshot } from '@enlace/policy';
import { registryV1 } from '@enlace/schema';
import { compactVerify, decodeProtectedHeader } from 'jose';

import { TrustError } from './errors.js';
import type { FieldViolation } from './errors.js';
import type { KeyRecord, RegistryChange, RegistrySnapshot } from './signed-state.js';
import { REGISTRY_SNAPSHOT_FORMAT } from './signed-state.js';

/** `typ` of the protected header of a snapshot JWS. */
export const SNAPSHOT_JWS_TYPE = 'enlace-registry-snapshot+jws';

const ENTITIES: readonly RegistryChange['entity'][] = [
  'country',
  'network',
  'membership',
  'focal-point',
  'key',
  'rule',
  'glossary',
  'token',
];

function importPinned(pinnedPublicJwk: unknown): PublicKeyRecord {
  try {
    return importPublicKey(pinnedPublicJwk, 'sig');
  } catch (cause) {
    throw new TrustError('ERR_VALIDATION', 'the pinned registry key is not a public Ed25519 JWK', {
      cause,
      violations: [
        { path: 'pinnedPublicJwk', code: 'invalid_jwk', message: String((cause as Error).message) },
      ],
    });
  }
}

/**
 * Verifies a snapshot JWS with the pinned registry key and returns the snapshot it carries.
 * Throws TrustError: ERR_SNAPSHOT_INVALID when it is not a compact JWS of typ SNAPSHOT_JWS_TYPE, not signed with
 * EdDSA, or its payload is not a valid registry snapshot (its policy part is checked with
 * packages/policy's validateSnapshot); ERR_SIGNATURE_INVALID when the kid is not the pinned
 * key's or the signature does not verify; ERR_VALIDATION when the pinned key itself is unusable.
 */
export async function verifySignedSnapshot(jws: string, pinnedPublicJwk: unknown): Promise<RegistrySnapshot> {
  const pinned = importPinned(pinnedPublicJwk);
  if (typeof jws !== 'string' || jws.split('.').length !== 3)
    throw new TrustError('ERR_SNAPSHOT_INVALID', 'a signed snapshot must be a compact JWS (three parts)');
  let header: { alg?: unknown; kid?: unknown; typ?: unknown };
  try {
    header = decodeProtectedHeader(jws);
  } catch (cause) {
    throw new TrustError('ERR_SNAPSHOT_INVALID', 'the snapshot JWS has no readable protected header', {
      cause,
    });
  }
  if (header.alg !== 'EdDSA')
    throw new TrustError(
      'ERR_SNAPSHOT_INVALID',
      `the snapshot JWS uses alg ${String(header.alg)}, not EdDSA`,
    );
  // The registry key also signs other things (e.g. bearer tokens): only a snapshot JWS is one.
  if (header.typ !== SNAPSHOT_JWS_TYPE)
    throw new TrustError(
      'ERR_SNAPSHOT_INVALID',
      `the JWS has typ ${JSON.stringify(header.typ)}, not "${SNAPSHOT_JWS_TYPE}": it is not a registry snapshot`,
    );
  if (header.kid !== pinned.kid)
    throw new TrustError(
      'ERR_SIGNATURE_INVALID',
      `the snapshot is signed by ${JSON.stringify(header.kid)}, not by the pinned registry key ${JSON.stringify(pinned.kid)}`,
    );
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jws, pinned.key, { algorithms: ['EdDSA'] }));
  } catch (cause) {
    throw new TrustError(
      'ERR_SIGNATURE_INVALID',
      'the snapshot signature does not verify with the pinned registry key',
      {
        cause,
      },
    );
  }
  let snapshot: unknown;
  try {
    snapshot = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (cause) {
    throw new TrustError('ERR_SNAPSHOT_INVALID', 'the snapshot payload is not JSON', { cause });
  }
  const violations = snapshotViolations(snapshot, pinned.kid);
  if (violations.length > 0) {
    const first = violations[0] as FieldViolation;
    throw new TrustError(
      'ERR_SNAPSHOT_INVALID',
      `invalid registry snapshot: ${first.path}: ${first.message}`,
      {
        violations,
      },
    );
  }
  return snapshot as RegistrySnapshot;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Problems of a snapshot's form; empty when it is well formed. */
export function snapshotViolations(snapshot: unknown, registryKid?: string): FieldViolation[] {
  const out: FieldViolation[] = [];
  if (!isObject(snapshot)) return [{ path: '', code: 'invalid_type', message: 'must be a JSON object' }];
  if (snapshot['format'] !== REGISTRY_SNAPSHOT_FORMAT)
    out.push({ path: 'format', code: 'invalid_value', message: `must be "${REGISTRY_SNAPSHOT_FORMAT}"` });
  const revision = snapshot['revision'];
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0)
    out.push({ path: 'revision', code: 'invalid_type', message: 'must be a non-negative integer' });
  if (!isInstant(snapshot['generatedAt']))
    out.push({ path: 'generatedAt', code: 'invalid_format', message: 'must be an RFC 3339 UTC instant' });
  if (registryKid !== undefined && snapshot['registryKid'] !== registryKid)
    out.push({
      path: 'registryKid',
      code: 'invalid_value',
      message: `must be the signing key's kid ${registryKid}`,
    });
  const policy = snapshot['policy'];
  for (const p of validateSnapshot(policy))
    if (p.severity === 'error')
      out.push({ path: p.path === '' ? 'policy' : `policy.${p.path}`, code: p.code, message: p.message });
  if (isObject(policy) && policy['revision'] !== revision)
    out.push({ path: 'policy.revision', code: 'invalid_value', message: 'must equal the snapshot revision' });
  const keys = snapshot['keys'];
  if (!Array.isArray(keys)) out.push({ path: 'keys', code: 'invalid_type', message: 'must be a list' });
  else keys.forEach((key: unknown, i) => out.push(...keyViolations(key, `keys[${i}]`)));
  out.push(...revocationViolations(snapshot));
  return out;
}

function revocationViolations(snapshot: Record<string, unknown>): FieldViolation[] {
  const out: FieldViolation[] = [];
  const lists = [
    ['revokedTokens', ['jti'], ['revokedAt', 'expiresAt']],
    ['revokedSubjects', ['subject'], ['revokedAt']],
  ] as const;
  for (const [name, strings, instants] of lists) {
    const list = snapshot[name];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      out.push({ path: name, code: 'invalid_type', message: 'must be a list' });
      continue;
    }
    list.forEach((entry: unknown, i) => {
      const path = `${name}[${i}]`;
      if (!isObject(entry)) {
        out.push({ path, code: 'invalid_type', message: 'must be an object' });
        return;
      }
      for (const field of strings)
        if (typeof entry[field] !== 'string' || entry[field] === '')
          out.push({ path: `${path}.${field}`, code: 'required', message: 'required' });
      for (const field of instants)
        if (!isInstant(entry[field]))
          out.push({
            path: `${path}.${field}`,
            code: 'invalid_format',
            message: 'must be an RFC 3339 UTC instant',
          });
    });
  }
  return out;
}

function keyViolations(key: unknown, path: string): FieldViolation[] {
  if (!isObject(key)) return [{ path, code: 'invalid_type', message: 'a key must be an object' }];
  const out: FieldViolation[] = [];
  for (const field of ['kid', 'country'] as const)
    if (typeof key[field] !== 'string')
      out.push({ path: `${path}.${field}`, code: 'required', message: 'required' });
  if (key['use'] !== 'sig' && key['use'] !== 'enc')
    out.push({ path: `${path}.use`, code: 'invalid_value', message: 'must be "sig" or "enc"' });
  if (!isObject(key['publicJwk']))
    out.push({ path: `${path}.publicJwk`, code: 'required', message: 'required' });
  for (const field of ['notBefore', 'registeredAt'] as const)
    if (!isInstant(key[field]))
      out.push({
        path: `${path}.${field}`,
        code: 'invalid_format',
        message: 'must be an RFC 3339 UTC instant',
      });
  for (const field of ['notAfter', 'revokedAt'] as const)
    if (key[field] !== undefined && !isInstant(key[field]))
      out.push({
        path: `${path}.${field}`,
        code: 'invalid_format',
        message: 'must be an RFC 3339 UTC instant',
      });
  return out;
}

/** The policy part of a verified snapshot, ready for createPolicyEvaluator(). */
export function policyOf(snapshot: RegistrySnapshot): PolicySnapshot {
  return snapshot.policy;
}

/** The keys of a verified snapshot of one country and use. */
export function keysOf(snapshot: RegistrySnapshot, country: string, use?: KeyRecord['use']): KeyRecord[] {
  return snapshot.keys.filter((k) => k.country === country && (use === undefined || k.use === use));
}

/**
 * Decodes and verifies a SignedRegistryEvent (the bytes received on
 * enlace.v1.registry.event.<entity>.<id>) with the pinned registry key. Throws TrustError:
 * ERR_EVENT_INVALID when it is not a well-formed signed event, ERR_SIGNATURE_INVALID when it is
 * not signed by the pinned key.
 */
export async function verifyRegistryEvent(
  data: Uint8Array,
  pinnedPublicJwk: unknown,
): Promise<RegistryChange> {
  const pinned = importPinned(pinnedPublicJwk);
  let signed: registryV1.SignedRegistryEvent;
  try {
    signed = registryV1.SignedRegistryEvent.decode(data);
  } catch (cause) {
    throw new TrustError('ERR_EVENT_INVALID', 'not a SignedRegistryEvent', { cause });
  }
  try {
    await verifySignedAlert(
      { alert: signed.event, protectedHeader: signed.protectedHeader, signature: signed.signature },
      createJwksResolver({ keys: [pinned.jwk] }),
    );
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (code === 'ERR_JWS_MALFORMED')
      throw new TrustError('ERR_EVENT_INVALID', 'the event signature is malformed', { cause });
    throw new TrustError('ERR_SIGNATURE_INVALID', 'the event is not signed by the pinned registry key', {
      cause,
    });
  }
  let event: registryV1.RegistryEvent;
  try {
    event = registryV1.RegistryEvent.decode(signed.event);
  } catch (cause) {
    throw new TrustError('ERR_EVENT_INVALID', 'the signed bytes are not a RegistryEvent', { cause });
  }
  const entity = event.entity as RegistryChange['entity'];
  if (!ENTITIES.includes(entity) || event.id === '' || event.action === '' || event.at === undefined)
    throw new TrustError('ERR_EVENT_INVALID', 'the RegistryEvent lacks entity, id, action or at');
  return {
    revision: Number(event.revision),
    entity,
    id: event.id,
    action: event.action,
    at: event.at.toISOString(),
  };
}
