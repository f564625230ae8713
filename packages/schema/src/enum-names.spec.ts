import { describe, expect, it } from 'vitest';

import {
  handlingFromName,
  handlingName,
  HANDLING_NAMES,
  kindFromName,
  kindName,
  KIND_NAMES,
  tlpFromName,
  tlpName,
  TLP_NAMES,
} from './enum-names.js';
import { AlertKind, HandlingCode, TlpMarking } from './gen/enlace/alert/v1/alert.js';

describe('enum names', () => {
  it('name every defined value and round-trip', () => {
    expect(KIND_NAMES.map((n) => kindName(kindFromName(n)!))).toEqual([...KIND_NAMES]);
    expect(HANDLING_NAMES.map((n) => handlingName(handlingFromName(n)!))).toEqual([...HANDLING_NAMES]);
    expect(TLP_NAMES.map((n) => tlpName(tlpFromName(n)!))).toEqual([...TLP_NAMES]);
    expect(handlingName(HandlingCode.HANDLING_CODE_H2)).toBe('H2');
    expect(tlpName(TlpMarking.TLP_MARKING_AMBER_STRICT)).toBe('amber+strict');
  });

  it('give undefined for unset or unknown values and names', () => {
    expect(kindName(AlertKind.ALERT_KIND_UNSPECIFIED)).toBeUndefined();
    expect(handlingName(HandlingCode.HANDLING_CODE_UNSPECIFIED)).toBeUndefined();
    expect(tlpName(TlpMarking.TLP_MARKING_UNSPECIFIED)).toBeUndefined();
    expect(handlingName(99 as HandlingCode)).toBeUndefined();
    expect(kindFromName('Route')).toBeUndefined();
    expect(handlingFromName('H4')).toBeUndefined();
  });
});
