import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  encryptForRecipients,
  generateEncryptionKey,
  generateMatchingKey,
  keyedDigest,
} from '@enlace/crypto';
import { alertBodyFromJson, alertFromJson, encodeAlertBody } from '@enlace/schema';
import type { Alert, AlertBody } from '@enlace/schema';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';

import { FeedError } from '../errors.js';
import { numberPatternRegex, toStixBundle } from './stix-export.js';
import type { StixSource } from './stix-export.js';
import type {
  StixBundle,
  StixIndicator,
  StixLocation,
  StixObject,
  StixReport,
  StixStatementMarkingDefinition,
} from './stix-objects.js';

// ---- the official STIX 2.1 JSON schemas, read in place ----------------------------------------

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = resolve(HERE, '../../../..');
const SCHEMA_ENV = process.env['ENLACE_STIX_SCHEMAS'];
const DEFAULT_SCHEMA_DIRS = [
  ...new Set([
    join(REPO, '..', 'shared', 'data', 'stix2-json-schemas', 'schemas'),
    '/work/shared/data/stix2-json-schemas/schemas',
  ]),
];
// An explicit ENLACE_STIX_SCHEMAS is the only place looked at: a wrong setting fails, never falls back.
const SCHEMA_CANDIDATES = SCHEMA_ENV !== undefined && SCHEMA_ENV !== '' ? [SCHEMA_ENV] : DEFAULT_SCHEMA_DIRS;

function findSchemaDir(): string {
  const found = SCHEMA_CANDIDATES.find((dir) => existsSync(join(dir, 'common', 'bundle.json')));
  if (found === undefined) {
    throw new Error(
      'The STIX 2.1 JSON schemas (oasis-open/cti-stix2-json-schemas, directory "schemas", draft 2020-12) ' +
        `were not found. Put them at ${DEFAULT_SCHEMA_DIRS.join(' or ')}, ` +
        'or set ENLACE_STIX_SCHEMAS to their directory ' +
        `(looked in: ${SCHEMA_CANDIDATES.join(', ')}).`,
    );
  }
  return found;
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsonFiles(path);
    return name.endsWith('.json') ? [path] : [];
  });
}

const SCHEMA_BASE = 'http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/';

interface StixValidator {
  /** Validates one object against the schema of its type; the error text, or undefined. */
  object(value: unknown): string | undefined;
  /** Validates a bundle against common/bundle.json; the error text, or undefined. */
  bundle(value: unknown): string | undefined;
  /** The instance paths (e.g. "/objects/5") where common/bundle.json rejects a bundle. */
  bundleErrorPaths(value: unknown): string[];
  /** The object types that common/bundle.json lists by their own schema. */
  readonly bundleTypes: ReadonlySet<string>;
}

function createStixValidator(): StixValidator {
  const dir = findSchemaDir();
  // The schemas use `definitions` and other keywords unknown to draft 2020-12 (not strict), and
  // regular expressions such as `\-?$` that are invalid with the `u` flag (ECMAScript syntax).
  const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false });
  const addFormats = addFormatsModule as unknown as (instance: Ajv2020) => Ajv2020;
  addFormats(ajv);
  for (const file of jsonFiles(dir)) ajv.addSchema(JSON.parse(readFileSync(file, 'utf8')) as object);
  const compiled = new Map<string, ValidateFunction>();
  const get = (path: string): ValidateFunction => {
    let validate = compiled.get(path);
    if (validate === undefined) {
      validate = ajv.getSchema(SCHEMA_BASE + path);
      if (validate === undefined) throw new Error(`no schema ${path} in ${dir}`);
      compiled.set(path, validate);
    }
    return validate;
  };
  const run = (validate: ValidateFunction, value: unknown): string | undefined =>
    validate(value) ? undefined : ajv.errorsText(validate.errors, { separator: '\n' });
  return {
    object(value) {
      const type = (value as { type?: unknown }).type;
      if (typeof type !== 'string') return 'no type';
      return run(get(schemaPathOf(type)), value);
    },
    bundle(value) {
      return run(get('common/bundle.json'), value);
    },
    bundleErrorPaths(value) {
      const validate = get('common/bundle.json');
      return validate(value) ? [] : (validate.errors ?? []).map((error) => error.instancePath);
    },
    bundleTypes: new Set(
      [
        ...readFileSync(join(dir, 'common', 'bundle.json'), 'utf8').matchAll(
          /"\.\.\/[a-z]+\/([a-z0-9-]+)\.json"/g,
        ),
      ].map((match) => match[1] ?? ''),
    ),
  };
}

function schemaPathOf(type: string): string {
  if (type === 'relationship' || type === 'sighting') return `sros/${type}.json`;
  if (type === 'marking-definition' || type === 'bundle') return `common/${type}.json`;
  return `sdos/${type}.json`;
}

// ---- the official TLP 2.0 marking definitions (oasis-open/cti-stix-common-objects) -------------

