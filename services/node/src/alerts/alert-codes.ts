/**
 * The short names of alert enums that subjects, policy queries, filters and the store use
 * (`route`, `H1`, `amber`), from and to the generated protobuf enums.
 */
import { AlertKind, HandlingCode, TlpMarking } from '@enlace/schema';
import type { AlertKind as PolicyAlertKind, HandlingCode as PolicyHandlingCode } from '@enlace/policy';

const KINDS: ReadonlyMap<AlertKind, PolicyAlertKind> = new Map([
  [AlertKind.ALERT_KIND_ROUTE, 'route'],
  [AlertKind.ALERT_KIND_DOCUMENT, 'document'],
  [AlertKind.ALERT_KIND_NETWORK, 'network'],
]);

const HANDLING: ReadonlyMap<HandlingCode, PolicyHandlingCode> = new Map([
  [HandlingCode.HANDLING_CODE_H0, 'H0'],
  [HandlingCode.HANDLING_CODE_H1, 'H1'],
  [HandlingCode.HANDLING_CODE_H2, 'H2'],
  [HandlingCode.HANDLING_CODE_H3, 'H3'],
]);

const TLP: ReadonlyMap<TlpMarking, string> = new Map([
  [TlpMarking.TLP_MARKING_CLEAR, 'clear'],
  [TlpMarking.TLP_MARKING_GREEN, 'green'],
  [TlpMarking.TLP_MARKING_AMBER, 'amber'],
  [TlpMarking.TLP_MARKING_AMBER_STRICT, 'amber+strict'],
  [TlpMarking.TLP_MARKING_RED, 'red'],
]);

export const KIND_NAMES: readonly PolicyAlertKind[] = ['route', 'document', 'network'];
export const HANDLING_NAMES: readonly PolicyHandlingCode[] = ['H0', 'H1', 'H2', 'H3'];

/** `route`, `document` or `network`; undefined for an unset or unknown kind. */
export function kindName(kind: AlertKind): PolicyAlertKind | undefined {
  return KINDS.get(kind);
}

/** `H0` … `H3`; undefined for an unset or unknown code. */
export function handlingName(handling: HandlingCode): PolicyHandlingCode | undefined {
  return HANDLING.get(handling);
}

export function tlpName(tlp: TlpMarking): string {
  return TLP.get(tlp) ?? 'unspecified';
}

/** What H1 means, shown with every H1 alert the node outputs. */
export const H1_NOTICE = "H1: not for use in judicial proceedings without the originator's consent";
