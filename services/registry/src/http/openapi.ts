/**
 * The OpenAPI document of the registry API (served at /docs, JSON at /docs-json). Routes, access
 * and statuses come from the controllers' decorators; request schemas from the zod schemas that
 * validate them (z.toJSONSchema); response schemas from the entity shapes below.
 */
import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { OpenAPIObject } from '@nestjs/swagger';
import { z } from 'zod';

import { CONTACT_CHANNELS, FOCAL_POINT_ROLES, REGISTRY_SNAPSHOT_FORMAT } from '../domain/model.js';
import { BEARER_SCHEME } from '../auth/access.decorator.js';
import { countryCode, instant, networkId, REQUEST_SCHEMAS } from './schemas.js';

const names = z.object({ en: z.string(), es: z.string(), fr: z.string(), pt: z.string() });
const jwk = z.record(z.string(), z.unknown()).meta({ description: 'JSON Web Key (RFC 7517)' });

/** Shapes of responses, for the document only (the service returns them already valid). */
const RESPONSE_SCHEMAS = {
  ErrorResponse: z
    .object({
      error: z.object({
        code: z.string().meta({ example: 'ERR_VALIDATION', description: 'Stable error code' }),
        message: z.string().meta({ description: 'One line for people' }),
        violations: z.array(
          z.object({
            path: z
              .string()
              .meta({ example: 'publicJwk.crv', description: 'Field at fault; "" for the whole body' }),
            code: z.string().meta({ example: 'required' }),
            message: z.string(),
          }),
        ),
      }),
    })
    .meta({ description: 'Every error of the API has this shape.' }),
  Jwks: z.object({ keys: z.array(jwk) }),
  Country: z.object({
    code: countryCode,
    names,
    statusHistory: z.array(
      z.object({
        status: z.enum(['member', 'observer', 'suspended', 'withdrawn']),
        effectiveAt: instant,
        actor: z.string().optional(),
        reason: z.string().optional(),
        decision: z.string().optional(),
      }),
    ),
  }),
  Network: z.object({ id: networkId }).catchall(z.unknown()),
  Membership: z.object({
    id: z.string(),
    country: countryCode,
    network: networkId,
    role: z.enum(['publisher', 'subscriber', 'observer-reader']),
    validFrom: instant,
    validUntil: instant.optional(),
    endedBy: z.string().optional(),
    endReason: z.string().optional(),
  }),
  FocalPoint: z.object({
    id: z.string(),
    kind: z.enum(['person', 'unit']),
    name: z.string(),
    agency: z.string(),
    role: z.enum(FOCAL_POINT_ROLES),
    country: countryCode,
    networks: z.array(networkId),
    contact: z.object({ channel: z.enum(CONTACT_CHANNELS), address: z.string() }),
    active: z.boolean(),
    createdAt: instant,
    deactivatedAt: instant.optional(),
    deactivationReason: z.string().optional(),
  }),
  Key: z.object({
    kid: z.string().meta({ example: 'MX-sig-2026-01' }),
    country: countryCode,
    use: z.enum(['sig', 'enc']),
    publicJwk: jwk,
    notBefore: instant,
    notAfter: instant.optional(),
    registeredAt: instant,
    revokedAt: instant.optional(),
    revocationReason: z.string().optional(),
  }),
  RevokedToken: z.object({
    jti: z.string().meta({ example: '0b5e3c1e-6c1a-4f7e-9f49-3d2f4c6a8e10' }),
    revokedAt: instant,
    expiresAt: instant.meta({
      description: 'Kept on the list until then: no token revoked now can be valid later.',
    }),
  }),
  PolicyRule: z.object({ id: z.string() }).catchall(z.unknown()),
  PolicyDecision: z.object({
    allowed: z.boolean(),
    reason: z
      .string()
      .optional()
      .meta({ description: 'Stable reason code when denied, e.g. origin_suspended' }),
    message: z.string().optional(),
    rules: z.array(z.string()).optional(),
    basis: z.array(z.unknown()).optional(),
  }),
  GlossaryTerm: z.object({
    id: z.string(),
    category: z.string(),
    labels: names,
    definitions: names,
    source: z.string().optional(),
  }),
  AuditRecord: z.object({
    id: z.string(),
    sequence: z.number().int().optional(),
    at: instant,
    service: z.literal('registry'),
    actor: z.string(),
    roles: z.array(z.string()),
    action: z.string().meta({ example: 'country.suspend' }),
    entity: z.string(),
    entityId: z.string(),
    outcome: z.enum(['ok', 'rejected']),
    code: z.string().optional(),
    before: z.unknown().optional(),
    after: z.unknown().optional(),
    reason: z.string().optional(),
    decision: z.string().optional(),
    requestId: z.string().optional(),
    revision: z.number().int().optional(),
  }),
  SignedSnapshot: z.object({
    jws: z.string().meta({ description: 'Compact JWS (EdDSA) over the snapshot JSON' }),
    snapshot: z
      .object({
        format: z.literal(REGISTRY_SNAPSHOT_FORMAT),
        revision: z.number().int(),
        generatedAt: instant,
      })
      .catchall(z.unknown()),
  }),
} as const;

type JsonSchema = Record<string, unknown>;

function toSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'openapi-3.0', io, unrepresentable: 'any' }) as JsonSchema;
  delete json['$schema'];
  delete json['id'];
  return json;
}

/** Every component schema of the document, by name. */
export function componentSchemas(): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [name, schema] of Object.entries(REQUEST_SCHEMAS)) out[name] = toSchema(schema, 'input');
  for (const [name, schema] of Object.entries(RESPONSE_SCHEMAS)) out[name] = toSchema(schema, 'output');
  return out;
}

export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Enlace registry')
    .setDescription(
      'Membership, networks, focal points, keys, access policy and audit of the Enlace network. ' +
        'Send a registry token as `Authorization: Bearer <token>` (issue one with `enlace registry token`). ' +
        'Every error answers `{ "error": { code, message, violations: [{ path, code, message }] } }`; ' +
        'commands accept an `x-request-id` header, recorded in the audit trail.',
    )
    .setVersion('1')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Registry token (EdDSA JWT)' },
      BEARER_SCHEME,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config);
  type Schemas = NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>;
  const schemas = { ...(document.components?.schemas ?? {}), ...componentSchemas() } as Schemas;
  document.components = { ...document.components, schemas };
  return document;
}
