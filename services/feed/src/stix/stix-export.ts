/**
 * STIX 2.1 export of verified alerts, for financial intelligence units that load them into their
 * own tools (MISP, OpenCTI). Pure: the same alerts and producer always give the same bundle.
 *
 * Mapping, per alert:
 * - a `report` (name = title, description = summary, published = issued_at) whose object_refs
 *   list every object below, with an external reference { source_name "enlace", external_id =
 *   alert id } and others for the related, superseded and retracted alerts;
 * - route: one `location` per distinct waypoint place (country, name, coordinates when known),
 *   an `infrastructure` of type "smuggling-route" for the route (waypoints in order, transport,
 *   fee, counts of migrants and of vulnerable people: never anything that identifies a victim)
 *   and a "located-at" relationship from the route to each place;
 * - document: one `indicator` per number pattern, e.g. "A03######" becomes
 *   [x-enlace-travel-document:number MATCHES '^A03[0-9]{6}$' AND ...issuing_country = 'CR' AND
 *   ...document_type = 'passport'], one indicator per keyed digest (the HMAC in hex, never a
 *   number: alerts carry none), a `location` per detection place and a `sighting` of each pattern
 *   indicator per detection (count = documents detected);
 * - network: a `threat-actor` (crime-syndicate) for the network, one (criminal) per member under
 *   its pseudonym only (roles mapped to threat-actor-role-ov, the Enlace roles in
 *   x_enlace_roles), "related-to" relationships for membership and for the links between members
 *   (the Enlace relation in x_enlace_relation), country `location`s with "located-at" for the
 *   countries of operation and of each member, and keyed-digest indicators of the accounts that
 *   "indicate" their holder (or the network).
 * A restricted alert whose body the exporter cannot read yields its report only.
 *
 * What goes into an export is @enlace/policy's read rule (evaluateRead, channel `export`) for
 * the reader the export is for, the producer's country holding the alerts: a refused alert (an
 * H2 or H3 alert exported for someone other than its holder) is left out; one the reader may
 * see only the header of yields its report alone, without title or summary. Enum names (kind,
 * handling, TLP) are @enlace/schema's.
 *
 * Markings: every object of an alert carries object_marking_refs [TLP, handling]. The TLP is the
 * official TLP 2.0 marking definition of header.tlp, raised to the floor of the handling code
 * (H2: TLP:AMBER+STRICT, H3: TLP:AMBER; see HANDLING_TLP_FLOOR for why). The handling code is a
 * statement marking definition created by the producer (H3 with its note).
 *
 * Ids are UUIDv5 of the alert id and the object's role in it (content, not position), so a second
 * export of the same alert gives the same ids and tools deduplicate. created/modified are the
 * alert's issued_at; objects shared by alerts (identities, handling statements) have a fixed
 * creation time. Objects are created by the origin country's identity; the bundle id is the v5
 * of its content.
 */
import { evaluateRead } from '@enlace/policy';
import type { Reader } from '@enlace/policy';
import {
  AccountType,
  AgeBand,
  CrossingType,
  DetectionPoint,
  DocumentType,
  EntityRole,
  FraudType,
  InformationCredibility,
  LinkRelation,
  PaymentChannel,
  SecurityFeature,
  SourceReliability,
  TransportMode,
  VulnerabilityFlag,
  handlingName,
  kindName,
  tlpName,
} from '@enlace/schema';
import type {
  Alert,
  AlertBody,
  AlertHeader,
  DocumentAlert,
  KeyedDigest,
  MoneyRange,
  NetworkAlert,
  RouteAlert,
} from '@enlace/schema';

import { FeedError } from '../errors.js';
import {
  ENLACE_STIX_EPOCH,
  ENLACE_STIX_NAMESPACE,
  HANDLING_TLP_FLOOR,
  handlingMarkingDefinition,
  stricterTlp,
  TLP_MARKING_DEFINITIONS,
} from './stix-markings.js';
import type {
  HandlingCodeName,
  StixBundle,
  StixCommonProperties,
  StixExternalReference,
  StixId,
  StixIdentity,
  StixIndicator,
  StixInfrastructure,
  StixLocation,
  StixObject,
  StixRelationship,
  StixReport,
  StixThreatActor,
  TlpName,
} from './stix-objects.js';
import { uuidV5 } from './uuid-v5.js';

