/**
 * Data markings of the STIX export: the official TLP 2.0 marking definitions, and one statement
 * marking definition per Enlace handling code (H0-H3), with the TLP floor each code implies.
 *
 * TLP 2.0 definitions are reproduced exactly as OASIS publishes them in cti-stix-common-objects
 * (objects/marking-definition/ and extension-definition-specifications/tlp-2.0/, extension
 * extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d), so every STIX tool that knows
 * TLP 2.0 recognises them by id.
 */
import { uuidV5 } from './uuid-v5.js';
import type {
  HandlingCodeName,
  StixId,
  StixStatementMarkingDefinition,
  StixTlpMarkingDefinition,
  TlpName,
} from './stix-objects.js';

/** Id of the OASIS extension definition of TLP 2.0 marking definitions. */
export const TLP_2_0_EXTENSION_ID = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';

function tlp(
  uuid: string,
  name: TlpName,
  level: StixTlpMarkingDefinition['extensions'][typeof TLP_2_0_EXTENSION_ID]['tlp_2_0'],
): StixTlpMarkingDefinition {
  return Object.freeze({
    type: 'marking-definition',
    spec_version: '2.1',
    id: `marking-definition--${uuid}`,
    created: '2022-10-01T00:00:00.000Z',
    name,
    extensions: Object.freeze({
      [TLP_2_0_EXTENSION_ID]: Object.freeze({ extension_type: 'property-extension', tlp_2_0: level }),
    }),
  });
}

/** The official TLP 2.0 marking definitions, by level name. */
export const TLP_MARKING_DEFINITIONS: Readonly<Record<TlpName, StixTlpMarkingDefinition>> = Object.freeze({
  'TLP:CLEAR': tlp('94868c89-83c2-464b-929b-a1a8aa3c8487', 'TLP:CLEAR', 'clear'),
  'TLP:GREEN': tlp('bab4a63c-aed9-4cf5-a766-dfca5abac2bb', 'TLP:GREEN', 'green'),
  'TLP:AMBER': tlp('55d920b0-5e8b-4f79-9ee9-91f868d9b421', 'TLP:AMBER', 'amber'),
  'TLP:AMBER+STRICT': tlp('939a9414-2ddd-4d32-a0cd-375ea402b003', 'TLP:AMBER+STRICT', 'amber+strict'),
  'TLP:RED': tlp('e828b379-4e03-4974-9ac4-e53a884c97c1', 'TLP:RED', 'red'),
});

/** TLP levels from the widest disclosure to the narrowest. */
export const TLP_ORDER: readonly TlpName[] = Object.freeze([
  'TLP:CLEAR',
  'TLP:GREEN',
  'TLP:AMBER',
  'TLP:AMBER+STRICT',
  'TLP:RED',
]);

/**
 * The least restrictive TLP an alert may carry in the export under each handling code.
 *
 * - H0 (purpose-limited use) and H1 (not for judicial proceedings without consent) restrict use,
 *   not disclosure: no floor.
 * - H2 (no onward dissemination without the originator's consent) forbids passing the alert on,
 *   also to the recipient organisation's clients, which TLP:AMBER would allow: TLP:AMBER+STRICT
 *   (the recipient organisation only) is the TLP level that says the same.
 * - H3 (other restrictions, stated in the handling note) cannot be read by tools: at least
 *   TLP:AMBER, so that the alert stays on a need-to-know basis while people read the note.
 */
export const HANDLING_TLP_FLOOR: Readonly<Record<HandlingCodeName, TlpName>> = Object.freeze({
  H0: 'TLP:CLEAR',
  H1: 'TLP:CLEAR',
  H2: 'TLP:AMBER+STRICT',
  H3: 'TLP:AMBER',
});

/** The more restrictive of two TLP levels. */
export function stricterTlp(a: TlpName, b: TlpName): TlpName {
  return TLP_ORDER.indexOf(a) >= TLP_ORDER.indexOf(b) ? a : b;
}

/** The statement of each handling code, as DESIGN.md words it. */
export const HANDLING_STATEMENTS: Readonly<Record<HandlingCodeName, string>> = Object.freeze({
  H0: 'Enlace handling code H0: use only for the purpose for which it was provided.',
  H1: "Enlace handling code H1: not for use in judicial proceedings without the originator's consent.",
  H2: "Enlace handling code H2: no onward dissemination without the originator's consent.",
  H3: 'Enlace handling code H3: other restrictions:',
});

/**
 * Namespace of every UUIDv5 of the export: the v5 of "urn:enlace:stix:2.1" in the URL namespace
 * of RFC 9562. Changing it changes every exported id: never do.
 */
export const ENLACE_STIX_NAMESPACE = uuidV5('6ba7b811-9dad-11d1-80b4-00c04fd430c8', 'urn:enlace:stix:2.1');

/**
 * `created` of objects that belong to no single alert (identities, handling statements): fixed,
 * so that their deterministic ids never come with a different creation time.
 */
export const ENLACE_STIX_EPOCH = '2026-01-01T00:00:00.000Z';

/**
 * The statement marking definition of a handling code, created by the exporting producer. Its
 * id is the v5 of the producer's identity id and the code (and, for H3, the note), so a producer
 * always exports the same code as the same marking definition, and two different H3 notes never
 * share one.
 */
export function handlingMarkingDefinition(
  code: HandlingCodeName,
  note: string,
  createdBy: StixId<'identity'>,
): StixStatementMarkingDefinition {
  const statement = code === 'H3' ? `${HANDLING_STATEMENTS.H3} ${note}` : HANDLING_STATEMENTS[code];
  const name = code === 'H3' ? `handling/${createdBy}/H3/${note}` : `handling/${createdBy}/${code}`;
  return {
    type: 'marking-definition',
    spec_version: '2.1',
    id: `marking-definition--${uuidV5(ENLACE_STIX_NAMESPACE, name)}`,
    created: ENLACE_STIX_EPOCH,
    created_by_ref: createdBy,
    name: `Enlace handling code ${code}`,
    definition_type: 'statement',
    definition: { statement },
  };
}
