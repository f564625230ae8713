/**
 * Broker-level enforcement (DESIGN.md trust model 4): the nats-server users and permissions of an
 * Enlace network, rendered from registry state. Pure: no I/O, no clock; the same input always
 * renders the same text, so a re-render that changes nothing changes no byte.
 *
 * Output: an `authorization { users = [...] }` block (mode `authorization`, the default) or an
 * `accounts { ENLACE { jetstream: enabled, users = [...] } }` block (mode `account`). The
 * `authorization` block keeps every user in the server's global account, where an Enlace server
 * that ran without users already keeps its streams: turning enforcement on loses nothing. Use
 * `account` on a server shared with other tenants (its streams then live in that account).
 *
 * One user per country, `node-<cc>`:
 * - member: publishes only its own origin subjects (publishSubjectsOf), registry RPC requests,
 *   its own audit subjects, and the JetStream API calls of its node: account and stream info,
 *   create/info/pull/ack of its own durables (`node-<CC>` on alerts, `node-<CC>-receipts` and
 *   `node-<CC>-direct` on the receipts and bilateral messages addressed to it), each create
 *   bound to that durable's filter subject (the filter is part of the create subject on
 *   nats-server >= 2.9, and the server checks it against the consumer's config). Subscribes to its inboxes and to registry events. No stream create,
 *   update, delete or purge; no other country's durable.
 * - observer: the same, minus alert and bilateral subjects: it may acknowledge what it reads
 *   (receipts) but never originate an alert (DESIGN: observers only read).
 * - suspended: a user that keeps only registry reads (RPC requests, events, its inbox) and its
 *   own audit subjects (its node records what it refused while suspended). Its
 *   connection survives the reload, so a reinstatement needs no node restart, but it can neither
 *   publish nor pull anything from the streams while suspended ("neither publishes nor
 *   receives"). Keeping its subscriptions matters: a client does not subscribe again to what
 *   the server removed, so a reinstated node would miss registry events until it reconnects.
 * - withdrawn: no user. Withdrawal is final; at the reload the server closes its connections
 *   and refuses new ones.
 *
 * The registry service user creates and reads the streams (ENLACE_ALERTS, ENLACE_AUDIT, its KV
 * bucket), writes its KV bucket and its audit subjects, answers RPC (allow_responses) and
 * publishes and reads registry events. It may not delete or purge any stream.
 */
import {
  ALERTS_STREAM,
  AUDIT_STREAM,
  REGISTRY_BUCKET_PREFIX,
  REGISTRY_EVENTS_WILDCARD,
  REGISTRY_RPC_OPERATIONS,
  SUBJECT_ROOT,
  publishSubjectsOf,
  registryRpcSubject,
} from './subjects.js';
import { TransportError } from './transport-error.js';

/** Country statuses the registry knows (packages/policy COUNTRY_STATUSES). */
export type NatsCountryStatus = 'member' | 'observer' | 'suspended' | 'withdrawn';

/** A credential: a password (plain text in the rendered file: keep it mode 0600) or an nkey. */
export type NatsCredential = { readonly password: string } | { readonly nkey: string };

export interface NatsCountryUser {
  /** ISO 3166-1 alpha-2, upper case. */
  readonly code: string;
  readonly status: NatsCountryStatus;
  /** Unused for a withdrawn country. */
  readonly credential?: NatsCredential;
}

export interface NatsServiceUser {
  readonly user: string;
  readonly credential: NatsCredential;
}

export interface NatsAuthorizationInput {
  readonly countries: readonly NatsCountryUser[];
  readonly services: {
    /** The registry, and the launcher or operator that creates the streams before nodes start. */
    readonly registry: NatsServiceUser;
    /** The FIU feed service (services/feed), when it runs: feedNatsPermissions(). */
    readonly feed?: NatsServiceUser;
  };
  /**
   * Financial intelligence units that read their feeds from NATS (`fiu-<cc>`,
   * fiuNatsPermissions): each only its own country's `enlace.v1.feed.<CC>.>`.
   */
  readonly fius?: ReadonlyArray<{ readonly code: string; readonly credential: NatsCredential }>;
  /** `authorization` (default: global account) or `account` (an `ENLACE` account with JetStream). */
  readonly mode?: 'authorization' | 'account';
  /** Account name in mode `account` (default `ENLACE`). */
  readonly account?: string;
  /**
   * `shared` (default): country users subscribe to `_INBOX.>`, which is what a client uses unless
   * told otherwise, but lets one user see replies meant for another. `per-user`: each user only
   * `_INBOX.node-<cc>.>`; its client must connect with `inboxPrefix: inboxPrefixOf(cc)`.
   */
  readonly inboxes?: 'shared' | 'per-user';
  /** Buckets of the registry (default: `enlace_registry_state`). */
  readonly registryBuckets?: readonly string[];
}

