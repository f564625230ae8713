/** Focal points: the people and desks who act for a country on its networks. */
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';

import { Authenticated, Roles } from '../auth/access.decorator.js';
import { FOCAL_POINT_ROLES } from '../domain/model.js';
import type { FocalPointRecord } from '../domain/model.js';
import type { RegistryService } from '../domain/service.js';
import { ApiDoc, listOf, ref } from '../http/api-doc.decorator.js';
import { AuditedCommand, bodyField, pathParam } from '../http/audited-command.decorator.js';
import type { List } from '../http/api-doc.decorator.js';
import type { RegistryRequest } from '../http/request-context.js';
import { commandContext } from '../http/request-context.js';
import { addFocalPointBody, focalPointsQuery, reasonBody } from '../http/schemas.js';
import { REGISTRY_SERVICE } from '../http/tokens.js';
import { parseBody, parseQuery } from '../http/validation.js';

@ApiTags('focal points')
@Controller('v1/focal-points')
export class FocalPointsController {
  constructor(@Inject(REGISTRY_SERVICE) private readonly service: RegistryService) {}

  @Get()
  @Authenticated()
  @ApiQuery({ name: 'country', required: false, example: 'MX' })
  @ApiQuery({ name: 'network', required: false, example: 'trafficking-liaison' })
  @ApiQuery({ name: 'role', required: false, enum: FOCAL_POINT_ROLES })
  @ApiQuery({ name: 'active', required: false, enum: ['true', 'false'] })
  @ApiDoc({ summary: 'The directory of focal points', response: listOf('FocalPoint'), errors: [400] })
  list(@Query() query: unknown): List<FocalPointRecord> {
    const filter = parseQuery(focalPointsQuery, query, 'focal point query');
    return {
      revision: this.service.revision(),
      items: this.service.listFocalPoints({
        ...(filter.country !== undefined && { country: filter.country }),
        ...(filter.network !== undefined && { network: filter.network }),
        ...(filter.role !== undefined && { role: filter.role }),
        ...(filter.active !== undefined && { active: filter.active }),
      }),
    };
  }

  @Get(':id')
  @Authenticated()
  @ApiParam({ name: 'id', example: 'mx-inm-liaison-1' })
  @ApiDoc({ summary: 'One focal point', response: ref('FocalPoint'), errors: [404] })
  get(@Param('id') id: string): FocalPointRecord {
    return this.service.getFocalPoint(id);
  }

  @Post()
  @HttpCode(201)
  @Roles('administrator')
  @AuditedCommand({
    action: 'focal-point.add',
    entity: 'focal-point',
    entityId: (req) => (bodyField(req, 'id') === '?' ? bodyField(req, 'country') : bodyField(req, 'id')),
  })
  @ApiDoc({
    summary: 'Designate a focal point of a country for some of its networks',
    body: 'AddFocalPointRequest',
    status: 201,
    response: ref('FocalPoint'),
    errors: [404, 409],
  })
  async add(@Body() body: unknown, @Req() req: RegistryRequest): Promise<FocalPointRecord> {
    const input = parseBody(addFocalPointBody, body, 'focal point');
    return this.service.addFocalPoint(
      {
        kind: input.kind,
        name: input.name,
        agency: input.agency,
        role: input.role,
        country: input.country,
        networks: input.networks,
        contact: input.contact,
        ...(input.id !== undefined && { id: input.id }),
      },
      commandContext(req, input),
    );
  }

  @Post(':id/deactivate')
  @HttpCode(200)
  @Roles('administrator')
  @AuditedCommand({
    action: 'focal-point.deactivate',
    entity: 'focal-point',
    entityId: (req) => pathParam(req, 'id'),
  })
  @ApiParam({ name: 'id', example: 'mx-inm-liaison-1' })
  @ApiDoc({
    summary: 'Deactivate a focal point (kept in the directory, inactive)',
    body: 'ReasonRequest',
    response: ref('FocalPoint'),
    errors: [404, 409],
  })
  async deactivate(
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: RegistryRequest,
  ): Promise<FocalPointRecord> {
    const input = parseBody(reasonBody, body, 'focal point deactivation');
    return this.service.deactivateFocalPoint(id, commandContext(req, input));
  }
}
