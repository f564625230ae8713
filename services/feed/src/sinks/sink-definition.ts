/**
 * The `sink` part of a feed definition: where an FIU wants its records. Three kinds, checked
 * strictly (unknown fields are refused) so that a typo never silently sends records elsewhere:
 *
 * - `{ type: 'file', directory, maxBytes?, maxFiles? }`: JSON Lines files, rotated, in a
 *   directory under the operator's file root for the owner's country (`<root>/<CC>/<directory>`);
 * - `{ type: 'webhook', url, secret, caCertificate? }`: HTTPS POSTs signed with HMAC-SHA256, only
 *   to public addresses unless the operator's allow-list names the host (address-policy.ts);
 * - `{ type: 'nats', subject }`: JetStream messages on `enlace.v1.feed.<CC>.<token>`, CC being
 *   the feed owner's country (the subject must be the FIU's own).
 *
 * The webhook secret is a credential: redactSinkDefinition() and describeSink() are the only
 * views of a definition that may leave the service (API responses, logs, `enlace feed list`).
 */
import { isIP } from 'node:net';
import { isAbsolute, normalize, relative, sep } from 'node:path';

import { SUBJECT_ROOT } from '@enlace/transport';
import { z } from 'zod';

import type { FieldViolation } from '../errors.js';
import { FeedError } from '../errors.js';
import { AddressPolicy, isBlockedAddress, normalizeHost } from './address-policy.js';
import { certificateProblem } from './pem.js';

export const SINK_TYPES = ['file', 'webhook', 'nats'] as const;
export type SinkType = (typeof SINK_TYPES)[number];

/** A file is rotated before it would grow past this (64 MiB) unless the definition says otherwise. */
export const DEFAULT_FILE_MAX_BYTES = 64 * 1024 * 1024;
export const MIN_FILE_MAX_BYTES = 1024;
/** The largest file a feed may ask for (1 GiB): with MAX_FILE_MAX_FILES, a feed holds at most ~1 TiB. */
export const MAX_FILE_MAX_BYTES = 1024 * 1024 * 1024;
/** Rotated files kept per feed by default; older ones are deleted. */
export const DEFAULT_FILE_MAX_FILES = 30;
export const MAX_FILE_MAX_FILES = 1_000;
/** A file sink directory: at most this many components below the country's root, each a safe name. */
export const MAX_DIRECTORY_DEPTH = 8;
/** A webhook secret of fewer characters is refused: it keys HMAC-SHA256 and must not be guessable. */
export const MIN_WEBHOOK_SECRET_LENGTH = 32;
export const MAX_WEBHOOK_SECRET_LENGTH = 1024;
/** What redactSinkDefinition() shows in place of the webhook secret. */
export const REDACTED = '[redacted]';
/** Feed subjects: `enlace.v1.feed.<CC>.<token>`. */
export const FEED_SUBJECT_PREFIX = `${SUBJECT_ROOT}.feed`;

const FEED_SUBJECT = /^enlace\.v1\.feed\.([A-Z]{2})\.([A-Za-z0-9_-]{1,64})$/;
/** A directory component: letters, digits, `_`, `-`, `.` (not first: no `..`, no hidden names). */
const DIRECTORY_COMPONENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

/** What the operator decides about sinks (service configuration, not the FIU's definition). */
export interface SinkPolicy {
  /**
   * Root of every file sink: a feed of country CC writes under `<fileRoot>/<CC>/` and nowhere
   * else. Undefined: only relative directories are accepted (they are resolved when the sink opens).
   */
  readonly fileRoot?: string;
  /** Which loopback, private or reserved webhook hosts and ranges are allowed (none by default). */
  readonly webhooks: AddressPolicy;
}

/** No file root, nothing allow-listed: public https:// webhooks only. */
export const DEFAULT_SINK_POLICY: SinkPolicy = { webhooks: new AddressPolicy([]) };

export interface FileSinkDefinition {
  readonly type: 'file';
  /**
   * The directory the files go to, relative to the owner country's file root
   * (`<root>/<CC>/<directory>`, created 0700 when missing; no component may be a symbolic link).
   * An absolute path inside that root is accepted and stored relative.
   */
  readonly directory: string;
  /** Rotate before the current file would exceed this many bytes (default 64 MiB, at most 1 GiB). */
  readonly maxBytes?: number;
  /** Rotated files kept; the oldest beyond this are deleted (default 30, at most 1,000). */
  readonly maxFiles?: number;
}

