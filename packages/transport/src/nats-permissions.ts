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
 * One user per country, `node-<cc>`, authenticated by its nkey (or a bcrypt-hashed password):
 * - member: publishes only its own origin subjects (publishSubjectsOf), registry RPC requests,
 *   its own audit subjects, and the JetStream API calls of its node: account and stream info,
 *   info/pull/ack of its own durables (nodeDurablesOf): one per network it belongs to
 *   (`node-<CC>-net-<network>`, filtered to `enlace.v1.alert.<network>.>`), `node-<CC>-direct`
 *   (`enlace.v1.direct.<CC>.*`) and `node-<CC>-receipts` (`enlace.v1.ack.<CC>.*`). It may not
 *   create, update or delete any consumer: a privileged reconciler (reconcileNodeConsumers, run
 *   by `npm start` and `enlace deploy consumers`) creates them. nats-server 2.9 does check the
 *   filter of `CONSUMER.CREATE.<stream>.<name>.<filter>` against the body (err 10131), but not
 *   the rest of the body: a user allowed to create could make a push consumer delivering to any
 *   subject, or change its limits. Subscribes only to its own inbox prefix (inboxPrefixOf) and
 *   to registry events. No stream create, update, delete or purge; no other country's durable.
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
 * publishes and reads registry events, and creates, updates and deletes the consumers of the
 * nodes on ENLACE_ALERTS (no pulls from them). Whoever may create consumers could make a push
 * consumer deliver to a subject it reads (nats-server 2.9 does not check a `deliver_subject`),
 * so this user is trusted with alerts like the feed service's: keep its credentials with the
 * secretariat. It may not delete or purge any stream.
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

/**
 * A credential: a user's public nkey (`U...`; the client signs the server's challenge with its
 * seed), or a password hash (bcrypt, `$2a$`/`$2b$`, as hashNatsPassword() makes it). A password
 * in clear is refused: the rendered file holds no secret.
 */
export type NatsCredential = { readonly nkey: string } | { readonly passwordHash: string };

