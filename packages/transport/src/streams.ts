/**
 * The JetStream streams of DESIGN.md, created or brought up to date in one idempotent call:
 * ENLACE_ALERTS (alerts, bilateral messages and receipts; deduplicated on Nats-Msg-Id) and
 * ENLACE_AUDIT (the append-only trail: no message deletion, no purge). Every service may call
 * ensureEnlaceStreams() at start-up; concurrent callers converge on the same configuration.
 * Runs on nats-server 2.9.10 and later (no subject transforms, no 2.10-only fields).
 */
import type { JetStreamManager, StreamConfig, StreamInfo } from '@nats-io/jetstream';
import { DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';

import { ALERTS_STREAM, ALERTS_STREAM_SUBJECTS, AUDIT_STREAM, AUDIT_STREAM_SUBJECTS } from './subjects.js';
import { TransportError } from './transport-error.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Alerts are kept 400 days by default: a year of history to search, plus a margin. */
export const DEFAULT_ALERTS_MAX_AGE_MS = 400 * DAY;
/** Publishers retry for up to a couple of minutes; the window must cover every retry. */
export const MIN_DUPLICATE_WINDOW_MS = 2 * MINUTE;
export const DEFAULT_DUPLICATE_WINDOW_MS = 5 * MINUTE;
/**
 * Largest message either stream accepts. A SignedAlert is a few KiB; an encrypted body adds one
 * JWE recipient (~200 bytes) per country. 256 KiB leaves room for long free text and every
 * country in the process while staying well under the server's default 1 MiB max_payload.
 */
export const DEFAULT_MAX_MSG_SIZE = 256 * 1024;

/** Options of ensureEnlaceStreams(). Durations in milliseconds. */
export interface EnsureStreamsOptions {
  /**
   * Replicas of each stream: 1 on a single server, 3 on a cluster. When absent, a new stream gets
   * 1 and an existing stream keeps what it has, so a service that only makes sure the streams
   * exist never scales an operator's R3 stream down.
   */
  readonly replicas?: 1 | 3;
  /** How long alerts are kept (default 400 days). */
  readonly alertsMaxAge?: number;
  /** How long the audit trail is kept (default 0: for ever). */
  readonly auditMaxAge?: number;
  /** Window in which a repeated Nats-Msg-Id is dropped as a duplicate (default 5 min, at least 2 min). */
  readonly duplicateWindow?: number;
  /** Largest message accepted, in bytes (default 256 KiB). */
  readonly maxMsgSize?: number;
}

/** What ensureEnlaceStreams() did to one stream. */
export interface EnsuredStream {
  readonly name: string;
  readonly action: 'created' | 'updated' | 'unchanged';
  /** Fields that differed and were updated (empty unless `action` is 'updated'). */
  readonly changed: readonly string[];
  readonly info: StreamInfo;
}

/** The configuration ensureEnlaceStreams() gives each stream; exported for tests and operators. */
export function enlaceStreamConfigs(options: EnsureStreamsOptions = {}): StreamConfig[] {
  const replicas = options.replicas ?? 1;
  if (replicas !== 1 && replicas !== 3) {
    throw new TransportError('ERR_INVALID_OPTION', `replicas must be 1 or 3, got ${String(replicas)}`);
  }
  const alertsMaxAge = durationOption('alertsMaxAge', options.alertsMaxAge ?? DEFAULT_ALERTS_MAX_AGE_MS);
  const auditMaxAge = durationOption('auditMaxAge', options.auditMaxAge ?? 0);
  const duplicateWindow = durationOption(
    'duplicateWindow',
    options.duplicateWindow ?? DEFAULT_DUPLICATE_WINDOW_MS,
  );
  if (duplicateWindow < MIN_DUPLICATE_WINDOW_MS) {
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `duplicateWindow must be at least ${MIN_DUPLICATE_WINDOW_MS} ms so that retried publishes stay deduplicated, got ${duplicateWindow}`,
    );
  }
  for (const [name, maxAge] of [
    ['alertsMaxAge', alertsMaxAge],
    ['auditMaxAge', auditMaxAge],
  ] as const) {
    // JetStream requires duplicate_window <= max_age whenever max_age is set.
    if (maxAge !== 0 && maxAge < duplicateWindow) {
      throw new TransportError(
        'ERR_INVALID_OPTION',
        `${name} (${maxAge} ms) must be 0 or at least duplicateWindow (${duplicateWindow} ms)`,
      );
    }
  }
  const maxMsgSize = options.maxMsgSize ?? DEFAULT_MAX_MSG_SIZE;
  if (!Number.isSafeInteger(maxMsgSize) || maxMsgSize < 1024) {
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `maxMsgSize must be an integer >= 1024, got ${maxMsgSize}`,
    );
  }

  const common = {
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: replicas,
    duplicate_window: nanos(duplicateWindow),
    max_msg_size: maxMsgSize,
    max_msgs: -1,
    max_bytes: -1,
  };
  return [
    {
      ...common,
      name: ALERTS_STREAM,
      description: 'Enlace alerts, bilateral messages and receipts',
      subjects: [...ALERTS_STREAM_SUBJECTS],
      max_age: nanos(alertsMaxAge),
      deny_delete: false,
      deny_purge: false,
    } as StreamConfig,
    {
      ...common,
      name: AUDIT_STREAM,
      description: 'Enlace audit trail (append-only)',
      subjects: [...AUDIT_STREAM_SUBJECTS],
      max_age: nanos(auditMaxAge),
      deny_delete: true,
      deny_purge: true,
    } as StreamConfig,
  ];
}

