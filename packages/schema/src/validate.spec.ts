import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AlertValidationError } from './errors.js';
import type { Violation } from './errors.js';
import type { Alert, AlertHeader } from './gen/enlace/alert/v1/alert.js';
import { AlertKind, HandlingCode, SourceReliability, TlpMarking } from './gen/enlace/alert/v1/alert.js';
import { AgeBand, VulnerabilityFlag } from './gen/enlace/alert/v1/common.js';
import type { DocumentAlert } from './gen/enlace/alert/v1/document_alert.js';
import { DocumentType } from './gen/enlace/alert/v1/document_alert.js';
import type { FraudType } from './gen/enlace/alert/v1/document_alert.js';
import type { NetworkAlert } from './gen/enlace/alert/v1/network_alert.js';
import { EntityRole, LinkRelation } from './gen/enlace/alert/v1/network_alert.js';
import type { RouteAlert } from './gen/enlace/alert/v1/route_alert.js';
import { CrossingType, TransportMode } from './gen/enlace/alert/v1/route_alert.js';
import { alertFromJson } from './json.js';
import {
  ALERT_LIMITS,
  alertKindOfBody,
  assertValidAlert,
  isNetworkId,
  isUuidV7,
  validateAlert,
  validateAlertBody,
} from './validate.js';

const root = resolve(import.meta.dirname, '../../..');
const ID = '019a5f3e-7c2b-7d41-9b7e-3f2a1c4d5e6f';
const OTHER_ID = '019a5f3e-9999-7abc-8def-0123456789ab';
const ISSUED = new Date('2026-11-10T12:00:00.000Z');
const JWE = JSON.stringify({
  protected: 'eyJlbmMiOiJBMjU2R0NNIn0',
  iv: 'AAAAAAAAAAAAAAAA',
  ciphertext: 'c2VjcmV0',
  tag: 'AAAAAAAAAAAAAAAAAAAAAA',
  recipients: [{ header: { alg: 'ECDH-ES+A256KW', kid: 'GT-enc-2026-01' }, encrypted_key: 'a2V5' }],
});

function demo(file: string): Alert {
  const draft = alertFromJson(parse(readFileSync(join(root, 'seeds/demo', file), 'utf8')), { draft: true });
  if (draft.header === undefined) throw new Error(`${file} has no header`);
  return { ...draft, header: { ...draft.header, id: ID, issuedAt: ISSUED } };
}

function header(alert: Alert): AlertHeader {
  if (alert.header === undefined) throw new Error('no header');
  return alert.header;
}

/** The demo route alert, changed by `edit`. */
function route(edit: (route: RouteAlert, header: AlertHeader, alert: Alert) => void = () => {}): Alert {
  const alert = demo('route-mx-gt-us.yaml');
  if (alert.body?.$case !== 'route') throw new Error('expected a route');
  edit(alert.body.route, header(alert), alert);
  return alert;
}

function document(edit: (doc: DocumentAlert, header: AlertHeader) => void): Alert {
  const alert = demo('document-counterfeit-passport.yaml');
  if (alert.body?.$case !== 'document') throw new Error('expected a document');
  edit(alert.body.document, header(alert));
  return alert;
}

function network(edit: (net: NetworkAlert, header: AlertHeader) => void): Alert {
  const alert = demo('network-smuggling-financier.yaml');
  if (alert.body?.$case !== 'network') throw new Error('expected a network');
  edit(alert.body.network, header(alert));
  return alert;
}

function encrypted(recipients: string[], jwe = JWE): Alert {
  const alert = demo('route-mx-gt-us.yaml');
  // As issued: title and summary travel inside the encrypted body.
  return {
    header: { ...header(alert), recipients, title: '', summary: '' },
    body: { $case: 'encrypted', encrypted: { jwe } },
  };
}

const v = (path: string, code: Violation['code'], message: string): Violation => ({ path, code, message });

describe('valid alerts', () => {
  it.each(['route-mx-gt-us.yaml', 'document-counterfeit-passport.yaml', 'network-smuggling-financier.yaml'])(
    'accepts the issued demo %s',
    (file) => {
      expect(validateAlert(demo(file))).toEqual([]);
      expect(() =>
        assertValidAlert(demo(file), { knownNetworks: new Set(['trafficking-liaison', 'fiu-exchange']) }),
      ).not.toThrow();
    },
  );

  it('accepts a restricted alert with an encrypted body', () => {
    expect(validateAlert(encrypted(['GT', 'US']))).toEqual([]);
  });

  it('accepts a retraction without a body', () => {
    const alert = route((_r, h) => {
      h.retractsId = OTHER_ID;
    });
    expect(validateAlert({ header: alert.header, body: undefined })).toEqual([]);
  });
});

