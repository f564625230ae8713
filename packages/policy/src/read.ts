/**
 * The read rule: what a reader may see of a stored, already verified alert on a given channel.
 * Every path that shows an alert (the node's inbox, one alert by id, its envelope, feed
 * delivery, matching, and exports to STIX, TAXII or MISP) asks `evaluateRead`, so handling codes
 * and restricted recipients are judged the same everywhere.
 *
 * Readers: a focal point of a country (on its node), an FIU analyst of a country (through feeds
 * of that country and matching), and the process's administrators and auditors, who are of no
 * country. The holder is the country whose node or feed holds the alert.
 *
 * Order of checks, and the reason each refusal gives:
 * 1. the reader's role serves the channel (`reader_not_allowed`): focal points read the node
 *    (inbox, by_id, envelope), FIU analysts feeds, matching and exports; administrators every
 *    channel; auditors every channel but matching (a match is a query, not a record to audit);
 * 2. a country reader reads only what its own country holds (`not_holder`). On matching, where
 *    the feed service's index holds every country's alerts, the reader's country must be the
 *    origin or be entitled by the policy to receive the alert now (the `evaluateReceive`
 *    reasons, `not_recipient` for a restricted alert not addressed to it);
 * 3. handling codes are judged as `evaluateForward` judges them: within the holding country
 *    nothing is passed on, so the holder's own readers read H0–H3 alike (an H2 alert held by X
 *    reaches X's FIU feed). Administrators and auditors are not the holder: they read inside
 *    Enlace, but an export would take an H2 or H3 alert (no onward dissemination; restrictions
 *    policy cannot check) to someone other than its holder (`handling_restricted`);
 * 4. a restricted alert's body, title and summary are for the focal points and FIUs of its
 *    recipients and of its origin: any other reader gets `visibility: 'header'` (the header and
 *    the fact that a body exists). Matching answers from bodies, so there a reader who may not
 *    see the body is refused (`not_recipient` or `body_restricted`).
 * An alert past its `expires_at` stays readable and is marked `expired`.
 */
import { PolicyQueryError } from './errors.js';
import type { PolicyEvaluator, PolicyReason } from './evaluate.js';
import { requireCode, requireHandling, requireKind, requireRecipients } from './evaluate.js';
import type { AlertKind, CountryCode, HandlingCode, NetworkId, TimeInput } from './model.js';
import { toEpochMillis } from './time.js';

/** Every path on which an alert is read. */
export const READ_CHANNELS = ['inbox', 'by_id', 'envelope', 'feed', 'match', 'export'] as const;
/**
 * Where an alert is read: `inbox` (the node's inbox and outbox list), `by_id` (one alert on the
 * node), `envelope` (the SignedAlert bytes from the node), `feed` (feed delivery to a sink, and
 * reading a feed's records), `match` (hit/no-hit matching), `export` (STIX, TAXII, MISP).
 */
export type ReadChannel = (typeof READ_CHANNELS)[number];

/** Roles a reader can read as. */
export const READER_ROLES = ['focal-point', 'fiu-analyst', 'administrator', 'auditor'] as const;
export type ReaderRole = (typeof READER_ROLES)[number];

/** Who reads: a person of a country (focal point, FIU analyst) or of the process (administrator, auditor). */
export type Reader =
  | { readonly role: 'focal-point' | 'fiu-analyst'; readonly country: CountryCode }
  | { readonly role: 'administrator' | 'auditor' };

/** What the read rule needs of a stored, verified alert. */
export interface ReadAlert {
  readonly origin: CountryCode;
  readonly network: NetworkId;
  readonly kind: AlertKind;
  readonly handling: HandlingCode;
  /** The recipients of a restricted alert; empty when it is not restricted. */
  readonly recipients: readonly CountryCode[];
  readonly issuedAt: TimeInput;
  readonly expiresAt?: TimeInput;
  /**
   * The country whose store holds the alert: the node's country (inbox, by_id, envelope) or the
   * feed's (feed, export). Not needed on matching, whose index holds every country's alerts.
   */
  readonly holder?: CountryCode;
}

/** What else a read is judged on. */
export interface ReadOptions {
  /** When the read happens (default: now): for expiry and, on matching, entitlement now. */
  readonly at?: TimeInput;
  /** The registry policy in force; required on matching for a reader of a country other than the origin. */
  readonly policy?: Pick<PolicyEvaluator, 'evaluateReceive'>;
}

/** Every reason a read can be refused with (besides the receive reasons on matching). */
export const READ_REASONS = [
  'reader_not_allowed',
  'not_holder',
  'handling_restricted',
  'body_restricted',
] as const;

/**
 * Why a read is refused; stable strings, the same in APIs, metrics and audit records.
 * - `reader_not_allowed`: the reader's role does not read on that channel.
 * - `not_holder`: a country reader asked for what another country holds.
 * - `handling_restricted`: an export of an H2 or H3 alert to a reader other than its holder.
 * - `body_restricted`: matching in a restricted body by a reader who may see only its header.
 * - on matching, any reason of `evaluateReceive` (`not_recipient`, `receiver_not_member`, ...).
 */
export type ReadReason = (typeof READ_REASONS)[number] | PolicyReason;

/** What of the alert the reader sees: all of it, or the header and the fact that a body exists. */
export type ReadVisibility = 'full' | 'header';