/**
 * Creates ENLACE_ALERTS and ENLACE_AUDIT, or updates them to the configuration of
 * enlaceStreamConfigs(). Idempotent: a stream already as wanted is left alone ('unchanged').
 * A difference JetStream cannot apply in place (storage, retention, or re-allowing deletes on
 * the audit trail) throws TransportError ERR_STREAM_CONFLICT naming the fields; nothing is
 * deleted or recreated, since that would lose messages.
 */
export async function ensureEnlaceStreams(
  jsm: JetStreamManager,
  options: EnsureStreamsOptions = {},
): Promise<EnsuredStream[]> {
  const results: EnsuredStream[] = [];
  for (const config of enlaceStreamConfigs(options)) {
    results.push(await ensureStream(jsm, config, { keepReplicas: options.replicas === undefined }));
  }
  return results;
}

/** Fields compared and, where they differ, updated. */
const UPDATABLE = [
  'subjects',
  'description',
  'max_age',
  'max_msgs',
  'max_bytes',
  'max_msg_size',
  'duplicate_window',
  'discard',
  'num_replicas',
  'deny_delete',
  'deny_purge',
] as const satisfies readonly (keyof StreamConfig)[];

async function ensureStream(
  jsm: JetStreamManager,
  wantedConfig: StreamConfig,
  options: { keepReplicas: boolean },
): Promise<EnsuredStream> {
  let wanted = wantedConfig;
  let existing = await streamInfo(jsm, wanted.name);
  if (existing === undefined) {
    try {
      const info = await jsm.streams.add(wanted);
      return { name: wanted.name, action: 'created', changed: [], info };
    } catch (err) {
      // Another service may have created it in between: fall through and reconcile.
      existing = await streamInfo(jsm, wanted.name);
      if (existing === undefined) throw jetStreamError(`cannot create stream ${wanted.name}`, err);
    }
  }

  const current = existing.config;
  if (options.keepReplicas) wanted = { ...wanted, num_replicas: current.num_replicas };
  const immutable: string[] = [];
  if (current.storage !== wanted.storage) immutable.push('storage');
  if (current.retention !== wanted.retention) immutable.push('retention');
  // JetStream never lifts deny_delete / deny_purge once set: the audit trail stays append-only.
  if (current.deny_delete && !wanted.deny_delete) immutable.push('deny_delete');
  if (current.deny_purge && !wanted.deny_purge) immutable.push('deny_purge');
  if (immutable.length > 0) {
    throw new TransportError(
      'ERR_STREAM_CONFLICT',
      `stream ${wanted.name} exists with a different ${immutable.join(', ')} that JetStream cannot change in place; ` +
        `migrate it by hand (wanted ${describe(wanted, immutable)}, found ${describe(current, immutable)})`,
    );
  }

  const changed = UPDATABLE.filter((field) => !sameValue(current[field], wanted[field]));
  if (changed.length === 0) return { name: wanted.name, action: 'unchanged', changed, info: existing };
  try {
    const update = Object.fromEntries(UPDATABLE.map((field) => [field, wanted[field]]));
    const info = await jsm.streams.update(wanted.name, update);
    return { name: wanted.name, action: 'updated', changed, info };
  } catch (err) {
    if (err instanceof JetStreamApiError) {
      throw new TransportError(
        'ERR_STREAM_CONFLICT',
        `stream ${wanted.name} exists with a different ${changed.join(', ')} and JetStream refused the update: ${err.message}`,
        { cause: err },
      );
    }
    throw jetStreamError(`cannot update stream ${wanted.name}`, err);
  }
}

/** The stream's info, or undefined when it does not exist. */
async function streamInfo(jsm: JetStreamManager, name: string): Promise<StreamInfo | undefined> {
  try {
    return await jsm.streams.info(name);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === 10059) return undefined;
    throw jetStreamError(`cannot read stream ${name}`, err);
  }
}

function jetStreamError(message: string, cause: unknown): TransportError {
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new TransportError('ERR_JETSTREAM_UNAVAILABLE', `${message}${detail}`, { cause });
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);
  }
  // The server omits empty descriptions and false flags.
  return (a ?? '') === (b ?? '') || (a === undefined && b === false) || (a === false && b === undefined);
}

function describe(config: Partial<StreamConfig>, fields: readonly string[]): string {
  return fields.map((f) => `${f}=${JSON.stringify(config[f as keyof StreamConfig])}`).join(' ');
}

function durationOption(name: string, ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `${name} must be a whole number of milliseconds >= 0, got ${ms}`,
    );
  }
  return ms;
}
