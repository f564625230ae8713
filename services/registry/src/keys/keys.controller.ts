/**
 * Country public keys: listed and read by any token holder; registered, rotated and revoked by
 * administrators. The registry checks kid syntax, that the key belongs to the country it is
 * claimed for, that no kid is reused and that validity windows of one use do not overlap.
 */
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import { ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';

import { Authenticated, Roles } from '../auth/access.decorator.js';
import type { KeyRecord } from '../domain/model.js';
import type { RegistryService } from '../domain/service.js';
import { ApiDoc, listOf, ref } from '../http/api-doc.decorator.js';
import { AuditedCommand, bodyField, pathParam } from '../http/audited-command.decorator.js';
import type { List } from '../http/api-doc.decorator.js';
import type { RegistryRequest } from '../http/request-context.js';
import { commandContext } from '../http/request-context.js';
import { keysQuery, registerKeyBody, revokeKeyBody, rotateKeyBody } from '../http/schemas.js';
import { REGISTRY_SERVICE } from '../http/tokens.js';
import { parseBody, parseQuery } from '../http/validation.js';

@ApiTags('keys')
@Controller('v1/keys')
export class KeysController {
  constructor(@Inject(REGISTRY_SERVICE) private readonly service: RegistryService) {}

  @Get()
  @Authenticated()
  @ApiQuery({ name: 'country', required: false, example: 'MX' })
  @ApiQuery({ name: 'use', required: false, enum: ['sig', 'enc'] })
  @ApiQuery({
    name: 'active',
    required: false,
    enum: ['true', 'false'],
    description: 'true: only keys valid and not revoked now',
  })
  @ApiQuery({
    name: 'activeAt',
    required: false,
    description: 'only keys valid and not revoked at this instant',
  })
  @ApiDoc({ summary: 'Registered keys, revoked ones included', response: listOf('Key'), errors: [400] })
  list(@Query() query: unknown): List<KeyRecord> {
    const filter = parseQuery(keysQuery, query, 'key query');
    const activeAt = filter.activeAt ?? (filter.active === true ? new Date().toISOString() : undefined);
    let items = this.service.listKeys({
      ...(filter.country !== undefined && { country: filter.country }),
      ...(filter.use !== undefined && { use: filter.use }),
      ...(activeAt !== undefined && { activeAt }),
    });
    if (filter.active === false) {
      // Keys not usable now: revoked, expired or not yet valid.
      const active = new Set(
        this.service
          .listKeys({
            ...(filter.country !== undefined && { country: filter.country }),
            ...(filter.use !== undefined && { use: filter.use }),
            activeAt: new Date().toISOString(),
          })
          .map((key) => key.kid),
      );
      items = items.filter((key) => !active.has(key.kid));
    }
    return { revision: this.service.revision(), items };
  }

  @Get(':kid')
  @Authenticated()
  @ApiParam({ name: 'kid', example: 'MX-sig-2026-01' })
  @ApiDoc({ summary: 'One key', response: ref('Key'), errors: [404] })
  get(@Param('kid') kid: string): KeyRecord {
    return this.service.getKey(kid);
  }

  @Post()
  @HttpCode(201)
  @Roles('administrator')
  @AuditedCommand({
    action: 'key.register',
    entity: 'key',
    entityId: (req) => bodyField(req, 'publicJwk.kid'),
  })
  @ApiDoc({
    summary: "Register a country's public key",
    body: 'RegisterKeyRequest',
    status: 201,
    response: ref('Key'),
    errors: [404, 409, 422],
  })
  async register(@Body() body: unknown, @Req() req: RegistryRequest): Promise<KeyRecord> {
    const input = parseBody(registerKeyBody, body, 'key registration');
    return this.service.registerKey(
      {
        country: input.country,
        publicJwk: input.publicJwk,
        ...(input.notBefore !== undefined && { notBefore: input.notBefore }),
        ...(input.notAfter !== undefined && { notAfter: input.notAfter }),
      },
      commandContext(req, input),
    );
  }

  @Post('rotate')
  @HttpCode(200)
  @Roles('administrator')
  @AuditedCommand({ action: 'key.rotate', entity: 'key', entityId: (req) => bodyField(req, 'publicJwk.kid') })
  @ApiDoc({
    summary: 'Rotate: the new key takes over at `at`, the current key of that use ends then',
    body: 'RotateKeyRequest',
    response: {
      type: 'object',
      required: ['current'],
      properties: { previous: ref('Key'), current: ref('Key') },
    },
    errors: [404, 409, 422],
  })
  async rotate(
    @Body() body: unknown,
    @Req() req: RegistryRequest,
  ): Promise<{ previous?: KeyRecord; current: KeyRecord }> {
    const input = parseBody(rotateKeyBody, body, 'key rotation');
    return this.service.rotateKey(
      {
        country: input.country,
        publicJwk: input.publicJwk,
        ...(input.at !== undefined && { at: input.at }),
        ...(input.notAfter !== undefined && { notAfter: input.notAfter }),
      },
      commandContext(req, input),
    );
  }

  @Post(':kid/revoke')
  @HttpCode(200)
  @Roles('administrator')
  @AuditedCommand({ action: 'key.revoke', entity: 'key', entityId: (req) => pathParam(req, 'kid') })
  @ApiParam({ name: 'kid', example: 'MX-sig-2026-01' })
  @ApiDoc({
    summary: 'Revoke a key: it verifies nothing issued at or after `at`',
    body: 'RevokeKeyRequest',
    response: ref('Key'),
    errors: [404, 409],
  })
  async revoke(
    @Param('kid') kid: string,
    @Body() body: unknown,
    @Req() req: RegistryRequest,
  ): Promise<KeyRecord> {
    const input = parseBody(revokeKeyBody, body, 'key revocation');
    return this.service.revokeKey(
      { kid, ...(input.at !== undefined && { at: input.at }) },
      commandContext(req, input),
    );
  }
}
