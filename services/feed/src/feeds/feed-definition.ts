/**
 * A feed: what an FIU asked for (filters), from when (now, a time, or the beginning: replay) and
 * where to deliver (a sink). Definitions arrive as JSON from the API or the CLI and are checked
 * here in full before anything is created: every bad field is reported with its JSON path and a
 * stable code, against the registry state in force (networks and countries must exist).
 */
import type { AlertKind, HandlingCode } from '@enlace/policy';
import { isCountryCode, isNetworkId } from '@enlace/schema';

import { FeedError } from '../errors.js';
import type { FieldViolation } from '../errors.js';
import { parseSinkDefinition, sinkViolations } from '../sinks/sink-definition.js';
import type { SinkDefinition, SinkPolicy } from '../sinks/sink-definition.js';

export const FEED_KINDS: readonly AlertKind[] = ['route', 'document', 'network'];
export const FEED_HANDLING: readonly HandlingCode[] = ['H0', 'H1', 'H2', 'H3'];

/** Which verified alerts a feed delivers. Empty lists mean "any". */
export interface FeedFilter {
  readonly networks: readonly string[];
  readonly kinds: readonly AlertKind[];
  readonly origins: readonly string[];
  readonly handling: readonly HandlingCode[];
  /**
   * Admiralty grading at least this good, e.g. "B2": source reliability A or B and information
   * credibility 1 or 2.
   */
  readonly minGrading?: string;
  /** Only alerts whose clear body carries financial indicators (network alerts: accounts, corridors, proceeds). */
  readonly financialOnly: boolean;
}

/** `now`, `beginning` (replay all) or an ISO 8601 instant. */
export type FeedStart = string;

export interface FeedDefinition {
  /** `<country in lower case>-<name>`, e.g. `mx-fiu-cases`; also names the durable consumer. */
  readonly id: string;
  readonly name: string;
  /** The FIU's country: whose receive rights the feed has. */
  readonly country: string;
  readonly description: string;
  readonly filter: FeedFilter;
  readonly start: FeedStart;
  readonly sink: SinkDefinition;
  readonly createdAt: string;
  readonly createdBy: string;
  /** Bumped by each replay: the durable consumer is `feed-<id>-<generation>`. */
  readonly generation: number;
}

/** What the registry says exists, to check names against. */
export interface DefinitionContext {
  readonly networks: ReadonlySet<string>;
  readonly countries: ReadonlySet<string>;
  readonly now: Date;
  /** The operator's file root and webhook allow-list (default: none; public https:// webhooks only). */
  readonly sinks?: SinkPolicy;
}

const NAME = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const GRADING = /^[A-F][1-6]$/;
const KEYS = ['name', 'country', 'description', 'filter', 'start', 'sink'];
const FILTER_KEYS = ['networks', 'kinds', 'origins', 'handling', 'minGrading', 'financialOnly'];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function feedId(country: string, name: string): string {
  return `${country.toLowerCase()}-${name}`;
}

/** The consumer a feed reads with, for its current generation. */
export function consumerName(feed: Pick<FeedDefinition, 'id' | 'generation'>): string {
  return `feed-${feed.id}-${feed.generation}`;
}

/** Checks a start value; undefined when valid, else the violation. */
export function startViolation(value: unknown, path: string, now: Date): FieldViolation | undefined {
  if (value === 'now' || value === 'beginning') return undefined;
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(Date.parse(value)))
    return {
      path,
      code: 'invalid_start',
      message: 'must be "now", "beginning" or an ISO 8601 instant such as 2026-11-01T00:00:00Z',
    };
  if (Date.parse(value) > now.getTime() + 60_000)
    return { path, code: 'start_in_future', message: 'must not be in the future' };
  return undefined;
}

function stringList(
  input: Record<string, unknown>,
  key: string,
  check: (value: string) => string | undefined,
  violations: FieldViolation[],
): string[] {
  const value = input[key];
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    violations.push({ path: `filter.${key}`, code: 'invalid_type', message: 'must be a list' });
    return [];
  }
  const out: string[] = [];
  value.forEach((item, index) => {
    const path = `filter.${key}[${index}]`;
    if (typeof item !== 'string') {
      violations.push({ path, code: 'invalid_type', message: 'must be a string' });
      return;
    }
    const problem = check(item);
    if (problem !== undefined)
      violations.push({
        path,
        code: problem.split(':')[0]!,
        message: problem.slice(problem.indexOf(':') + 1).trim(),
      });
    else if (!out.includes(item)) out.push(item);
  });
  return out;
}

/**
 * Parses a feed definition for `owner` (the FIU's country; an administrator names it in the
 * body). Throws FeedError ERR_VALIDATION listing every problem; returns the definition to store.
 */
