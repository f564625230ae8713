/**
 * Subjects, streams and buckets of the Enlace network, as DESIGN.md fixes them. Every part builds
 * and parses subjects here, so a typo cannot make a node listen where nobody publishes.
 *
 * ```
 * enlace.v1.alert.<network>.<kind>.<origin>     alerts            stream ENLACE_ALERTS
 * enlace.v1.direct.<dest>.<origin>              bilateral         stream ENLACE_ALERTS
 * enlace.v1.ack.<origin>.<from>                 receipts          stream ENLACE_ALERTS
 * enlace.v1.registry.rpc.<operation>            registry request/reply (core NATS)
 * enlace.v1.registry.event.<entity>.<id>        registry changes
 * enlace.v1.audit.<service>.<actor>             audit trail       stream ENLACE_AUDIT
 * KV buckets: enlace_registry_*                 registry state (with history)
 * ```
 */

import { TransportError } from './transport-error.js';

export const SUBJECT_ROOT = 'enlace.v1';

export const ALERTS_STREAM = 'ENLACE_ALERTS';
export const AUDIT_STREAM = 'ENLACE_AUDIT';

/** Subjects the alerts stream holds. */
export const ALERTS_STREAM_SUBJECTS = [
  `${SUBJECT_ROOT}.alert.>`,
  `${SUBJECT_ROOT}.direct.>`,
  `${SUBJECT_ROOT}.ack.>`,
] as const;
/** Subjects the audit stream holds. */
export const AUDIT_STREAM_SUBJECTS = [`${SUBJECT_ROOT}.audit.>`] as const;

/** Prefix of the registry's KV buckets. */
export const REGISTRY_BUCKET_PREFIX = 'enlace_registry_';

/** Registry request/reply operations (core NATS), one subject each. */
export const REGISTRY_RPC_OPERATIONS = ['get_key', 'get_snapshot', 'decide'] as const;
export type RegistryRpcOperation = (typeof REGISTRY_RPC_OPERATIONS)[number];

export const ALERT_KIND_TOKENS = ['route', 'document', 'network'] as const;
export type AlertKindToken = (typeof ALERT_KIND_TOKENS)[number];

/** Errors in building or parsing a subject. */
export class SubjectError extends TransportError {
  declare readonly code: 'ERR_SUBJECT_INVALID';
  /** Which part was wrong, e.g. "origin" or "network". */
  readonly field: string;

  constructor(field: string, message: string) {
    super('ERR_SUBJECT_INVALID', message);
    this.name = 'SubjectError';
    this.field = field;
  }
}

const COUNTRY = /^[A-Z]{2}$/;
const NETWORK = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
/** A subject token that is not a wildcard and carries no separator or whitespace. */
const TOKEN = /^[A-Za-z0-9_-]+$/;

