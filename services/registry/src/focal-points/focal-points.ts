/**
 * The focal points aggregate (`focal-point.<id>`): the national units and officers of a country
 * on its networks. Added active with an id derived from the agency unless given; deactivated
 * once, which revokes their tokens by subject in the snapshot.
 */
import { fieldRefusal } from '../domain/errors.js';
import type { CommandContext, FocalPointRecord } from '../domain/model.js';
import { addFocalPointInputSchema } from '../domain/schemas.js';
import type { AddFocalPointInput } from '../domain/service.js';
import { fieldError, parseInput } from '../domain/validation.js';
import type { CommandPipeline } from '../command-pipeline.js';
import { idText, inputField } from '../command-pipeline.js';
import type { RegistryView } from '../registry-view.js';
import { stateKeys } from '../registry-view.js';

export interface FocalPointFilter {
  country?: string;
  network?: string;
  role?: string;
  active?: boolean;
}

export class FocalPoints {
  constructor(
    private readonly view: RegistryView,
    private readonly pipeline: CommandPipeline,
  ) {}

  list(filter: FocalPointFilter = {}): readonly FocalPointRecord[] {
    return this.view
      .state()
      .focalPoints.filter(
        (f) =>
          (filter.country === undefined || f.country === filter.country) &&
          (filter.network === undefined || f.networks.includes(filter.network)) &&
          (filter.role === undefined || f.role === filter.role) &&
          (filter.active === undefined || f.active === filter.active),
      );
  }

  get(id: string): FocalPointRecord {
    const fp = this.view.value<FocalPointRecord>(stateKeys.focalPoint(id));
    if (fp === undefined) throw fieldRefusal('ERR_NOT_FOUND', 'id', `unknown focal point ${id}`);
    return fp;
  }

  add(input: AddFocalPointInput, ctx: CommandContext): Promise<FocalPointRecord> {
    return this.pipeline.run(
      {
        action: 'focal-point.add',
        entity: 'focal-point',
        entityId: idText(inputField(input, 'id') ?? inputField(input, 'country')),
      },
      ctx,
      async () => {
        const i = parseInput(addFocalPointInputSchema, input, 'focal point');
        this.view.requireCountry(i.country);
        i.networks.forEach((n, index) => this.view.requireNetwork(n, `networks[${index}]`));
        const id = i.id ?? this.nextId(i.country, i.agency);
        const record: FocalPointRecord = {
          id,
          kind: i.kind,
          name: i.name,
          agency: i.agency,
          role: i.role,
          country: i.country,
          networks: [...new Set(i.networks)],
          contact: i.contact,
          active: true,
          createdAt: this.view.now(),
        };
        const applied = await this.pipeline.change<FocalPointRecord>(stateKeys.focalPoint(id), (current) => {
          if (current !== undefined)
            throw fieldRefusal('ERR_ALREADY_EXISTS', 'id', `focal point ${id} already exists`);
          return { write: true, value: record, result: record };
        });
        return { ...applied, entityId: id };
      },
    );
  }

  deactivate(id: string, ctx: CommandContext): Promise<FocalPointRecord> {
    return this.pipeline.run(
      { action: 'focal-point.deactivate', entity: 'focal-point', entityId: idText(id), requireReason: true },
      ctx,
      async (c) => {
        if (typeof id !== 'string' || id === '')
          throw fieldError('id', 'required', 'required', 'focal point deactivation');
        const applied = await this.pipeline.change<FocalPointRecord>(stateKeys.focalPoint(id), (current) => {
          const fp = current?.value as FocalPointRecord | undefined;
          if (fp === undefined) throw fieldRefusal('ERR_NOT_FOUND', 'id', `unknown focal point ${id}`);
          if (!fp.active)
            throw fieldRefusal('ERR_INVALID_TRANSITION', 'id', `focal point ${id} is already inactive`);
          const next: FocalPointRecord = {
            ...fp,
            active: false,
            deactivatedAt: this.view.now(),
            ...(c.reason === undefined ? {} : { deactivationReason: c.reason }),
          };
          return { write: true, value: next, result: next };
        });
        return applied;
      },
    );
  }

  /** `<cc>-<agency slug>-<n>`, the first n not taken. */
  private nextId(country: string, agency: string): string {
    const slug =
      agency
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 40)
        .replace(/-+$/, '') || 'unit';
    for (let n = 1; ; n++) {
      const id = `${country.toLowerCase()}-${slug}-${n}`;
      if (this.view.entry(stateKeys.focalPoint(id)) === undefined) return id;
    }
  }
}