/** One verified alert to export, with its body in clear when the exporter could read it. */
export interface StixSource {
  readonly alert: Alert;
  /**
   * The clear body. For a restricted alert whose body the exporter cannot decrypt: undefined,
   * and only header-level objects are produced. When undefined and the alert's own body is in
   * clear (not restricted), that body is used.
   */
  readonly body: AlertBody['body'] | undefined;
}

/** Who exports, and when. */
export interface StixExportOptions {
  /** The exporting organisation (e.g. a financial intelligence unit): the producer identity. */
  readonly producer: { readonly name: string; readonly country?: string };
  /**
   * The time of the export. Used only for timestamps an alert lacks (a verified alert always has
   * issued_at), so that the export stays a function of its input; and the time of the read rule
   * (whether an alert has expired, which changes nothing exported).
   */
  readonly now?: Date;
  /**
   * Who the export is for, judged by evaluateRead with the producer's country as the holder.
   * Default: an FIU analyst of the producer's country.
   */
  readonly reader?: Reader;
}

/** Builds one STIX 2.1 bundle of the given alerts. Throws FeedError ERR_VALIDATION for an alert without a TLP or handling code. */
export function toStixBundle(items: readonly StixSource[], options: StixExportOptions): StixBundle {
  const now = options.now ?? new Date();
  const holder = options.producer.country?.toUpperCase();
  if (holder === undefined || holder === '')
    throw invalid(
      'producer.country',
      'required',
      'an export is made for a country: the one that holds the alerts',
    );
  const reader: Reader = options.reader ?? { role: 'fiu-analyst', country: holder };
  const producer = producerIdentity(options.producer);
  const objects = new Map<string, StixObject>([[producer.id, producer]]);
  const add = (object: StixObject): void => {
    if (!objects.has(object.id)) objects.set(object.id, object);
  };
  items.forEach((item, index) => {
    for (const object of alertObjects(item, index, producer.id, now, { reader, holder })) add(object);
  });
  const list = [...objects.values()];
  return {
    type: 'bundle',
    id: `bundle--${uuidV5(ENLACE_STIX_NAMESPACE, `bundle/${JSON.stringify(list)}`)}`,
    objects: list,
  };
}

/** The identity of the exporting organisation. */
function producerIdentity(producer: StixExportOptions['producer']): StixIdentity {
  const country = producer.country?.toUpperCase();
  return {
    type: 'identity',
    spec_version: '2.1',
    id: `identity--${uuidV5(ENLACE_STIX_NAMESPACE, `producer/${country ?? ''}/${producer.name}`)}`,
    created: ENLACE_STIX_EPOCH,
    modified: ENLACE_STIX_EPOCH,
    name: producer.name,
    description:
      country === undefined
        ? 'Exporter of verified Enlace alerts.'
        : `Exporter of verified Enlace alerts, ${countryName(country)} (${country}).`,
    identity_class: 'organization',
    sectors: ['government'],
  };
}

/** The identity of a country's national focal points: created_by_ref of the country's alerts. */
function countryIdentity(country: string): StixIdentity {
  return {
    type: 'identity',
    spec_version: '2.1',
    id: `identity--${uuidV5(ENLACE_STIX_NAMESPACE, `country/${country}`)}`,
    created: ENLACE_STIX_EPOCH,
    modified: ENLACE_STIX_EPOCH,
    name: `Enlace national focal point, ${countryName(country)} (${country})`,
    description: `National focal point of ${countryName(country)} in the Enlace network.`,
    identity_class: 'organization',
    sectors: ['government'],
  };
}

/** What every object of one alert shares. */
interface AlertScope {
  readonly alertId: string;
  readonly origin: string;
  readonly issued: string;
  readonly expires: string | undefined;
  readonly createdBy: StixId<'identity'>;
  readonly markings: readonly StixId<'marking-definition'>[];
  readonly lang: string;
  readonly confidence: number | undefined;
}