describe('assertValidAlert', () => {
  it('throws one AlertValidationError listing every violation', () => {
    const alert = route((r, h) => {
      h.origin = 'XX';
      r.waypoints = r.waypoints.slice(0, 1);
    });
    let error: unknown;
    try {
      assertValidAlert(alert);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AlertValidationError);
    expect((error as AlertValidationError).code).toBe('ERR_ALERT_INVALID');
    expect((error as AlertValidationError).violations).toEqual([
      v('header.origin', 'unknown_country', '"XX" is not an ISO 3166-1 alpha-2 country code'),
      v('route.waypoints', 'too_few_waypoints', 'a route needs at least two waypoints'),
    ]);
    expect((error as AlertValidationError).message).toBe(
      'invalid alert (2 violations):\n' +
        '  header.origin: unknown_country: "XX" is not an ISO 3166-1 alpha-2 country code\n' +
        '  route.waypoints: too_few_waypoints: a route needs at least two waypoints',
    );
  });
});

describe('header rules', () => {
  it('requires a header', () => {
    expect(validateAlert({ header: undefined, body: demo('route-mx-gt-us.yaml').body })).toEqual([
      v('header', 'required', 'the header is required'),
    ]);
  });

  it('requires a UUIDv7 id unless the alert is a draft', () => {
    const missing = route((_r, h) => {
      h.id = '';
    });
    expect(validateAlert(missing)).toEqual([v('header.id', 'required', 'the alert id is required')]);
    expect(validateAlert(missing, { draft: true })).toEqual([]);
    for (const id of ['0f8fad5b-d9cb-469f-a165-70867728950e', ID.toUpperCase(), 'alert-1']) {
      const bad = route((_r, h) => {
        h.id = id;
      });
      expect(validateAlert(bad, { draft: true })).toEqual([
        v('header.id', 'invalid_format', `"${id}" is not a lower-case UUIDv7`),
      ]);
    }
  });

  it('requires an ISO 3166-1 origin', () => {
    for (const [origin, expected] of [
      ['', v('header.origin', 'required', 'a country code is required')],
      ['gt', v('header.origin', 'unknown_country', '"gt" is not an ISO 3166-1 alpha-2 country code')],
      ['UK', v('header.origin', 'unknown_country', '"UK" is not an ISO 3166-1 alpha-2 country code')],
    ] as const) {
      expect(validateAlert(route((_r, h) => void (h.origin = origin)))).toEqual([expected]);
    }
  });

  it('checks the network id syntax, and membership when the context knows the networks', () => {
    expect(validateAlert(route((_r, h) => void (h.network = '')))).toEqual([
      v('header.network', 'required', 'the network id is required'),
    ]);
    for (const id of ['Trafficking-Liaison', 'fiu.exchange', 'fiu--exchange', '-fiu', 'a'.repeat(65)]) {
      const [violation] = validateAlert(route((_r, h) => void (h.network = id)));
      expect(violation?.code).toBe('invalid_format');
      expect(violation?.path).toBe('header.network');
    }
    expect(validateAlert(route(), { knownNetworks: ['fiu-exchange', 'consular-protection'] })).toEqual([
      v('header.network', 'unknown_network', 'network "trafficking-liaison" is not known'),
    ]);
  });

  it('requires a kind that matches the body', () => {
    expect(validateAlert(route((_r, h) => void (h.kind = AlertKind.ALERT_KIND_UNSPECIFIED)))).toEqual([
      v('header.kind', 'unspecified_enum', 'a value of AlertKind is required'),
    ]);
    expect(validateAlert(route((_r, h) => void (h.kind = 42 as AlertKind)))).toEqual([
      v('header.kind', 'unknown_enum', '42 is not a value of AlertKind'),
    ]);
    expect(validateAlert(route((_r, h) => void (h.kind = AlertKind.ALERT_KIND_NETWORK)))).toEqual([
      v('header.kind', 'body_kind_mismatch', 'ALERT_KIND_NETWORK does not match the route body'),
    ]);
  });

  it('requires valid issue and expiry times in order', () => {
    expect(validateAlert(route((_r, h) => void (h.issuedAt = undefined)))).toEqual([
      v('header.issuedAt', 'required', 'a timestamp is required'),
    ]);
    expect(
      validateAlert(
        route((_r, h) => void (h.expiresAt = undefined)),
        { draft: true },
      ),
    ).toEqual([v('header.expiresAt', 'required', 'a timestamp is required')]);
    expect(validateAlert(route((_r, h) => void (h.expiresAt = new Date(Number.NaN))))).toEqual([
      v('header.expiresAt', 'invalid_timestamp', 'not a valid timestamp between years 1 and 9999'),
    ]);
    expect(validateAlert(route((_r, h) => void (h.expiresAt = ISSUED)))).toEqual([
      v('header.expiresAt', 'not_after_issued_at', 'must be after header.issuedAt'),
    ]);
  });

  it('requires a draft to expire in the future when the time is known', () => {
    const draft = route((_r, h) => void (h.issuedAt = undefined));
    expect(validateAlert(draft, { draft: true, now: new Date('2026-11-10T00:00:00Z') })).toEqual([]);
    expect(validateAlert(draft, { draft: true, now: new Date('2027-06-01T00:00:00Z') })).toEqual([
      v('header.expiresAt', 'expired', 'must be in the future'),
    ]);
  });

  it('requires handling, a note for H3, TLP and grading', () => {
    expect(validateAlert(route((_r, h) => void (h.handling = HandlingCode.HANDLING_CODE_H3)))).toEqual([
      v('header.handlingNote', 'required', 'handling code H3 requires a note stating the restrictions'),
    ]);
    const h3 = route((_r, h) => {
      h.handling = HandlingCode.HANDLING_CODE_H3;
      h.handlingNote = 'Solo para uso de inteligencia; no compartir con fuerzas armadas.';
    });
    expect(validateAlert(h3)).toEqual([]);
    expect(validateAlert(route((_r, h) => void (h.handlingNote = 'x'.repeat(501))))).toEqual([
      v('header.handlingNote', 'too_long', 'at most 500 characters, not 501'),
    ]);
    const unspecified = route((_r, h) => {
      h.handling = HandlingCode.HANDLING_CODE_UNSPECIFIED;
      h.tlp = TlpMarking.TLP_MARKING_UNSPECIFIED;
      if (h.grading) h.grading.sourceReliability = SourceReliability.SOURCE_RELIABILITY_UNSPECIFIED;
    });
    expect(validateAlert(unspecified)).toEqual([
      v('header.handling', 'unspecified_enum', 'a value of HandlingCode is required'),
      v('header.tlp', 'unspecified_enum', 'a value of TlpMarking is required'),
      v('header.grading.sourceReliability', 'unspecified_enum', 'a value of SourceReliability is required'),
    ]);
    expect(validateAlert(route((_r, h) => void (h.grading = undefined)))).toEqual([
      v('header.grading', 'required', 'the Admiralty grading is required'),
    ]);
  });

  it('checks recipients: known, distinct, not the origin', () => {
    const alert = encrypted(['GT', 'XX', 'GT', 'MX', 'US']);
    expect(validateAlert(alert)).toEqual([
      v('header.recipients[1]', 'unknown_country', '"XX" is not an ISO 3166-1 alpha-2 country code'),
      v('header.recipients[2]', 'duplicate', 'GT is listed more than once'),
      v(
        'header.recipients[3]',
        'recipient_is_origin',
        'the origin MX cannot be a recipient of its own alert',
      ),
    ]);
    expect(validateAlert(encrypted(['GT', 'US']), { knownRecipients: new Set(['GT', 'HN']) })).toEqual([
      v('header.recipients[1]', 'unknown_recipient', '"US" is not a known recipient'),
    ]);
    const many = encrypted([
      'AD',
      ...Array.from({ length: 64 }, (_, i) => `Q${String.fromCharCode(65 + (i % 26))}`),
    ]);
    expect(validateAlert(many)[0]).toEqual(v('header.recipients', 'too_many', 'at most 64 recipients'));
  });

  it('requires an encrypted body exactly when the alert is restricted', () => {
    const clear = route((_r, h) => void (h.recipients = ['GT']));
    expect(validateAlert(clear).filter((x) => x.code !== 'restricted_text_in_clear')).toEqual([
      v('route', 'restricted_not_encrypted', 'an alert with header.recipients must carry an encrypted body'),
    ]);
    // A restricted draft is encrypted just before signing.
    expect(validateAlert(clear, { draft: true })).toEqual([]);
    const notRestricted = encrypted([]);
    notRestricted.header = { ...header(notRestricted), title: 'Ruta' };
    expect(validateAlert(notRestricted)).toEqual([
      v(
        'encrypted',
        'encrypted_not_restricted',
        'an encrypted body needs header.recipients (the countries it is encrypted to)',
      ),
    ]);
  });

  it('checks the shape of the JWE', () => {
    expect(validateAlert(encrypted(['GT'], ''))).toEqual([
      v('encrypted.jwe', 'required', 'the JWE is required'),
    ]);
    expect(validateAlert(encrypted(['GT'], 'eyJhbGciOi.x.y.z.w'))).toEqual([
      v('encrypted.jwe', 'invalid_format', 'not a JWE in general JSON serialization (not JSON)'),
    ]);
    const flattened = JSON.stringify({
      protected: 'e30',
      iv: 'AA',
      ciphertext: 'AA',
      tag: 'AA',
      encrypted_key: 'AA',
    });
    expect(validateAlert(encrypted(['GT'], flattened))).toEqual([
      v(
        'encrypted.jwe',
        'invalid_format',
        'not a JWE in general JSON serialization (needs iv, ciphertext, tag and recipients)',
      ),
    ]);
    expect(validateAlert(encrypted(['GT'], ' '.repeat(ALERT_LIMITS.jweLength + 1)))).toEqual([
      v('encrypted.jwe', 'too_long', 'at most 1000000 characters'),
    ]);
  });

  it('checks related, superseded and retracted ids', () => {
    const alert = route((_r, h) => {
      h.relatedIds = [OTHER_ID, 'nope', OTHER_ID, ID];
      h.supersedesId = OTHER_ID;
      h.retractsId = OTHER_ID;
    });
    expect(validateAlert(alert)).toEqual([
      v('header.relatedIds[1]', 'invalid_format', '"nope" is not a lower-case UUIDv7'),
      v('header.relatedIds[2]', 'duplicate', `${OTHER_ID} is listed more than once`),
      v('header.relatedIds[3]', 'self_reference', 'an alert cannot refer to itself'),
      v('header.retractsId', 'conflict', 'an alert either supersedes or retracts another, not both'),
    ]);
  });

  it('requires a body unless the alert retracts another', () => {
    expect(validateAlert({ header: demo('route-mx-gt-us.yaml').header, body: undefined })).toEqual([
      v('body', 'required', 'a route, document, network or encrypted body is required'),
    ]);
  });

  it('bounds the title, summary and language', () => {
    expect(validateAlert(route((_r, h) => void (h.title = '  ')))).toEqual([
      v('header.title', 'required', 'a title is required'),
    ]);
    // Length counts characters (code points), not UTF-16 units.
    expect(validateAlert(route((_r, h) => void (h.title = '🚩'.repeat(200))))).toEqual([]);
    expect(validateAlert(route((_r, h) => void (h.title = 'ñ'.repeat(201))))).toEqual([
      v('header.title', 'too_long', 'at most 200 characters, not 201'),
    ]);
    expect(validateAlert(route((_r, h) => void (h.title = 'Ruta\nnorte')))).toEqual([
      v('header.title', 'invalid_format', 'contains control characters'),
    ]);
    expect(validateAlert(route((_r, h) => void (h.summary = 'Línea 1\nLínea 2\tfin')))).toEqual([]);
    expect(validateAlert(route((_r, h) => void (h.summary = 's'.repeat(2001))))).toEqual([
      v('header.summary', 'too_long', 'at most 2000 characters, not 2001'),
    ]);
    expect(validateAlert(route((_r, h) => void (h.language = 'Spanish')))).toEqual([
      v('header.language', 'invalid_format', '"Spanish" is not a BCP 47 language tag'),
    ]);
    expect(validateAlert(route((_r, h) => void (h.language = 'es-419')))).toEqual([]);
  });
});