export interface NatsCountryUser {
  /** ISO 3166-1 alpha-2, upper case. */
  readonly code: string;
  readonly status: NatsCountryStatus;
  /** Unused for a withdrawn country. */
  readonly credential?: NatsCredential;
  /**
   * The networks it belongs to now (registry memberships in force, any role): its user may read
   * only these networks' durables. Absent or empty: no network.
   */
  readonly networks?: readonly string[];
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

/**
 * A durable consumer of a country's node, as the reconciler creates it and the node reads it
 * (the node passes the same limits to consumeDurable(), which then finds nothing to update).
 */
export interface NodeDurable {
  readonly stream: string;
  readonly durable: string;
  readonly filterSubject: string;
  /** What it carries: a network's alerts, bilateral messages to the country, or its receipts. */
  readonly kind: 'network' | 'direct' | 'receipts';
  /** For `network`: the network id. */
  readonly network?: string;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
  readonly maxAckPending: number;
}

/** Limits of the nodes' durables (services/node passes the same to consumeDurable()). */
export const NODE_DURABLE_LIMITS = {
  /** Only transient failures are retried (no snapshot yet, a store error): keep trying. */
  maxDeliver: 1_000,
  ackWaitMs: 30_000,
  /** Network alerts: 4 × the node's default inbound concurrency (128). */
  alertsMaxAckPending: 512,
  /** Receipts and bilateral messages: 4 × consumeDurable's default concurrency (8). */
  otherMaxAckPending: 32,
} as const;

const JS_API = '$JS.API';
const COUNTRY = /^[A-Z]{2}$/;
const NKEY = /^U[A-Z2-7]{55}$/;
/** bcrypt as nats-server reads it (golang.org/x/crypto/bcrypt: $2a$, $2b$, $2y$). */
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const NAME = /^[A-Za-z0-9_-]+$/;
/** Network ids as the registry validates them (packages/policy). */
const NETWORK = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** The NATS user of a country's node, e.g. `node-mx`. */
export function countryNatsUser(code: string): string {
  return `node-${checkCountry(code).toLowerCase()}`;
}

/** The inbox prefix a node must connect with (the only inbox its user may read), e.g. `_INBOX.node-mx`. */
export function inboxPrefixOf(code: string): string {
  return `_INBOX.${countryNatsUser(code)}`;
}

/** The durable of a country's node on one network, e.g. `node-GT-net-trafficking-liaison`. */
export function networkDurableOf(code: string, network: string): string {
  return `node-${checkCountry(code)}-net-${checkNetwork(network)}`;
}

/**
 * The durable consumers of a country's node: one per network in `networks` (sorted, each once),
 * its bilateral messages and its receipts.
 */
export function nodeDurablesOf(code: string, networks: readonly string[] = []): NodeDurable[] {
  const cc = checkCountry(code);
  const limits = { ackWaitMs: NODE_DURABLE_LIMITS.ackWaitMs, maxDeliver: NODE_DURABLE_LIMITS.maxDeliver };
  const other = { ...limits, maxAckPending: NODE_DURABLE_LIMITS.otherMaxAckPending };
  return [
    ...[...new Set(networks.map(checkNetwork))].sort().map((network): NodeDurable => ({
      stream: ALERTS_STREAM,
      durable: networkDurableOf(cc, network),
      filterSubject: `${SUBJECT_ROOT}.alert.${network}.>`,
      kind: 'network',
      network,
      ...limits,
      maxAckPending: NODE_DURABLE_LIMITS.alertsMaxAckPending,
    })),
    // Bilateral messages (forwards) addressed to this country only.
    {
      stream: ALERTS_STREAM,
      durable: `node-${cc}-direct`,
      filterSubject: `${SUBJECT_ROOT}.direct.${cc}.*`,
      kind: 'direct',
      ...other,
    },
    {
      stream: ALERTS_STREAM,
      durable: `node-${cc}-receipts`,
      filterSubject: `${SUBJECT_ROOT}.ack.${cc}.*`,
      kind: 'receipts',
      ...other,
    },
  ];
}

/** The permissions of a country's user, or undefined when it gets none (withdrawn). */
export function countryNatsPermissions(
  code: string,
  status: NatsCountryStatus,
  networks: readonly string[] = [],
): NatsPermissions | undefined {
  const cc = checkCountry(code);
  const registryReads = REGISTRY_RPC_OPERATIONS.map((op) => registryRpcSubject(op));
  const subscribe = [`${inboxPrefixOf(cc)}.>`, REGISTRY_EVENTS_WILDCARD];
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
      // Read only: no CONSUMER.CREATE/DURABLE.CREATE/DELETE, so the reconciler's filter and
      // limits are the only ones these durables ever have.
      const durables = nodeDurablesOf(cc, networks).flatMap((d) => [
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
  // The alerts stream: created and kept up to date; the registry itself reads no alerts.
  // Its consumers: the nodes' durables, reconciled from memberships (reconcileNodeConsumers);
  // no MSG.NEXT, DIRECT.GET or MSG.GET on it (see the module comment on push consumers).
  const alerts = [
    ...['CREATE', 'UPDATE', 'INFO'].map((op) => `${JS_API}.STREAM.${op}.${ALERTS_STREAM}`),
    `${JS_API}.CONSUMER.CREATE.${ALERTS_STREAM}.>`,
    `${JS_API}.CONSUMER.INFO.${ALERTS_STREAM}.*`,
    `${JS_API}.CONSUMER.DELETE.${ALERTS_STREAM}.*`,
    `${JS_API}.CONSUMER.NAMES.${ALERTS_STREAM}`,
    `${JS_API}.CONSUMER.LIST.${ALERTS_STREAM}`,
  ];
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
    const permissions = countryNatsPermissions(cc, country.status, country.networks ?? []);
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
  } else if ('passwordHash' in credential && BCRYPT.test(credential.passwordHash)) {
    identity = `user: ${q(user)}\n      password: ${q(credential.passwordHash)}`;
  } else {
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `the credential of ${user} must be a public nkey (U...) or a bcrypt password hash ($2a$...); passwords in clear are not rendered`,
    );
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

function checkNetwork(network: string): string {
  if (typeof network !== 'string' || !NETWORK.test(network) || network.length > 64)
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `network must be lower-case letters, digits and '-', got ${JSON.stringify(network)}`,
    );
  return network;
}

function checkCountry(code: string): string {
  if (!COUNTRY.test(code))
    throw new TransportError(
      'ERR_INVALID_OPTION',
      `country must be an ISO 3166-1 alpha-2 code in upper case, got ${JSON.stringify(code)}`,
    );
  return code;
}