function alertObjects(
  item: StixSource,
  index: number,
  producerId: StixId<'identity'>,
  now: Date,
  readAs: { reader: Reader; holder: string },
): StixObject[] {
  const signed = item.alert.header;
  const where = `items[${index}].alert.header`;
  if (signed === undefined) throw invalid(where, 'required', 'an alert without a header cannot be exported');
  let header = signed;
  const tlp = stixTlp(header.tlp);
  if (tlp === undefined) throw invalid(`${where}.tlp`, 'invalid', `alert ${header.id} has no TLP marking`);
  const handling = handlingName(header.handling);
  if (handling === undefined) {
    throw invalid(`${where}.handling`, 'invalid', `alert ${header.id} has no handling code`);
  }
  const origin = countryIdentity(header.origin);
  const tlpMarking = TLP_MARKING_DEFINITIONS[stricterTlp(tlp, HANDLING_TLP_FLOOR[handling])];
  const kind = kindName(header.kind);
  if (kind === undefined) throw invalid(`${where}.kind`, 'invalid', `alert ${header.id} has no kind`);
  const read = evaluateRead(
    readAs.reader,
    {
      origin: header.origin,
      network: header.network,
      kind,
      handling,
      recipients: header.recipients,
      issuedAt: header.issuedAt ?? now,
      ...(header.expiresAt !== undefined && { expiresAt: header.expiresAt }),
      holder: readAs.holder,
    },
    'export',
    { at: now },
  );
  if (!read.allowed) return [];
  // The header and the fact that a body exists: no body, title or summary.
  if (read.visibility === 'header') header = { ...header, title: '', summary: '' };
  const handlingMarking = handlingMarkingDefinition(handling, header.handlingNote, producerId);
  const scope: AlertScope = {
    alertId: header.id,
    origin: header.origin,
    issued: timestamp(header.issuedAt ?? now),
    expires: header.expiresAt === undefined ? undefined : timestamp(header.expiresAt),
    createdBy: origin.id,
    markings: [tlpMarking.id, handlingMarking.id],
    lang: header.language,
    confidence: confidenceOf(header),
  };

  const body = read.visibility === 'header' ? undefined : (item.body ?? clearBodyOf(item.alert));
  if (body !== undefined && body.$case !== kind) {
    throw invalid(
      `items[${index}].body`,
      'kind_mismatch',
      `alert ${header.id} is a ${kind} alert but the body is a ${body.$case}`,
    );
  }
  let content: StixObject[] = [];
  switch (body?.$case) {
    case 'route':
      content = routeObjects(scope, body.route);
      break;
    case 'document':
      content = documentObjects(scope, body.document);
      break;
    case 'network':
      content = networkObjects(scope, body.network);
      break;
    case undefined:
      break;
  }
  const report = reportOf(scope, header, kind, tlpMarking.name, handling, content, body !== undefined);
  return [origin, tlpMarking, handlingMarking, ...content, report];
}

function reportOf(
  scope: AlertScope,
  header: AlertHeader,
  kind: StixReport['x_enlace_kind'],
  tlp: TlpName,
  handling: HandlingCodeName,
  content: readonly StixObject[],
  bodyExported: boolean,
): StixReport {
  const references: StixExternalReference[] = [
    { source_name: 'enlace', external_id: header.id, description: `Enlace ${kind} alert` },
    ...header.relatedIds.map((id) => ({
      source_name: 'enlace',
      external_id: id,
      description: 'related Enlace alert',
    })),
  ];
  if (header.supersedesId !== '') {
    references.push({
      source_name: 'enlace',
      external_id: header.supersedesId,
      description: 'superseded Enlace alert',
    });
  }
  if (header.retractsId !== '') {
    references.push({
      source_name: 'enlace',
      external_id: header.retractsId,
      description: 'retracted Enlace alert',
    });
  }
  const grading = gradingName(header);
  return {
    ...common(scope, 'report', 'report'),
    name: header.title === '' ? `Enlace ${kind} alert ${header.id}` : header.title,
    ...(header.summary === '' ? {} : { description: header.summary }),
    report_types: [REPORT_TYPES[kind]],
    published: scope.issued,
    // Title and summary are in the alert's language; the other objects' texts are made here, in
    // English, around the alert's own words, so they carry no `lang`.
    ...(scope.lang === '' ? {} : { lang: scope.lang }),
    // A header-only report still needs an object: the origin that issued it.
    object_refs: content.length === 0 ? [scope.createdBy] : content.map((object) => object.id),
    external_references: references,
    x_enlace_alert_id: header.id,
    x_enlace_origin: header.origin,
    x_enlace_network: header.network,
    x_enlace_kind: kind,
    x_enlace_handling: handling,
    x_enlace_tlp: tlp,
    ...(grading === undefined ? {} : { x_enlace_grading: grading }),
    ...(header.recipients.length === 0 ? {} : { x_enlace_recipients: [...header.recipients] }),
    x_enlace_body_exported: bodyExported,
  };
}