describe('route rules', () => {
  it('needs at least two waypoints with known countries and places', () => {
    expect(validateAlert(route((r) => void (r.waypoints = r.waypoints.slice(0, 1))))).toEqual([
      v('route.waypoints', 'too_few_waypoints', 'a route needs at least two waypoints'),
    ]);
    const alert = route((r) => {
      const [first] = r.waypoints;
      if (first) {
        first.country = 'ZZ';
        first.place = '';
      }
    });
    expect(validateAlert(alert)).toEqual([
      v('route.waypoints[0].country', 'unknown_country', '"ZZ" is not an ISO 3166-1 alpha-2 country code'),
      v('route.waypoints[0].place', 'required', 'a place name is required'),
    ]);
  });

  it('keeps coordinates in range', () => {
    const alert = route((r) => {
      r.waypoints[0] = { ...r.waypoints[0]!, coordinates: { latitude: 91, longitude: -181 } };
      r.waypoints[1] = { ...r.waypoints[1]!, coordinates: { latitude: Number.NaN, longitude: 180 } };
    });
    expect(validateAlert(alert)).toEqual([
      v('route.waypoints[0].coordinates.latitude', 'out_of_range', 'must be from -90 to 90'),
      v('route.waypoints[0].coordinates.longitude', 'out_of_range', 'must be from -180 to 180'),
      v('route.waypoints[1].coordinates.latitude', 'out_of_range', 'must be from -90 to 90'),
    ]);
  });

  it('requires a crossing type consistent with the countries', () => {
    const alert = route((r) => {
      r.waypoints[1] = { ...r.waypoints[1]!, crossing: CrossingType.CROSSING_TYPE_NONE };
      r.waypoints[2] = { ...r.waypoints[2]!, crossing: CrossingType.CROSSING_TYPE_UNSPECIFIED };
      // An unknown means of transport (0) is allowed on a waypoint.
      r.waypoints[3] = { ...r.waypoints[3]!, transportMode: TransportMode.TRANSPORT_MODE_UNSPECIFIED };
    });
    expect(validateAlert(alert)).toEqual([
      v('route.waypoints[1].crossing', 'inconsistent_crossing', 'reaching MX from GT crosses a border'),
      v('route.waypoints[2].crossing', 'unspecified_enum', 'a value of CrossingType is required'),
    ]);
  });

  it('rejects unspecified and repeated transport modes', () => {
    const alert = route((r) => {
      r.transportModes = [
        TransportMode.TRANSPORT_MODE_BUS,
        TransportMode.TRANSPORT_MODE_UNSPECIFIED,
        TransportMode.TRANSPORT_MODE_BUS,
      ];
    });
    expect(validateAlert(alert)).toEqual([
      v('route.transportModes[1]', 'unspecified_enum', 'a value of TransportMode is required'),
      v('route.transportModes[2]', 'duplicate', 'TRANSPORT_MODE_BUS is listed more than once'),
    ]);
  });

  it('checks the fee range and currency', () => {
    expect(
      validateAlert(route((r) => void (r.smugglingFee = { currency: 'usd', min: 9000n, max: 7000n }))),
    ).toEqual([
      v('route.smugglingFee.currency', 'unknown_currency', '"usd" is not an ISO 4217 currency code'),
      v('route.smugglingFee.min', 'min_greater_than_max', 'must not exceed max'),
    ]);
    expect(
      validateAlert(route((r) => void (r.smugglingFee = { currency: 'USD', min: 0n, max: 0n }))),
    ).toEqual([v('route.smugglingFee.max', 'out_of_range', 'must be from 1 to 1000000000000')]);
  });

  it('orders the observation period and keeps it out of the future', () => {
    const swapped = route((r) => {
      [r.firstObserved, r.lastObserved] = [r.lastObserved, r.firstObserved];
    });
    expect(validateAlert(swapped)).toEqual([
      v('route.firstObserved', 'first_after_last', 'must not be after lastObserved'),
    ]);
    const future = route((r) => void (r.lastObserved = new Date('2026-12-01T00:00:00Z')));
    expect(validateAlert(future)).toEqual([
      v('route.lastObserved', 'observed_in_future', 'cannot be later than the time the alert is issued'),
    ]);
    // Ten minutes of clock skew between officer and node are tolerated.
    expect(
      validateAlert(route((r) => void (r.lastObserved = new Date(ISSUED.getTime() + 5 * 60_000)))),
    ).toEqual([]);
  });

  it('keeps counts whole, non-negative, sane and within the total', () => {
    expect(validateAlert(route((r) => void (r.estimatedMigrants = -3)))[0]).toEqual(
      v('route.estimatedMigrants', 'out_of_range', 'must be a whole number from 0 to 1000000'),
    );
    expect(validateAlert(route((r) => void (r.estimatedMigrants = 2_000_000)))[0]).toEqual(
      v('route.estimatedMigrants', 'out_of_range', 'must be a whole number from 0 to 1000000'),
    );
    const alert = route((r) => {
      if (r.vulnerability) {
        r.vulnerability.women = 181;
        r.vulnerability.injured = 2.5;
        r.vulnerability.accompaniedMinors = 170;
      }
    });
    expect(validateAlert(alert)).toEqual([
      v('route.vulnerability.women', 'exceeds_total', 'exceeds estimatedMigrants (180)'),
      v('route.vulnerability.injured', 'out_of_range', 'must be a whole number from 0 to 1000000'),
      v(
        'route.vulnerability.accompaniedMinors',
        'exceeds_total',
        'minors together exceed estimatedMigrants (180)',
      ),
    ]);
  });

  it('describes victims only by valid groups', () => {
    const alert = route((r) => {
      r.victimGroups = [
        { count: 0, ageBand: AgeBand.AGE_BAND_12_TO_17, flags: [] },
        {
          count: 3,
          ageBand: AgeBand.AGE_BAND_UNSPECIFIED,
          flags: [VulnerabilityFlag.VULNERABILITY_FLAG_ILL],
        },
        {
          count: 2,
          ageBand: AgeBand.AGE_BAND_30_TO_59,
          flags: [
            VulnerabilityFlag.VULNERABILITY_FLAG_UNACCOMPANIED_MINOR,
            VulnerabilityFlag.VULNERABILITY_FLAG_UNACCOMPANIED_MINOR,
          ],
        },
        { count: 200, ageBand: AgeBand.AGE_BAND_UNKNOWN, flags: [] },
      ];
    });
    expect(validateAlert(alert)).toEqual([
      v('route.victimGroups[0].count', 'out_of_range', 'must be a whole number from 1 to 1000000'),
      v('route.victimGroups[1].ageBand', 'unspecified_enum', 'a value of AgeBand is required'),
      v(
        'route.victimGroups[2].flags[1]',
        'duplicate',
        'VULNERABILITY_FLAG_UNACCOMPANIED_MINOR is listed more than once',
      ),
      v('route.victimGroups[2].ageBand', 'inconsistent_age_band', 'flags of minors on a group of adults'),
      v(
        'route.victimGroups',
        'exceeds_total',
        'the groups count 205 people, more than estimatedMigrants (180)',
      ),
    ]);
  });
});