const TLP2 = 'extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d';
const published = (id: string, name: string, level: string): object => ({
  type: 'marking-definition',
  spec_version: '2.1',
  id: `marking-definition--${id}`,
  created: '2022-10-01T00:00:00.000Z',
  name,
  extensions: { [TLP2]: { extension_type: 'property-extension', tlp_2_0: level } },
});
const OFFICIAL_TLP = {
  clear: published('94868c89-83c2-464b-929b-a1a8aa3c8487', 'TLP:CLEAR', 'clear'),
  green: published('bab4a63c-aed9-4cf5-a766-dfca5abac2bb', 'TLP:GREEN', 'green'),
  amber: published('55d920b0-5e8b-4f79-9ee9-91f868d9b421', 'TLP:AMBER', 'amber'),
  amberStrict: published('939a9414-2ddd-4d32-a0cd-375ea402b003', 'TLP:AMBER+STRICT', 'amber+strict'),
  red: published('e828b379-4e03-4974-9ac4-e53a884c97c1', 'TLP:RED', 'red'),
};
const TLP_ID = {
  clear: 'marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487',
  green: 'marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb',
  amber: 'marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421',
  amberStrict: 'marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003',
  red: 'marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1',
};

// ---- alerts, after seeds/demo ------------------------------------------------------------------

const ROUTE_ID = '019a9f10-2a00-7b11-8a01-000000000001';
const DOCUMENT_ID = '019a9f10-2a00-7b11-8a01-000000000002';
const NETWORK_ID = '019a9f10-2a00-7b11-8a01-000000000003';
const RESTRICTED_ID = '019a9f10-2a00-7b11-8a01-000000000004';
const H3_ID = '019a9f10-2a00-7b11-8a01-000000000005';

/** Values that must never appear in an export: numbers behind digests, restricted bodies. */
const CANARY_NUMBER = 'A03987654';
const CANARY_PLACE = 'Casa de seguridad canario 7731';
const H3_NOTE = 'Solo para la UIF destinataria; no compartir con autoridades aduaneras.';

function header(id: string, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    id,
    issuedAt: '2026-11-20T15:04:05.123Z',
    expiresAt: '2027-05-31T23:59:59Z',
    network: 'trafficking-liaison',
    grading: {
      sourceReliability: 'SOURCE_RELIABILITY_B',
      informationCredibility: 'INFORMATION_CREDIBILITY_2',
    },
    language: 'es',
    ...fields,
  };
}

const ROUTE_BODY = {
  waypoints: [
    {
      country: 'GT',
      place: 'Tecún Umán',
      coordinates: { latitude: 14.6747, longitude: -92.1425 },
      crossing: 'CROSSING_TYPE_NONE',
      transportMode: 'TRANSPORT_MODE_BUS',
    },
    {
      country: 'MX',
      place: 'Ciudad Hidalgo (río Suchiate)',
      coordinates: { latitude: 14.6795, longitude: -92.1504 },
      crossing: 'CROSSING_TYPE_INFORMAL',
      transportMode: 'TRANSPORT_MODE_RIVER_RAFT',
    },
    {
      country: 'MX',
      place: 'Tapachula',
      crossing: 'CROSSING_TYPE_NONE',
      transportMode: 'TRANSPORT_MODE_CAR',
    },
    {
      country: 'MX',
      place: 'Reynosa',
      coordinates: { latitude: 26.0922, longitude: -98.2776 },
      crossing: 'CROSSING_TYPE_NONE',
      transportMode: 'TRANSPORT_MODE_TRUCK',
    },
    {
      country: 'US',
      place: "McAllen (río Bravo / Rio Grande) 'north'",
      coordinates: { latitude: 26.1004, longitude: -98.263 },
      crossing: 'CROSSING_TYPE_INFORMAL',
      transportMode: 'TRANSPORT_MODE_ON_FOOT',
    },
    // The same place twice: one location, two positions.
    {
      country: 'MX',
      place: 'Reynosa',
      crossing: 'CROSSING_TYPE_INFORMAL',
      transportMode: 'TRANSPORT_MODE_ON_FOOT',
    },
  ],
  transportModes: ['TRANSPORT_MODE_BUS', 'TRANSPORT_MODE_RIVER_RAFT', 'TRANSPORT_MODE_TRUCK'],
  smugglingFee: { currency: 'USD', min: '7000', max: '12000' },
  firstObserved: '2026-08-04T00:00:00Z',
  lastObserved: '2026-11-02T00:00:00Z',
  estimatedMigrants: 180,
  vulnerability: { unaccompaniedMinors: 14, women: 41, injured: 6 },
  victimGroups: [
    { count: 14, ageBand: 'AGE_BAND_12_TO_17', flags: ['VULNERABILITY_FLAG_UNACCOMPANIED_MINOR'] },
  ],
};

