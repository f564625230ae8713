/**
 * The official STIX 2.1 JSON schemas (oasis-open/cti-stix2-json-schemas, directory "schemas"),
 * read in place from ../shared/data or ENLACE_STIX_SCHEMAS, as the feed's STIX export spec reads
 * them: one validator per object type, for suites that check what a service serves.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '../..');
// ajv 8 (draft 2020-12) is the feed service's dev dependency; the root holds an older ajv that
// other tools need, so it is loaded from the feed workspace.
interface ValidateFunction {
  (value: unknown): boolean;
  errors?: unknown;
}
interface Ajv2020Type {
  addSchema(schema: object): unknown;
  getSchema(id: string): ValidateFunction | undefined;
  errorsText(errors: unknown, options: { separator: string }): string;
}
const feedRequire = createRequire(join(REPO, 'services', 'feed', 'package.json'));
const { Ajv2020 } = feedRequire('ajv/dist/2020.js') as {
  Ajv2020: new (options: Record<string, unknown>) => Ajv2020Type;
};
const addFormats = feedRequire('ajv-formats') as { default: (ajv: Ajv2020Type) => Ajv2020Type };
const SCHEMA_BASE = 'http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/schemas/';

function schemaDir(): string {
  const env = process.env['ENLACE_STIX_SCHEMAS'];
  const candidates =
    env !== undefined && env !== ''
      ? [env]
      : [
          join(REPO, '..', 'shared', 'data', 'stix2-json-schemas', 'schemas'),
          '/work/shared/data/stix2-json-schemas/schemas',
        ];
  const found = candidates.find((dir) => existsSync(join(dir, 'common', 'bundle.json')));
  if (found === undefined)
    throw new Error(
      `the STIX 2.1 JSON schemas were not found (looked in ${candidates.join(', ')}; set ENLACE_STIX_SCHEMAS)`,
    );
  return found;
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return jsonFiles(path);
    return name.endsWith('.json') ? [path] : [];
  });
}

function schemaPathOf(type: string): string {
  if (type === 'relationship' || type === 'sighting') return `sros/${type}.json`;
  if (type === 'marking-definition' || type === 'bundle') return `common/${type}.json`;
  return `sdos/${type}.json`;
}

/** Validates one STIX object against the schema of its type: the error text, or undefined. */
export function createStixObjectValidator(): (value: unknown) => string | undefined {
  const dir = schemaDir();
  // The schemas use keywords unknown to draft 2020-12 (not strict) and regular expressions that
  // are invalid with the `u` flag.
  const ajv = new Ajv2020({ strict: false, allErrors: true, unicodeRegExp: false });
  addFormats.default(ajv);
  for (const file of jsonFiles(dir)) ajv.addSchema(JSON.parse(readFileSync(file, 'utf8')) as object);
  const compiled = new Map<string, ValidateFunction>();
  return (value) => {
    const type = (value as { type?: unknown }).type;
    if (typeof type !== 'string') return 'no type';
    const path = schemaPathOf(type);
    let validate = compiled.get(path);
    if (validate === undefined) {
      validate = ajv.getSchema(SCHEMA_BASE + path);
      if (validate === undefined) return `no schema ${path} in ${dir}`;
      compiled.set(path, validate);
    }
    return validate(value) ? undefined : ajv.errorsText(validate.errors, { separator: '\n' });
  };
}