function country(field: string, value: string): string {
  if (!COUNTRY.test(value)) {
    throw new SubjectError(
      field,
      `${field} must be an ISO 3166-1 alpha-2 code in upper case, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function network(value: string): string {
  if (!NETWORK.test(value)) {
    throw new SubjectError(
      'network',
      `network must be a lower-case id like "trafficking-liaison", got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function kind(value: string): AlertKindToken {
  if (!(ALERT_KIND_TOKENS as readonly string[]).includes(value)) {
    throw new SubjectError(
      'kind',
      `kind must be one of ${ALERT_KIND_TOKENS.join(', ')}, got ${JSON.stringify(value)}`,
    );
  }
  return value as AlertKindToken;
}

/**
 * Makes `value` safe as one subject token: characters outside [A-Za-z0-9_-] become '_'; an
 * empty value becomes '_'. For free-form ids such as an actor's name in an audit subject.
 */
export function subjectToken(value: string): string {
  const token = value.replace(/[^A-Za-z0-9_-]/g, '_');
  return token === '' ? '_' : token;
}

/** `enlace.v1.alert.<network>.<kind>.<origin>` */
export function alertSubject(parts: { network: string; kind: string; origin: string }): string {
  return `${SUBJECT_ROOT}.alert.${network(parts.network)}.${kind(parts.kind)}.${country('origin', parts.origin)}`;
}

/** `enlace.v1.direct.<dest>.<origin>` */
export function directSubject(parts: { dest: string; origin: string }): string {
  return `${SUBJECT_ROOT}.direct.${country('dest', parts.dest)}.${country('origin', parts.origin)}`;
}

/** `enlace.v1.ack.<origin>.<from>`: a receipt from `from` for an alert of `origin`. */
export function ackSubject(parts: { origin: string; from: string }): string {
  return `${SUBJECT_ROOT}.ack.${country('origin', parts.origin)}.${country('from', parts.from)}`;
}

/** `enlace.v1.registry.rpc.<operation>` */
export function registryRpcSubject(operation: RegistryRpcOperation): string {
  if (!(REGISTRY_RPC_OPERATIONS as readonly string[]).includes(operation)) {
    throw new SubjectError('operation', `unknown registry operation ${JSON.stringify(operation)}`);
  }
  return `${SUBJECT_ROOT}.registry.rpc.${operation}`;
}

/** `enlace.v1.registry.event.<entity>.<id>`; `id` is made a safe token. */
export function registryEventSubject(entity: string, id: string): string {
  if (!TOKEN.test(entity))
    throw new SubjectError('entity', `entity must be one subject token, got ${JSON.stringify(entity)}`);
  return `${SUBJECT_ROOT}.registry.event.${entity}.${subjectToken(id)}`;
}

/** Every registry event. */
export const REGISTRY_EVENTS_WILDCARD = `${SUBJECT_ROOT}.registry.event.>`;

/** `enlace.v1.audit.<service>.<actor>`; `actor` is made a safe token. */
export function auditSubject(service: string, actor: string): string {
  if (!TOKEN.test(service))
    throw new SubjectError('service', `service must be one subject token, got ${JSON.stringify(service)}`);
  return `${SUBJECT_ROOT}.audit.${service}.${subjectToken(actor)}`;
}

/** What an alert subject says. */
export interface ParsedAlertSubject {
  readonly type: 'alert';
  readonly network: string;
  readonly kind: AlertKindToken;
  readonly origin: string;
}
export interface ParsedDirectSubject {
  readonly type: 'direct';
  readonly dest: string;
  readonly origin: string;
}
export interface ParsedAckSubject {
  readonly type: 'ack';
  readonly origin: string;
  readonly from: string;
}
export type ParsedMessageSubject = ParsedAlertSubject | ParsedDirectSubject | ParsedAckSubject;

/**
 * Parses a subject of the alerts stream. Throws SubjectError naming the part that is wrong, so
 * a receiving node can reject a message whose subject lies (reason `subject_mismatch`).
 */
export function parseMessageSubject(subject: string): ParsedMessageSubject {
  const tokens = subject.split('.');
  if (tokens[0] !== 'enlace' || tokens[1] !== 'v1') {
    throw new SubjectError('subject', `not an Enlace v1 subject: ${JSON.stringify(subject)}`);
  }
  const [, , type, a, b, c, ...rest] = tokens;
  if (type === 'alert' && a !== undefined && b !== undefined && c !== undefined && rest.length === 0) {
    return { type, network: network(a), kind: kind(b), origin: country('origin', c) };
  }
  if (type === 'direct' && a !== undefined && b !== undefined && c === undefined) {
    return { type, dest: country('dest', a), origin: country('origin', b) };
  }
  if (type === 'ack' && a !== undefined && b !== undefined && c === undefined) {
    return { type, origin: country('origin', a), from: country('from', b) };
  }
  throw new SubjectError('subject', `not an alert, direct or ack subject: ${JSON.stringify(subject)}`);
}

/** Subjects a country's NATS user may publish on (its own origin only; DESIGN.md trust model 4). */
export function publishSubjectsOf(origin: string): string[] {
  const code = country('origin', origin);
  return [
    `${SUBJECT_ROOT}.alert.*.*.${code}`,
    `${SUBJECT_ROOT}.direct.*.${code}`,
    `${SUBJECT_ROOT}.ack.*.${code}`,
  ];
}

/**
 * Whether `subject` matches `pattern` with NATS wildcard semantics: `*` matches exactly one
 * token, a final `>` matches one or more tokens. Both are split on `.`; no other interpretation.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return i === p.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return p.length === s.length;
}
