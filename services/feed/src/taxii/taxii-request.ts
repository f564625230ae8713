/**
 * What a TAXII 2.1 request asks for (OASIS TAXII 2.1, sections 3.2-3.5): content negotiation of
 * `application/taxii+json;version=2.1`, and the URL parameters of the object, manifest and
 * versions endpoints (`added_after`, `limit`, `next`, `match[id]`, `match[type]`,
 * `match[version]`, `match[spec_version]`). Bad values are ERR_VALIDATION naming the parameter.
 */
import { FeedError } from '../errors.js';
import type { FieldViolation } from '../errors.js';
import { parseMicros } from '../collections/collection-store.js';
import type { ObjectQuery, VersionMatch } from '../collections/collection-store.js';

export const TAXII_MEDIA_TYPE = 'application/taxii+json;version=2.1';
/** Default and largest page (section 3.4: the server chooses; the issue fixes 100 and 1,000). */
export const TAXII_DEFAULT_LIMIT = 100;
export const TAXII_MAX_LIMIT = 1_000;
/** Values one match[...] parameter may list. */
const MAX_MATCH_VALUES = 100;

const STIX_ID = /^[a-z0-9][a-z0-9-]*[a-z0-9]--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STIX_TYPE = /^[a-z0-9][a-z0-9-]{1,248}[a-z0-9]$/;

/**
 * Whether the Accept header admits a TAXII 2.1 answer: `application/taxii+json` with version 2.1
 * or no version (the latest), `application/*` or `*\/*`, not with q=0. No header admits anything.
 */
export function acceptsTaxii(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const [type = '', ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    const values = new Map(
      params.map((p) => {
        const i = p.indexOf('=');
        return i < 0
          ? [p, '']
          : [
              p.slice(0, i).trim(),
              p
                .slice(i + 1)
                .trim()
                .replace(/^"|"$/g, ''),
            ];
      }),
    );
    if (values.has('q') && Number(values.get('q')) === 0) return false;
    if (type === '*/*' || type === 'application/*') return true;
    if (type !== 'application/taxii+json') return false;
    const version = values.get('version');
    return version === undefined || version === '2.1';
  });
}

export function notAcceptable(accept: string | undefined): FeedError {
  return new FeedError(
    'ERR_NOT_ACCEPTABLE',
    `this TAXII server answers only with ${TAXII_MEDIA_TYPE}; the request accepts ${JSON.stringify(accept)}`,
    {
      violations: [
        { path: 'accept', code: 'unsupported_media_type', message: `must admit ${TAXII_MEDIA_TYPE}` },
      ],
    },
  );
}

function listOf(
  query: Record<string, unknown>,
  name: string,
  violations: FieldViolation[],
): string[] | undefined {
  const raw = query[name];
  if (raw === undefined) return undefined;
  const values = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(',')).map((v) => v.trim());
  if (values.length > MAX_MATCH_VALUES || values.some((v) => v === '')) {
    violations.push({
      path: name,
      code: 'invalid_match',
      message: `must list 1 to ${MAX_MATCH_VALUES} comma-separated values`,
    });
    return undefined;
  }
  return [...new Set(values)];
}

/** The match[...] parameters: Express gives them either as `match[id]` keys or as a `match` object. */
function flatten(query: Record<string, unknown>): Record<string, unknown> {
  const match = query['match'];
  if (typeof match !== 'object' || match === null || Array.isArray(match)) return query;
  const flat: Record<string, unknown> = { ...query };
  delete flat['match'];
  for (const [key, value] of Object.entries(match)) flat[`match[${key}]`] = value;
  return flat;
}

export interface TaxiiQueryScope {
  /** The object endpoints take match[id] and match[type]; object-by-id and versions do not. */
  readonly filters: 'all' | 'object' | 'versions';
}