function routeAlert(): Alert {
  return alertFromJson(
    {
      header: header(ROUTE_ID, {
        origin: 'MX',
        kind: 'ALERT_KIND_ROUTE',
        handling: 'HANDLING_CODE_H1',
        tlp: 'TLP_MARKING_AMBER',
        title: 'Ruta Tecún Umán – Reynosa – McAllen en tractocamiones',
        summary:
          'Cruce del río Suchiate en balsas y traslado oculto en tractocamiones por la ruta del Golfo.',
        relatedIds: [NETWORK_ID],
      }),
      route: ROUTE_BODY,
    },
    { validate: { now: new Date('2026-11-21T00:00:00Z') } },
  );
}

function documentAlert(id: string, handling: string, tlp: string, note = ''): Alert {
  const matching = generateMatchingKey('trafficking-liaison', 'trafficking-liaison-match-2026-01');
  const digest = Buffer.from(keyedDigest(matching, 'doc', 'CR', CANARY_NUMBER)).toString('base64');
  return alertFromJson(
    {
      header: header(id, {
        origin: 'CR',
        kind: 'ALERT_KIND_DOCUMENT',
        handling,
        ...(note === '' ? {} : { handlingNote: note }),
        tlp,
        grading: {
          sourceReliability: 'SOURCE_RELIABILITY_A',
          informationCredibility: 'INFORMATION_CREDIBILITY_1',
        },
        title: 'Pasaportes costarricenses falsificados, serie A03',
        summary: 'Falsificaciones completas del pasaporte electrónico costarricense con chip inerte.',
      }),
      document: {
        documentType: 'DOCUMENT_TYPE_PASSPORT',
        issuingCountry: 'CR',
        fraudType: 'FRAUD_TYPE_COUNTERFEIT',
        series: 'Pasaporte electrónico, modelo 2016 (cubierta azul)',
        numberPatterns: ['A03######', 'A04#####?', 'G12*'],
        numberDigests: [{ digest, keyId: 'trafficking-liaison-match-2026-01' }],
        compromisedFeatures: ['SECURITY_FEATURE_CHIP', 'SECURITY_FEATURE_LAMINATE'],
        detections: [
          {
            country: 'CR',
            place: 'Aeropuerto Internacional Juan Santamaría',
            point: 'DETECTION_POINT_AIRPORT',
            detectedAt: '2026-10-14T06:40:00Z',
            quantity: 3,
          },
          {
            country: 'CR',
            place: 'Puesto fronterizo Peñas Blancas',
            point: 'DETECTION_POINT_LAND_BORDER',
            detectedAt: '2026-11-03T15:20:00Z',
            quantity: 2,
          },
        ],
      },
    },
    { validate: { now: new Date('2026-11-21T00:00:00Z') } },
  );
}

function networkAlert(): Alert {
  const digest = (n: number): string => Buffer.alloc(32, n).toString('base64');
  return alertFromJson(
    {
      header: header(NETWORK_ID, {
        origin: 'GT',
        network: 'fiu-exchange',
        kind: 'ALERT_KIND_NETWORK',
        handling: 'HANDLING_CODE_H2',
        // H2 raises TLP:GREEN to TLP:AMBER+STRICT in the export.
        tlp: 'TLP_MARKING_GREEN',
        grading: {
          sourceReliability: 'SOURCE_RELIABILITY_B',
          informationCredibility: 'INFORMATION_CREDIBILITY_6',
        },
        title: 'Red de tráfico con financista: cobros por remesas GT–MX–US',
        summary: 'Estructura que cobra el traslado por adelantado mediante remesas fraccionadas.',
      }),
      network: {
        entities: [
          {
            pseudonym: 'El Contador',
            roles: ['ENTITY_ROLE_FINANCIER', 'ENTITY_ROLE_ORGANISER'],
            countries: ['GT', 'MX'],
          },
          { pseudonym: 'E2', roles: ['ENTITY_ROLE_RECRUITER'], countries: ['GT'] },
          { pseudonym: 'La Güera', roles: ['ENTITY_ROLE_GUIDE'], countries: ['MX', 'US'] },
          { pseudonym: 'E5', roles: ['ENTITY_ROLE_MONEY_MULE'], countries: ['GT'] },
        ],
        links: [
          { from: 'El Contador', to: 'E2', relation: 'LINK_RELATION_DIRECTS' },
          { from: 'El Contador', to: 'La Güera', relation: 'LINK_RELATION_PAYS' },
          { from: 'E5', to: 'El Contador', relation: 'LINK_RELATION_TRANSFERS_MONEY_TO' },
        ],
        countriesOfOperation: ['GT', 'MX', 'US'],
        modusOperandi: 'Los familiares pagan por tramos mediante remesas de montos bajos a varias cuentas.',
        financial: {
          corridors: [
            {
              fromCountry: 'US',
              toCountry: 'GT',
              channel: 'PAYMENT_CHANNEL_MONEY_TRANSFER_OPERATOR',
              amountPerTransfer: { currency: 'USD', min: '300', max: '950' },
            },
          ],
          accounts: [
            {
              digest: { digest: digest(1), keyId: 'fiu-exchange-match-2026-01' },
              country: 'GT',
              type: 'ACCOUNT_TYPE_BANK_ACCOUNT',
              holderPseudonym: 'E5',
            },
            {
              digest: { digest: digest(2), keyId: 'fiu-exchange-match-2026-01' },
              country: 'MX',
              type: 'ACCOUNT_TYPE_MOBILE_WALLET',
            },
          ],
          estimatedProceeds: { currency: 'USD', min: '250000', max: '600000' },
        },
      },
    },
    { validate: { now: new Date('2026-11-21T00:00:00Z') } },
  );
}

