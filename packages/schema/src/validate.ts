/**
 * Semantic validation of alerts, beyond what the wire format can express: codes that exist,
 * ranges, time order, body kind, restriction and encryption, and bounds on free text and
 * counts. Every rule reports a Violation with a stable code and a JSON-name path, and
 * validation always reports every violation, not the first.
 */
import { isCountryCode, isCurrencyCode } from './countries.js';
import type { Violation, ViolationCode } from './errors.js';
import { AlertValidationError } from './errors.js';
import type { Alert, AlertBody, AlertHeader } from './gen/enlace/alert/v1/alert.js';
import {
  AlertKind,
  HandlingCode,
  InformationCredibility,
  SourceReliability,
  TlpMarking,
} from './gen/enlace/alert/v1/alert.js';
import type { KeyedDigest, MoneyRange, VictimGroup } from './gen/enlace/alert/v1/common.js';
import { AgeBand, VulnerabilityFlag } from './gen/enlace/alert/v1/common.js';
import type { DocumentAlert } from './gen/enlace/alert/v1/document_alert.js';
import {
  DetectionPoint,
  DocumentType,
  FraudType,
  SecurityFeature,
} from './gen/enlace/alert/v1/document_alert.js';
import type { NetworkAlert } from './gen/enlace/alert/v1/network_alert.js';
import {
  AccountType,
  EntityRole,
  LinkRelation,
  PaymentChannel,
} from './gen/enlace/alert/v1/network_alert.js';
import type { RouteAlert, VulnerabilityCounts } from './gen/enlace/alert/v1/route_alert.js';
import { CrossingType, TransportMode } from './gen/enlace/alert/v1/route_alert.js';
import { describeFreeTextFinding, screenFreeText } from './screen-free-text.js';

/** What validation may know beyond the alert itself. */
export interface ValidationContext {
  /**
   * The alert is a draft: `header.id` and `header.issued_at` are assigned when it is issued, so
   * they may be absent (when present they are still checked).
   */
  readonly draft?: boolean;
  /** Network ids the registry knows; when given, `header.network` must be one of them. */
  readonly knownNetworks?: Iterable<string>;
  /** Countries an alert may be restricted to; when given, every recipient must be one of them. */
  readonly knownRecipients?: Iterable<string>;
  /**
   * The current time. For a draft, `expires_at` must be after it; observation and detection
   * times may not be later than it (or than `issued_at`, when known).
   */
  readonly now?: Date;
  /**
   * Screen every free-text field (title, summary, handling note, places, series, modus operandi,
   * pseudonyms) with screenFreeText and refuse what could identify a person
   * (`possible_victim_identifier`). Default: on for drafts, off otherwise — a receiver does not
   * drop a signed alert over a heuristic; the origin screened it when it was a draft.
   */
  readonly screenFreeText?: boolean;
}

/** Options of validateAlertBody. */
export interface BodyValidationContext extends ValidationContext {
  /**
   * The body is the plaintext of a restricted retraction (`header.retracts_id`): it may carry
   * only a title and a summary, no route, document or network.
   */
  readonly retraction?: boolean;
}

/** Bounds enforced by validation. */
export const ALERT_LIMITS = Object.freeze({
  /** Characters (code points) of `header.title`. */
  titleLength: 200,
  /** Characters of `header.summary`. */
  summaryLength: 2000,
  /** Characters of `header.handling_note`. */
  handlingNoteLength: 500,
  /** Characters of a place name or document series. */
  placeLength: 200,
  /** Characters of `network.modus_operandi`. */
  modusOperandiLength: 4000,
  /** Characters of a pseudonym. */
  pseudonymLength: 64,
  /** Characters of a key id. */
  keyIdLength: 128,
  /** Characters of a network id. */
  networkIdLength: 64,
  /** Characters of a document number pattern. */
  numberPatternLength: 32,
  /** Characters of an encrypted body (JWE JSON). */
  jweLength: 1_000_000,
  /** Largest count of people or documents. */
  count: 1_000_000,
  /** Largest amount of money, in whole currency units. */
  amount: 1_000_000_000_000n,
  /** Most entries in a repeated field of references (recipients, related ids, countries). */
  references: 64,
  /** Most entries in a repeated field of records (waypoints, entities, patterns, ...). */
  records: 500,
  /** Most keyed digests in one list. */
  digests: 5000,
});

/** How far an observation may lie after the reference time (clock skew between officer and node). */
const CLOCK_SKEW_MS = 10 * 60_000;