/** Parses the URL parameters of a TAXII object, manifest or versions request. */
export function parseTaxiiQuery(raw: Record<string, unknown>, scope: TaxiiQueryScope): ObjectQuery {
  const query = flatten(raw);
  const violations: FieldViolation[] = [];
  const known = new Set(['added_after', 'limit', 'next', 'match[spec_version]']);
  if (scope.filters !== 'versions') known.add('match[version]');
  if (scope.filters === 'all') {
    known.add('match[id]');
    known.add('match[type]');
  }
  for (const key of Object.keys(query))
    if (!known.has(key))
      violations.push({
        path: key,
        code: 'unknown_parameter',
        message: `is not a parameter of this endpoint (${[...known].join(', ')})`,
      });

  let addedAfter: number | undefined;
  if (query['added_after'] !== undefined) {
    addedAfter = parseMicros(String(query['added_after']));
    if (addedAfter === undefined)
      violations.push({
        path: 'added_after',
        code: 'invalid_timestamp',
        message: 'must be a UTC timestamp such as 2026-12-03T12:00:00.000Z',
      });
  }
  let limit = TAXII_DEFAULT_LIMIT;
  if (query['limit'] !== undefined) {
    limit = Number(query['limit']);
    if (!Number.isInteger(limit) || limit < 1) {
      violations.push({
        path: 'limit',
        code: 'out_of_range',
        message: 'must be a whole number of at least 1',
      });
      limit = TAXII_DEFAULT_LIMIT;
    }
    // Section 3.4: a server may answer fewer than asked; it never answers more than it allows.
    limit = Math.min(limit, TAXII_MAX_LIMIT);
  }
  let after: number | undefined;
  if (query['next'] !== undefined) {
    after = Number(query['next']);
    if (!/^[1-9][0-9]{0,15}$/.test(String(query['next']))) {
      violations.push({
        path: 'next',
        code: 'invalid_next',
        message: 'must be the next value of a previous page',
      });
      after = undefined;
    }
  }
  const ids = listOf(query, 'match[id]', violations);
  if (ids?.some((id) => !STIX_ID.test(id)))
    violations.push({ path: 'match[id]', code: 'invalid_match', message: 'must list STIX ids (type--uuid)' });
  const types = listOf(query, 'match[type]', violations);
  if (types?.some((t) => !STIX_TYPE.test(t)))
    violations.push({ path: 'match[type]', code: 'invalid_match', message: 'must list STIX object types' });
  const specVersions = listOf(query, 'match[spec_version]', violations);
  if (specVersions?.some((v) => !/^\d+\.\d+$/.test(v)))
    violations.push({
      path: 'match[spec_version]',
      code: 'invalid_match',
      message: 'must list versions such as 2.1',
    });

  let versions: VersionMatch = { all: scope.filters === 'versions', first: false, last: true, at: [] };
  const wanted = listOf(query, 'match[version]', violations);
  if (wanted !== undefined) {
    const at: string[] = [];
    for (const value of wanted) {
      if (value === 'all' || value === 'first' || value === 'last') continue;
      const micros = parseMicros(value);
      if (micros === undefined) {
        violations.push({
          path: 'match[version]',
          code: 'invalid_match',
          message: 'must list "first", "last", "all" or STIX timestamps',
        });
        break;
      }
      // Stored versions are STIX timestamps in milliseconds, as the export writes them.
      at.push(new Date(Math.floor(micros / 1000)).toISOString());
    }
    versions = {
      all: wanted.includes('all'),
      first: wanted.includes('first'),
      last: wanted.includes('last'),
      at,
    };
  }
  if (violations.length > 0)
    throw new FeedError('ERR_VALIDATION', violations.map((v) => `${v.path}: ${v.message}`).join('; '), {
      violations,
    });
  return {
    limit,
    versions,
    ...(addedAfter !== undefined && { addedAfter }),
    ...(after !== undefined && { after }),
    ...(ids !== undefined && { ids }),
    ...(types !== undefined && { types }),
    ...(specVersions !== undefined && { specVersions }),
  };
}
