/**
 * One alert as a MISP event, in the format of MISP feeds (what MISP's feed import reads from
 * `<uuid>.json`: Event.uuid, info, date, threat_level_id, analysis, timestamp, Orgc, Tag[],
 * Attribute[], Object[]). Made from the alert's STIX objects of the export, so both views say the
 * same: the report gives the event (title, date, origin, TLP, handling code, Admiralty grading as
 * tags), indicators become attributes (keyed digests as `hex`, document number patterns as
 * `text`), threat actors `threat-actor` attributes, places `geolocation` objects. Uuids are v5 of
 * the STIX ids, so a refetch updates the same event and attributes.
 *
 * A retracted or superseded alert's event stays, with a later timestamp, its attributes and
 * objects marked deleted and a tag saying why, so MISP updates the copy it holds.
 */
import { createHash } from 'node:crypto';

import { ENLACE_STIX_NAMESPACE } from '../stix/index.js';
import type {
  StixIndicator,
  StixInfrastructure,
  StixLocation,
  StixObject,
  StixReport,
  StixThreatActor,
} from '../stix/index.js';
import { uuidV5 } from '../stix/uuid-v5.js';

export interface MispTag {
  readonly name: string;
  readonly colour?: string;
}

export interface MispAttribute {
  readonly uuid: string;
  readonly type: string;
  readonly category: string;
  readonly value: string;
  readonly to_ids: boolean;
  readonly comment: string;
  readonly timestamp: string;
  readonly distribution: '5';
  readonly deleted: boolean;
  readonly object_relation?: string;
}

export interface MispObject {
  readonly uuid: string;
  readonly name: string;
  readonly 'meta-category': string;
  readonly description: string;
  readonly comment: string;
  readonly timestamp: string;
  readonly distribution: '5';
  readonly deleted: boolean;
  readonly Attribute: readonly MispAttribute[];
}

export interface MispEventBody {
  readonly uuid: string;
  readonly info: string;
  /** YYYY-MM-DD */
  readonly date: string;
  /** 1 high, 2 medium, 3 low, 4 undefined. */
  readonly threat_level_id: string;
  /** 0 initial, 1 ongoing, 2 completed. */
  readonly analysis: string;
  /** Unix seconds, as a string. */
  readonly timestamp: string;
  readonly publish_timestamp: string;
  readonly published: boolean;
  /** 0: the receiving organisation only; the TLP and handling tags say the rest. */
  readonly distribution: '0';
  readonly Orgc: { readonly name: string; readonly uuid: string };
  readonly Tag: readonly MispTag[];
  readonly Attribute: readonly MispAttribute[];
  readonly Object: readonly MispObject[];
}

export interface MispEvent {
  readonly Event: MispEventBody;
}

/** The event's entry in manifest.json. */
export interface MispManifestEntry {
  readonly info: string;
  readonly date: string;
  readonly threat_level_id: string;
  readonly analysis: string;
  readonly timestamp: string;
  readonly publish_timestamp: string;
  readonly Orgc: MispEventBody['Orgc'];
  readonly Tag: readonly MispTag[];
}

const TLP_COLOURS: Readonly<Record<string, string>> = {
  'tlp:clear': '#ffffff',
  'tlp:green': '#339900',
  'tlp:amber': '#ffc000',
  'tlp:amber+strict': '#ffc000',
  'tlp:red': '#cc0033',
};

function uuidOf(stixId: string, role = ''): string {
  return uuidV5(ENLACE_STIX_NAMESPACE, `misp/${stixId}${role}`);
}

function seconds(timestamp: string): string {
  return String(Math.floor(Date.parse(timestamp) / 1000));
}