const REPORT_TYPES = { route: 'threat-report', document: 'indicator', network: 'threat-actor' } as const;

// ---- route ----------------------------------------------------------------------------------

function routeObjects(scope: AlertScope, route: RouteAlert): StixObject[] {
  const places = new Map<string, { location: StixLocation; positions: number[] }>();
  const count = route.waypoints.length;
  route.waypoints.forEach((waypoint, i) => {
    const key = placeKey(waypoint.country, waypoint.place);
    const seen = places.get(key);
    if (seen !== undefined) {
      seen.positions.push(i + 1);
      return;
    }
    places.set(key, {
      positions: [i + 1],
      location: {
        ...common(scope, 'location', `place/${key}`),
        name: waypoint.place === '' ? countryName(waypoint.country) : waypoint.place,
        description: `Place on a smuggling route reported by ${scope.origin}.`,
        country: waypoint.country,
        ...(waypoint.coordinates === undefined
          ? {}
          : { latitude: waypoint.coordinates.latitude, longitude: waypoint.coordinates.longitude }),
      },
    });
  });

  const steps = route.waypoints.map((waypoint, i) => {
    const how: string[] = [];
    const crossing = enumWords(CrossingType, waypoint.crossing, 'CROSSING_TYPE_');
    if (crossing !== undefined && crossing !== 'none') how.push(`${crossing} border crossing`);
    const mode = enumWords(TransportMode, waypoint.transportMode, 'TRANSPORT_MODE_');
    if (mode !== undefined && i > 0) how.push(mode === 'on foot' ? 'reached on foot' : `reached by ${mode}`);
    return `${i + 1}. ${waypoint.place} (${waypoint.country})${how.length === 0 ? '' : `: ${how.join(', ')}`}`;
  });
  const lines = [`Waypoints in travel order: ${steps.join('; ')}.`];
  const modes = wordsOf(TransportMode, route.transportModes, 'TRANSPORT_MODE_');
  if (modes.length > 0) lines.push(`Means of transport: ${modes.join(', ')}.`);
  if (route.smugglingFee !== undefined)
    lines.push(`Smuggling fee per migrant: ${money(route.smugglingFee)}.`);
  if (route.estimatedMigrants > 0) lines.push(`Estimated migrants moved: ${route.estimatedMigrants}.`);
  const v = route.vulnerability;
  if (v !== undefined) {
    const counts = (
      [
        [v.unaccompaniedMinors, 'unaccompanied minors'],
        [v.accompaniedMinors, 'accompanied minors'],
        [v.women, 'women'],
        [v.pregnant, 'pregnant'],
        [v.injured, 'injured'],
        [v.deceased, 'deceased'],
        [v.missing, 'missing'],
      ] as const
    )
      .filter(([n]) => n > 0)
      .map(([n, what]) => `${n} ${what}`);
    if (counts.length > 0) lines.push(`Vulnerable people among them: ${counts.join(', ')}.`);
  }
  // Victims appear only as counts, age bands and flags (XII RCM 2007), as in the alert.
  const groups = route.victimGroups.map((group) => {
    const band = enumWords(AgeBand, group.ageBand, 'AGE_BAND_') ?? 'unknown';
    const flags = wordsOf(VulnerabilityFlag, group.flags, 'VULNERABILITY_FLAG_').join(', ');
    return `${group.count} of age band ${band}${flags === '' ? '' : ` (${flags})`}`;
  });
  if (groups.length > 0) lines.push(`Groups: ${groups.join('; ')}.`);

  const first = route.waypoints[0];
  const last = route.waypoints[count - 1];
  // Tools such as OpenCTI merge infrastructures by name: the alert id keeps two routes apart.
  const infrastructure: StixInfrastructure = {
    ...common(scope, 'infrastructure', 'route'),
    name:
      first === undefined || last === undefined
        ? `Smuggling route (Enlace alert ${scope.alertId})`
        : `Smuggling route ${first.place} (${first.country}) to ${last.place} (${last.country}) (Enlace alert ${scope.alertId})`,
    description: lines.join('\n'),
    infrastructure_types: ['smuggling-route'],
    ...(route.firstObserved === undefined ? {} : { first_seen: timestamp(route.firstObserved) }),
    ...(route.lastObserved === undefined ? {} : { last_seen: timestamp(route.lastObserved) }),
  };

  const relationships = [...places.entries()].map(([key, { location, positions }]) =>
    relationship(scope, `route/located-at/${key}`, 'located-at', infrastructure.id, location.id, {
      description: `Waypoint ${positions.join(', ')} of ${count} on the route.`,
    }),
  );
  return [infrastructure, ...[...places.values()].map(({ location }) => location), ...relationships];
}