describe('document rules', () => {
  it('requires type, issuing country and fraud type', () => {
    const alert = document((d) => {
      d.documentType = DocumentType.DOCUMENT_TYPE_UNSPECIFIED;
      d.issuingCountry = 'CRI';
      d.fraudType = 77 as FraudType;
    });
    expect(validateAlert(alert)).toEqual([
      v('document.documentType', 'unspecified_enum', 'a value of DocumentType is required'),
      v('document.issuingCountry', 'unknown_country', '"CRI" is not an ISO 3166-1 alpha-2 country code'),
      v('document.fraudType', 'unknown_enum', '77 is not a value of FraudType'),
    ]);
  });

  it('accepts number patterns, never full numbers', () => {
    const alert = document((d) => {
      d.numberPatterns = ['A03######', 'A03123456', 'a03*', 'A0*3', 'A03######'];
    });
    expect(validateAlert(alert)).toEqual([
      v(
        'document.numberPatterns[1]',
        'invalid_format',
        'a pattern needs a wildcard: full document numbers go in numberDigests',
      ),
      v(
        'document.numberPatterns[2]',
        'invalid_format',
        `"a03*" is not a number pattern (A-Z, 0-9, '#', '?', trailing '*'; at most 32)`,
      ),
      v(
        'document.numberPatterns[3]',
        'invalid_format',
        `"A0*3" is not a number pattern (A-Z, 0-9, '#', '?', trailing '*'; at most 32)`,
      ),
      v('document.numberPatterns[4]', 'duplicate', 'A03###### is listed more than once'),
    ]);
  });

  it('requires 32-byte digests with a key id', () => {
    const alert = document((d) => {
      const [first] = d.numberDigests;
      d.numberDigests = [
        { digest: new Uint8Array(20), keyId: 'trafficking-liaison-match-2026-01' },
        { digest: new Uint8Array(32), keyId: '' },
        { digest: new Uint8Array(32), keyId: 'key with spaces' },
        first!,
        first!,
      ];
    });
    expect(validateAlert(alert)).toEqual([
      v('document.numberDigests[0].digest', 'invalid_length', 'an HMAC-SHA256 digest has 32 bytes, not 20'),
      v('document.numberDigests[1].keyId', 'required', 'the id of the matching key is required'),
      v(
        'document.numberDigests[2].keyId',
        'invalid_format',
        '"key with spaces" is not a key id (A-Z a-z 0-9 . _ : -)',
      ),
      v('document.numberDigests[4]', 'duplicate', 'the same digest is listed more than once'),
    ]);
  });

  it('requires at least one complete detection', () => {
    expect(validateAlert(document((d) => void (d.detections = [])))).toEqual([
      v('document.detections', 'required', 'at least one detection is required'),
    ]);
    const alert = document((d) => {
      d.detections = [
        { country: 'CR', place: 'Peñas Blancas', point: 0, detectedAt: undefined, quantity: 0 },
      ];
    });
    expect(validateAlert(alert)).toEqual([
      v('document.detections[0].point', 'unspecified_enum', 'a value of DetectionPoint is required'),
      v('document.detections[0].detectedAt', 'required', 'a timestamp is required'),
      v('document.detections[0].quantity', 'out_of_range', 'must be a whole number from 1 to 1000000'),
    ]);
  });
});

