/**
 * The seed loader: reads seeds/registry/*.yaml (countries, networks, memberships, policy rules,
 * focal points, glossary), validates every entry with field paths that name the file and the
 * index (`countries.yaml: countries[3].names.fr`), checks references across files, and applies
 * what the registry lacks. It never overwrites: an entry the registry holds in another form (an
 * administrative change since) is reported as differing and left alone, so loading twice
 * changes nothing and writes no audit record or event.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import type { PolicySnapshot } from '@enlace/policy';
import { POLICY_SNAPSHOT_FORMAT, validateSnapshot } from '@enlace/policy';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';

import type { FieldViolation } from '../domain/errors.js';
import { RegistryError } from '../domain/errors.js';
import type {
  CommandContext,
  CountryRecord,
  FocalPointRecord,
  GlossaryTerm,
  MembershipRecord,
  NetworkRecord,
  PolicyRule,
} from '../domain/model.js';
import {
  countryRecordSchema,
  focalPointRecordSchema,
  glossaryTermSchema,
  networkSchema,
  ruleSchema,
  seedMembershipSchema,
} from '../domain/schemas.js';
import { violationsOf } from '../domain/validation.js';
import type { Registry } from '../registry.js';
import type { SeedOutcome, SeedRecords } from './seed-import.js';
import { canonicalJson } from './seed-import.js';

/** The registry's seed data, as read from a directory. */
export interface SeedData {
  readonly countries: readonly CountryRecord[];
  readonly networks: readonly NetworkRecord[];
  readonly memberships: readonly MembershipRecord[];
  readonly rules: readonly PolicyRule[];
  readonly focalPoints: readonly FocalPointRecord[];
  readonly glossary: readonly GlossaryTerm[];
}

/** Seed files, the list each holds, and its entries' schema. */
export const SEED_FILES = {
  networks: { file: 'networks.yaml', list: 'networks', schema: networkSchema },
  countries: { file: 'countries.yaml', list: 'countries', schema: countryRecordSchema },
  rules: { file: 'policy.yaml', list: 'rules', schema: ruleSchema },
  memberships: { file: 'memberships.yaml', list: 'memberships', schema: seedMembershipSchema },
  focalPoints: { file: 'focal-points.yaml', list: 'focalPoints', schema: focalPointRecordSchema },
  glossary: { file: 'glossary.yaml', list: 'terms', schema: glossaryTermSchema },
} as const;

type SeedPart = keyof typeof SEED_FILES;

/** Entity names per part, as in audit records and events. */
const ENTITY: { [P in SeedPart]: keyof SeedRecords } = {
  networks: 'network',
  countries: 'country',
  rules: 'rule',
  memberships: 'membership',
  focalPoints: 'focal-point',
  glossary: 'glossary',
};

/** The actor seed changes are recorded under. */
export const SEED_ACTOR = 'seed';

function seedError(violations: readonly FieldViolation[]): RegistryError {
  const lines = violations.slice(0, 10).map((v) => `  ${v.path}: ${v.message}`);
  const more = violations.length > 10 ? `\n  ... and ${violations.length - 10} more` : '';
  const count = violations.length === 1 ? '1 problem' : `${violations.length} problems`;
  return new RegistryError('ERR_SEED_INVALID', `invalid seed data (${count}):\n${lines.join('\n')}${more}`, {
    violations,
  });
}

/** `countries.yaml: countries[3].names.fr` */
function at(file: string, path: string): string {
  return `${file}: ${path}`;
}

/**
 * Parses the seed files' texts (file name → YAML text; absent files hold nothing) into seed data,
 * or throws ERR_SEED_INVALID listing every problem found.
 */