// ---- document -------------------------------------------------------------------------------

function documentObjects(scope: AlertScope, document: DocumentAlert): StixObject[] {
  const docType = enumToken(DocumentType, document.documentType, 'DOCUMENT_TYPE_') ?? 'other';
  const docWords = docType.replaceAll('-', ' ');
  const fraud = enumWords(FraudType, document.fraudType, 'FRAUD_TYPE_') ?? 'fraudulent';
  const cc = document.issuingCountry;
  const about = [`${capitalise(fraud)} ${docWords} of ${countryName(cc)} (${cc}).`];
  if (document.series !== '') about.push(`Series: ${document.series}.`);
  const features = wordsOf(SecurityFeature, document.compromisedFeatures, 'SECURITY_FEATURE_').map(
    (feature) => FEATURE_WORDS[feature] ?? feature,
  );
  if (features.length > 0) about.push(`Compromised security features: ${features.join(', ')}.`);

  const patterns: StixIndicator[] = [...new Set(document.numberPatterns)].map((numberPattern) => ({
    ...common(scope, 'indicator', `pattern/${numberPattern}`),
    name: `${capitalise(fraud)} ${docWords} (${cc}), numbers ${numberPattern}`,
    description: [
      ...about,
      `Document numbers of the form ${numberPattern} ('#' a digit, '?' any character, '*' any rest).`,
    ].join('\n'),
    indicator_types: ['malicious-activity'],
    pattern:
      `[x-enlace-travel-document:number MATCHES ${stixString(numberPatternRegex(numberPattern))}` +
      ` AND x-enlace-travel-document:issuing_country = ${stixString(cc)}` +
      ` AND x-enlace-travel-document:document_type = ${stixString(docType)}]`,
    pattern_type: 'stix',
    pattern_version: '2.1',
    ...validity(scope),
  }));
  const digests = uniqueDigests(document.numberDigests).map((digest) =>
    digestIndicator(scope, digest, 'doc', cc, {
      name: `Keyed digest of a ${fraud} ${docWords} number (${cc})`,
      description: about.join('\n'),
    }),
  );

  const places = new Map<string, StixLocation>();
  const sightings: StixObject[] = [];
  document.detections.forEach((detection, i) => {
    const key = placeKey(detection.country, detection.place);
    let location = places.get(key);
    if (location === undefined) {
      location = {
        ...common(scope, 'location', `place/${key}`),
        name: detection.place === '' ? countryName(detection.country) : detection.place,
        description: `Place where ${fraud} documents were detected (${enumWords(DetectionPoint, detection.point, 'DETECTION_POINT_') ?? 'other'}).`,
        country: detection.country,
      };
      places.set(key, location);
    }
    const seen = timestamp(detection.detectedAt ?? new Date(scope.issued));
    for (const indicator of patterns) {
      sightings.push({
        ...common(scope, 'sighting', `sighting/${indicator.id}/${i}`),
        description: `${detection.quantity} ${docWords} document(s) detected at ${location.name} (${detection.country}).`,
        first_seen: seen,
        last_seen: seen,
        count: detection.quantity,
        sighting_of_ref: indicator.id,
        where_sighted_refs: [location.id],
      });
    }
  });
  return [...patterns, ...digests, ...places.values(), ...sightings];
}

/**
 * Enlace member roles in the STIX threat-actor-role-ov vocabulary, which tools offer as choices;
 * the Enlace roles themselves go in x_enlace_roles. Those who lead are directors, those who pay
 * sponsors, those who run the route (transport, guides, safe houses, lookouts) operate the
 * network's infrastructure, and everyone else acts for it: agents.
 */
const THREAT_ACTOR_ROLES: Readonly<Record<string, string>> = {
  organiser: 'director',
  financier: 'sponsor',
  transporter: 'infrastructure-operator',
  guide: 'infrastructure-operator',
  'safe-house-keeper': 'infrastructure-operator',
  lookout: 'infrastructure-operator',
};