/** A restricted route alert to US, its body encrypted, plus that body in clear (for the canary test). */
async function restrictedAlert(): Promise<{ alert: Alert; body: AlertBody; jwe: string }> {
  const body = alertBodyFromJson({
    title: 'Ruta restringida',
    summary: 'Detalles cifrados para el país destinatario.',
    route: {
      ...ROUTE_BODY,
      waypoints: [
        { country: 'GT', place: CANARY_PLACE, crossing: 'CROSSING_TYPE_NONE' },
        { country: 'MX', place: 'Tapachula', crossing: 'CROSSING_TYPE_INFORMAL' },
      ],
    },
  });
  const key = await generateEncryptionKey({ country: 'US', now: new Date('2026-11-01T00:00:00Z') });
  const jwe = await encryptForRecipients(encodeAlertBody(body), [{ kid: key.kid, publicJwk: key.publicJwk }]);
  const alert = alertFromJson(
    {
      header: header(RESTRICTED_ID, {
        origin: 'MX',
        kind: 'ALERT_KIND_ROUTE',
        handling: 'HANDLING_CODE_H0',
        tlp: 'TLP_MARKING_RED',
        recipients: ['US'],
      }),
      encrypted: { jwe },
    },
    { validate: { now: new Date('2026-11-21T00:00:00Z') } },
  );
  return { alert, body, jwe };
}

// ---- helpers -----------------------------------------------------------------------------------

const PRODUCER = { name: 'Unidad de Análisis Financiero (demo)', country: 'PA' };

function byId(bundle: StixBundle): Map<string, StixObject> {
  return new Map(bundle.objects.map((object) => [object.id, object]));
}

function reportOf(bundle: StixBundle, alertId: string): StixReport {
  const report = bundle.objects.find(
    (object): object is StixReport => object.type === 'report' && object.x_enlace_alert_id === alertId,
  );
  if (report === undefined) throw new Error(`no report of ${alertId}`);
  return report;
}

function objectsOf(bundle: StixBundle, alertId: string): StixObject[] {
  const objects = byId(bundle);
  const report = reportOf(bundle, alertId);
  return [report, ...report.object_refs.map((id) => objects.get(id)).filter((o) => o !== undefined)];
}

/** Every identifier an object refers to (`*_ref` and `*_refs` properties). */
function refsOf(object: StixObject): string[] {
  return Object.entries(object).flatMap(([key, value]: [string, unknown]) => {
    if (key.endsWith('_ref') && typeof value === 'string') return [value];
    if (key.endsWith('_refs') && Array.isArray(value)) return value as string[];
    return [];
  });
}

// A comparison of the STIX patterning grammar as the export writes it: object path, = or MATCHES,
// a quoted string literal.
const COMPARISON = String.raw`x-enlace-[a-z-]+:[a-z][a-z0-9_]* (?:=|MATCHES) '(?:[^'\\]|\\.)*'`;
const PATTERN = new RegExp(String.raw`^\[${COMPARISON}(?: AND ${COMPARISON})*\]$`);

// ---- specs -------------------------------------------------------------------------------------