// The range of google.protobuf.Timestamp: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z.
const MIN_TIME = -62_135_596_800_000;
const MAX_TIME = 253_402_300_799_999;

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const NETWORK_ID = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const KEY_ID = /^[A-Za-z0-9._:-]+$/;
const LANGUAGE_TAG = /^[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/;
// Upper-case letters and digits, '#' any digit, '?' any character, optional trailing '*'.
const NUMBER_PATTERN = /^[A-Z0-9#?]*\*?$/;
const NUMBER_WILDCARD = /[#?*]/;
// Six digits in a row look like a document, account or phone number, not a pseudonym.
const IDENTIFIER_LIKE = /\d{6}/;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const DIGEST_BYTES = 32;

/** Whether `id` is a UUIDv7 in canonical lower-case form (the form of alert ids). */
export function isUuidV7(id: unknown): id is string {
  return typeof id === 'string' && UUID_V7.test(id);
}

/**
 * Whether `id` is a syntactically valid network id: a lower-case NATS subject token of letters,
 * digits and single inner hyphens, e.g. "trafficking-liaison". Which ids exist is the registry's.
 */
export function isNetworkId(id: unknown): id is string {
  return typeof id === 'string' && id.length <= ALERT_LIMITS.networkIdLength && NETWORK_ID.test(id);
}

/** The alert kind that a body case carries, or undefined for no body or an encrypted one. */
export function alertKindOfBody(body: Alert['body'] | AlertBody['body']): AlertKind | undefined {
  switch (body?.$case) {
    case 'route':
      return AlertKind.ALERT_KIND_ROUTE;
    case 'document':
      return AlertKind.ALERT_KIND_DOCUMENT;
    case 'network':
      return AlertKind.ALERT_KIND_NETWORK;
    default:
      return undefined;
  }
}

/** Checks an alert (or, with `ctx.draft`, a draft) and returns every violation; empty when valid. */
export function validateAlert(alert: Alert, ctx: ValidationContext = {}): Violation[] {
  const out: Violation[] = [];
  const header = alert.header;
  let reference: number | undefined = ctx.now === undefined ? undefined : ctx.now.getTime();
  if (header === undefined) {
    push(out, 'header', 'required', 'the header is required');
  } else {
    const issuedAt = checkHeader(out, header, alert, ctx);
    if (issuedAt !== undefined) reference = issuedAt;
  }
  checkAlertBody(out, alert, header, reference, ctx.draft === true);
  if (ctx.screenFreeText ?? ctx.draft === true) screenAlert(out, alert);
  return out;
}

/** Like validateAlert, but throws one AlertValidationError (ERR_ALERT_INVALID) listing every violation. */
export function assertValidAlert(alert: Alert, ctx?: ValidationContext): void {
  const violations = validateAlert(alert, ctx);
  if (violations.length > 0) throw new AlertValidationError(violations);
}

/**
 * Checks a body on its own, e.g. the decrypted plaintext of an encrypted alert (compare its kind
 * with the header's using alertKindOfBody). Paths start at the body case, e.g. `route.waypoints`.
 */
export function validateAlertBody(body: AlertBody, ctx: BodyValidationContext = {}): Violation[] {
  const out: Violation[] = [];
  const reference = ctx.now === undefined ? undefined : ctx.now.getTime();
  const inner = body.body;
  if (inner === undefined) {
    if (ctx.retraction !== true)
      push(out, 'body', 'required', 'a route, document or network body is required');
  } else if (ctx.retraction === true)
    push(out, inner.$case, 'conflict', 'the plaintext of a retraction carries only a title and a summary');
  else checkClearBody(out, inner, reference);
  checkText(out, 'title', body.title, ALERT_LIMITS.titleLength, false);
  checkText(out, 'summary', body.summary, ALERT_LIMITS.summaryLength, true);
  if (ctx.screenFreeText ?? ctx.draft === true) {
    screenText(out, 'title', body.title);
    screenText(out, 'summary', body.summary);
    if (inner !== undefined) screenBody(out, inner);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// header

function checkHeader(
  out: Violation[],
  h: AlertHeader,
  alert: Alert,
  ctx: ValidationContext,
): number | undefined {
  const draft = ctx.draft === true;

  if (h.id === '' && !draft) push(out, 'header.id', 'required', 'the alert id is required');
  else if (h.id !== '' && !isUuidV7(h.id))
    push(out, 'header.id', 'invalid_format', `"${clip(h.id)}" is not a lower-case UUIDv7`);

  checkCountry(out, 'header.origin', h.origin);

  if (h.network === '') push(out, 'header.network', 'required', 'the network id is required');
  else if (!isNetworkId(h.network))
    push(
      out,
      'header.network',
      'invalid_format',
      `"${clip(h.network)}" is not a network id (lower-case letters, digits and inner hyphens)`,
    );
  else if (ctx.knownNetworks !== undefined && !toSet(ctx.knownNetworks).has(h.network))
    push(out, 'header.network', 'unknown_network', `network "${h.network}" is not known`);

  checkEnum(out, 'header.kind', h.kind, AlertKind, 'AlertKind');

  const issuedAt = checkTime(out, 'header.issuedAt', h.issuedAt, !draft);
  const expiresAt = checkTime(out, 'header.expiresAt', h.expiresAt, true);
  if (expiresAt !== undefined) {
    if (issuedAt !== undefined && expiresAt <= issuedAt)
      push(out, 'header.expiresAt', 'not_after_issued_at', 'must be after header.issuedAt');
    else if (draft && issuedAt === undefined && ctx.now !== undefined && expiresAt <= ctx.now.getTime())
      push(out, 'header.expiresAt', 'expired', 'must be in the future');
  }

  checkEnum(out, 'header.handling', h.handling, HandlingCode, 'HandlingCode');
  const noteRequired = h.handling === HandlingCode.HANDLING_CODE_H3;
  if (noteRequired && h.handlingNote.trim() === '')
    push(out, 'header.handlingNote', 'required', 'handling code H3 requires a note stating the restrictions');
  else checkText(out, 'header.handlingNote', h.handlingNote, ALERT_LIMITS.handlingNoteLength, true);

  checkEnum(out, 'header.tlp', h.tlp, TlpMarking, 'TlpMarking');

  if (h.grading === undefined) push(out, 'header.grading', 'required', 'the Admiralty grading is required');
  else {
    checkEnum(
      out,
      'header.grading.sourceReliability',
      h.grading.sourceReliability,
      SourceReliability,
      'SourceReliability',
    );
    checkEnum(
      out,
      'header.grading.informationCredibility',
      h.grading.informationCredibility,
      InformationCredibility,
      'InformationCredibility',
    );
  }

  checkRecipients(out, h, ctx);
  checkReferences(out, h);

  // The officer writes the title of a restricted alert in the draft's header like any other;
  // the origin moves title and summary into the encrypted body, so a restricted alert as issued
  // carries neither in its clear header.
  const restricted = h.recipients.length > 0;
  if (restricted && !draft) {
    for (const [field, value] of [
      ['title', h.title],
      ['summary', h.summary],
    ] as const)
      if (value !== '')
        push(
          out,
          `header.${field}`,
          'restricted_text_in_clear',
          `a restricted alert carries its ${field} inside the encrypted body (AlertBody.${field}), where only the recipients read it; the header's must be empty`,
        );
  } else {
    if (h.title.trim() === '') push(out, 'header.title', 'required', 'a title is required');
    else checkText(out, 'header.title', h.title, ALERT_LIMITS.titleLength, false);
    checkText(out, 'header.summary', h.summary, ALERT_LIMITS.summaryLength, true);
  }
  if (h.language !== '' && !LANGUAGE_TAG.test(h.language))
    push(out, 'header.language', 'invalid_format', `"${clip(h.language)}" is not a BCP 47 language tag`);

  const bodyKind = alertKindOfBody(alert.body);
  if (
    bodyKind !== undefined &&
    h.kind !== AlertKind.ALERT_KIND_UNSPECIFIED &&
    isKnownEnum(h.kind, AlertKind) &&
    h.kind !== bodyKind
  )
    push(
      out,
      'header.kind',
      'body_kind_mismatch',
      `${AlertKind[h.kind]} does not match the ${alert.body?.$case ?? ''} body`,
    );
  return issuedAt;
}

function checkRecipients(out: Violation[], h: AlertHeader, ctx: ValidationContext): void {
  if (h.recipients.length > ALERT_LIMITS.references)
    push(out, 'header.recipients', 'too_many', `at most ${ALERT_LIMITS.references} recipients`);
  const known = ctx.knownRecipients === undefined ? undefined : toSet(ctx.knownRecipients);
  const seen = new Set<string>();
  h.recipients.forEach((r, i) => {
    const path = `header.recipients[${i}]`;
    if (known !== undefined) {
      if (!known.has(r)) push(out, path, 'unknown_recipient', `"${clip(r)}" is not a known recipient`);
    } else if (!isCountryCode(r)) {
      push(out, path, 'unknown_country', `"${clip(r)}" is not an ISO 3166-1 alpha-2 country code`);
    }
    if (r === h.origin && r !== '')
      push(out, path, 'recipient_is_origin', `the origin ${r} cannot be a recipient of its own alert`);
    if (seen.has(r)) push(out, path, 'duplicate', `${clip(r)} is listed more than once`);
    seen.add(r);
  });
}

function checkReferences(out: Violation[], h: AlertHeader): void {
  const checkId = (path: string, id: string): void => {
    if (!isUuidV7(id)) push(out, path, 'invalid_format', `"${clip(id)}" is not a lower-case UUIDv7`);
    else if (id === h.id) push(out, path, 'self_reference', 'an alert cannot refer to itself');
  };
  if (h.relatedIds.length > ALERT_LIMITS.references)
    push(out, 'header.relatedIds', 'too_many', `at most ${ALERT_LIMITS.references} related ids`);
  const seen = new Set<string>();
  h.relatedIds.forEach((id, i) => {
    const path = `header.relatedIds[${i}]`;
    checkId(path, id);
    if (seen.has(id)) push(out, path, 'duplicate', `${clip(id)} is listed more than once`);
    seen.add(id);
  });
  if (h.supersedesId !== '') checkId('header.supersedesId', h.supersedesId);
  if (h.retractsId !== '') checkId('header.retractsId', h.retractsId);
  if (h.supersedesId !== '' && h.retractsId !== '')
    push(out, 'header.retractsId', 'conflict', 'an alert either supersedes or retracts another, not both');
}

// ---------------------------------------------------------------------------------------------
// body

function checkAlertBody(
  out: Violation[],
  alert: Alert,
  header: AlertHeader | undefined,
  reference: number | undefined,
  draft: boolean,
): void {
  const body = alert.body;
  const restricted = header !== undefined && header.recipients.length > 0;
  if (body === undefined) {
    if (header === undefined || header.retractsId === '')
      push(out, 'body', 'required', 'a route, document, network or encrypted body is required');
    return;
  }
  if (body.$case === 'encrypted') {
    if (header !== undefined && !restricted)
      push(
        out,
        'encrypted',
        'encrypted_not_restricted',
        'an encrypted body needs header.recipients (the countries it is encrypted to)',
      );
    checkJwe(out, 'encrypted.jwe', body.encrypted.jwe);
    return;
  }
  // A restricted draft keeps its body in clear until it is encrypted, just before signing.
  if (restricted && !draft)
    push(
      out,
      body.$case,
      'restricted_not_encrypted',
      'an alert with header.recipients must carry an encrypted body',
    );
  checkClearBody(out, body, reference);
}

type ClearBody = NonNullable<AlertBody['body']>;

function checkClearBody(out: Violation[], body: ClearBody, reference: number | undefined): void {
  switch (body.$case) {
    case 'route':
      checkRoute(out, 'route', body.route, reference);
      break;
    case 'document':
      checkDocument(out, 'document', body.document, reference);
      break;
    case 'network':
      checkNetwork(out, 'network', body.network);
      break;
  }
}

function checkJwe(out: Violation[], path: string, jwe: string): void {
  if (jwe === '') {
    push(out, path, 'required', 'the JWE is required');
    return;
  }
  if (jwe.length > ALERT_LIMITS.jweLength) {
    push(out, path, 'too_long', `at most ${ALERT_LIMITS.jweLength} characters`);
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(jwe);
  } catch {
    push(out, path, 'invalid_format', 'not a JWE in general JSON serialization (not JSON)');
    return;
  }
  const b64url = (v: unknown): boolean => typeof v === 'string' && /^[A-Za-z0-9_-]*$/.test(v);
  const ok =
    isRecord(parsed) &&
    (parsed.protected === undefined || b64url(parsed.protected)) &&
    b64url(parsed.iv) &&
    b64url(parsed.ciphertext) &&
    parsed.ciphertext !== '' &&
    b64url(parsed.tag) &&
    Array.isArray(parsed.recipients) &&
    parsed.recipients.length > 0 &&
    parsed.recipients.every((r) => isRecord(r) && (r.encrypted_key === undefined || b64url(r.encrypted_key)));
  if (!ok)
    push(
      out,
      path,
      'invalid_format',
      'not a JWE in general JSON serialization (needs iv, ciphertext, tag and recipients)',
    );
}

function checkRoute(out: Violation[], base: string, route: RouteAlert, reference: number | undefined): void {
  const wps = route.waypoints;
  if (wps.length < 2)
    push(out, `${base}.waypoints`, 'too_few_waypoints', 'a route needs at least two waypoints');
  checkMax(out, `${base}.waypoints`, wps.length, ALERT_LIMITS.records, 'waypoints');
  wps.forEach((wp, i) => {
    const p = `${base}.waypoints[${i}]`;
    checkCountry(out, `${p}.country`, wp.country);
    if (wp.place.trim() === '') push(out, `${p}.place`, 'required', 'a place name is required');
    else checkText(out, `${p}.place`, wp.place, ALERT_LIMITS.placeLength, false);
    if (wp.coordinates !== undefined) {
      checkRange(out, `${p}.coordinates.latitude`, wp.coordinates.latitude, -90, 90);
      checkRange(out, `${p}.coordinates.longitude`, wp.coordinates.longitude, -180, 180);
    }
    checkEnum(out, `${p}.crossing`, wp.crossing, CrossingType, 'CrossingType');
    checkEnum(out, `${p}.transportMode`, wp.transportMode, TransportMode, 'TransportMode', true);
    const previous = i > 0 ? wps[i - 1] : undefined;
    if (
      previous !== undefined &&
      previous.country !== wp.country &&
      wp.crossing === CrossingType.CROSSING_TYPE_NONE
    )
      push(
        out,
        `${p}.crossing`,
        'inconsistent_crossing',
        `reaching ${clip(wp.country)} from ${clip(previous.country)} crosses a border`,
      );
  });
  checkEnumList(out, `${base}.transportModes`, route.transportModes, TransportMode, 'TransportMode');
  if (route.smugglingFee !== undefined) checkMoney(out, `${base}.smugglingFee`, route.smugglingFee);
  const first = checkTime(out, `${base}.firstObserved`, route.firstObserved, false);
  const last = checkTime(out, `${base}.lastObserved`, route.lastObserved, false);
  if (first !== undefined && last !== undefined && first > last)
    push(out, `${base}.firstObserved`, 'first_after_last', 'must not be after lastObserved');
  checkNotFuture(out, `${base}.firstObserved`, first, reference);
  checkNotFuture(out, `${base}.lastObserved`, last, reference);
  const total = route.estimatedMigrants;
  checkCount(out, `${base}.estimatedMigrants`, total, 0);
  if (route.vulnerability !== undefined)
    checkVulnerability(out, `${base}.vulnerability`, route.vulnerability, total);
  checkVictimGroups(out, `${base}.victimGroups`, route.victimGroups, total);
}

function checkVulnerability(out: Violation[], base: string, v: VulnerabilityCounts, total: number): void {
  const entries: [keyof VulnerabilityCounts, number][] = [
    ['unaccompaniedMinors', v.unaccompaniedMinors],
    ['accompaniedMinors', v.accompaniedMinors],
    ['women', v.women],
    ['pregnant', v.pregnant],
    ['injured', v.injured],
    ['deceased', v.deceased],
    ['missing', v.missing],
  ];
  for (const [name, value] of entries) {
    if (checkCount(out, `${base}.${name}`, value, 0) && total > 0 && value > total)
      push(out, `${base}.${name}`, 'exceeds_total', `exceeds estimatedMigrants (${total})`);
  }
  const minors = v.unaccompaniedMinors + v.accompaniedMinors;
  if (total > 0 && v.unaccompaniedMinors <= total && v.accompaniedMinors <= total && minors > total)
    push(
      out,
      `${base}.accompaniedMinors`,
      'exceeds_total',
      `minors together exceed estimatedMigrants (${total})`,
    );
}

const MINOR_BANDS: ReadonlySet<AgeBand> = new Set([
  AgeBand.AGE_BAND_0_TO_4,
  AgeBand.AGE_BAND_5_TO_11,
  AgeBand.AGE_BAND_12_TO_17,
]);
const MINOR_FLAGS: ReadonlySet<VulnerabilityFlag> = new Set([
  VulnerabilityFlag.VULNERABILITY_FLAG_UNACCOMPANIED_MINOR,
  VulnerabilityFlag.VULNERABILITY_FLAG_SEPARATED_MINOR,
]);

function checkVictimGroups(out: Violation[], base: string, groups: VictimGroup[], total: number): void {
  checkMax(out, base, groups.length, ALERT_LIMITS.records, 'victim groups');
  let sum = 0;
  groups.forEach((g, i) => {
    const p = `${base}[${i}]`;
    if (checkCount(out, `${p}.count`, g.count, 1)) sum += g.count;
    checkEnum(out, `${p}.ageBand`, g.ageBand, AgeBand, 'AgeBand');
    checkEnumList(out, `${p}.flags`, g.flags, VulnerabilityFlag, 'VulnerabilityFlag');
    const adult =
      isKnownEnum(g.ageBand, AgeBand) &&
      g.ageBand !== AgeBand.AGE_BAND_UNSPECIFIED &&
      g.ageBand !== AgeBand.AGE_BAND_UNKNOWN &&
      !MINOR_BANDS.has(g.ageBand);
    if (adult && g.flags.some((f) => MINOR_FLAGS.has(f)))
      push(out, `${p}.ageBand`, 'inconsistent_age_band', 'flags of minors on a group of adults');
  });
  if (total > 0 && sum > total)
    push(
      out,
      base,
      'exceeds_total',
      `the groups count ${sum} people, more than estimatedMigrants (${total})`,
    );
}

function checkDocument(
  out: Violation[],
  base: string,
  doc: DocumentAlert,
  reference: number | undefined,
): void {
  checkEnum(out, `${base}.documentType`, doc.documentType, DocumentType, 'DocumentType');
  checkCountry(out, `${base}.issuingCountry`, doc.issuingCountry);
  checkEnum(out, `${base}.fraudType`, doc.fraudType, FraudType, 'FraudType');
  checkText(out, `${base}.series`, doc.series, ALERT_LIMITS.placeLength, false);

  checkMax(out, `${base}.numberPatterns`, doc.numberPatterns.length, ALERT_LIMITS.records, 'patterns');
  const patterns = new Set<string>();
  doc.numberPatterns.forEach((pattern, i) => {
    const p = `${base}.numberPatterns[${i}]`;
    if (
      pattern.length === 0 ||
      pattern.length > ALERT_LIMITS.numberPatternLength ||
      !NUMBER_PATTERN.test(pattern)
    )
      push(
        out,
        p,
        'invalid_format',
        `"${clip(pattern)}" is not a number pattern (A-Z, 0-9, '#', '?', trailing '*'; at most ${ALERT_LIMITS.numberPatternLength})`,
      );
    else if (!NUMBER_WILDCARD.test(pattern))
      push(out, p, 'invalid_format', 'a pattern needs a wildcard: full document numbers go in numberDigests');
    if (patterns.has(pattern)) push(out, p, 'duplicate', `${clip(pattern)} is listed more than once`);
    patterns.add(pattern);
  });

  checkDigests(out, `${base}.numberDigests`, doc.numberDigests);
  checkEnumList(
    out,
    `${base}.compromisedFeatures`,
    doc.compromisedFeatures,
    SecurityFeature,
    'SecurityFeature',
  );

  if (doc.detections.length === 0)
    push(out, `${base}.detections`, 'required', 'at least one detection is required');
  checkMax(out, `${base}.detections`, doc.detections.length, ALERT_LIMITS.records, 'detections');
  doc.detections.forEach((d, i) => {
    const p = `${base}.detections[${i}]`;
    checkCountry(out, `${p}.country`, d.country);
    if (d.place.trim() === '') push(out, `${p}.place`, 'required', 'a place name is required');
    else checkText(out, `${p}.place`, d.place, ALERT_LIMITS.placeLength, false);
    checkEnum(out, `${p}.point`, d.point, DetectionPoint, 'DetectionPoint');
    const at = checkTime(out, `${p}.detectedAt`, d.detectedAt, true);
    checkNotFuture(out, `${p}.detectedAt`, at, reference);
    checkCount(out, `${p}.quantity`, d.quantity, 1);
  });
}

function checkNetwork(out: Violation[], base: string, net: NetworkAlert): void {
  if (net.entities.length === 0) push(out, `${base}.entities`, 'required', 'at least one entity is required');
  checkMax(out, `${base}.entities`, net.entities.length, ALERT_LIMITS.records, 'entities');
  const pseudonyms = new Set<string>();
  net.entities.forEach((e, i) => {
    const p = `${base}.entities[${i}]`;
    checkPseudonym(out, `${p}.pseudonym`, e.pseudonym, true);
    if (pseudonyms.has(e.pseudonym))
      push(out, `${p}.pseudonym`, 'duplicate', `pseudonym "${clip(e.pseudonym)}" is used by another entity`);
    pseudonyms.add(e.pseudonym);
    if (e.roles.length === 0) push(out, `${p}.roles`, 'required', 'at least one role is required');
    checkEnumList(out, `${p}.roles`, e.roles, EntityRole, 'EntityRole');
    checkCountryList(out, `${p}.countries`, e.countries);
  });

  checkMax(out, `${base}.links`, net.links.length, ALERT_LIMITS.records, 'links');
  const links = new Set<string>();
  net.links.forEach((l, i) => {
    const p = `${base}.links[${i}]`;
    for (const end of ['from', 'to'] as const) {
      if (l[end] === '') push(out, `${p}.${end}`, 'required', 'a pseudonym is required');
      else if (!pseudonyms.has(l[end]))
        push(out, `${p}.${end}`, 'unknown_entity', `no entity has the pseudonym "${clip(l[end])}"`);
    }
    if (l.from !== '' && l.from === l.to)
      push(out, `${p}.to`, 'self_reference', 'a link joins two different entities');
    checkEnum(out, `${p}.relation`, l.relation, LinkRelation, 'LinkRelation');
    const key = JSON.stringify([l.from, l.to, l.relation]);
    if (links.has(key)) push(out, p, 'duplicate', 'the same link is listed more than once');
    links.add(key);
  });

  if (net.countriesOfOperation.length === 0)
    push(out, `${base}.countriesOfOperation`, 'required', 'at least one country of operation is required');
  checkCountryList(out, `${base}.countriesOfOperation`, net.countriesOfOperation);
  checkText(out, `${base}.modusOperandi`, net.modusOperandi, ALERT_LIMITS.modusOperandiLength, true);

  const fin = net.financial;
  if (fin === undefined) return;
  const fbase = `${base}.financial`;
  checkMax(out, `${fbase}.corridors`, fin.corridors.length, ALERT_LIMITS.records, 'corridors');
  fin.corridors.forEach((c, i) => {
    const p = `${fbase}.corridors[${i}]`;
    checkCountry(out, `${p}.fromCountry`, c.fromCountry);
    checkCountry(out, `${p}.toCountry`, c.toCountry);
    checkEnum(out, `${p}.channel`, c.channel, PaymentChannel, 'PaymentChannel');
    if (c.amountPerTransfer !== undefined) checkMoney(out, `${p}.amountPerTransfer`, c.amountPerTransfer);
  });
  checkMax(out, `${fbase}.accounts`, fin.accounts.length, ALERT_LIMITS.digests, 'accounts');
  const accounts = new Set<string>();
  fin.accounts.forEach((a, i) => {
    const p = `${fbase}.accounts[${i}]`;
    if (a.digest === undefined) push(out, `${p}.digest`, 'required', 'the keyed digest is required');
    else {
      checkDigest(out, `${p}.digest`, a.digest);
      const key = digestKey(a.digest);
      if (accounts.has(key))
        push(out, `${p}.digest`, 'duplicate', 'the same account is listed more than once');
      accounts.add(key);
    }
    checkCountry(out, `${p}.country`, a.country);
    checkEnum(out, `${p}.type`, a.type, AccountType, 'AccountType');
    if (a.holderPseudonym !== '' && !pseudonyms.has(a.holderPseudonym))
      push(
        out,
        `${p}.holderPseudonym`,
        'unknown_entity',
        `no entity has the pseudonym "${clip(a.holderPseudonym)}"`,
      );
  });
  if (fin.estimatedProceeds !== undefined)
    checkMoney(out, `${fbase}.estimatedProceeds`, fin.estimatedProceeds);
}

// ---------------------------------------------------------------------------------------------
// free text that could identify a person

const SCREEN_ADVICE: Readonly<Partial<Record<string, string>>> = {
  document_number: 'full numbers go only in keyed digests (numberDigests, financial.accounts)',
  phone_number: 'phone numbers go only in keyed digests (financial.accounts)',
};

/** Reports what screenFreeText finds in one field: the kinds and where, never the text itself. */
function screenText(out: Violation[], path: string, value: string): void {
  if (typeof value !== 'string' || value === '') return;
  const findings = screenFreeText(value);
  if (findings.length === 0) return;
  const kinds = [...new Set(findings.map((f) => f.kind))];
  const where = findings
    .slice(0, 5)
    .map((f) => `${describeFreeTextFinding(f.kind)} at characters ${f.start + 1}–${f.end}`)
    .join('; ');
  const more = findings.length > 5 ? ` and ${findings.length - 5} more` : '';
  const advice = kinds.map((k) => SCREEN_ADVICE[k]).filter((a) => a !== undefined);
  push(
    out,
    path,
    'possible_victim_identifier',
    `may identify a person: ${where}${more}. Describe victims only by counts, age bands and vulnerability flags` +
      (advice.length > 0 ? `; ${advice.join('; ')}` : ''),
  );
}

function screenAlert(out: Violation[], alert: Alert): void {
  const h = alert.header;
  if (h !== undefined) {
    screenText(out, 'header.title', h.title);
    screenText(out, 'header.summary', h.summary);
    screenText(out, 'header.handlingNote', h.handlingNote);
  }
  const body = alert.body;
  if (body !== undefined && body.$case !== 'encrypted') screenBody(out, body);
}

/** Every free-text field of a body (link ends and holders name pseudonyms screened here). */
function screenBody(out: Violation[], body: ClearBody): void {
  switch (body.$case) {
    case 'route':
      body.route.waypoints.forEach((wp, i) => screenText(out, `route.waypoints[${i}].place`, wp.place));
      break;
    case 'document':
      screenText(out, 'document.series', body.document.series);
      body.document.detections.forEach((d, i) => screenText(out, `document.detections[${i}].place`, d.place));
      break;
    case 'network':
      body.network.entities.forEach((e, i) =>
        screenText(out, `network.entities[${i}].pseudonym`, e.pseudonym),
      );
      screenText(out, 'network.modusOperandi', body.network.modusOperandi);
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// field rules

function push(out: Violation[], path: string, code: ViolationCode, message: string): void {
  out.push({ path, code, message });
}

function checkCountry(out: Violation[], path: string, code: string): void {
  if (code === '') push(out, path, 'required', 'a country code is required');
  else if (!isCountryCode(code))
    push(out, path, 'unknown_country', `"${clip(code)}" is not an ISO 3166-1 alpha-2 country code`);
}

function checkCountryList(out: Violation[], path: string, codes: string[]): void {
  checkMax(out, path, codes.length, ALERT_LIMITS.references, 'countries');
  const seen = new Set<string>();
  codes.forEach((code, i) => {
    checkCountry(out, `${path}[${i}]`, code);
    if (seen.has(code)) push(out, `${path}[${i}]`, 'duplicate', `${clip(code)} is listed more than once`);
    seen.add(code);
  });
}

type EnumObject = Record<string, string | number>;

function isKnownEnum(value: number, e: EnumObject): boolean {
  // ts-proto adds UNRECOGNIZED = -1, which is not a value of the protobuf enum.
  return Number.isInteger(value) && value >= 0 && typeof e[value] === 'string';
}

function checkEnum(
  out: Violation[],
  path: string,
  value: number,
  e: EnumObject,
  name: string,
  optional = false,
): void {
  if (value === 0) {
    if (!optional) push(out, path, 'unspecified_enum', `a value of ${name} is required`);
  } else if (!isKnownEnum(value, e)) {
    push(out, path, 'unknown_enum', `${String(value)} is not a value of ${name}`);
  }
}

function checkEnumList(out: Violation[], path: string, values: number[], e: EnumObject, name: string): void {
  checkMax(out, path, values.length, ALERT_LIMITS.references, 'values');
  const seen = new Set<number>();
  values.forEach((value, i) => {
    checkEnum(out, `${path}[${i}]`, value, e, name);
    if (seen.has(value))
      push(out, `${path}[${i}]`, 'duplicate', `${String(e[value] ?? value)} is listed more than once`);
    seen.add(value);
  });
}

function checkTime(
  out: Violation[],
  path: string,
  value: Date | undefined,
  required: boolean,
): number | undefined {
  if (value === undefined) {
    if (required) push(out, path, 'required', 'a timestamp is required');
    return undefined;
  }
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (!Number.isFinite(ms) || ms < MIN_TIME || ms > MAX_TIME) {
    push(out, path, 'invalid_timestamp', 'not a valid timestamp between years 1 and 9999');
    return undefined;
  }
  return ms;
}

function checkNotFuture(
  out: Violation[],
  path: string,
  at: number | undefined,
  reference: number | undefined,
): void {
  if (at !== undefined && reference !== undefined && at > reference + CLOCK_SKEW_MS)
    push(out, path, 'observed_in_future', 'cannot be later than the time the alert is issued');
}

function checkCount(out: Violation[], path: string, value: number, min: number): boolean {
  if (!Number.isInteger(value) || value < min || value > ALERT_LIMITS.count) {
    push(out, path, 'out_of_range', `must be a whole number from ${min} to ${ALERT_LIMITS.count}`);
    return false;
  }
  return true;
}

function checkRange(out: Violation[], path: string, value: number, min: number, max: number): void {
  if (!Number.isFinite(value) || value < min || value > max)
    push(out, path, 'out_of_range', `must be from ${min} to ${max}`);
}

function checkMax(out: Violation[], path: string, length: number, max: number, what: string): void {
  if (length > max) push(out, path, 'too_many', `at most ${max} ${what}`);
}

function checkMoney(out: Violation[], path: string, m: MoneyRange): void {
  if (m.currency === '') push(out, `${path}.currency`, 'required', 'an ISO 4217 currency code is required');
  else if (!isCurrencyCode(m.currency))
    push(
      out,
      `${path}.currency`,
      'unknown_currency',
      `"${clip(m.currency)}" is not an ISO 4217 currency code`,
    );
  const inRange = (v: bigint): boolean => typeof v === 'bigint' && v >= 0n && v <= ALERT_LIMITS.amount;
  const minOk = inRange(m.min);
  const maxOk = inRange(m.max) && m.max > 0n;
  if (!minOk) push(out, `${path}.min`, 'out_of_range', `must be from 0 to ${ALERT_LIMITS.amount}`);
  if (!maxOk) push(out, `${path}.max`, 'out_of_range', `must be from 1 to ${ALERT_LIMITS.amount}`);
  if (minOk && maxOk && m.min > m.max)
    push(out, `${path}.min`, 'min_greater_than_max', 'must not exceed max');
}

function checkDigests(out: Violation[], path: string, digests: KeyedDigest[]): void {
  checkMax(out, path, digests.length, ALERT_LIMITS.digests, 'digests');
  const seen = new Set<string>();
  digests.forEach((d, i) => {
    checkDigest(out, `${path}[${i}]`, d);
    const key = digestKey(d);
    if (seen.has(key)) push(out, `${path}[${i}]`, 'duplicate', 'the same digest is listed more than once');
    seen.add(key);
  });
}

function checkDigest(out: Violation[], path: string, d: KeyedDigest): void {
  if (!(d.digest instanceof Uint8Array) || d.digest.length !== DIGEST_BYTES)
    push(
      out,
      `${path}.digest`,
      'invalid_length',
      `an HMAC-SHA256 digest has ${DIGEST_BYTES} bytes, not ${d.digest instanceof Uint8Array ? d.digest.length : 0}`,
    );
  if (d.keyId === '') push(out, `${path}.keyId`, 'required', 'the id of the matching key is required');
  else if (d.keyId.length > ALERT_LIMITS.keyIdLength || !KEY_ID.test(d.keyId))
    push(out, `${path}.keyId`, 'invalid_format', `"${clip(d.keyId)}" is not a key id (A-Z a-z 0-9 . _ : -)`);
}

function digestKey(d: KeyedDigest): string {
  const bytes =
    d.digest instanceof Uint8Array ? Array.from(d.digest, (b) => b.toString(16).padStart(2, '0')) : [];
  return `${d.keyId}/${bytes.join('')}`;
}

function checkPseudonym(out: Violation[], path: string, value: string, required: boolean): void {
  if (value.trim() === '') {
    if (required) push(out, path, 'required', 'a pseudonym is required');
    return;
  }
  if (!checkText(out, path, value, ALERT_LIMITS.pseudonymLength, false)) return;
  if (IDENTIFIER_LIKE.test(value))
    push(out, path, 'invalid_format', 'looks like an identifier (six or more digits): use a pseudonym');
}

/** Checks free text; returns whether it passed. */
function checkText(out: Violation[], path: string, value: string, max: number, multiline: boolean): boolean {
  if (typeof value !== 'string') {
    push(out, path, 'invalid_format', 'must be text');
    return false;
  }
  if (LONE_SURROGATE.test(value)) {
    push(out, path, 'invalid_format', 'contains an unpaired UTF-16 surrogate');
    return false;
  }
  if (hasControlCharacters(value, multiline)) {
    push(out, path, 'invalid_format', 'contains control characters');
    return false;
  }
  let length = 0;
  for (const _ of value) length++;
  if (length > max) {
    push(out, path, 'too_long', `at most ${max} characters, not ${length}`);
    return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// helpers

/** C0 and C1 control characters; multi-line text may still hold tab, line feed and carriage return. */
function hasControlCharacters(value: string, multiline: boolean): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) continue;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) {
      if (multiline && (c === 0x09 || c === 0x0a || c === 0x0d)) continue;
      return true;
    }
  }
  return false;
}

function toSet(values: Iterable<string>): ReadonlySet<string> {
  return values instanceof Set ? (values as ReadonlySet<string>) : new Set(values);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Quotes user text in messages without letting a huge value flood them. */
function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}
