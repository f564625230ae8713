/**
 * The STIX 2.1 objects the feed's export emits (OASIS STIX 2.1, sections 3-7), typed with the
 * properties the export sets. Custom properties carry the prefix `x_enlace_` (section 11.1);
 * custom observable types in indicator patterns carry the prefix `x-enlace-`.
 */
import type { AlertKindName, HandlingCodeName } from '@enlace/schema';

/** A STIX identifier: `<type>--<UUID>`. */
export type StixId<T extends string = string> = `${T}--${string}`;

/** A STIX timestamp in UTC with millisecond precision, e.g. "2026-11-26T14:09:19.000Z". */
export type StixTimestamp = string;

/** An external reference (section 2.5). */
export interface StixExternalReference {
  readonly source_name: string;
  readonly description?: string;
  readonly url?: string;
  readonly external_id?: string;
}

/** Properties common to the domain, relationship and sighting objects (section 3.2). */
export interface StixCommonProperties<T extends string> {
  readonly type: T;
  readonly spec_version: '2.1';
  readonly id: StixId<T>;
  readonly created: StixTimestamp;
  readonly modified: StixTimestamp;
  readonly created_by_ref?: StixId<'identity'>;
  readonly labels?: readonly string[];
  readonly confidence?: number;
  readonly lang?: string;
  readonly external_references?: readonly StixExternalReference[];
  readonly object_marking_refs?: readonly StixId<'marking-definition'>[];
}

/** An organisation: the exporting producer or a country's national focal point (section 4.5). */
export interface StixIdentity extends StixCommonProperties<'identity'> {
  readonly name: string;
  readonly description?: string;
  readonly identity_class: 'organization';
  readonly sectors: readonly string[];
}

/** A country or a named place, with coordinates when known (section 4.11). */
export interface StixLocation extends StixCommonProperties<'location'> {
  readonly name: string;
  readonly description?: string;
  readonly country: string;
  readonly latitude?: number;
  readonly longitude?: number;
}

/** A smuggling route, as the infrastructure a smuggling network operates (section 4.8). */
export interface StixInfrastructure extends StixCommonProperties<'infrastructure'> {
  readonly name: string;
  readonly description?: string;
  readonly infrastructure_types: readonly string[];
  readonly first_seen?: StixTimestamp;
  readonly last_seen?: StixTimestamp;
}

/** A criminal network, or one of its members under a pseudonym (section 4.17). */
export interface StixThreatActor extends StixCommonProperties<'threat-actor'> {
  readonly name: string;
  readonly description?: string;
  readonly threat_actor_types: readonly string[];
  /** threat-actor-role-ov values. */
  readonly roles?: readonly string[];
  readonly primary_motivation?: string;
  /** A member's roles in the network, as Enlace names them ("financier", "guide", ...). */
  readonly x_enlace_roles?: readonly string[];
}

/** A STIX pattern over `x-enlace-` observables: document number patterns, keyed digests (section 4.7). */
export interface StixIndicator extends StixCommonProperties<'indicator'> {
  readonly name: string;
  readonly description?: string;
  readonly indicator_types: readonly string[];
  readonly pattern: string;
  readonly pattern_type: 'stix';
  readonly pattern_version: '2.1';
  readonly valid_from: StixTimestamp;
  readonly valid_until?: StixTimestamp;
}

/** One alert as a whole: its title, summary and every object derived from it (section 4.14). */
export interface StixReport extends StixCommonProperties<'report'> {
  readonly name: string;
  readonly description?: string;
  readonly report_types: readonly string[];
  readonly published: StixTimestamp;
  readonly object_refs: readonly StixId[];
  readonly x_enlace_alert_id: string;
  readonly x_enlace_origin: string;
  readonly x_enlace_network: string;
  readonly x_enlace_kind: AlertKindName;
  readonly x_enlace_handling: HandlingCodeName;
  readonly x_enlace_tlp: TlpName;
  readonly x_enlace_grading?: string;
  readonly x_enlace_recipients?: readonly string[];
  /** False for a restricted alert whose body the exporter could not read: header only. */
  readonly x_enlace_body_exported: boolean;
}

/** A link between two objects (section 5.1). */
export interface StixRelationship extends StixCommonProperties<'relationship'> {
  readonly relationship_type: string;
  readonly description?: string;
  readonly source_ref: StixId;
  readonly target_ref: StixId;
  /** The Enlace relation between network members ("directs", "pays", ...) when the link is one. */
  readonly x_enlace_relation?: string;
}

/** Fraudulent documents of an indicator detected at a place (section 5.2). */
export interface StixSighting extends StixCommonProperties<'sighting'> {
  readonly description?: string;
  readonly first_seen: StixTimestamp;
  readonly last_seen: StixTimestamp;
  readonly count: number;
  readonly sighting_of_ref: StixId<'indicator'>;
  readonly where_sighted_refs: readonly StixId<'location'>[];
}

/** TLP 2.0 level names, as in the official marking definitions. */
export type TlpName = 'TLP:CLEAR' | 'TLP:GREEN' | 'TLP:AMBER' | 'TLP:AMBER+STRICT' | 'TLP:RED';

/** Enlace handling codes (DESIGN.md), as @enlace/schema names them. */
export type { HandlingCodeName };

/**
 * A TLP 2.0 marking definition as published by OASIS in cti-stix-common-objects
 * (extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d).
 */
export interface StixTlpMarkingDefinition {
  readonly type: 'marking-definition';
  readonly spec_version: '2.1';
  readonly id: StixId<'marking-definition'>;
  readonly created: StixTimestamp;
  readonly name: TlpName;
  readonly extensions: {
    readonly 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d': {
      readonly extension_type: 'property-extension';
      readonly tlp_2_0: 'clear' | 'green' | 'amber' | 'amber+strict' | 'red';
    };
  };
}

/** A statement marking definition: an Enlace handling code (section 7.2.1.3). */
export interface StixStatementMarkingDefinition {
  readonly type: 'marking-definition';
  readonly spec_version: '2.1';
  readonly id: StixId<'marking-definition'>;
  readonly created: StixTimestamp;
  readonly created_by_ref: StixId<'identity'>;
  readonly name: string;
  readonly definition_type: 'statement';
  readonly definition: { readonly statement: string };
}

export type StixMarkingDefinition = StixTlpMarkingDefinition | StixStatementMarkingDefinition;

/** Every object the export emits. */
export type StixObject =
  | StixIdentity
  | StixLocation
  | StixInfrastructure
  | StixThreatActor
  | StixIndicator
  | StixReport
  | StixRelationship
  | StixSighting
  | StixMarkingDefinition;

/** A STIX 2.1 bundle (section 8). */
export interface StixBundle {
  readonly type: 'bundle';
  readonly id: StixId<'bundle'>;
  readonly objects: readonly StixObject[];
}