describe('network rules', () => {
  it('requires entities with distinct pseudonyms and roles', () => {
    expect(validateAlert(network((n) => void (n.entities = [])))).toContainEqual(
      v('network.entities', 'required', 'at least one entity is required'),
    );
    const alert = network((n) => {
      n.entities.push({ pseudonym: 'E2', roles: [], countries: ['GT', 'GT'] });
      n.entities.push({ pseudonym: 'Juan 12345678', roles: [EntityRole.ENTITY_ROLE_GUIDE], countries: [] });
    });
    expect(validateAlert(alert)).toEqual([
      v('network.entities[5].pseudonym', 'duplicate', 'pseudonym "E2" is used by another entity'),
      v('network.entities[5].roles', 'required', 'at least one role is required'),
      v('network.entities[5].countries[1]', 'duplicate', 'GT is listed more than once'),
      v(
        'network.entities[6].pseudonym',
        'invalid_format',
        'looks like an identifier (six or more digits): use a pseudonym',
      ),
    ]);
  });

  it('links only entities of the alert, never one to itself or twice', () => {
    const alert = network((n) => {
      n.links = [
        { from: 'El Contador', to: 'E9', relation: LinkRelation.LINK_RELATION_PAYS },
        { from: 'E2', to: 'E2', relation: LinkRelation.LINK_RELATION_DIRECTS },
        { from: 'E3', to: 'E2', relation: LinkRelation.LINK_RELATION_UNSPECIFIED },
        { from: 'E3', to: 'E2', relation: LinkRelation.LINK_RELATION_UNSPECIFIED },
      ];
    });
    expect(validateAlert(alert)).toEqual([
      v('network.links[0].to', 'unknown_entity', 'no entity has the pseudonym "E9"'),
      v('network.links[1].to', 'self_reference', 'a link joins two different entities'),
      v('network.links[2].relation', 'unspecified_enum', 'a value of LinkRelation is required'),
      v('network.links[3].relation', 'unspecified_enum', 'a value of LinkRelation is required'),
      v('network.links[3]', 'duplicate', 'the same link is listed more than once'),
    ]);
  });

  it('requires countries of operation and checks financial indicators', () => {
    const alert = network((n) => {
      n.countriesOfOperation = [];
      n.modusOperandi = 'm'.repeat(4001);
      const fin = n.financial!;
      fin.corridors[0] = { ...fin.corridors[0]!, toCountry: 'XK', channel: 0 };
      fin.accounts[0] = { ...fin.accounts[0]!, holderPseudonym: 'Nadie' };
      fin.accounts[1] = { ...fin.accounts[1]!, digest: undefined };
      fin.estimatedProceeds = { currency: 'XAU', min: 1n, max: 2n };
    });
    expect(validateAlert(alert)).toEqual([
      v('network.countriesOfOperation', 'required', 'at least one country of operation is required'),
      v('network.modusOperandi', 'too_long', 'at most 4000 characters, not 4001'),
      v(
        'network.financial.corridors[0].toCountry',
        'unknown_country',
        '"XK" is not an ISO 3166-1 alpha-2 country code',
      ),
      v(
        'network.financial.corridors[0].channel',
        'unspecified_enum',
        'a value of PaymentChannel is required',
      ),
      v(
        'network.financial.accounts[0].holderPseudonym',
        'unknown_entity',
        'no entity has the pseudonym "Nadie"',
      ),
      v('network.financial.accounts[1].digest', 'required', 'the keyed digest is required'),
      v(
        'network.financial.estimatedProceeds.currency',
        'unknown_currency',
        '"XAU" is not an ISO 4217 currency code',
      ),
    ]);
  });
});

