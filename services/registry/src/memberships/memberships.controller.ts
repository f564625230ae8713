/** Memberships: a country's role on a network for a validity window. */
import { Body, Controller, Get, HttpCode, Inject, Post, Query, Req } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import { MEMBERSHIP_ROLES } from '@enlace/policy';

import { Authenticated, Roles } from '../auth/access.decorator.js';
import type { MembershipRecord } from '../domain/model.js';
import type { RegistryService } from '../domain/service.js';
import { ApiDoc, listOf, ref } from '../http/api-doc.decorator.js';
import { AuditedCommand, bodyField } from '../http/audited-command.decorator.js';
import type { CommandRequestView } from '../http/audited-command.decorator.js';
import type { List } from '../http/api-doc.decorator.js';
import type { RegistryRequest } from '../http/request-context.js';
import { commandContext } from '../http/request-context.js';
import { addMembershipBody, endMembershipBody, membershipsQuery } from '../http/schemas.js';
import { REGISTRY_SERVICE } from '../http/tokens.js';
import { parseBody, parseQuery } from '../http/validation.js';

/** `<country>.<network>.<role>`: the membership a request names, as the core's audit records give it. */
const membershipOf = (req: CommandRequestView): string =>
  ['country', 'network', 'role'].map((name) => bodyField(req, name)).join('.');

@ApiTags('memberships')
@Controller('v1/memberships')
export class MembershipsController {
  constructor(@Inject(REGISTRY_SERVICE) private readonly service: RegistryService) {}

  @Get()
  @Authenticated()
  @ApiQuery({ name: 'country', required: false, example: 'MX' })
  @ApiQuery({ name: 'network', required: false, example: 'trafficking-liaison' })
  @ApiQuery({ name: 'activeAt', required: false, description: 'only memberships valid at this instant' })
  @ApiDoc({ summary: 'Memberships, optionally filtered', response: listOf('Membership'), errors: [400] })
  list(@Query() query: unknown): List<MembershipRecord> {
    const filter = parseQuery(membershipsQuery, query, 'membership query');
    return {
      revision: this.service.revision(),
      items: this.service.listMemberships({
        ...(filter.country !== undefined && { country: filter.country }),
        ...(filter.network !== undefined && { network: filter.network }),
        ...(filter.activeAt !== undefined && { activeAt: filter.activeAt }),
      }),
    };
  }

  @Post()
  @HttpCode(201)
  @Roles('administrator')
  @AuditedCommand({ action: 'membership.add', entity: 'membership', entityId: membershipOf })
  @ApiDoc({
    summary: 'Give a country a role on a network',
    body: 'AddMembershipRequest',
    status: 201,
    response: ref('Membership'),
    errors: [404, 409],
  })
  async add(@Body() body: unknown, @Req() req: RegistryRequest): Promise<MembershipRecord> {
    const input = parseBody(addMembershipBody, body, 'membership');
    return this.service.addMembership(
      {
        country: input.country,
        network: input.network,
        role: input.role,
        ...(input.validFrom !== undefined && { validFrom: input.validFrom }),
        ...(input.validUntil !== undefined && { validUntil: input.validUntil }),
      },
      commandContext(req, input),
    );
  }

  @Post('end')
  @HttpCode(200)
  @Roles('administrator')
  @AuditedCommand({ action: 'membership.remove', entity: 'membership', entityId: membershipOf })
  @ApiDoc({
    summary: "End a country's role on a network",
    description: `Roles: ${MEMBERSHIP_ROLES.join(', ')}. The membership stays in the record with validUntil set.`,
    body: 'EndMembershipRequest',
    response: ref('Membership'),
    errors: [404, 409],
  })
  async end(@Body() body: unknown, @Req() req: RegistryRequest): Promise<MembershipRecord> {
    const input = parseBody(endMembershipBody, body, 'membership end');
    return this.service.removeMembership(
      {
        country: input.country,
        network: input.network,
        role: input.role,
        ...(input.at !== undefined && { at: input.at }),
      },
      commandContext(req, input),
    );
  }
}
