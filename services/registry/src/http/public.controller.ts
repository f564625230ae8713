/**
 * Routes anyone may call: health, the JWKS of country keys valid now, the registry's own public
 * key (which nodes pin), and the signed snapshot (compact JWS, verifiable against that key).
 */
import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';

import { Public } from '../auth/access.decorator.js';
import { RegistryError } from '../domain/errors.js';
import type { RegistryService } from '../domain/service.js';
import { ApiDoc, ref } from './api-doc.decorator.js';
import { snapshotQuery } from './schemas.js';
import { REGISTRY_HEALTH, REGISTRY_KEY, REGISTRY_SERVICE } from './tokens.js';
import type { HealthProbe, RegistryPublicKey } from './tokens.js';
import { parseQuery } from './validation.js';

@ApiTags('public')
@Public()
@Controller()
export class PublicController {
  constructor(
    @Inject(REGISTRY_SERVICE) private readonly service: RegistryService,
    @Inject(REGISTRY_KEY) private readonly registryKey: RegistryPublicKey,
    @Inject(REGISTRY_HEALTH) private readonly unhealthy: HealthProbe,
  ) {}

  @Get('health')
  @ApiDoc({
    summary: 'Readiness and the current registry revision (503 ERR_UNAVAILABLE when it cannot serve)',
    response: {
      type: 'object',
      properties: { status: { type: 'string', enum: ['ok'] }, revision: { type: 'integer' } },
    },
    errors: [503],
  })
  health(): { status: 'ok'; revision: number } {
    const problem = this.unhealthy();
    if (problem !== undefined)
      throw new RegistryError('ERR_UNAVAILABLE', `the registry is not ready: ${problem}`);
    return { status: 'ok', revision: this.service.revision() };
  }

  @Get('.well-known/jwks.json')
  @ApiDoc({
    summary: 'Public keys of all countries, valid and not revoked now (JWKS, RFC 7517)',
    response: ref('Jwks'),
  })
  jwks(): { keys: Array<Record<string, unknown>> } {
    return this.service.activeJwks();
  }

  @Get('.well-known/enlace-registry.jwk')
  @ApiDoc({
    summary: "The registry's public key (Ed25519 JWK), to pin: it signs snapshots, change events and tokens",
    response: { type: 'object', additionalProperties: true },
  })
  registryJwk(): Readonly<Record<string, unknown>> {
    return { ...this.registryKey.publicJwk, kid: this.registryKey.kid };
  }

  @Get('v1/snapshot')
  @ApiProduces('application/jose', 'application/json')
  @ApiQuery({
    name: 'format',
    required: false,
    enum: ['jose', 'json'],
    description: '`jose` (default): the compact JWS as application/jose; `json`: `{ jws, snapshot }`',
  })
  @ApiDoc({
    summary: 'The signed registry snapshot (membership, networks, rules, keys)',
    description:
      'A compact JWS (EdDSA) whose payload is the snapshot JSON (format enlace.registry.snapshot.v1), signed ' +
      'with the registry key published at /.well-known/enlace-registry.jwk.',
    response: ref('SignedSnapshot'),
    responseDescription:
      'application/jose: the compact JWS; application/json (format=json): { jws, snapshot }',
    errors: [400, 503],
  })
  async snapshot(
    @Query() query: unknown,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<string | { jws: string; snapshot: unknown }> {
    const { format } = parseQuery(snapshotQuery, query, 'snapshot query');
    const signed = await this.service.signedSnapshot();
    if (format === 'json') return { jws: signed.jws, snapshot: signed.snapshot };
    res.setHeader('content-type', 'application/jose');
    return signed.jws;
  }
}
