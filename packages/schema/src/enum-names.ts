/**
 * The short names of alert enums that subjects, policy queries, filters, stores, exports and the
 * APIs use (`route`, `H1`, `amber`), from and to the generated protobuf enums: the one mapping,
 * so that every service spells them the same.
 */
import { AlertKind, HandlingCode, TlpMarking } from './gen/enlace/alert/v1/alert.js';

export const KIND_NAMES = ['route', 'document', 'network'] as const;
export type AlertKindName = (typeof KIND_NAMES)[number];

export const HANDLING_NAMES = ['H0', 'H1', 'H2', 'H3'] as const;
export type HandlingCodeName = (typeof HANDLING_NAMES)[number];

/** TLP 2.0 markings, lower case as TLP 2.0 writes them in text ("TLP:AMBER+STRICT" is "amber+strict"). */
export const TLP_NAMES = ['clear', 'green', 'amber', 'amber+strict', 'red'] as const;
export type TlpMarkingName = (typeof TLP_NAMES)[number];

const KINDS: ReadonlyMap<AlertKind, AlertKindName> = new Map([
  [AlertKind.ALERT_KIND_ROUTE, 'route'],
  [AlertKind.ALERT_KIND_DOCUMENT, 'document'],
  [AlertKind.ALERT_KIND_NETWORK, 'network'],
]);

const HANDLING: ReadonlyMap<HandlingCode, HandlingCodeName> = new Map([
  [HandlingCode.HANDLING_CODE_H0, 'H0'],
  [HandlingCode.HANDLING_CODE_H1, 'H1'],
  [HandlingCode.HANDLING_CODE_H2, 'H2'],
  [HandlingCode.HANDLING_CODE_H3, 'H3'],
]);

const TLP: ReadonlyMap<TlpMarking, TlpMarkingName> = new Map([
  [TlpMarking.TLP_MARKING_CLEAR, 'clear'],
  [TlpMarking.TLP_MARKING_GREEN, 'green'],
  [TlpMarking.TLP_MARKING_AMBER, 'amber'],
  [TlpMarking.TLP_MARKING_AMBER_STRICT, 'amber+strict'],
  [TlpMarking.TLP_MARKING_RED, 'red'],
]);

const reverse = <K, V>(map: ReadonlyMap<K, V>): ReadonlyMap<V, K> =>
  new Map([...map].map(([k, v]) => [v, k]));
const KIND_VALUES = reverse(KINDS);
const HANDLING_VALUES = reverse(HANDLING);
const TLP_VALUES = reverse(TLP);

/** `route`, `document` or `network`; undefined for an unset or unknown kind. */
export function kindName(kind: AlertKind): AlertKindName | undefined {
  return KINDS.get(kind);
}

/** `H0` … `H3`; undefined for an unset or unknown code. */
export function handlingName(handling: HandlingCode): HandlingCodeName | undefined {
  return HANDLING.get(handling);
}

/** `clear` … `red`; undefined for an unset or unknown marking. */
export function tlpName(tlp: TlpMarking): TlpMarkingName | undefined {
  return TLP.get(tlp);
}

/** The enum value of a kind name; undefined for anything else. */
export function kindFromName(name: string): AlertKind | undefined {
  return KIND_VALUES.get(name as AlertKindName);
}

/** The enum value of a handling code name; undefined for anything else. */
export function handlingFromName(name: string): HandlingCode | undefined {
  return HANDLING_VALUES.get(name as HandlingCodeName);
}

/** The enum value of a TLP name; undefined for anything else. */
export function tlpFromName(name: string): TlpMarking | undefined {
  return TLP_VALUES.get(name as TlpMarkingName);
}