describe('toStixBundle', () => {
  let validator: StixValidator;
  let restricted: Awaited<ReturnType<typeof restrictedAlert>>;
  let sources: StixSource[];
  let bundle: StixBundle;

  beforeAll(async () => {
    restricted = await restrictedAlert();
    sources = [
      { alert: routeAlert(), body: undefined },
      { alert: documentAlert(DOCUMENT_ID, 'HANDLING_CODE_H0', 'TLP_MARKING_GREEN'), body: undefined },
      { alert: networkAlert(), body: undefined },
      { alert: restricted.alert, body: undefined },
      { alert: documentAlert(H3_ID, 'HANDLING_CODE_H3', 'TLP_MARKING_CLEAR', H3_NOTE), body: undefined },
    ];
    bundle = toStixBundle(sources, { producer: PRODUCER });
    // Last: a missing schema directory fails every spec below with where to put it.
    validator = createStixValidator();
  });

  it('finds the official STIX 2.1 JSON schemas outside the repository', () => {
    expect(() => findSchemaDir()).not.toThrow();
  });

  it('emits objects that each validate against the official STIX 2.1 JSON schemas, in a valid bundle', () => {
    expect(bundle.objects.length).toBeGreaterThan(40);
    const failures = bundle.objects
      .map((object) => ({ id: object.id, error: validator.object(object) }))
      .filter(({ error }) => error !== undefined);
    expect(failures).toEqual([]);

    // The official common/bundle.json lists no schema for location (nor grouping, note, opinion,
    // incident), so a location falls into its branch for custom objects, where it matches both
    // core.json and cyber-observable-core.json and the `oneOf` rejects it: an upstream gap, like
    // oasis-open/cti-stix2-json-schemas#133 was for infrastructure. Locations are checked against
    // sdos/location.json above; the bundle schema must reject nothing else.
    const json = JSON.parse(JSON.stringify(bundle)) as StixBundle;
    const unlisted = json.objects.filter((object) => !validator.bundleTypes.has(object.type));
    expect(new Set(unlisted.map((object) => object.type))).toEqual(new Set(['location']));
    const rejected = new Set(
      validator.bundleErrorPaths(json).map((path) => /^\/objects\/\d+/.exec(path)?.[0] ?? path),
    );
    const expectedRejected = new Set(
      json.objects.flatMap((object, i) => (validator.bundleTypes.has(object.type) ? [] : [`/objects/${i}`])),
    );
    expect(rejected).toEqual(expectedRejected);
    const listed = {
      ...json,
      objects: json.objects.filter((object) => validator.bundleTypes.has(object.type)),
    };
    expect(validator.bundle(listed)).toBeUndefined();
  });

  it('has a schema check that rejects broken objects (not vacuous)', () => {
    const indicator = bundle.objects.find((object) => object.type === 'indicator');
    const location = bundle.objects.find(
      (object) => object.type === 'location' && object.latitude !== undefined,
    );
    const report = reportOf(bundle, ROUTE_ID);
    expect(indicator).toBeDefined();
    expect(location).toBeDefined();

    const { pattern_type: _dropped, ...withoutPatternType } = indicator as StixIndicator;
    expect(validator.object(withoutPatternType)).toMatch(/pattern_type/);
    const { longitude: _longitude, ...halfCoordinates } = location as StixLocation;
    expect(validator.object(halfCoordinates)).toBeDefined();
    expect(validator.object({ ...report, created: '2026-11-20T15:04:05Z' })).toMatch(/pattern/);
    expect(validator.object({ ...report, id: 'report--not-a-uuid' })).toMatch(/pattern/);
    expect(validator.object({ ...report, object_refs: [] })).toMatch(/fewer than 1/);
    expect(validator.bundle({ ...bundle, id: 'bundle--019a9f10-2a00-7b11-8a01-000000000001' })).toBeDefined();
  });

  it('includes the official TLP 2.0 marking definitions exactly as published', () => {
    const markings = byId(bundle);
    for (const [level, definition] of Object.entries(OFFICIAL_TLP)) {
      const id = TLP_ID[level as keyof typeof TLP_ID];
      if (markings.has(id)) expect(JSON.parse(JSON.stringify(markings.get(id)))).toEqual(definition);
    }
    // Used here: AMBER (route), GREEN (document), AMBER+STRICT (network), RED (restricted).
    for (const id of [TLP_ID.amber, TLP_ID.green, TLP_ID.amberStrict, TLP_ID.red])
      expect(markings.has(id)).toBe(true);
    expect(markings.has(TLP_ID.clear)).toBe(false);
  });

  it('marks every object of an alert with its TLP (raised by H2/H3) and its handling statement', () => {
    const objects = byId(bundle);
    const expected: [string, string, string][] = [
      [ROUTE_ID, TLP_ID.amber, 'H1'],
      [DOCUMENT_ID, TLP_ID.green, 'H0'],
      [NETWORK_ID, TLP_ID.amberStrict, 'H2'], // TLP:GREEN raised by H2
      [RESTRICTED_ID, TLP_ID.red, 'H0'],
      [H3_ID, TLP_ID.amber, 'H3'], // TLP:CLEAR raised by H3
    ];
    for (const [alertId, tlp, code] of expected) {
      const report = reportOf(bundle, alertId);
      expect(report.x_enlace_handling).toBe(code);
      for (const object of objectsOf(bundle, alertId)) {
        // Identities are shared by alerts and carry no marking; reports list no marking definitions.
        if (object.type === 'identity' || object.type === 'marking-definition') continue;
        expect(object.object_marking_refs, `${alertId} ${object.id}`).toHaveLength(2);
        expect(object.object_marking_refs?.[0]).toBe(tlp);
        const statement = objects.get(
          object.object_marking_refs?.[1] ?? '',
        ) as StixStatementMarkingDefinition;
        expect(statement.definition_type).toBe('statement');
        expect(statement.name).toBe(`Enlace handling code ${code}`);
      }
    }
    const h3 = objects.get(
      reportOf(bundle, H3_ID).object_marking_refs?.[1] ?? '',
    ) as StixStatementMarkingDefinition;
    expect(h3.definition.statement).toContain(H3_NOTE);
    // H0 is one marking definition for every alert of the producer.
    expect(reportOf(bundle, DOCUMENT_ID).object_marking_refs?.[1]).toBe(
      reportOf(bundle, RESTRICTED_ID).object_marking_refs?.[1],
    );
  });

  it('never lowers a TLP: H2 keeps TLP:RED, and each H3 note is its own statement', () => {
    const red = networkAlert();
    const header = { ...(red.header as NonNullable<Alert['header']>), tlp: 5 };
    const exported = toStixBundle([{ alert: { ...red, header }, body: undefined }], { producer: PRODUCER });
    expect(reportOf(exported, NETWORK_ID).object_marking_refs?.[0]).toBe(TLP_ID.red);

    const other = documentAlert(H3_ID, 'HANDLING_CODE_H3', 'TLP_MARKING_CLEAR', 'Otra restricción.');
    const twice = toStixBundle([{ alert: other, body: undefined }], { producer: PRODUCER });
    expect(reportOf(twice, H3_ID).object_marking_refs?.[1]).not.toBe(
      reportOf(bundle, H3_ID).object_marking_refs?.[1],
    );
    const again = toStixBundle([sources[4] as StixSource], { producer: PRODUCER });
    expect(reportOf(again, H3_ID).object_marking_refs?.[1]).toBe(
      reportOf(bundle, H3_ID).object_marking_refs?.[1],
    );
  });

  it('gives the same ids on every export, whatever the order of the alerts', () => {
    const again = toStixBundle(sources, { producer: PRODUCER, now: new Date('2030-01-01T00:00:00Z') });
    expect(again).toEqual(bundle);
    const reversed = toStixBundle([...sources].reverse(), { producer: PRODUCER });
    expect(new Set(reversed.objects.map((object) => object.id))).toEqual(
      new Set(bundle.objects.map((o) => o.id)),
    );
    const alone = toStixBundle([sources[0] as StixSource], { producer: PRODUCER });
    const all = byId(bundle);
    for (const object of alone.objects) expect(all.get(object.id)).toEqual(object);
    // Ids are UUIDv5 (name-based), never random.
    for (const object of bundle.objects) {
      if (object.type === 'marking-definition' && object.created === '2022-10-01T00:00:00.000Z') continue;
      expect(object.id).toMatch(/--[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(new Set(bundle.objects.map((object) => object.id)).size).toBe(bundle.objects.length);
  });

  it('refers only to objects in the bundle: relationships, sightings, reports, creators, markings', () => {
    const ids = new Set<string>(bundle.objects.map((object) => object.id));
    const dangling = bundle.objects.flatMap((object) =>
      refsOf(object)
        .filter((ref) => !ids.has(ref))
        .map((ref) => `${object.id} -> ${ref}`),
    );
    expect(dangling).toEqual([]);
    for (const object of bundle.objects) {
      if (object.type === 'marking-definition' || object.type === 'identity') continue;
      expect(object.created_by_ref).toMatch(/^identity--/);
      expect(object.created).toMatch(/T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
  });

  it('writes each alert as a report: title, summary, issued_at, the Enlace alert id', () => {
    const report = reportOf(bundle, ROUTE_ID);
    expect(report).toMatchObject({
      name: 'Ruta Tecún Umán – Reynosa – McAllen en tractocamiones',
      description:
        'Cruce del río Suchiate en balsas y traslado oculto en tractocamiones por la ruta del Golfo.',
      published: '2026-11-20T15:04:05.123Z',
      created: '2026-11-20T15:04:05.123Z',
      modified: '2026-11-20T15:04:05.123Z',
      lang: 'es',
      confidence: 70,
      x_enlace_grading: 'B2',
      x_enlace_origin: 'MX',
      x_enlace_body_exported: true,
    });
    expect(report.external_references).toEqual([
      { source_name: 'enlace', external_id: ROUTE_ID, description: 'Enlace route alert' },
      { source_name: 'enlace', external_id: NETWORK_ID, description: 'related Enlace alert' },
    ]);
    const creator = byId(bundle).get(report.created_by_ref ?? '');
    expect(creator).toMatchObject({
      type: 'identity',
      identity_class: 'organization',
      sectors: ['government'],
    });
    expect(creator).toMatchObject({ name: 'Enlace national focal point, Mexico (MX)' });
    expect(bundle.objects).toContainEqual(
      expect.objectContaining({ type: 'identity', name: PRODUCER.name, identity_class: 'organization' }),
    );
    // Only title and summary are in the alert's language; generated texts are in English.
    expect(
      bundle.objects.filter((object) => 'lang' in object).every((object) => object.type === 'report'),
    ).toBe(true);
    // Credibility 6 (truth cannot be judged) leaves confidence out.
    expect(reportOf(bundle, NETWORK_ID).confidence).toBeUndefined();
  });

  it('maps a route to one location per distinct place and an infrastructure located at each', () => {
    const objects = objectsOf(bundle, ROUTE_ID);
    const locations = objects.filter((object): object is StixLocation => object.type === 'location');
    expect(locations.map((location) => location.name)).toEqual([
      'Tecún Umán',
      'Ciudad Hidalgo (río Suchiate)',
      'Tapachula',
      'Reynosa',
      "McAllen (río Bravo / Rio Grande) 'north'",
    ]);
    expect(locations[0]).toMatchObject({ country: 'GT', latitude: 14.6747, longitude: -92.1425 });
    expect(locations[2]).not.toHaveProperty('latitude');
    const route = objects.find((object) => object.type === 'infrastructure');
    expect(route).toMatchObject({
      infrastructure_types: ['smuggling-route'],
      first_seen: '2026-08-04T00:00:00.000Z',
      last_seen: '2026-11-02T00:00:00.000Z',
    });
    const located = objects.filter((object) => object.type === 'relationship');
    expect(located).toHaveLength(5);
    for (const relationship of located) {
      expect(relationship).toMatchObject({ relationship_type: 'located-at', source_ref: route?.id });
    }
    expect(located.find((r) => r.target_ref === locations[3]?.id)?.description).toBe(
      'Waypoint 4, 6 of 6 on the route.',
    );
  });

  it('maps document patterns to STIX indicators with x-enlace- observables, valid from issue to expiry', () => {
    const indicators = objectsOf(bundle, DOCUMENT_ID).filter(
      (object): object is StixIndicator => object.type === 'indicator',
    );
    expect(indicators.map((indicator) => indicator.pattern)).toEqual([
      "[x-enlace-travel-document:number MATCHES '^A03[0-9]{6}$' AND x-enlace-travel-document:issuing_country = 'CR' AND x-enlace-travel-document:document_type = 'passport']",
      "[x-enlace-travel-document:number MATCHES '^A04[0-9]{5}[A-Z0-9]$' AND x-enlace-travel-document:issuing_country = 'CR' AND x-enlace-travel-document:document_type = 'passport']",
      "[x-enlace-travel-document:number MATCHES '^G12[A-Z0-9]*$' AND x-enlace-travel-document:issuing_country = 'CR' AND x-enlace-travel-document:document_type = 'passport']",
      expect.stringMatching(
        /^\[x-enlace-keyed-digest:identifier_kind = 'doc' AND x-enlace-keyed-digest:country = 'CR' AND x-enlace-keyed-digest:key_id = 'trafficking-liaison-match-2026-01' AND x-enlace-keyed-digest:hmac_sha256 = '[0-9a-f]{64}'\]$/,
      ),
    ]);
    for (const indicator of indicators) {
      expect(indicator).toMatchObject({
        pattern_type: 'stix',
        valid_from: '2026-11-20T15:04:05.123Z',
        valid_until: '2027-05-31T23:59:59.000Z',
      });
    }
    const sightings = objectsOf(bundle, DOCUMENT_ID).filter((object) => object.type === 'sighting');
    expect(sightings).toHaveLength(6); // 3 patterns x 2 detections
    expect(sightings[0]).toMatchObject({
      count: 3,
      first_seen: '2026-10-14T06:40:00.000Z',
      sighting_of_ref: indicators[0]?.id,
    });
  });

  it('writes patterns of the STIX patterning grammar whose regular expressions match the document numbers', () => {
    const patterns = bundle.objects.flatMap((object) =>
      object.type === 'indicator' ? [object.pattern] : [],
    );
    expect(patterns.length).toBeGreaterThan(0);
    for (const pattern of patterns) expect(pattern).toMatch(PATTERN);
    const a03 = new RegExp(numberPatternRegex('A03######'));
    expect(a03.test('A03123456')).toBe(true);
    expect(a03.test('A0312345')).toBe(false);
    expect(a03.test('A031234567')).toBe(false);
    expect(numberPatternRegex('A04#####?')).toBe('^A04[0-9]{5}[A-Z0-9]$');
    expect(numberPatternRegex('G12*')).toBe('^G12[A-Z0-9]*$');
    expect(numberPatternRegex('?#?')).toBe('^[A-Z0-9][0-9][A-Z0-9]$');
  });

  it('maps a network to threat actors under pseudonyms, their links, countries and account digests', () => {
    const objects = objectsOf(bundle, NETWORK_ID);
    const actors = objects.filter((object) => object.type === 'threat-actor');
    expect(actors.map((actor) => actor.name)).toEqual([
      `Criminal network reported by GT (Enlace alert ${NETWORK_ID})`,
      `El Contador (Enlace alert ${NETWORK_ID})`,
      `E2 (Enlace alert ${NETWORK_ID})`,
      `La Güera (Enlace alert ${NETWORK_ID})`,
      `E5 (Enlace alert ${NETWORK_ID})`,
    ]);
    expect(actors[0]).toMatchObject({ threat_actor_types: ['crime-syndicate'] });
    expect(actors[1]).toMatchObject({
      threat_actor_types: ['criminal'],
      roles: ['sponsor', 'director'],
      x_enlace_roles: ['financier', 'organiser'],
    });
    expect(actors[3]).toMatchObject({ roles: ['infrastructure-operator'], x_enlace_roles: ['guide'] });
    expect(actors[4]).toMatchObject({ roles: ['agent'], x_enlace_roles: ['money-mule'] });
    const relationships = objects.filter((object) => object.type === 'relationship');
    const links = relationships.filter(
      (r) => r.x_enlace_relation !== undefined && r.x_enlace_relation !== 'member-of',
    );
    expect(links.map((link) => [link.description, link.relationship_type])).toEqual([
      ['El Contador directs E2.', 'related-to'],
      ['El Contador pays La Güera.', 'related-to'],
      ['E5 transfers money to El Contador.', 'related-to'],
    ]);
    expect(relationships.filter((r) => r.x_enlace_relation === 'member-of')).toHaveLength(4);
    const countries = objects.filter((object): object is StixLocation => object.type === 'location');
    expect(countries.map((location) => location.country).sort()).toEqual(['GT', 'MX', 'US']);
    const indicates = relationships.filter((r) => r.relationship_type === 'indicates');
    expect(indicates.map((r) => r.target_ref)).toEqual([actors[4]?.id, actors[0]?.id]);
  });

  it('exports only the header of a restricted alert whose body it cannot read', () => {
    const report = reportOf(bundle, RESTRICTED_ID);
    expect(report.x_enlace_body_exported).toBe(false);
    expect(report.x_enlace_recipients).toEqual(['US']);
    expect(report.object_refs).toEqual([report.created_by_ref]);
  });

  it('exports the body of a restricted alert given in clear for a recipient only (evaluateRead)', () => {
    const source = { alert: restricted.alert, body: restricted.body.body };
    const opened = toStixBundle([source], { producer: { ...PRODUCER, country: 'US' } });
    expect(reportOf(opened, RESTRICTED_ID).x_enlace_body_exported).toBe(true);
    expect(JSON.stringify(opened)).toContain(CANARY_PLACE);
    // PA is not a recipient: its export holds the header alone, even with the body at hand.
    const closed = toStixBundle([source], { producer: PRODUCER });
    expect(reportOf(closed, RESTRICTED_ID).x_enlace_body_exported).toBe(false);
    expect(JSON.stringify(closed)).not.toContain(CANARY_PLACE);
  });

  it('leaves out H2 and H3 alerts of an export made for the process, and restricted bodies', () => {
    const forAdministrator = toStixBundle(
      [
        ...sources.filter((s) => s.alert !== restricted.alert),
        { alert: restricted.alert, body: restricted.body.body },
      ],
      { producer: PRODUCER, reader: { role: 'administrator' } },
    );
    const reports = forAdministrator.objects.filter((o): o is StixReport => o.type === 'report');
    // The H2 network alert and the H3 document alert go to no one but their holder and origin.
    expect(reports.map((r) => [r.x_enlace_alert_id, r.x_enlace_body_exported]).sort()).toEqual(
      [
        [ROUTE_ID, true],
        [DOCUMENT_ID, true],
        [RESTRICTED_ID, false],
      ].sort(),
    );
    expect(JSON.stringify(forAdministrator)).not.toContain(CANARY_PLACE);
  });

  it('needs the country the export is made for', () => {
    expect(() => toStixBundle(sources, { producer: { name: 'no country' } })).toThrow(
      expect.objectContaining({ code: 'ERR_VALIDATION' }),
    );
  });

  it('never contains a number behind a digest, a restricted body or its ciphertext', () => {
    const text = JSON.stringify(bundle);
    const ciphertext = (JSON.parse(restricted.jwe) as { ciphertext: string }).ciphertext;
    for (const forbidden of [CANARY_NUMBER, `doc:CR:${CANARY_NUMBER}`, CANARY_PLACE, ciphertext]) {
      expect(text).not.toContain(forbidden);
    }
    expect(text).not.toContain('"jwe"');
  });

  it('rejects an alert without a TLP marking with ERR_VALIDATION', () => {
    const alert = routeAlert();
    const broken: Alert = { ...alert, header: { ...(alert.header as NonNullable<Alert['header']>), tlp: 0 } };
    let error: unknown;
    try {
      toStixBundle([{ alert: broken, body: undefined }], { producer: PRODUCER });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(FeedError);
    expect(error).toMatchObject({ code: 'ERR_VALIDATION', message: `alert ${ROUTE_ID} has no TLP marking` });
  });

  it('rejects a body of another kind than the header says', () => {
    const alert = routeAlert();
    const network = networkAlert().body;
    if (network?.$case !== 'network') throw new Error('not a network alert');
    expect(() => toStixBundle([{ alert, body: network }], { producer: PRODUCER })).toThrow(
      expect.objectContaining({
        code: 'ERR_VALIDATION',
        message: `alert ${ROUTE_ID} is a route alert but the body is a network`,
      }),
    );
  });
});