export interface WebhookSinkDefinition {
  readonly type: 'webhook';
  /** https:// (http:// only to hosts the operator allow-lists, e.g. loopback in development). */
  readonly url: string;
  /** HMAC-SHA256 key of the `Enlace-Signature` header. Never shown: see redactSinkDefinition(). */
  readonly secret: string;
  /** PEM certificate(s) of a private CA: then the only CA trusted for this webhook. */
  readonly caCertificate?: string;
}

export interface NatsSinkDefinition {
  readonly type: 'nats';
  /** `enlace.v1.feed.<owner country>.<token>`. */
  readonly subject: string;
}

/** A validated sink definition (parseSinkDefinition() fills in the defaults; the sinks apply them too). */
export type SinkDefinition = FileSinkDefinition | WebhookSinkDefinition | NatsSinkDefinition;

/** A sink definition fit to show: the webhook secret replaced by REDACTED. */
export type PublicSinkDefinition =
  | FileSinkDefinition
  | NatsSinkDefinition
  | (Omit<WebhookSinkDefinition, 'secret'> & { readonly secret: typeof REDACTED });

function customIssue(ctx: z.core.$RefinementCtx<string>, code: string, message: string): void {
  ctx.addIssue({ code: 'custom', message, params: { code } });
}

function fileSinkSchema(ownerCountry: string, policy: SinkPolicy) {
  return z.strictObject({
    type: z.literal('file'),
    directory: z.string({ error: 'must be a string' }).transform((value, ctx) => {
      const problem = directoryProblem(value, ownerCountry, policy);
      if (typeof problem === 'object') {
        customIssue(ctx, problem.code, problem.message);
        return z.NEVER;
      }
      return problem;
    }),
    maxBytes: z
      .int({ error: 'must be a whole number of bytes' })
      .min(MIN_FILE_MAX_BYTES, { error: `must be at least ${MIN_FILE_MAX_BYTES} bytes (1 KiB)` })
      .max(MAX_FILE_MAX_BYTES, { error: `must be at most ${MAX_FILE_MAX_BYTES} bytes (1 GiB)` })
      .default(DEFAULT_FILE_MAX_BYTES),
    maxFiles: z
      .int({ error: 'must be a whole number of files' })
      .min(1, { error: 'must be at least 1 (the rotated files kept)' })
      .max(MAX_FILE_MAX_FILES, { error: `must be at most ${MAX_FILE_MAX_FILES}` })
      .default(DEFAULT_FILE_MAX_FILES),
  });
}

/**
 * The directory as stored (relative to `<root>/<CC>`, components joined by `/`), or why it is
 * refused: `invalid_path` (NUL, `..`, hidden or odd names, too deep), `outside_file_root` (an
 * absolute path not under the country's root).
 */
function directoryProblem(
  value: string,
  country: string,
  policy: SinkPolicy,
): string | { code: string; message: string } {
  if (value.includes('\0')) return { code: 'invalid_path', message: 'must not contain NUL characters' };
  let rel = value;
  if (isAbsolute(value)) {
    const base = policy.fileRoot === undefined ? undefined : normalize(`${policy.fileRoot}/${country}`);
    const inside = base === undefined ? undefined : relative(base, normalize(value));
    if (inside === undefined || inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
      return {
        code: 'outside_file_root',
        message:
          `must be a directory below the feed service's file root for ${country}` +
          (base === undefined ? '' : ` (${base}/<name>)`) +
          ', or a relative name such as "cases"',
      };
    }
    rel = inside.split(sep).join('/');
  }
  const parts = rel.split('/').filter((p) => p !== '');
  if (
    parts.length === 0 ||
    parts.length > MAX_DIRECTORY_DEPTH ||
    parts.some((p) => !DIRECTORY_COMPONENT.test(p))
  ) {
    return {
      code: 'invalid_path',
      message: `must be 1 to ${MAX_DIRECTORY_DEPTH} names separated by /, each of letters, digits, _, - and . (not first), such as "cases" or "fiu/2026"`,
    };
  }
  return parts.join('/');
}