export function parseFeedDefinition(
  input: unknown,
  owner: { readonly country: string | undefined; readonly actor: string },
  ctx: DefinitionContext,
): FeedDefinition {
  const violations: FieldViolation[] = [];
  if (!isObject(input))
    throw new FeedError('ERR_VALIDATION', 'the feed definition must be a JSON object', {
      violations: [{ path: '', code: 'invalid_type', message: 'must be a JSON object' }],
    });
  for (const key of Object.keys(input))
    if (!KEYS.includes(key))
      violations.push({
        path: key,
        code: 'unknown_field',
        message: `is not a field of a feed (${KEYS.join(', ')})`,
      });

  const name = input.name;
  if (typeof name !== 'string' || !NAME.test(name))
    violations.push({
      path: 'name',
      code: 'invalid_name',
      message: 'must be 1 to 40 lower-case letters, digits or hyphens, e.g. "cases-2026"',
    });

  let country = owner.country;
  if (input.country !== undefined) {
    if (
      typeof input.country !== 'string' ||
      !isCountryCode(input.country) ||
      !ctx.countries.has(input.country)
    )
      violations.push({
        path: 'country',
        code: 'unknown_country',
        message: 'must be a country of the registry',
      });
    else if (owner.country !== undefined && input.country !== owner.country)
      violations.push({
        path: 'country',
        code: 'not_own_country',
        message: `an analyst of ${owner.country} can only create feeds of ${owner.country}`,
      });
    else country = input.country;
  } else if (country === undefined) {
    violations.push({ path: 'country', code: 'required', message: "is required: the FIU's country" });
  }

  const description = input.description ?? '';
  if (typeof description !== 'string' || description.length > 500)
    violations.push({
      path: 'description',
      code: 'invalid',
      message: 'must be text of at most 500 characters',
    });

  const filterInput = input.filter ?? {};
  let filter: FeedFilter = { networks: [], kinds: [], origins: [], handling: [], financialOnly: false };
  if (!isObject(filterInput)) {
    violations.push({ path: 'filter', code: 'invalid_type', message: 'must be an object' });
  } else {
    for (const key of Object.keys(filterInput))
      if (!FILTER_KEYS.includes(key))
        violations.push({
          path: `filter.${key}`,
          code: 'unknown_field',
          message: `is not a filter (${FILTER_KEYS.join(', ')})`,
        });
    const networks = stringList(
      filterInput,
      'networks',
      (v) =>
        !isNetworkId(v) || !ctx.networks.has(v)
          ? `unknown_network: ${JSON.stringify(v)} is not a network of the registry (${[...ctx.networks].join(', ')})`
          : undefined,
      violations,
    );
    const kinds = stringList(
      filterInput,
      'kinds',
      (v) =>
        (FEED_KINDS as readonly string[]).includes(v)
          ? undefined
          : `invalid_kind: must be one of ${FEED_KINDS.join(', ')}`,
      violations,
    ) as AlertKind[];
    const origins = stringList(
      filterInput,
      'origins',
      (v) =>
        isCountryCode(v) && ctx.countries.has(v)
          ? undefined
          : `unknown_country: ${JSON.stringify(v)} is not a country of the registry`,
      violations,
    );
    const handling = stringList(
      filterInput,
      'handling',
      (v) =>
        (FEED_HANDLING as readonly string[]).includes(v)
          ? undefined
          : `invalid_handling: must be one of ${FEED_HANDLING.join(', ')}`,
      violations,
    ) as HandlingCode[];
    const minGrading = filterInput.minGrading;
    if (minGrading !== undefined && (typeof minGrading !== 'string' || !GRADING.test(minGrading)))
      violations.push({
        path: 'filter.minGrading',
        code: 'invalid_grading',
        message: 'must be an Admiralty grading: a letter A-F and a digit 1-6, e.g. "B2"',
      });
    const financialOnly = filterInput.financialOnly ?? false;
    if (typeof financialOnly !== 'boolean')
      violations.push({
        path: 'filter.financialOnly',
        code: 'invalid_type',
        message: 'must be true or false',
      });
    filter = {
      networks,
      kinds,
      origins,
      handling,
      ...(typeof minGrading === 'string' && { minGrading }),
      financialOnly: financialOnly === true,
    };
  }

  const start = input.start ?? 'now';
  const startProblem = startViolation(start, 'start', ctx.now);
  if (startProblem !== undefined) violations.push(startProblem);

  if (input.sink === undefined)
    violations.push({
      path: 'sink',
      code: 'required',
      message: 'is required: where to deliver (file, webhook or nats)',
    });
  else violations.push(...sinkViolations(input.sink, country ?? 'XX', 'sink', ctx.sinks));

  if (violations.length > 0)
    throw new FeedError(
      'ERR_VALIDATION',
      `the feed definition is not valid: ${violations.map((v) => `${v.path || '(body)'}: ${v.message}`).join('; ')}`,
      { violations },
    );
  return {
    id: feedId(country!, name as string),
    name: name as string,
    country: country!,
    description: description as string,
    filter,
    start: start as string,
    sink: parseSinkDefinition(input.sink, country!, 'sink', ctx.sinks),
    createdAt: ctx.now.toISOString(),
    createdBy: owner.actor,
    generation: 1,
  };
}