/** What one user may do: subjects it may publish on and subscribe to. */
export interface NatsPermissions {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  /** May answer requests it received (reply subjects), once each. */
  readonly allowResponses?: boolean;
}

/** A durable consumer a country's node may create, read and acknowledge, with its filter. */
export interface NodeDurable {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject: string;
}

const JS_API = '$JS.API';
const COUNTRY = /^[A-Z]{2}$/;
/** Characters a password may hold inside a quoted config string without escaping. */
const SAFE_SECRET = /^[\x21-\x7e]{12,}$/;
const NKEY = /^U[A-Z2-7]{55}$/;
const NAME = /^[A-Za-z0-9_-]+$/;

/** The NATS user of a country's node, e.g. `node-mx`. */
export function countryNatsUser(code: string): string {
  return `node-${checkCountry(code).toLowerCase()}`;
}

/** The inbox prefix a node connects with when inboxes are `per-user`, e.g. `_INBOX.node-mx`. */
export function inboxPrefixOf(code: string): string {
  return `_INBOX.${countryNatsUser(code)}`;
}

/** The durable consumers a country's node uses (services/node: inbound alerts, receipts, forwards). */
export function nodeDurablesOf(code: string): NodeDurable[] {
  const cc = checkCountry(code);
  return [
    { stream: ALERTS_STREAM, durable: `node-${cc}`, filterSubject: `${SUBJECT_ROOT}.alert.>` },
    { stream: ALERTS_STREAM, durable: `node-${cc}-receipts`, filterSubject: `${SUBJECT_ROOT}.ack.${cc}.*` },
    // Bilateral messages (forwards) addressed to this country only.
    { stream: ALERTS_STREAM, durable: `node-${cc}-direct`, filterSubject: `${SUBJECT_ROOT}.direct.${cc}.*` },
  ];
}

/** The permissions of a country's user, or undefined when it gets none (withdrawn). */
export function countryNatsPermissions(
  code: string,
  status: NatsCountryStatus,
  options: Pick<NatsAuthorizationInput, 'inboxes'> = {},
): NatsPermissions | undefined {
  const cc = checkCountry(code);
  const inbox = options.inboxes === 'per-user' ? `${inboxPrefixOf(cc)}.>` : '_INBOX.>';
  const registryReads = REGISTRY_RPC_OPERATIONS.map((op) => registryRpcSubject(op));
  const subscribe = [inbox, REGISTRY_EVENTS_WILDCARD];
  const audit = `${SUBJECT_ROOT}.audit.${countryNatsUser(cc)}.>`;
  switch (status) {
    case 'withdrawn':
      return undefined;
    case 'suspended':
      return { publish: [...registryReads, audit], subscribe };
    case 'member':
    case 'observer': {
      const origin = publishSubjectsOf(cc);
      const own = status === 'member' ? origin : origin.filter((s) => s.startsWith(`${SUBJECT_ROOT}.ack.`));
      const durables = nodeDurablesOf(cc).flatMap((d) => [
        // nats-server >= 2.9: CONSUMER.CREATE.<stream>.<durable>.<filter>; the server refuses a
        // config whose filter differs from the one in the subject.
        `${JS_API}.CONSUMER.CREATE.${d.stream}.${d.durable}.${d.filterSubject}`,
        `${JS_API}.CONSUMER.INFO.${d.stream}.${d.durable}`,
        `${JS_API}.CONSUMER.MSG.NEXT.${d.stream}.${d.durable}`,
        `$JS.ACK.${d.stream}.${d.durable}.>`,
      ]);
      return {
        publish: [
          ...own,
          ...registryReads,
          audit,
          `${JS_API}.INFO`,
          `${JS_API}.STREAM.INFO.${ALERTS_STREAM}`,
          `${JS_API}.STREAM.INFO.${AUDIT_STREAM}`,
          ...durables,
        ],
        subscribe,
      };
    }
    default:
      throw new TransportError(
        'ERR_INVALID_OPTION',
        `status of ${cc} must be member, observer, suspended or withdrawn, got ${JSON.stringify(status)}`,
      );
  }
}