function webhookSinkSchema(policy: SinkPolicy) {
  return z.strictObject({
    type: z.literal('webhook'),
    url: z.string({ error: 'must be a string' }).superRefine((value, ctx) => {
      let url: URL;
      try {
        url = new URL(value);
      } catch {
        customIssue(ctx, 'invalid_url', 'must be an absolute URL such as https://fiu.example/enlace');
        return;
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        customIssue(ctx, 'invalid_url', `must be an https:// URL, not ${url.protocol}`);
      } else if (url.username !== '' || url.password !== '') {
        customIssue(
          ctx,
          'invalid_url',
          'must not carry credentials: receivers authenticate records by their signature',
        );
      } else if (url.hash !== '') {
        customIssue(ctx, 'invalid_url', 'must not have a #fragment');
      } else if (url.protocol === 'http:' && !policy.webhooks.allowsHost(url.hostname)) {
        customIssue(
          ctx,
          'insecure_url',
          "must use https:// (http:// is allowed only to hosts on the feed service's webhook allow-list)",
        );
      } else if (literalBlocked(url.hostname) && !policy.webhooks.allowsHost(url.hostname)) {
        customIssue(
          ctx,
          'blocked_address',
          "must not be a loopback, private, link-local or reserved address unless the feed service's operator allow-lists it",
        );
      }
    }),
    secret: z.string({ error: 'must be a string' }).superRefine((value, ctx) => {
      // The messages never quote the value: it is a credential.
      if (value.length < MIN_WEBHOOK_SECRET_LENGTH) {
        customIssue(ctx, 'secret_too_short', `must be at least ${MIN_WEBHOOK_SECRET_LENGTH} characters`);
      } else if (value.length > MAX_WEBHOOK_SECRET_LENGTH) {
        customIssue(ctx, 'secret_too_long', `must be at most ${MAX_WEBHOOK_SECRET_LENGTH} characters`);
      }
    }),
    caCertificate: z
      .string({ error: 'must be a string' })
      .superRefine((value, ctx) => {
        // Capped, then read line by line: no regular expression ever sees the field.
        const problem = certificateProblem(value);
        if (problem !== undefined) customIssue(ctx, problem.code, problem.message);
      })
      .optional(),
  });
}

/** True when a URL hostname is an address (or `localhost`) that webhooks may not reach by default. */
function literalBlocked(hostname: string): boolean {
  const host = normalizeHost(hostname);
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  return isIP(host) !== 0 && isBlockedAddress(host);
}

function natsSinkSchema(ownerCountry: string) {
  return z.strictObject({
    type: z.literal('nats'),
    subject: z.string({ error: 'must be a string' }).superRefine((value, ctx) => {
      const match = FEED_SUBJECT.exec(value);
      if (match === null) {
        customIssue(
          ctx,
          'invalid_subject',
          `must be ${FEED_SUBJECT_PREFIX}.${ownerCountry}.<name>, the name made of letters, digits, _ and - (no wildcards)`,
        );
      } else if (match[1] !== ownerCountry) {
        customIssue(
          ctx,
          'subject_not_owned',
          `must be a subject of the feed owner's country (${FEED_SUBJECT_PREFIX}.${ownerCountry}.<name>), not of ${match[1]}`,
        );
      }
    }),
  });
}

/**
 * The zod schema of a sink definition for a feed owned by `ownerCountry` (ISO 3166-1 alpha-2),
 * to embed in the feed definition's schema. Custom issues carry their code in `params.code`.
 */
export function sinkDefinitionSchema(ownerCountry: string, policy: SinkPolicy = DEFAULT_SINK_POLICY) {
  return z.discriminatedUnion(
    'type',
    [fileSinkSchema(ownerCountry, policy), webhookSinkSchema(policy), natsSinkSchema(ownerCountry)],
    {
      error: (issue) =>
        issue.code === 'invalid_union' ? `must be one of ${SINK_TYPES.join(', ')}` : undefined,
    },
  );
}

