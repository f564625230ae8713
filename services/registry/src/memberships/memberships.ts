/**
 * The memberships aggregate (`membership.<CC>`, one list per country): a country's role on a
 * network over a period. Adding checks the country and the network (and its roles); removing
 * ends the membership in force at a given instant, keeping it in the history.
 */
import { fieldRefusal } from '../domain/errors.js';
import type { CommandContext, Instant, MembershipRecord } from '../domain/model.js';
import { addMembershipInputSchema, removeMembershipInputSchema } from '../domain/schemas.js';
import type { AddMembershipInput, RemoveMembershipInput } from '../domain/service.js';
import { fieldError, parseInput } from '../domain/validation.js';
import type { CommandPipeline } from '../command-pipeline.js';
import { idText, inputField } from '../command-pipeline.js';
import { currentStatus } from '../countries/country-status.js';
import type { Policy } from '../policy/policy.js';
import type { RegistryView } from '../registry-view.js';
import { asList, stateKeys } from '../registry-view.js';

/** `<country>.<network>.<role>` of raw input, for audit records of refusals. */
function entityIdOf(input: unknown): string {
  return `${idText(inputField(input, 'country'))}.${idText(inputField(input, 'network'))}.${idText(inputField(input, 'role'))}`;
}

export class Memberships {
  constructor(
    private readonly view: RegistryView,
    private readonly pipeline: CommandPipeline,
    private readonly policy: Policy,
  ) {}

  list(filter: { country?: string; network?: string; activeAt?: Instant } = {}): readonly MembershipRecord[] {
    const at = filter.activeAt === undefined ? undefined : Date.parse(filter.activeAt);
    return this.view
      .state()
      .memberships.filter(
        (m) =>
          (filter.country === undefined || m.country === filter.country) &&
          (filter.network === undefined || m.network === filter.network) &&
          (at === undefined ||
            (Date.parse(m.validFrom) <= at && (m.validUntil === undefined || at < Date.parse(m.validUntil)))),
      );
  }

  add(input: AddMembershipInput, ctx: CommandContext): Promise<MembershipRecord> {
    return this.pipeline.run(
      { action: 'membership.add', entity: 'membership', entityId: entityIdOf(input) },
      ctx,
      async () => {
        const i = parseInput(addMembershipInputSchema, input, 'membership');
        const country = this.view.requireCountry(i.country);
        const network = this.view.requireNetwork(i.network);
        if (currentStatus(country) === 'withdrawn')
          throw fieldRefusal(
            'ERR_INVALID_TRANSITION',
            'country',
            `${i.country} has withdrawn and can hold no membership`,
          );
        if (!network.roles.includes(i.role))
          throw fieldError(
            'role',
            'role_not_on_network',
            `network ${i.network} has no role ${i.role} (it has ${network.roles.join(', ')})`,
            'membership',
          );
        const validFrom = i.validFrom ?? this.view.now();
        const membership: MembershipRecord = {
          id: `${i.country}.${i.network}.${i.role}.${validFrom}`,
          country: i.country,
          network: i.network,
          role: i.role,
          validFrom,
          ...(i.validUntil === undefined ? {} : { validUntil: i.validUntil }),
        };
        const key = stateKeys.memberships(i.country);
        const applied = await this.pipeline.change<MembershipRecord>(key, (current) => {
          const list = asList<MembershipRecord>(current);
          const from = Date.parse(membership.validFrom);
          const until = membership.validUntil === undefined ? Infinity : Date.parse(membership.validUntil);
          const clash = list.find(
            (m) =>
              m.network === membership.network &&
              m.role === membership.role &&
              Date.parse(m.validFrom) < until &&
              from < (m.validUntil === undefined ? Infinity : Date.parse(m.validUntil)),
          );
          if (clash !== undefined)
            throw fieldRefusal(
              'ERR_ALREADY_EXISTS',
              'role',
              `${i.country} already holds ${i.role} on ${i.network} in that period (membership ${clash.id})`,
            );
          const next = [...list, membership];
          this.policy.assertValidWith(key, next, 'membership');
          return { write: true, value: next, result: membership };
        });
        return { ...applied, entityId: membership.id, before: undefined, after: membership };
      },
    );
  }

  remove(input: RemoveMembershipInput, ctx: CommandContext): Promise<MembershipRecord> {
    return this.pipeline.run(
      { action: 'membership.remove', entity: 'membership', entityId: entityIdOf(input), requireReason: true },
      ctx,
      async (c) => {
        const i = parseInput(removeMembershipInputSchema, input, 'membership removal');
        this.view.requireCountry(i.country);
        const at = i.at ?? this.view.now();
        const t = Date.parse(at);
        const key = stateKeys.memberships(i.country);
        let before: MembershipRecord | undefined;
        const applied = await this.pipeline.change<MembershipRecord>(key, (current) => {
          const list = asList<MembershipRecord>(current);
          const index = list.findIndex(
            (m) =>
              m.network === i.network &&
              m.role === i.role &&
              Date.parse(m.validFrom) <= t &&
              (m.validUntil === undefined || t < Date.parse(m.validUntil)),
          );
          const found = list[index];
          if (found === undefined)
            throw fieldRefusal(
              'ERR_NOT_FOUND',
              'role',
              `${i.country} holds no ${i.role} membership on ${i.network} at ${at}`,
            );
          if (Date.parse(found.validFrom) >= t)
            throw fieldError(
              'at',
              'empty_interval',
              `must be later than the membership's start (${found.validFrom})`,
              'membership removal',
            );
          before = found;
          const ended: MembershipRecord = {
            ...found,
            validUntil: at,
            endedBy: c.actor.id,
            ...(c.reason === undefined ? {} : { endReason: c.reason }),
          };
          const next = list.map((m, j) => (j === index ? ended : m));
          this.policy.assertValidWith(key, next, 'membership removal');
          return { write: true, value: next, result: ended };
        });
        return { ...applied, entityId: applied.result.id, before, after: applied.result };
      },
    );
  }
}