export function parseSeedFiles(
  texts: Readonly<Record<string, string | undefined>>,
  actor = SEED_ACTOR,
): SeedData {
  const violations: FieldViolation[] = [];
  const parts: Record<SeedPart, unknown[]> = {
    networks: [],
    countries: [],
    rules: [],
    memberships: [],
    focalPoints: [],
    glossary: [],
  };
  const present = new Set<SeedPart>();
  for (const part of Object.keys(SEED_FILES) as SeedPart[]) {
    const { file, list, schema } = SEED_FILES[part];
    const text = texts[file];
    if (text === undefined) continue;
    present.add(part);
    let doc: unknown;
    try {
      // YAML 1.2 core schema: timestamps stay strings, as the instants they are.
      doc = parseYaml(text, { schema: 'core', uniqueKeys: true });
    } catch (err) {
      const where =
        err instanceof YAMLParseError && err.linePos !== undefined ? ` (line ${err.linePos[0].line})` : '';
      violations.push({
        path: file,
        code: 'invalid_yaml',
        message: `is not valid YAML${where}: ${(err as Error).message.split('\n')[0] ?? ''}`,
      });
      continue;
    }
    const top = z.strictObject({ [list]: z.array(z.unknown()) }).safeParse(doc ?? {}, { reportInput: true });
    if (!top.success) {
      for (const v of violationsOf(top.error))
        violations.push({ ...v, path: at(file, v.path === '' ? '(document)' : v.path) });
      continue;
    }
    const items = top.data[list] as unknown[];
    items.forEach((item, i) => {
      const result = schema.safeParse(item, { reportInput: true });
      if (result.success) parts[part].push(result.data);
      else {
        for (const v of violationsOf(result.error, `${list}[${i}]`))
          violations.push({ ...v, path: at(file, v.path) });
        parts[part].push(undefined);
      }
    });
  }
  if (violations.length > 0) throw seedError(violations);

  const countries = (parts.countries as CountryRecord[]).map((c) => ({
    ...c,
    statusHistory: c.statusHistory.map((s) => (s.actor === undefined ? { ...s, actor } : s)),
  }));
  const networks = parts.networks as NetworkRecord[];
  const memberships = (parts.memberships as Omit<MembershipRecord, 'id'>[]).map((m): MembershipRecord => ({
    id: `${m.country}.${m.network}.${m.role}.${m.validFrom}`,
    ...m,
  }));
  const rules = parts.rules as PolicyRule[];
  const focalPoints = parts.focalPoints as FocalPointRecord[];
  const glossary = parts.glossary as GlossaryTerm[];

  crossCheck({ countries, networks, memberships, rules, focalPoints, glossary }, present, violations);
  if (violations.length > 0) throw seedError(violations);
  return { countries, networks, memberships, rules, focalPoints, glossary };
}

/** References across files, duplicates, and the policy model's own checks on the whole. */
function crossCheck(data: SeedData, present: ReadonlySet<SeedPart>, violations: FieldViolation[]): void {
  const f = SEED_FILES;
  const countryCodes = new Set(data.countries.map((c) => c.code));
  const networks = new Map(data.networks.map((n) => [n.id, n]));
  const duplicates = <T>(part: SeedPart, items: readonly T[], id: (t: T) => string, field: string) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const key = id(item);
      const first = seen.get(key);
      if (first !== undefined)
        violations.push({
          path: at(f[part].file, `${f[part].list}[${i}]${field === '' ? '' : `.${field}`}`),
          code: 'duplicate',
          message: `${key} is listed twice (also ${f[part].list}[${first}])`,
        });
      else seen.set(key, i);
    });
  };
  duplicates('focalPoints', data.focalPoints, (x) => x.id, 'id');
  duplicates('glossary', data.glossary, (x) => x.id, 'id');
  duplicates('memberships', data.memberships, (x) => x.id, '');

  const checkCountry = (part: SeedPart, path: string, code: string) => {
    if (present.has('countries') && !countryCodes.has(code))
      violations.push({
        path: at(f[part].file, path),
        code: 'unknown_country',
        message: `country ${code} is not in ${f.countries.file}`,
      });
  };
  const checkNetwork = (part: SeedPart, path: string, id: string) => {
    if (present.has('networks') && !networks.has(id)) {
      violations.push({
        path: at(f[part].file, path),
        code: 'unknown_network',
        message: `network ${id} is not in ${f.networks.file}`,
      });
      return false;
    }
    return true;
  };
  data.memberships.forEach((m, i) => {
    checkCountry('memberships', `memberships[${i}].country`, m.country);
    if (checkNetwork('memberships', `memberships[${i}].network`, m.network)) {
      const network = networks.get(m.network);
      if (network !== undefined && !network.roles.includes(m.role))
        violations.push({
          path: at(f.memberships.file, `memberships[${i}].role`),
          code: 'role_not_on_network',
          message: `network ${m.network} has no role ${m.role}`,
        });
    }
  });
  data.rules.forEach((r, i) =>
    r.networks?.forEach((n, j) => checkNetwork('rules', `rules[${i}].networks[${j}]`, n)),
  );
  data.focalPoints.forEach((p, i) => {
    checkCountry('focalPoints', `focalPoints[${i}].country`, p.country);
    p.networks.forEach((n, j) => checkNetwork('focalPoints', `focalPoints[${i}].networks[${j}]`, n));
  });
  if (violations.length > 0) return;

  // The policy model's checks (status transitions, overlapping memberships, rule selectors, ...),
  // when the files it needs are all there. Its paths index the same lists as the files.
  if (!(['countries', 'networks', 'memberships', 'rules'] as const).every((p) => present.has(p))) return;
  const snapshot: PolicySnapshot = {
    format: POLICY_SNAPSHOT_FORMAT,
    revision: 0,
    generatedAt: new Date(0).toISOString(),
    countries: data.countries.map((c) => ({ code: c.code, statusHistory: c.statusHistory })),
    networks: data.networks,
    memberships: data.memberships.map(({ id: _id, endedBy: _e, endReason: _r, ...m }) => m),
    rules: data.rules,
  };
  const fileOf: Record<string, string> = {
    countries: f.countries.file,
    networks: f.networks.file,
    memberships: f.memberships.file,
    rules: f.rules.file,
  };
  for (const p of validateSnapshot(snapshot)) {
    if (p.severity !== 'error') continue;
    const list = /^[a-z]+/.exec(p.path)?.[0] ?? '';
    violations.push({ path: at(fileOf[list] ?? '(seeds)', p.path), code: p.code, message: p.message });
  }
}

