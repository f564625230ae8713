/**
 * Countries: read by any token holder; admitted, suspended, reinstated and withdrawn by
 * administrators, each change with a reason (and the decision it rests on) for the audit trail.
 */
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';

import { Authenticated, Roles } from '../auth/access.decorator.js';
import type { CountryRecord } from '../domain/model.js';
import type { RegistryService } from '../domain/service.js';
import type { List } from '../http/api-doc.decorator.js';
import { ApiDoc, listOf, ref } from '../http/api-doc.decorator.js';
import { AuditedCommand, bodyField, pathParam } from '../http/audited-command.decorator.js';
import type { CommandRequestView } from '../http/audited-command.decorator.js';
import type { RegistryRequest } from '../http/request-context.js';
import { commandContext } from '../http/request-context.js';
import { admitCountryBody, statusChangeBody } from '../http/schemas.js';
import { REGISTRY_SERVICE } from '../http/tokens.js';
import { countryParam, parseBody } from '../http/validation.js';

/** The country a status change names in its path, as the core's audit records give it. */
const countryOf = (req: CommandRequestView): string => pathParam(req, 'code').toUpperCase();

const STATUS_CHANGES = {
  suspend: 'suspendCountry',
  reinstate: 'reinstateCountry',
  withdraw: 'withdrawCountry',
} as const;

@ApiTags('countries')
@Controller('v1/countries')
export class CountriesController {
  constructor(@Inject(REGISTRY_SERVICE) private readonly service: RegistryService) {}

  @Get()
  @Authenticated()
  @ApiDoc({ summary: 'All countries with their status histories', response: listOf('Country') })
  list(): List<CountryRecord> {
    return { revision: this.service.revision(), items: this.service.listCountries() };
  }

  @Get(':code')
  @Authenticated()
  @ApiParam({ name: 'code', description: 'ISO 3166-1 alpha-2', example: 'MX' })
  @ApiDoc({ summary: 'One country', response: ref('Country'), errors: [400, 404] })
  get(@Param('code') code: string): CountryRecord {
    return this.service.getCountry(countryParam(code));
  }

  @Post()
  @HttpCode(201)
  @Roles('administrator')
  @AuditedCommand({ action: 'country.admit', entity: 'country', entityId: (req) => bodyField(req, 'code') })
  @ApiDoc({
    summary: 'Admit a country as member or observer',
    description: 'A country new to the registry needs its names in en, es, fr and pt.',
    body: 'AdmitCountryRequest',
    status: 201,
    response: ref('Country'),
    errors: [409],
  })
  async admit(@Body() body: unknown, @Req() req: RegistryRequest): Promise<CountryRecord> {
    const input = parseBody(admitCountryBody, body, 'country admission');
    return this.service.admitCountry(
      {
        code: input.code,
        status: input.status,
        ...(input.names !== undefined && { names: input.names }),
        ...(input.effectiveAt !== undefined && { effectiveAt: input.effectiveAt }),
      },
      commandContext(req, input),
    );
  }

  @Post(':code/suspend')
  @HttpCode(200)
  @Roles('administrator')
  @AuditedCommand({ action: 'country.suspend', entity: 'country', entityId: countryOf })
  @ApiParam({ name: 'code', example: 'NI' })
  @ApiDoc({
    summary: 'Suspend a country: it neither publishes nor receives from effectiveAt',
    body: 'StatusChangeRequest',
    response: ref('Country'),
    errors: [404, 409],
  })
  suspend(
    @Param('code') code: string,
    @Body() body: unknown,
    @Req() req: RegistryRequest,
  ): Promise<CountryRecord> {
    return this.changeStatus('suspend', code, body, req);
  }

  @Post(':code/reinstate')
  @HttpCode(200)
  @Roles('administrator')
  @AuditedCommand({ action: 'country.reinstate', entity: 'country', entityId: countryOf })
  @ApiParam({ name: 'code', example: 'NI' })
  @ApiDoc({
    summary: 'Reinstate a suspended country',
    body: 'StatusChangeRequest',
    response: ref('Country'),
    errors: [404, 409],
  })
  reinstate(
    @Param('code') code: string,
    @Body() body: unknown,
    @Req() req: RegistryRequest,
  ): Promise<CountryRecord> {
    return this.changeStatus('reinstate', code, body, req);
  }

  @Post(':code/withdraw')
  @HttpCode(200)
  @Roles('administrator')
  @AuditedCommand({ action: 'country.withdraw', entity: 'country', entityId: countryOf })
  @ApiParam({ name: 'code', example: 'NI' })
  @ApiDoc({
    summary: 'Withdraw a country from the process (permanent)',
    body: 'StatusChangeRequest',
    response: ref('Country'),
    errors: [404, 409],
  })
  withdraw(
    @Param('code') code: string,
    @Body() body: unknown,
    @Req() req: RegistryRequest,
  ): Promise<CountryRecord> {
    return this.changeStatus('withdraw', code, body, req);
  }

  private async changeStatus(
    change: keyof typeof STATUS_CHANGES,
    code: string,
    body: unknown,
    req: RegistryRequest,
  ): Promise<CountryRecord> {
    const country = countryParam(code);
    const input = parseBody(statusChangeBody, body, `country ${change}`);
    return this.service[STATUS_CHANGES[change]](
      { code: country, ...(input.effectiveAt !== undefined && { effectiveAt: input.effectiveAt }) },
      commandContext(req, input),
    );
  }
}