/** What the sink schema takes (optional fields may be absent). */
export type SinkDefinitionInput = z.input<ReturnType<typeof sinkDefinitionSchema>>;

/**
 * Every problem of `input` as a sink definition of a feed owned by `ownerCountry`, with paths
 * under `prefix` (`sink.url`, `sink.maxBytes`) and stable codes: `required`, `unknown_field`,
 * `invalid_type`, `invalid_value` (unknown sink type), `too_small`, `too_big`, `invalid_path`,
 * `outside_file_root`, `invalid_url`, `insecure_url`, `blocked_address`, `secret_too_short`,
 * `secret_too_long`, `invalid_certificate`, `certificate_too_large`, `invalid_subject`,
 * `subject_not_owned`. Empty when it is valid.
 */
export function sinkViolations(
  input: unknown,
  ownerCountry: string,
  prefix = 'sink',
  policy: SinkPolicy = DEFAULT_SINK_POLICY,
): FieldViolation[] {
  const result = sinkDefinitionSchema(ownerCountry, policy).safeParse(input, { reportInput: true });
  return result.success ? [] : violationsOf(result.error, prefix);
}

/** The validated definition, defaults filled in; throws FeedError ERR_VALIDATION listing every violation. */
export function parseSinkDefinition(
  input: unknown,
  ownerCountry: string,
  prefix = 'sink',
  policy: SinkPolicy = DEFAULT_SINK_POLICY,
): SinkDefinition {
  const result = sinkDefinitionSchema(ownerCountry, policy).safeParse(input, { reportInput: true });
  if (result.success) return result.data as SinkDefinition;
  const violations = violationsOf(result.error, prefix);
  const first = violations[0];
  const summary =
    first === undefined
      ? ''
      : `: ${first.path}: ${first.message}` +
        (violations.length > 1 ? ` (and ${violations.length - 1} more)` : '');
  throw new FeedError('ERR_VALIDATION', `invalid sink${summary}`, { violations });
}

/** The definition with the webhook secret replaced by REDACTED: what API responses and logs show. */
export function redactSinkDefinition(def: SinkDefinition): PublicSinkDefinition {
  return def.type === 'webhook' ? { ...def, secret: REDACTED } : def;
}

/**
 * A one-line description (`file:cases` (relative to the country's file root), `webhook:https://fiu.example/enlace`,
 * `nats:enlace.v1.feed.MX.cases`). Webhook URLs lose their query string, which some receivers
 * use for tokens.
 */
export function describeSink(def: SinkDefinition): string {
  switch (def.type) {
    case 'file':
      return `file:${def.directory}`;
    case 'webhook': {
      const url = new URL(def.url);
      return `webhook:${url.origin}${url.pathname}`;
    }
    case 'nats':
      return `nats:${def.subject}`;
  }
}

/** `['sink', 'url']` → `sink.url`; numbers become `[i]`. */
function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function violationsOf(error: z.ZodError, prefix: string): FieldViolation[] {
  const out: FieldViolation[] = [];
  for (const issue of error.issues) {
    const path = formatPath(prefix, issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          out.push({
            path: formatPath(prefix, [...issue.path, key]),
            code: 'unknown_field',
            message: 'is not a known field',
          });
        }
        break;
      case 'invalid_union': {
        // The only union is the one on `type`; its issue carries the whole object as input.
        const input: unknown = issue.input;
        const type = typeof input === 'object' && input !== null ? (input as { type?: unknown }).type : input;
        out.push(
          type === undefined
            ? { path, code: 'required', message: `required: one of ${SINK_TYPES.join(', ')}` }
            : { path, code: 'invalid_value', message: issue.message },
        );
        break;
      }
      case 'invalid_type':
        out.push(
          issue.input === undefined
            ? { path, code: 'required', message: 'required' }
            : {
                path,
                code: 'invalid_type',
                message: issue.path.length === 0 ? 'must be an object' : issue.message,
              },
        );
        break;
      case 'custom': {
        const code = (issue.params as { code?: unknown } | undefined)?.code;
        out.push({ path, code: typeof code === 'string' ? code : 'invalid_value', message: issue.message });
        break;
      }
      default:
        out.push({ path, code: issue.code, message: issue.message });
    }
  }
  return out;
}