/** Reads the seed files of `dir` (absent ones hold nothing) and parses them. */
export async function loadSeeds(dir: string, actor = SEED_ACTOR): Promise<SeedData> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch (cause) {
    throw new RegistryError('ERR_SEED_INVALID', `seed directory ${dir} cannot be read`, {
      cause,
      violations: [{ path: dir, code: 'not_found', message: 'is not a readable directory' }],
    });
  }
  const texts: Record<string, string | undefined> = {};
  for (const { file } of Object.values(SEED_FILES)) {
    try {
      texts[file] = await readFile(join(dir, file), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  if (Object.values(texts).every((t) => t === undefined))
    throw new RegistryError(
      'ERR_SEED_INVALID',
      `no seed files in ${dir} (${Object.values(SEED_FILES)
        .map((s) => s.file)
        .join(', ')})`,
    );
  return parseSeedFiles(texts, actor);
}

/** Counts per part. */
export type SeedCounts = { [P in SeedPart]: number };

/** An entry the registry holds in another form; left as the registry has it. */
export interface SeedDifference {
  readonly entity: keyof SeedRecords;
  readonly id: string;
  /** Top-level fields whose values differ. */
  readonly fields: readonly string[];
}

export interface SeedReport {
  readonly created: SeedCounts;
  readonly unchanged: SeedCounts;
  readonly differing: readonly SeedDifference[];
}

export interface ApplySeedsOptions {
  /** Actor of the audit records (default "seed"). */
  readonly actor?: string;
  /** Called after each entry, for progress output. */
  readonly onProgress?: (entry: { entity: keyof SeedRecords; id: string; outcome: SeedOutcome }) => void;
}

function zeros(): SeedCounts {
  return { networks: 0, countries: 0, rules: 0, memberships: 0, focalPoints: 0, glossary: 0 };
}

function idOf(entity: keyof SeedRecords, record: SeedRecords[keyof SeedRecords]): string {
  return entity === 'country' ? (record as CountryRecord).code : (record as { id: string }).id;
}

/** The current record of a seed entry in the registry, for describing a difference. */
function currentOf(service: Registry, entity: keyof SeedRecords, id: string): unknown {
  const state = service.state();
  switch (entity) {
    case 'country':
      return state.countries.find((c) => c.code === id);
    case 'network':
      return state.networks.find((n) => n.id === id);
    case 'membership':
      return state.memberships.find((m) => m.id === id);
    case 'focal-point':
      return state.focalPoints.find((p) => p.id === id);
    case 'rule':
      return state.rules.find((r) => r.id === id);
    case 'glossary':
      return state.glossary.find((g) => g.id === id);
  }
}

function differingFields(a: unknown, b: unknown): string[] {
  const x = (a ?? {}) as Record<string, unknown>;
  const y = (b ?? {}) as Record<string, unknown>;
  return [...new Set([...Object.keys(x), ...Object.keys(y)])]
    .filter((k) => canonicalJson(x[k]) !== canonicalJson(y[k]))
    .sort();
}

/**
 * Loads the seeds of `dir` and creates, in dependency order, every entry the registry lacks.
 * Throws ERR_SEED_INVALID (nothing applied) when the files are invalid.
 */
export async function applySeeds(
  service: Registry,
  dir: string,
  options: ApplySeedsOptions = {},
): Promise<SeedReport> {
  const actor = options.actor ?? SEED_ACTOR;
  const data = await loadSeeds(dir, actor);
  const ctx: CommandContext = {
    actor: { id: actor, roles: ['administrator'] },
    reason: `seed data from ${SEED_FILES.countries.file} and the other files of the seed directory`,
  };
  const created = zeros();
  const unchanged = zeros();
  const differing: SeedDifference[] = [];
  const order: readonly SeedPart[] = [
    'networks',
    'countries',
    'rules',
    'memberships',
    'focalPoints',
    'glossary',
  ];
  for (const part of order) {
    const entity = ENTITY[part];
    for (const record of data[part] as readonly SeedRecords[keyof SeedRecords][]) {
      const id = idOf(entity, record);
      const outcome = await service.importSeed(entity, record, ctx);
      if (outcome === 'created') created[part]++;
      else if (outcome === 'unchanged') unchanged[part]++;
      else differing.push({ entity, id, fields: differingFields(currentOf(service, entity, id), record) });
      options.onProgress?.({ entity, id, outcome });
    }
  }
  return { created, unchanged, differing };
}