const FEATURE_WORDS: Readonly<Record<string, string>> = {
  'uv features': 'UV features',
  mrz: 'machine readable zone',
};

/**
 * A document number pattern as an anchored regular expression: '#' a digit, '?' an upper-case
 * letter or digit (the alphabet of document numbers), a trailing '*' any rest; runs collapse to
 * a count ("A03######" is ^A03[0-9]{6}$).
 */
export function numberPatternRegex(pattern: string): string {
  let regex = '^';
  for (let i = 0; i < pattern.length;) {
    const c = pattern[i] ?? '';
    if (c === '*' && i === pattern.length - 1) {
      regex += '[A-Z0-9]*';
      i += 1;
      continue;
    }
    if (c === '#' || c === '?') {
      let n = 1;
      while (pattern[i + n] === c) n += 1;
      const atom = c === '#' ? '[0-9]' : '[A-Z0-9]';
      regex += n === 1 ? atom : `${atom}{${n}}`;
      i += n;
      continue;
    }
    regex += c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
    i += 1;
  }
  return `${regex}$`;
}

// ---- network --------------------------------------------------------------------------------

function networkObjects(scope: AlertScope, network: NetworkAlert): StixObject[] {
  const countries = new Map<string, StixLocation>();
  const countryLocation = (cc: string): StixLocation => {
    let location = countries.get(cc);
    if (location === undefined) {
      location = {
        ...common(scope, 'location', `country/${cc}`),
        name: countryName(cc),
        country: cc,
      };
      countries.set(cc, location);
    }
    return location;
  };

  const lines: string[] = [];
  if (network.modusOperandi !== '') lines.push(network.modusOperandi);
  const financial = network.financial;
  if (financial !== undefined) {
    const corridors = financial.corridors.map((corridor) => {
      const channel = enumWords(PaymentChannel, corridor.channel, 'PAYMENT_CHANNEL_') ?? 'unknown channel';
      const amount =
        corridor.amountPerTransfer === undefined ? '' : `, ${money(corridor.amountPerTransfer)} per transfer`;
      return `${corridor.fromCountry} to ${corridor.toCountry} by ${channel}${amount}`;
    });
    if (corridors.length > 0) lines.push(`Money corridors: ${corridors.join('; ')}.`);
    if (financial.estimatedProceeds !== undefined) {
      lines.push(`Estimated proceeds: ${money(financial.estimatedProceeds)}.`);
    }
  }
  const actor: StixThreatActor = {
    ...common(scope, 'threat-actor', 'network'),
    name: `Criminal network reported by ${scope.origin} (Enlace alert ${scope.alertId})`,
    ...(lines.length === 0 ? {} : { description: lines.join('\n\n') }),
    threat_actor_types: ['crime-syndicate'],
    primary_motivation: 'organizational-gain',
  };

  const objects: StixObject[] = [actor];
  const relationships: StixRelationship[] = [];
  for (const cc of new Set(network.countriesOfOperation)) {
    const location = countryLocation(cc);
    relationships.push(
      relationship(scope, `network/located-at/${cc}`, 'located-at', actor.id, location.id, {
        description: 'Country where the network operates.',
      }),
    );
  }

  // Members are known only by their pseudonyms: that is all the alert carries about them. A
  // pseudonym is unique within its alert only, and tools merge threat actors by name: the name
  // carries the alert id too.
  const members = new Map<string, StixThreatActor>();
  for (const entity of network.entities) {
    if (members.has(entity.pseudonym)) continue;
    const roles = entity.roles.map((role) => enumToken(EntityRole, role, 'ENTITY_ROLE_') ?? 'other');
    const member: StixThreatActor = {
      ...common(scope, 'threat-actor', `member/${entity.pseudonym}`),
      name: `${entity.pseudonym} (Enlace alert ${scope.alertId})`,
      description: `Member of a criminal network, known only by the pseudonym "${entity.pseudonym}"; roles: ${roles.join(', ').replaceAll('-', ' ')}.`,
      threat_actor_types: ['criminal'],
      ...(roles.length === 0
        ? {}
        : {
            roles: [...new Set(roles.map((role) => THREAT_ACTOR_ROLES[role] ?? 'agent'))],
            x_enlace_roles: roles,
          }),
    };
    members.set(entity.pseudonym, member);
    objects.push(member);
    relationships.push(
      relationship(scope, `member/${entity.pseudonym}/member-of`, 'related-to', member.id, actor.id, {
        description: `${entity.pseudonym} is a member of the network.`,
        relation: 'member-of',
      }),
    );
    for (const cc of new Set(entity.countries)) {
      relationships.push(
        relationship(
          scope,
          `member/${entity.pseudonym}/located-at/${cc}`,
          'located-at',
          member.id,
          countryLocation(cc).id,
          {
            description: `Country where ${entity.pseudonym} is active.`,
          },
        ),
      );
    }
  }
  for (const link of network.links) {
    const from = members.get(link.from);
    const to = members.get(link.to);
    if (from === undefined || to === undefined) continue;
    const relation = enumToken(LinkRelation, link.relation, 'LINK_RELATION_') ?? 'related-to';
    relationships.push(
      relationship(scope, `link/${link.from}/${relation}/${link.to}`, 'related-to', from.id, to.id, {
        description: `${link.from} ${relation.replaceAll('-', ' ')} ${link.to}.`,
        relation,
      }),
    );
  }

  const seenDigests = new Set<string>();
  for (const account of financial?.accounts ?? []) {
    if (account.digest === undefined) continue;
    const key = `${account.digest.keyId}/${hex(account.digest.digest)}`;
    if (seenDigests.has(key)) continue;
    seenDigests.add(key);
    const type = enumWords(AccountType, account.type, 'ACCOUNT_TYPE_') ?? 'account';
    const holder = members.get(account.holderPseudonym);
    const indicator = digestIndicator(scope, account.digest, 'acct', account.country, {
      name: `Keyed digest of a ${type} (${account.country})`,
      description: `A ${type} in ${countryName(account.country)} used by the network${holder === undefined ? '' : `, controlled by ${account.holderPseudonym}`}.`,
    });
    objects.push(indicator);
    relationships.push(
      relationship(scope, `${indicator.id}/indicates`, 'indicates', indicator.id, (holder ?? actor).id, {
        description:
          holder === undefined
            ? 'Account used by the network.'
            : `Account controlled by ${account.holderPseudonym}.`,
      }),
    );
  }
  return [...objects, ...countries.values(), ...relationships];
}