export interface ReadAllowed {
  readonly allowed: true;
  /** `header`: no body, title or summary of the restricted alert; its header and that it has a body. */
  readonly visibility: ReadVisibility;
  /** True when a restricted body (with its title and summary) is withheld from this reader. */
  readonly bodyRestricted: boolean;
  /** True when the alert's `expires_at` has passed at the read: shown, no longer to be acted on. */
  readonly expired: boolean;
}

export interface ReadRefused {
  readonly allowed: false;
  readonly reason: ReadReason;
  /** For people: names the reader, the alert and the channel. */
  readonly message: string;
}

export type ReadDecision = ReadAllowed | ReadRefused;

/** The roles that read on each channel. */
const CHANNEL_READERS: Readonly<Record<ReadChannel, readonly ReaderRole[]>> = {
  inbox: ['focal-point', 'administrator', 'auditor'],
  by_id: ['focal-point', 'administrator', 'auditor'],
  envelope: ['focal-point', 'administrator', 'auditor'],
  feed: ['fiu-analyst', 'administrator', 'auditor'],
  match: ['fiu-analyst', 'administrator'],
  export: ['fiu-analyst', 'administrator', 'auditor'],
};

/** Handling codes whose alerts go to no country but the origin beyond the holder (as `evaluateForward`). */
const ORIGINATOR_ONLY: readonly HandlingCode[] = ['H2', 'H3'];

/** What `reader` may see of `alert` on `channel`. Throws PolicyQueryError (ERR_POLICY_QUERY_INVALID) for a malformed query. */
export function evaluateRead(
  reader: Reader,
  alert: ReadAlert,
  channel: ReadChannel,
  options: ReadOptions = {},
): ReadDecision {
  requireReader(reader);
  if (!(READ_CHANNELS as readonly unknown[]).includes(channel))
    throw new PolicyQueryError(
      'channel',
      `${JSON.stringify(channel)} is not a read channel (${READ_CHANNELS.join(', ')})`,
    );
  requireCode(alert.origin, 'origin');
  requireCode(alert.network, 'network');
  requireKind(alert.kind);
  requireHandling(alert.handling);
  requireRecipients(alert.recipients);
  toEpochMillis(alert.issuedAt, 'issuedAt');
  const at = options.at === undefined ? Date.now() : toEpochMillis(options.at, 'at');
  const expiresAt = alert.expiresAt === undefined ? undefined : toEpochMillis(alert.expiresAt, 'expiresAt');
  if (alert.holder !== undefined) requireCode(alert.holder, 'holder');
  if (channel !== 'match' && alert.holder === undefined)
    throw new PolicyQueryError(
      'holder',
      `the ${channel} channel reads from a country's store: name the holder`,
    );

  const what = `the ${alert.handling} ${alert.kind} alert of ${alert.origin} on "${alert.network}"`;
  // By role, not by shape: a process reader's token carrying a country stays a process reader.
  const country = reader.role === 'focal-point' || reader.role === 'fiu-analyst' ? reader.country : undefined;
  const who = country !== undefined ? `${reader.role} of ${country}` : `an ${reader.role}`;

  if (!CHANNEL_READERS[channel].includes(reader.role))
    return refused('reader_not_allowed', `${who} does not read on the ${channel} channel`);

  const restricted = alert.recipients.length > 0;
  let bodyReadable: boolean;
  if (country !== undefined) {
    if (channel === 'match') {
      if (country !== alert.origin) {
        if (options.policy === undefined)
          throw new PolicyQueryError(
            'policy',
            'matching for a country other than the origin needs the policy in force',
          );
        const received = options.policy.evaluateReceive({
          receiver: country,
          origin: alert.origin,
          network: alert.network,
          kind: alert.kind,
          recipients: alert.recipients,
          handling: alert.handling,
          at: alert.issuedAt,
          receivedAt: new Date(at),
        });
        if (!received.allowed)
          return refused(received.reason, `${who} may not learn of ${what}: ${received.message}`);
      }
    } else if (country !== alert.holder) {
      return refused('not_holder', `${who} may not read what ${alert.holder} holds (${what})`);
    }
    // The holder's own readers pass nothing on, whatever the handling code.
    bodyReadable = !restricted || country === alert.origin || alert.recipients.includes(country);
  } else {
    if (channel === 'export' && ORIGINATOR_ONLY.includes(alert.handling))
      return refused(
        'handling_restricted',
        `${what} may not be exported by ${who}: ${alert.handling} lets it go to no one but its holder ${alert.holder} and its origin`,
      );
    bodyReadable = !restricted;
  }
  if (!bodyReadable && channel === 'match')
    return refused('body_restricted', `${who} may not match in the restricted body of ${what}`);
  return {
    allowed: true,
    visibility: bodyReadable ? 'full' : 'header',
    bodyRestricted: !bodyReadable,
    expired: expiresAt !== undefined && expiresAt <= at,
  };
}

function refused(reason: ReadReason, message: string): ReadRefused {
  return { allowed: false, reason, message };
}

function requireReader(reader: unknown): asserts reader is Reader {
  const role = (reader as { role?: unknown } | null)?.role;
  if (!(READER_ROLES as readonly unknown[]).includes(role))
    throw new PolicyQueryError(
      'reader.role',
      `${JSON.stringify(role)} is not a reader role (${READER_ROLES.join(', ')})`,
    );
  if (role === 'focal-point' || role === 'fiu-analyst')
    requireCode((reader as { country?: unknown }).country, 'reader.country');
}
