/**
 * Importing one seed record into its aggregate: created unless a record with its id exists,
 * never overwritten. Runs through the command pipeline as `seed.apply`, so a created record is
 * audited and announced like any change.
 */
import type {
  CommandContext,
  CountryRecord,
  FocalPointRecord,
  GlossaryTerm,
  MembershipRecord,
  NetworkRecord,
  PolicyRule,
} from '../domain/model.js';
import type { CommandPipeline } from '../command-pipeline.js';
import type { Policy } from '../policy/policy.js';
import type { RegistryView } from '../registry-view.js';
import { asList, stateKeys } from '../registry-view.js';

/** Outcome of importing one seed record. */
export type SeedOutcome = 'created' | 'unchanged' | 'differing';

/** Seedable entities and the record types they take. */
export interface SeedRecords {
  country: CountryRecord;
  network: NetworkRecord;
  membership: MembershipRecord;
  'focal-point': FocalPointRecord;
  rule: PolicyRule;
  glossary: GlossaryTerm;
}

/** JSON with object keys sorted: equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  );
}

/** Where a seed record goes: its KV key, its id, and whether the key holds a list of them. */
function seedTarget(
  entity: keyof SeedRecords,
  record: SeedRecords[keyof SeedRecords],
): { key: string; id: string; list: boolean } {
  switch (entity) {
    case 'country': {
      const code = (record as CountryRecord).code;
      return { key: stateKeys.country(code), id: code, list: false };
    }
    case 'network': {
      const id = (record as NetworkRecord).id;
      return { key: stateKeys.network(id), id, list: false };
    }
    case 'membership': {
      const m = record as MembershipRecord;
      return { key: stateKeys.memberships(m.country), id: m.id, list: true };
    }
    case 'focal-point': {
      const id = (record as FocalPointRecord).id;
      return { key: stateKeys.focalPoint(id), id, list: false };
    }
    case 'rule':
      return { key: stateKeys.rules, id: (record as PolicyRule).id, list: true };
    case 'glossary': {
      const id = (record as GlossaryTerm).id;
      return { key: stateKeys.glossary(id), id, list: false };
    }
  }
}

export class SeedImport {
  constructor(
    private readonly view: RegistryView,
    private readonly pipeline: CommandPipeline,
    private readonly policy: Policy,
  ) {}

  /**
   * Creates a seed record unless one with its id exists; never overwrites. Returns `created`,
   * `unchanged` (present and equal) or `differing` (present and different: an administrative
   * change the seed must not undo). Only `created` writes, audits (`seed.apply`) and publishes.
   */
  import<E extends keyof SeedRecords>(
    entity: E,
    record: SeedRecords[E],
    ctx: CommandContext,
  ): Promise<SeedOutcome> {
    const { key, id, list } = seedTarget(entity, record);
    return this.pipeline.run({ action: 'seed.apply', entity, entityId: id }, ctx, async () => {
      if (entity === 'membership') this.view.requireCountry((record as MembershipRecord).country);
      const applied = await this.pipeline.change<SeedOutcome>(key, (current) => {
        if (!list) {
          if (current === undefined) {
            this.policy.assertValidWith(key, record, `seed ${entity} ${id}`);
            return { write: true, value: record, result: 'created' };
          }
          return {
            write: false,
            result: canonicalJson(current.value) === canonicalJson(record) ? 'unchanged' : 'differing',
          };
        }
        const items = asList<{ id: string }>(current);
        const existing = items.find((x) => x.id === id);
        if (existing !== undefined)
          return {
            write: false,
            result: canonicalJson(existing) === canonicalJson(record) ? 'unchanged' : 'differing',
          };
        const next = [...items, record];
        this.policy.assertValidWith(key, next, `seed ${entity} ${id}`);
        return { write: true, value: next, result: 'created' };
      });
      return { ...applied, entityId: id, before: undefined, after: record };
    });
  }
}
