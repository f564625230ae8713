/** Networks and their mandates: read by any token holder; seeds create them. */
import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';

import { Authenticated } from '../auth/access.decorator.js';
import type { NetworkRecord } from '../domain/model.js';
import type { RegistryService } from '../domain/service.js';
import type { List } from '../http/api-doc.decorator.js';
import { ApiDoc, listOf, ref } from '../http/api-doc.decorator.js';
import { REGISTRY_SERVICE } from '../http/tokens.js';

@ApiTags('networks')
@Controller('v1/networks')
export class NetworksController {
  constructor(@Inject(REGISTRY_SERVICE) private readonly service: RegistryService) {}

  @Get()
  @Authenticated()
  @ApiDoc({ summary: 'The networks and their mandates', response: listOf('Network') })
  list(): List<NetworkRecord> {
    return { revision: this.service.revision(), items: this.service.listNetworks() };
  }

  @Get(':id')
  @Authenticated()
  @ApiParam({ name: 'id', example: 'trafficking-liaison' })
  @ApiDoc({ summary: 'One network', response: ref('Network'), errors: [404] })
  get(@Param('id') id: string): NetworkRecord {
    return this.service.getNetwork(id);
  }
}