// ---- shared pieces --------------------------------------------------------------------------

function common<T extends string>(scope: AlertScope, type: T, role: string): StixCommonProperties<T> {
  return {
    type,
    spec_version: '2.1',
    id: `${type}--${uuidV5(ENLACE_STIX_NAMESPACE, `alert/${scope.alertId}/${role}`)}`,
    created: scope.issued,
    modified: scope.issued,
    created_by_ref: scope.createdBy,
    ...(scope.confidence === undefined ? {} : { confidence: scope.confidence }),
    object_marking_refs: scope.markings,
  };
}

function relationship(
  scope: AlertScope,
  role: string,
  type: string,
  source: StixId,
  target: StixId,
  extra: { description?: string; relation?: string } = {},
): StixRelationship {
  return {
    ...common(scope, 'relationship', `relationship/${role}`),
    relationship_type: type,
    ...(extra.description === undefined ? {} : { description: extra.description }),
    source_ref: source,
    target_ref: target,
    ...(extra.relation === undefined ? {} : { x_enlace_relation: extra.relation }),
  };
}

/**
 * An indicator of a keyed digest (HMAC-SHA256 of "<kind>:<CC>:<value>" under a network's
 * matching key): matching it needs the key, and it reveals no number.
 */
function digestIndicator(
  scope: AlertScope,
  digest: KeyedDigest,
  kind: 'doc' | 'acct',
  country: string,
  text: { name: string; description: string },
): StixIndicator {
  const value = hex(digest.digest);
  return {
    ...common(scope, 'indicator', `digest/${kind}/${digest.keyId}/${value}`),
    name: text.name,
    description: `${text.description}\nHMAC-SHA256 under matching key ${digest.keyId} of the canonical identifier ${kind}:${country}:<value>; match it with the network's matching key (hit/no-hit).`,
    indicator_types: ['malicious-activity'],
    pattern:
      `[x-enlace-keyed-digest:identifier_kind = ${stixString(kind)}` +
      ` AND x-enlace-keyed-digest:country = ${stixString(country)}` +
      ` AND x-enlace-keyed-digest:key_id = ${stixString(digest.keyId)}` +
      ` AND x-enlace-keyed-digest:hmac_sha256 = ${stixString(value)}]`,
    pattern_type: 'stix',
    pattern_version: '2.1',
    ...validity(scope),
  };
}

