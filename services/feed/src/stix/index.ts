/**
 * STIX 2.1 export of verified alerts (MISP, OpenCTI): the bundle builder, the object types it
 * emits, and the markings it uses.
 */
export { numberPatternRegex, toStixBundle } from './stix-export.js';
export type { StixExportOptions, StixSource } from './stix-export.js';
export {
  ENLACE_STIX_NAMESPACE,
  HANDLING_STATEMENTS,
  HANDLING_TLP_FLOOR,
  TLP_2_0_EXTENSION_ID,
  TLP_MARKING_DEFINITIONS,
} from './stix-markings.js';
export type {
  HandlingCodeName,
  StixBundle,
  StixCommonProperties,
  StixExternalReference,
  StixId,
  StixIdentity,
  StixIndicator,
  StixInfrastructure,
  StixLocation,
  StixMarkingDefinition,
  StixObject,
  StixRelationship,
  StixReport,
  StixSighting,
  StixStatementMarkingDefinition,
  StixThreatActor,
  StixTimestamp,
  StixTlpMarkingDefinition,
  TlpName,
} from './stix-objects.js';
