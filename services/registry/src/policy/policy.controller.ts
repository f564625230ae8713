/**
 * The access policy (rules with their legal basis), policy decisions on demand, the hemispheric
 * glossary of terms, and the audit trail (auditors and administrators).
 */
import { Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { ApiQuery, ApiTags } from '@nestjs/swagger';
import type { PolicyDecision } from '@enlace/policy';

import { Authenticated, Roles } from '../auth/access.decorator.js';
import type { AuditRecord, GlossaryTerm, PolicyRule } from '../domain/model.js';
import type { RegistryService } from '../domain/service.js';
import { ApiDoc, listOf, ref } from '../http/api-doc.decorator.js';
import type { List } from '../http/api-doc.decorator.js';
import { auditQuery, decideBody } from '../http/schemas.js';
import { REGISTRY_SERVICE } from '../http/tokens.js';
import { parseBody, parseQuery } from '../http/validation.js';

@ApiTags('policy')
@Controller('v1')
export class PolicyController {
  constructor(@Inject(REGISTRY_SERVICE) private readonly service: RegistryService) {}

  @Get('policy/rules')
  @Authenticated()
  @ApiDoc({
    summary: 'The rules of the access policy, each citing its conference decision',
    response: listOf('PolicyRule'),
  })
  rules(): List<PolicyRule> {
    return { revision: this.service.revision(), items: this.service.listRules() };
  }

  @Post('policy/decide')
  @HttpCode(200)
  @Authenticated()
  @ApiDoc({
    summary: 'Decide whether a country may publish, or receive, a kind of alert on a network',
    body: 'DecideRequest',
    response: ref('PolicyDecision'),
  })
  decide(@Body() body: unknown): PolicyDecision {
    const input = parseBody(decideBody, body, 'policy question');
    return this.service.decide({
      action: input.action,
      network: input.network,
      kind: input.kind,
      origin: input.origin,
      ...(input.receiver !== undefined && { receiver: input.receiver }),
      ...(input.recipients !== undefined && { recipients: input.recipients }),
      ...(input.handling !== undefined && { handling: input.handling }),
      ...(input.at !== undefined && { at: input.at }),
    });
  }

  @Get('glossary')
  @Authenticated()
  @ApiDoc({
    summary: 'The hemispheric glossary of terms, in en, es, fr and pt',
    response: listOf('GlossaryTerm'),
  })
  glossary(): List<GlossaryTerm> {
    return { revision: this.service.revision(), items: this.service.glossary() };
  }

  @Get('audit')
  @Roles('auditor', 'administrator')
  @ApiQuery({ name: 'actor', required: false })
  @ApiQuery({ name: 'action', required: false, example: 'country.suspend' })
  @ApiQuery({ name: 'entity', required: false, example: 'country' })
  @ApiQuery({ name: 'entityId', required: false, example: 'NI' })
  @ApiQuery({ name: 'since', required: false })
  @ApiQuery({ name: 'until', required: false })
  @ApiQuery({
    name: 'before',
    required: false,
    description: "paging: only records older than this sequence (the last record's `sequence`)",
  })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 1000, default 100; newest first' })
  @ApiDoc({
    summary: 'The audit trail, newest first: every change and every refused request',
    response: { type: 'object', properties: { items: { type: 'array', items: ref('AuditRecord') } } },
    errors: [400, 503],
  })
  async audit(@Query() query: unknown): Promise<{ items: readonly AuditRecord[] }> {
    const filter = parseQuery(auditQuery, query, 'audit query');
    const items = await this.service.queryAudit({
      ...(filter.actor !== undefined && { actor: filter.actor }),
      ...(filter.action !== undefined && { action: filter.action }),
      ...(filter.entity !== undefined && { entity: filter.entity }),
      ...(filter.entityId !== undefined && { entityId: filter.entityId }),
      ...(filter.since !== undefined && { since: filter.since }),
      ...(filter.until !== undefined && { until: filter.until }),
      ...(filter.before !== undefined && { before: filter.before }),
      ...(filter.limit !== undefined && { limit: filter.limit }),
    });
    return { items };
  }
}
