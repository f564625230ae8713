/**
 * Between the registry's domain values and the enlace.registry.v1 protobuf messages: KeyRecord
 * → KeyInfo, DecideRequest → DecideInput (checked, with field paths), PolicyDecision → Decision,
 * RegistryError → RpcError.
 */
import { AlertKind, HandlingCode, registryV1 } from '@enlace/schema';
import type { PolicyDecision } from '@enlace/policy';

import { RegistryError } from '../domain/errors.js';
import type { FieldViolation } from '../domain/errors.js';
import type { KeyRecord } from '../domain/model.js';
import type { DecideInput } from '../domain/service.js';

const COUNTRY = /^[A-Z]{2}$/;

export function toRpcError(error: unknown): registryV1.RpcError {
  if (error instanceof RegistryError) {
    return { code: error.code, message: error.message, violations: error.violations.map((v) => ({ ...v })) };
  }
  return { code: 'ERR_INTERNAL', message: 'the registry failed to answer this request', violations: [] };
}

function date(instant: string | undefined): Date | undefined {
  return instant === undefined ? undefined : new Date(instant);
}

export function toKeyInfo(key: KeyRecord): registryV1.KeyInfo {
  return {
    kid: key.kid,
    country: key.country,
    use: key.use === 'sig' ? registryV1.KeyUse.KEY_USE_SIG : registryV1.KeyUse.KEY_USE_ENC,
    publicJwkJson: JSON.stringify(key.publicJwk),
    notBefore: date(key.notBefore),
    notAfter: date(key.notAfter),
    registeredAt: date(key.registeredAt),
    revokedAt: date(key.revokedAt),
    revocationReason: key.revocationReason ?? '',
  };
}

const KINDS: ReadonlyMap<AlertKind, DecideInput['kind']> = new Map([
  [AlertKind.ALERT_KIND_ROUTE, 'route'],
  [AlertKind.ALERT_KIND_DOCUMENT, 'document'],
  [AlertKind.ALERT_KIND_NETWORK, 'network'],
]);

const HANDLING: ReadonlyMap<HandlingCode, NonNullable<DecideInput['handling']>> = new Map([
  [HandlingCode.HANDLING_CODE_H0, 'H0'],
  [HandlingCode.HANDLING_CODE_H1, 'H1'],
  [HandlingCode.HANDLING_CODE_H2, 'H2'],
  [HandlingCode.HANDLING_CODE_H3, 'H3'],
]);

/** Checks a DecideRequest and turns it into the service's DecideInput; ERR_VALIDATION names each field. */
export function toDecideInput(request: registryV1.DecideRequest): DecideInput {
  const violations: FieldViolation[] = [];
  const action =
    request.action === registryV1.PolicyAction.POLICY_ACTION_PUBLISH
      ? 'publish'
      : request.action === registryV1.PolicyAction.POLICY_ACTION_RECEIVE
        ? 'receive'
        : undefined;
  if (action === undefined) {
    violations.push({
      path: 'action',
      code: 'required',
      message: 'must be POLICY_ACTION_PUBLISH or POLICY_ACTION_RECEIVE',
    });
  }
  if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(request.network)) {
    violations.push({
      path: 'network',
      code: request.network === '' ? 'required' : 'invalid_format',
      message: 'must be a network id such as trafficking-liaison',
    });
  }
  const kind = KINDS.get(request.kind);
  if (kind === undefined)
    violations.push({ path: 'kind', code: 'required', message: 'must be route, document or network' });
  if (!COUNTRY.test(request.origin)) {
    violations.push({
      path: 'origin',
      code: request.origin === '' ? 'required' : 'invalid_country',
      message: 'must be an ISO 3166-1 alpha-2 code',
    });
  }
  if (action === 'receive' && !COUNTRY.test(request.receiver)) {
    violations.push({
      path: 'receiver',
      code: request.receiver === '' ? 'required' : 'invalid_country',
      message: 'a receive decision needs the receiving country (ISO 3166-1 alpha-2)',
    });
  } else if (action !== 'receive' && request.receiver !== '' && !COUNTRY.test(request.receiver)) {
    violations.push({
      path: 'receiver',
      code: 'invalid_country',
      message: 'must be an ISO 3166-1 alpha-2 code',
    });
  }
  request.recipients.forEach((recipient, index) => {
    if (!COUNTRY.test(recipient)) {
      violations.push({
        path: `recipients[${index}]`,
        code: 'invalid_country',
        message: 'must be an ISO 3166-1 alpha-2 code',
      });
    }
  });
  const handling = HANDLING.get(request.handling);
  if (request.handling !== HandlingCode.HANDLING_CODE_UNSPECIFIED && handling === undefined) {
    violations.push({ path: 'handling', code: 'invalid_value', message: 'must be H0, H1, H2 or H3' });
  }
  if (request.at !== undefined && Number.isNaN(request.at.getTime())) {
    violations.push({ path: 'at', code: 'invalid_format', message: 'must be a valid timestamp' });
  }
  if (violations.length > 0 || action === undefined || kind === undefined) {
    throw new RegistryError(
      'ERR_VALIDATION',
      `invalid decide request: ${violations[0]?.path}: ${violations[0]?.message}`,
      {
        violations,
      },
    );
  }
  return {
    action,
    network: request.network,
    kind,
    origin: request.origin,
    ...(request.receiver !== '' && { receiver: request.receiver }),
    ...(request.recipients.length > 0 && { recipients: request.recipients }),
    ...(handling !== undefined && { handling }),
    ...(request.at !== undefined && { at: request.at.toISOString() }),
  };
}

export function toDecision(decision: PolicyDecision): registryV1.Decision {
  return decision.allowed
    ? { allowed: true, reason: '', ruleIds: [...decision.rules], message: '' }
    : {
        allowed: false,
        reason: decision.reason,
        ruleIds: [...(decision.rules ?? [])],
        message: decision.message,
      };
}
