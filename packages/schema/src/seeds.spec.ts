/** The demo drafts in seeds/demo parse strictly and validate as drafts. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { AlertKind } from './gen/enlace/alert/v1/alert.js';
import { alertFromJson, alertToJson } from './json.js';
import { validateAlert } from './validate.js';

const demo = resolve(import.meta.dirname, '../../../seeds/demo');
const files = readdirSync(demo).filter((f) => f.endsWith('.yaml'));
const NETWORKS = ['trafficking-liaison', 'consular-protection', 'fiu-exchange'];

describe('seeds/demo drafts', () => {
  it('has the three demo drafts', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'route-mx-gt-us.yaml',
        'document-counterfeit-passport.yaml',
        'network-smuggling-financier.yaml',
      ]),
    );
  });

  it.each(files)('%s parses strictly and validates in draft mode', (file) => {
    const json: unknown = parse(readFileSync(join(demo, file), 'utf8'));
    const draft = alertFromJson(json, { draft: true, validate: { knownNetworks: NETWORKS } });
    expect(validateAlert(draft, { draft: true, knownNetworks: NETWORKS })).toEqual([]);
    expect(draft.header?.id).toBe('');
    expect(draft.header?.issuedAt).toBeUndefined();
    expect(draft.header?.expiresAt?.getUTCFullYear()).toBe(2027);
    // The JSON written back reads again to the same alert.
    expect(alertFromJson(alertToJson(draft), { draft: true })).toEqual(draft);
  });

  it('covers every body kind', () => {
    const kinds = files.map(
      (file) => alertFromJson(parse(readFileSync(join(demo, file), 'utf8')), { draft: true }).header?.kind,
    );
    expect(new Set(kinds)).toEqual(
      new Set([AlertKind.ALERT_KIND_ROUTE, AlertKind.ALERT_KIND_DOCUMENT, AlertKind.ALERT_KIND_NETWORK]),
    );
  });
});