function uniqueDigests(digests: readonly KeyedDigest[]): KeyedDigest[] {
  const seen = new Set<string>();
  return digests.filter((digest) => {
    const key = `${digest.keyId}/${hex(digest.digest)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function validity(scope: AlertScope): { valid_from: string; valid_until?: string } {
  // valid_until must be later than valid_from; a verified alert expires after it is issued.
  return scope.expires === undefined || scope.expires <= scope.issued
    ? { valid_from: scope.issued }
    : { valid_from: scope.issued, valid_until: scope.expires };
}

/** A string literal of the STIX patterning language: quotes and backslashes escaped. */
function stixString(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function placeKey(country: string, place: string): string {
  return `${country}/${place.normalize('NFC').trim().toLowerCase()}`;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function money(range: MoneyRange): string {
  return range.min === range.max
    ? `${range.max} ${range.currency}`
    : `${range.min}-${range.max} ${range.currency}`;
}

/** STIX timestamps: UTC, millisecond precision, "Z". */
function timestamp(date: Date): string {
  return date.toISOString();
}

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

function countryName(cc: string): string {
  try {
    return regionNames.of(cc) ?? cc;
  } catch {
    return cc;
  }
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---- enums ----------------------------------------------------------------------------------

type NumericEnum = Record<number, string>;

/** An enum value as a lower-case token without its prefix: TRANSPORT_MODE_RIVER_RAFT is "river-raft". */
function enumToken(values: NumericEnum, value: number, prefix: string): string | undefined {
  const name = values[value];
  if (name === undefined || !name.startsWith(prefix) || name.endsWith('_UNSPECIFIED')) return undefined;
  return name.slice(prefix.length).toLowerCase().replaceAll('_', '-');
}

function enumWords(values: NumericEnum, value: number, prefix: string): string | undefined {
  return enumToken(values, value, prefix)?.replaceAll('-', ' ');
}

function wordsOf(values: NumericEnum, list: readonly number[], prefix: string): string[] {
  return list.map((value) => enumWords(values, value, prefix)).filter((word) => word !== undefined);
}

/** A TLP marking as the official STIX marking definitions name it: amber+strict is "TLP:AMBER+STRICT". */
function stixTlp(tlp: AlertHeader['tlp']): TlpName | undefined {
  const name = tlpName(tlp);
  return name === undefined ? undefined : (`TLP:${name.toUpperCase()}` as TlpName);
}

function clearBodyOf(alert: Alert): AlertBody['body'] | undefined {
  return alert.body === undefined || alert.body.$case === 'encrypted' ? undefined : alert.body;
}

/** Admiralty grading as "B2", or undefined when either half is missing. */
function gradingName(header: AlertHeader): string | undefined {
  const reliability = enumToken(
    SourceReliability,
    header.grading?.sourceReliability ?? 0,
    'SOURCE_RELIABILITY_',
  );
  const credibility = enumToken(
    InformationCredibility,
    header.grading?.informationCredibility ?? 0,
    'INFORMATION_CREDIBILITY_',
  );
  return reliability === undefined || credibility === undefined
    ? undefined
    : `${reliability.toUpperCase()}${credibility}`;
}

/**
 * STIX confidence from the Admiralty information credibility, by the "Admiralty Credibility"
 * scale of STIX 2.1 appendix A: 1 is 90, 2 is 70, 3 is 50, 4 is 30, 5 is 10; 6 (truth cannot be
 * judged) leaves confidence out.
 */
function confidenceOf(header: AlertHeader): number | undefined {
  const credibility = header.grading?.informationCredibility ?? 0;
  return ADMIRALTY_CONFIDENCE[credibility];
}

const ADMIRALTY_CONFIDENCE: Readonly<Record<number, number>> = {
  [InformationCredibility.INFORMATION_CREDIBILITY_1]: 90,
  [InformationCredibility.INFORMATION_CREDIBILITY_2]: 70,
  [InformationCredibility.INFORMATION_CREDIBILITY_3]: 50,
  [InformationCredibility.INFORMATION_CREDIBILITY_4]: 30,
  [InformationCredibility.INFORMATION_CREDIBILITY_5]: 10,
};

function invalid(path: string, code: string, message: string): FeedError {
  return new FeedError('ERR_VALIDATION', message, { violations: [{ path, code, message }] });
}
