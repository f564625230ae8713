/**
 * Bearer tokens: the list of tokens revoked by id, read by administrators and auditors, and
 * revocation by an administrator. A revoked token is refused by the registry at once and by
 * nodes and the feed service as soon as the change event brings them the new signed snapshot.
 */
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';

import { Roles } from '../auth/access.decorator.js';
import type { RevokedToken } from '../domain/model.js';
import type { RegistryService } from '../domain/service.js';
import { ApiDoc, listOf, ref } from '../http/api-doc.decorator.js';
import { AuditedCommand, pathParam } from '../http/audited-command.decorator.js';
import type { List } from '../http/api-doc.decorator.js';
import type { RegistryRequest } from '../http/request-context.js';
import { commandContext } from '../http/request-context.js';
import { revokeTokenBody } from '../http/schemas.js';
import { REGISTRY_SERVICE } from '../http/tokens.js';
import { parseBody } from '../http/validation.js';

@ApiTags('tokens')
@Controller('v1/tokens')
export class TokensController {
  constructor(@Inject(REGISTRY_SERVICE) private readonly service: RegistryService) {}

  @Get('revoked')
  @Roles('administrator', 'auditor')
  @ApiDoc({
    summary: 'Tokens revoked by id and not yet expired',
    response: listOf('RevokedToken'),
  })
  revoked(): List<RevokedToken> {
    return { revision: this.service.revision(), items: this.service.listRevokedTokens() };
  }

  @Post(':jti/revoke')
  @HttpCode(200)
  @Roles('administrator')
  @AuditedCommand({ action: 'token.revoke', entity: 'token', entityId: (req) => pathParam(req, 'jti') })
  @ApiParam({ name: 'jti', description: "The token's id (its jti claim)" })
  @ApiDoc({
    summary: 'Revoke a bearer token by its id: every service refuses it from then on',
    description:
      'The id is kept in the signed snapshot until the token would have expired anyway (24 h and ' +
      "5 min at most); nodes and the feed service learn it from the registry's change event.",
    body: 'RevokeTokenRequest',
    response: ref('RevokedToken'),
    errors: [409],
  })
  async revoke(
    @Param('jti') jti: string,
    @Body() body: unknown,
    @Req() req: RegistryRequest,
  ): Promise<RevokedToken> {
    const input = parseBody(revokeTokenBody, body, 'token revocation');
    return this.service.revokeToken({ jti }, commandContext(req, input));
  }
}