/** The stream and KV bucket the feed service keeps (services/feed). */
export const FEEDS_STREAM = 'ENLACE_FEEDS';
export const FEEDS_BUCKET = 'enlace_feeds';
/** The feed service's replies come on `_INBOX.feed.*` (its client connects with this prefix). */
export const FEED_INBOX_PREFIX = '_INBOX.feed';

/**
 * The permissions of the feed service user: it reads ENLACE_ALERTS through consumers of its own
 * (one durable per feed, the matching index, short-lived readers for tail and export), keeps its
 * feed definitions in the `enlace_feeds` KV bucket and delivers to `enlace.v1.feed.>` (stream
 * ENLACE_FEEDS). It cannot publish alerts, change or purge ENLACE_ALERTS, or read the audit trail.
 * NATS wildcards match whole tokens, so consumer operations cover every consumer name of
 * ENLACE_ALERTS: the service is operated by the process's secretariat, like the registry.
 */
export function feedNatsPermissions(): NatsPermissions {
  const own = [FEEDS_STREAM, `KV_${FEEDS_BUCKET}`].flatMap((s) => [
    `${JS_API}.STREAM.CREATE.${s}`,
    `${JS_API}.STREAM.INFO.${s}`,
    `${JS_API}.STREAM.MSG.GET.${s}`,
    `${JS_API}.DIRECT.GET.${s}`,
    `${JS_API}.DIRECT.GET.${s}.>`,
    `${JS_API}.CONSUMER.CREATE.${s}`,
    `${JS_API}.CONSUMER.CREATE.${s}.>`,
    `${JS_API}.CONSUMER.INFO.${s}.*`,
    `${JS_API}.CONSUMER.DELETE.${s}.*`,
    `${JS_API}.CONSUMER.MSG.NEXT.${s}.*`,
    `$JS.ACK.${s}.>`,
  ]);
  return {
    publish: [
      `${SUBJECT_ROOT}.feed.>`,
      `${SUBJECT_ROOT}.audit.feed.>`,
      ...REGISTRY_RPC_OPERATIONS.map((op) => registryRpcSubject(op)),
      `$KV.${FEEDS_BUCKET}.>`,
      `${JS_API}.INFO`,
      `${JS_API}.STREAM.INFO.${ALERTS_STREAM}`,
      `${JS_API}.CONSUMER.CREATE.${ALERTS_STREAM}.>`,
      `${JS_API}.CONSUMER.INFO.${ALERTS_STREAM}.*`,
      `${JS_API}.CONSUMER.DELETE.${ALERTS_STREAM}.*`,
      `${JS_API}.CONSUMER.MSG.NEXT.${ALERTS_STREAM}.*`,
      `$JS.ACK.${ALERTS_STREAM}.>`,
      // Replicas and limits of an existing ENLACE_FEEDS are kept; ensureFeedsStream may widen its subjects.
      `${JS_API}.STREAM.UPDATE.${FEEDS_STREAM}`,
      ...own,
      '$JS.FC.>',
    ],
    subscribe: [`${FEED_INBOX_PREFIX}.>`, REGISTRY_EVENTS_WILDCARD],
  };
}

/** The NATS user of a country's financial intelligence unit, e.g. `fiu-mx`. */
export function fiuNatsUser(code: string): string {
  return `fiu-${checkCountry(code).toLowerCase()}`;
}

/** The inbox prefix an FIU's client connects with (`_INBOX.fiu-mx`): no one else reads its replies. */
export function fiuInboxPrefixOf(code: string): string {
  return `_INBOX.${fiuNatsUser(code)}`;
}

/**
 * The permissions of a country's FIU user: it reads the records the feed service delivers to its
 * country's NATS subjects (`enlace.v1.feed.<CC>.>`, stream ENLACE_FEEDS), live or through its one
 * durable consumer, named after the user (`fiu-mx`) and filtered to its own subjects; nothing
 * else — no alerts, no other country's deliveries, no stream administration.
 */