describe('bodies on their own', () => {
  it('validates a decrypted body with body-relative paths', () => {
    const { body } = route((r) => void (r.waypoints = []));
    if (body === undefined || body.$case === 'encrypted') throw new Error('expected a clear body');
    expect(validateAlertBody({ body, title: '', summary: '' })).toEqual([
      v('route.waypoints', 'too_few_waypoints', 'a route needs at least two waypoints'),
    ]);
    expect(validateAlertBody({ body: undefined, title: '', summary: '' })).toEqual([
      v('body', 'required', 'a route, document or network body is required'),
    ]);
  });

  it('names the kind of each body case', () => {
    expect(alertKindOfBody(demo('route-mx-gt-us.yaml').body)).toBe(AlertKind.ALERT_KIND_ROUTE);
    expect(alertKindOfBody(demo('document-counterfeit-passport.yaml').body)).toBe(
      AlertKind.ALERT_KIND_DOCUMENT,
    );
    expect(alertKindOfBody(demo('network-smuggling-financier.yaml').body)).toBe(AlertKind.ALERT_KIND_NETWORK);
    expect(alertKindOfBody(encrypted(['GT']).body)).toBeUndefined();
    expect(alertKindOfBody(undefined)).toBeUndefined();
  });
});

describe('syntax helpers', () => {
  it('recognises UUIDv7 alert ids', () => {
    expect(isUuidV7(ID)).toBe(true);
    expect(isUuidV7('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(false);
    expect(isUuidV7(ID.toUpperCase())).toBe(false);
    expect(isUuidV7(7)).toBe(false);
  });

  it('recognises network ids', () => {
    for (const id of ['trafficking-liaison', 'consular-protection', 'fiu-exchange', 'net2'])
      expect(isNetworkId(id)).toBe(true);
    for (const id of ['', 'FIU', 'fiu_exchange', 'fiu.exchange', 'fiu-', 'a b', '*', '>'])
      expect(isNetworkId(id)).toBe(false);
  });
});

describe('restricted free text', () => {
  it('refuses a restricted alert whose title or summary is in the clear header', () => {
    const alert = encrypted(['GT']);
    alert.header = { ...header(alert), title: 'Ruta Tapachula – Reynosa', summary: 'Detalle' };
    expect(validateAlert(alert)).toEqual([
      v(
        'header.title',
        'restricted_text_in_clear',
        "a restricted alert carries its title inside the encrypted body (AlertBody.title), where only the recipients read it; the header's must be empty",
      ),
      v(
        'header.summary',
        'restricted_text_in_clear',
        "a restricted alert carries its summary inside the encrypted body (AlertBody.summary), where only the recipients read it; the header's must be empty",
      ),
    ]);
  });

  it('lets a restricted draft carry its title in the header (the origin moves it in)', () => {
    const draft = route((_r, h) => void (h.recipients = ['GT']));
    expect(validateAlert(draft, { draft: true })).toEqual([]);
    const untitled = route((_r, h) => {
      h.recipients = ['GT'];
      h.title = '';
    });
    expect(validateAlert(untitled, { draft: true })).toEqual([
      v('header.title', 'required', 'a title is required'),
    ]);
  });

  it('checks title and summary of a decrypted body, and a retraction that holds only them', () => {
    const { body } = route();
    if (body === undefined || body.$case === 'encrypted') throw new Error('expected a clear body');
    expect(validateAlertBody({ body, title: 'Ruta', summary: 'Resumen' })).toEqual([]);
    expect(validateAlertBody({ body, title: 'x'.repeat(201), summary: '' })).toEqual([
      v('title', 'too_long', 'at most 200 characters, not 201'),
    ]);
    const retraction = { body: undefined, title: 'Retracted: Ruta', summary: 'duplicada' };
    expect(validateAlertBody(retraction, { retraction: true })).toEqual([]);
    expect(validateAlertBody({ ...retraction, body }, { retraction: true })).toEqual([
      v('route', 'conflict', 'the plaintext of a retraction carries only a title and a summary'),
    ]);
  });
});

describe('free text that could identify a person', () => {
  it('refuses a draft naming a victim next to an age, with the field path and what was found', () => {
    const draft = route((_r, h) => {
      h.summary = 'Entre los migrantes viajaba María, 14 años, sin acompañante.';
    });
    const violations = validateAlert(draft, { draft: true });
    expect(violations).toEqual([
      v(
        'header.summary',
        'possible_victim_identifier',
        'may identify a person: a personal name next to an age at characters 29–42. Describe victims only by counts, age bands and vulnerability flags',
      ),
    ]);
    expect(violations[0]!.message).not.toContain('María');
  });

  it('screens every free-text field of every body kind', () => {
    const withRoute = route((r, h) => {
      h.title = 'Ruta con contacto +502 5555 1234';
      h.handling = HandlingCode.HANDLING_CODE_H3;
      h.handlingNote = 'Consultar a enlace.mx@example.org antes de difundir';
      r.waypoints[1]!.place = 'Calle 5 de Mayo 123';
    });
    expect(validateAlert(withRoute, { draft: true }).map((x) => [x.path, x.code])).toEqual([
      ['header.title', 'possible_victim_identifier'],
      ['header.handlingNote', 'possible_victim_identifier'],
      ['route.waypoints[1].place', 'possible_victim_identifier'],
    ]);
    const withDocument = document((d) => {
      d.series = 'Pasaporte G12345678';
      d.detections[0]!.place = 'Rua das Flores, 123';
    });
    expect(validateAlert(withDocument, { draft: true }).map((x) => [x.path, x.code])).toEqual([
      ['document.series', 'possible_victim_identifier'],
      ['document.detections[0].place', 'possible_victim_identifier'],
    ]);
    const withNetwork = network((n) => {
      n.modusOperandi = 'La víctima, nacida el 12/05/2010, fue captada por Facebook.';
      n.entities[1]!.pseudonym = 'reclutador@example.com';
      n.links = n.links.map((l) => (l.to === 'E2' ? { ...l, to: 'reclutador@example.com' } : l));
    });
    expect(validateAlert(withNetwork, { draft: true }).map((x) => [x.path, x.code])).toEqual([
      ['network.entities[1].pseudonym', 'possible_victim_identifier'],
      ['network.modusOperandi', 'possible_victim_identifier'],
    ]);
    const message = validateAlert(withNetwork, { draft: true })[0]!.message;
    expect(message).toContain('an e-mail address');
    expect(message).not.toContain('reclutador@');
  });

  it('advises keyed digests for numbers, and reports through alertFromJson as ERR_ALERT_INVALID', () => {
    const json = parse(readFileSync(join(root, 'seeds/demo/document-counterfeit-passport.yaml'), 'utf8'));
    json.header.summary = 'Portador del pasaporte A01234567.';
    let error: unknown;
    try {
      alertFromJson(json, { draft: true, validate: true });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AlertValidationError);
    expect((error as AlertValidationError).code).toBe('ERR_ALERT_INVALID');
    const violation = (error as AlertValidationError).violations[0]!;
    expect(violation.path).toBe('header.summary');
    expect(violation.code).toBe('possible_victim_identifier');
    expect(violation.message).toContain('a document or account number');
    expect(violation.message).toContain('keyed digests');
  });

  it('screens drafts, not alerts as received, unless asked', () => {
    const issued = route((_r, h) => void (h.summary = 'Kevin, 12 years old'));
    expect(validateAlert(issued)).toEqual([]);
    expect(validateAlert(issued, { screenFreeText: true }).map((x) => x.code)).toEqual([
      'possible_victim_identifier',
    ]);
    expect(validateAlert(issued, { draft: true, screenFreeText: false })).toEqual([]);
  });

  it('passes the demo drafts in seeds/demo', () => {
    for (const file of [
      'route-mx-gt-us.yaml',
      'document-counterfeit-passport.yaml',
      'network-smuggling-financier.yaml',
    ])
      expect(validateAlert(demo(file), { draft: true })).toEqual([]);
  });
});