/** The MISP event of one alert's STIX objects (those toStixBundle made of it). */
export function mispEventOf(objects: readonly StixObject[]): MispEvent {
  const report = objects.find((o): o is StixReport => o.type === 'report');
  if (report === undefined) throw new RangeError('the objects of an alert have a report');
  const timestamp = seconds(report.modified);
  const attribute = (
    stixId: string,
    fields: Pick<MispAttribute, 'type' | 'category' | 'value' | 'comment'> & { to_ids?: boolean },
    role = '',
  ): MispAttribute => ({
    uuid: uuidOf(stixId, role),
    type: fields.type,
    category: fields.category,
    value: fields.value,
    to_ids: fields.to_ids ?? false,
    comment: fields.comment,
    timestamp,
    distribution: '5',
    deleted: false,
  });

  const attributes: MispAttribute[] = [
    attribute(
      report.id,
      {
        type: 'text',
        category: 'Internal reference',
        value: report.x_enlace_alert_id,
        comment: `Enlace ${report.x_enlace_kind} alert id`,
      },
      '/alert-id',
    ),
  ];
  if (report.description !== undefined)
    attributes.push(
      attribute(report.id, {
        type: 'text',
        category: 'Other',
        value: report.description,
        comment: 'summary',
      }),
    );
  if (!report.x_enlace_body_exported && report.x_enlace_recipients !== undefined)
    attributes.push(
      attribute(
        report.id,
        {
          type: 'comment',
          category: 'Other',
          value: 'The body of this alert is encrypted to its recipient countries: only its header is here.',
          comment: '',
        },
        '/restricted',
      ),
    );
  const misps: MispObject[] = [];
  for (const object of objects) {
    switch (object.type) {
      case 'infrastructure': {
        const route = object as StixInfrastructure;
        attributes.push(
          attribute(route.id, {
            type: 'text',
            category: 'Other',
            value: route.description ?? route.name,
            comment: route.name,
          }),
        );
        break;
      }
      case 'indicator': {
        const indicator = object as StixIndicator;
        const digest = /hmac_sha256 = '([0-9a-f]+)'/.exec(indicator.pattern)?.[1];
        const number = /:number MATCHES '((?:[^'\\]|\\.)*)'/.exec(indicator.pattern)?.[1];
        attributes.push(
          attribute(
            indicator.id,
            digest !== undefined
              ? { type: 'hex', category: 'Other', value: digest, comment: indicator.name }
              : {
                  type: 'text',
                  category: 'Other',
                  value: number?.replaceAll('\\\\', '\\') ?? indicator.pattern,
                  comment: `${indicator.name} (regular expression of document numbers)`,
                },
          ),
        );
        break;
      }
      case 'threat-actor': {
        const actor = object as StixThreatActor;
        attributes.push(
          attribute(actor.id, {
            type: 'threat-actor',
            category: 'Attribution',
            value: actor.name,
            comment: actor.description ?? '',
          }),
        );
        break;
      }
      case 'location': {
        const place = object as StixLocation;
        const parts: MispAttribute[] = [
          attribute(
            place.id,
            { type: 'text', category: 'Other', value: place.name, comment: place.description ?? '' },
            '/text',
          ),
          attribute(
            place.id,
            { type: 'text', category: 'Other', value: place.country, comment: '' },
            '/country',
          ),
        ];
        if (place.latitude !== undefined && place.longitude !== undefined)
          parts.push(
            attribute(
              place.id,
              { type: 'float', category: 'Other', value: String(place.latitude), comment: '' },
              '/latitude',
            ),
            attribute(
              place.id,
              { type: 'float', category: 'Other', value: String(place.longitude), comment: '' },
              '/longitude',
            ),
          );
        const relations = ['text', 'country', 'latitude', 'longitude'];
        misps.push({
          uuid: uuidOf(place.id),
          name: 'geolocation',
          'meta-category': 'misc',
          description: 'An object to describe a geographic location.',
          comment: place.name,
          timestamp,
          distribution: '5',
          deleted: false,
          Attribute: parts.map((part, i) => ({ ...part, object_relation: relations[i]! })),
        });
        break;
      }
      default:
        // Identities and markings become the organisation and tags; relationships and
        // sightings have no attribute of their own.
        break;
    }
  }

  const tlp = report.x_enlace_tlp.toLowerCase();
  const tags: MispTag[] = [
    { name: tlp, ...(TLP_COLOURS[tlp] !== undefined && { colour: TLP_COLOURS[tlp] }) },
    { name: `enlace:handling="${report.x_enlace_handling}"` },
    { name: `enlace:kind="${report.x_enlace_kind}"` },
    { name: `enlace:network="${report.x_enlace_network}"` },
  ];
  const grading = report.x_enlace_grading;
  if (grading !== undefined)
    tags.push(
      { name: `admiralty-scale:source-reliability="${grading.charAt(0).toLowerCase()}"` },
      { name: `admiralty-scale:information-credibility="${grading.charAt(1)}"` },
    );
  return {
    Event: {
      uuid: mispEventUuid(report.x_enlace_alert_id),
      info: report.name,
      date: report.published.slice(0, 10),
      threat_level_id: '4',
      analysis: '2',
      timestamp,
      publish_timestamp: timestamp,
      published: true,
      distribution: '0',
      Orgc: {
        name: `Enlace ${report.x_enlace_origin}`,
        uuid:
          report.created_by_ref === undefined ? uuidOf(report.id, '/org') : report.created_by_ref.slice(10),
      },
      Tag: tags,
      Attribute: attributes,
      Object: misps,
    },
  };
}

/** The event of an alert that a later alert of its origin retracted or superseded, as of `at`. */
export function retractedMispEvent(
  event: MispEvent,
  state: 'retracted' | 'superseded',
  by: string,
  at: Date,
): MispEvent {
  const timestamp = String(Math.max(Math.floor(at.getTime() / 1000), Number(event.Event.timestamp) + 1));
  const gone = <T extends { deleted: boolean; timestamp: string }>(item: T): T => ({
    ...item,
    deleted: true,
    timestamp,
    ...('to_ids' in item && { to_ids: false }),
  });
  return {
    Event: {
      ...event.Event,
      info: `[${state.toUpperCase()} by ${by}] ${event.Event.info}`,
      timestamp,
      publish_timestamp: timestamp,
      Tag: [...event.Event.Tag, { name: `enlace:state="${state}"` }],
      Attribute: event.Event.Attribute.map(gone),
      Object: event.Event.Object.map((object) => ({
        ...gone(object),
        Attribute: object.Attribute.map(gone),
      })),
    },
  };
}

/** The event uuid of an alert: the same in every feed and on every fetch. */
export function mispEventUuid(alertId: string): string {
  return uuidV5(ENLACE_STIX_NAMESPACE, `alert/${alertId}/misp-event`);
}

export function mispManifestEntry(event: MispEvent): MispManifestEntry {
  const e = event.Event;
  return {
    info: e.info,
    date: e.date,
    threat_level_id: e.threat_level_id,
    analysis: e.analysis,
    timestamp: e.timestamp,
    publish_timestamp: e.publish_timestamp,
    Orgc: e.Orgc,
    Tag: e.Tag,
  };
}

/** The lines of hashes.csv for one event: MD5 of each attribute value that is not deleted, and the event uuid. */
export function mispHashLines(event: MispEvent): string[] {
  const e = event.Event;
  const values = [
    ...e.Attribute.filter((a) => !a.deleted),
    ...e.Object.filter((o) => !o.deleted).flatMap((o) => o.Attribute.filter((a) => !a.deleted)),
  ].map((a) => a.value);
  return values.map((value) => `${createHash('md5').update(value, 'utf8').digest('hex')},${e.uuid}`);
}