export function fiuNatsPermissions(code: string): NatsPermissions {
  const cc = checkCountry(code);
  const user = fiuNatsUser(cc);
  const own = `${SUBJECT_ROOT}.feed.${cc}.>`;
  return {
    publish: [
      `${JS_API}.INFO`,
      `${JS_API}.STREAM.INFO.${FEEDS_STREAM}`,
      // nats-server >= 2.9 checks that the filter in the subject is the consumer's.
      `${JS_API}.CONSUMER.CREATE.${FEEDS_STREAM}.${user}.${own}`,
      `${JS_API}.CONSUMER.INFO.${FEEDS_STREAM}.${user}`,
      `${JS_API}.CONSUMER.MSG.NEXT.${FEEDS_STREAM}.${user}`,
      `$JS.ACK.${FEEDS_STREAM}.${user}.>`,
    ],
    subscribe: [`${fiuInboxPrefixOf(cc)}.>`, own],
  };
}

/** The permissions of the registry service user. */
export function registryNatsPermissions(
  options: Pick<NatsAuthorizationInput, 'registryBuckets'> = {},
): NatsPermissions {
  const buckets = options.registryBuckets ?? [`${REGISTRY_BUCKET_PREFIX}state`];
  for (const bucket of buckets) {
    if (!bucket.startsWith(REGISTRY_BUCKET_PREFIX) || !NAME.test(bucket))
      throw new TransportError(
        'ERR_INVALID_OPTION',
        `registry bucket must be named ${REGISTRY_BUCKET_PREFIX}<name>, got ${JSON.stringify(bucket)}`,
      );
  }
  // The alerts stream: created and kept up to date, never read (the registry reads no alerts).
  const alerts = ['CREATE', 'UPDATE', 'INFO'].map((op) => `${JS_API}.STREAM.${op}.${ALERTS_STREAM}`);
  const streams = [AUDIT_STREAM, ...buckets.map((b) => `KV_${b}`)];
  const perStream = streams.flatMap((s) => [
    `${JS_API}.STREAM.CREATE.${s}`,
    `${JS_API}.STREAM.UPDATE.${s}`,
    `${JS_API}.STREAM.INFO.${s}`,
    `${JS_API}.STREAM.MSG.GET.${s}`,
    `${JS_API}.DIRECT.GET.${s}`,
    `${JS_API}.DIRECT.GET.${s}.>`,
    // Ordered consumers (KV watch, audit queries): created, read and removed by the registry.
    `${JS_API}.CONSUMER.CREATE.${s}`,
    `${JS_API}.CONSUMER.CREATE.${s}.>`,
    `${JS_API}.CONSUMER.INFO.${s}.*`,
    `${JS_API}.CONSUMER.DELETE.${s}.*`,
    `${JS_API}.CONSUMER.MSG.NEXT.${s}.*`,
    `$JS.ACK.${s}.>`,
  ]);
  return {
    publish: [
      `${SUBJECT_ROOT}.registry.event.>`,
      `${SUBJECT_ROOT}.audit.registry.>`,
      ...buckets.map((b) => `$KV.${b}.>`),
      `${JS_API}.INFO`,
      `${JS_API}.STREAM.NAMES`,
      `${JS_API}.STREAM.LIST`,
      ...alerts,
      ...perStream,
      '$JS.FC.>',
    ],
    subscribe: ['_INBOX.>', `${SUBJECT_ROOT}.registry.rpc.>`, REGISTRY_EVENTS_WILDCARD],
    allowResponses: true,
  };
}

/**
 * The nats-server configuration text for `input`: users sorted (service first, then countries by
 * code), one comment line naming each and its status. Throws TransportError ERR_INVALID_OPTION
 * on a malformed code, status, credential or a country listed twice.
 */
export function renderNatsAuthorization(input: NatsAuthorizationInput): string {
  const mode = input.mode ?? 'authorization';
  if (mode !== 'authorization' && mode !== 'account')
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `mode must be authorization or account, got ${String(mode)}`,
    );
  const seen = new Set<string>();
  const entries: string[] = [];
  const registry = input.services.registry;
  if (!NAME.test(registry.user) || registry.user.startsWith('node-'))
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `the registry's user must be letters, digits, '-' or '_' and not start with node-, got ${JSON.stringify(registry.user)}`,
    );
  entries.push(
    renderUser(`registry service`, registry.user, registry.credential, registryNatsPermissions(input)),
  );
  const feed = input.services.feed;
  if (feed !== undefined) {
    if (!NAME.test(feed.user) || feed.user.startsWith('node-') || feed.user === registry.user)
      throw new TransportError(
        'ERR_INVALID_OPTION',
        `the feed service's user must be letters, digits, '-' or '_', not start with node- and differ from the registry's, got ${JSON.stringify(feed.user)}`,
      );
    entries.push(renderUser('feed service', feed.user, feed.credential, feedNatsPermissions()));
  }
  const countries = [...input.countries].sort((a, b) => a.code.localeCompare(b.code));
  for (const country of countries) {
    const cc = checkCountry(country.code);
    if (seen.has(cc)) throw new TransportError('ERR_INVALID_OPTION', `country ${cc} is listed twice`);
    seen.add(cc);
    const permissions = countryNatsPermissions(cc, country.status, input);
    if (permissions === undefined) {
      entries.push(`    # ${cc} ${country.status}: no user`);
      continue;
    }
    if (country.credential === undefined)
      throw new TransportError('ERR_INVALID_OPTION', `country ${cc} (${country.status}) has no credential`);
    entries.push(renderUser(`${cc} ${country.status}`, countryNatsUser(cc), country.credential, permissions));
  }
  const fius = [...(input.fius ?? [])].sort((a, b) => a.code.localeCompare(b.code));
  const seenFius = new Set<string>();
  for (const fiu of fius) {
    const cc = checkCountry(fiu.code);
    if (seenFius.has(cc)) throw new TransportError('ERR_INVALID_OPTION', `FIU ${cc} is listed twice`);
    seenFius.add(cc);
    entries.push(
      renderUser(
        `${cc} financial intelligence unit`,
        fiuNatsUser(cc),
        fiu.credential,
        fiuNatsPermissions(cc),
      ),
    );
  }
  const users = `users = [\n${entries.join('\n')}\n  ]`;
  const header =
    '# Enlace NATS users and permissions, rendered from registry state (DESIGN.md trust model 4).\n' +
    '# Do not edit by hand: `enlace deploy nats-config` renders it again.\n';
  if (mode === 'authorization') return `${header}authorization {\n  ${users}\n}\n`;
  const account = input.account ?? 'ENLACE';
  if (!NAME.test(account))
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `account must be letters, digits, '-' or '_', got ${account}`,
    );
  return `${header}accounts {\n  ${account} {\n    jetstream: enabled\n    ${users.replaceAll('\n', '\n  ')}\n  }\n}\n`;
}

function renderUser(
  what: string,
  user: string,
  credential: NatsCredential,
  permissions: NatsPermissions,
): string {
  const q = (value: string): string => JSON.stringify(value);
  const list = (subjects: readonly string[]): string =>
    `[\n${subjects.map((s) => `            ${q(s)}`).join('\n')}\n          ]`;
  let identity: string;
  if ('nkey' in credential) {
    if (!NKEY.test(credential.nkey))
      throw new TransportError('ERR_INVALID_OPTION', `the nkey of ${user} is not a user public nkey (U...)`);
    identity = `nkey: ${q(credential.nkey)}`;
  } else {
    if (!SAFE_SECRET.test(credential.password) || /["\\]/.test(credential.password))
      throw new TransportError(
        'ERR_INVALID_OPTION',
        `the password of ${user} must be at least 12 printable ASCII characters without quotes, backslashes or spaces`,
      );
    identity = `user: ${q(user)}\n      password: ${q(credential.password)}`;
  }
  return [
    `    # ${what}`,
    '    {',
    `      ${identity}`,
    '      permissions: {',
    `        publish: { allow: ${list(permissions.publish)} }`,
    `        subscribe: { allow: ${list(permissions.subscribe)} }`,
    ...(permissions.allowResponses === true ? ['        allow_responses: true'] : []),
    '      }',
    '    }',
  ].join('\n');
}

function checkCountry(code: string): string {
  if (!COUNTRY.test(code))
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `country must be an ISO 3166-1 alpha-2 code in upper case, got ${JSON.stringify(code)}`,
    );
  return code;
}
