/**
 * OpenAPI description of one route, in one decorator: what it does, its body (a schema of
 * schemas.ts, by name), its success response and the error statuses it can answer with. Errors
 * always have the ErrorResponse shape.
 */
import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiResponse } from '@nestjs/swagger';

import type { REQUEST_SCHEMAS } from './schemas.js';

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'ERR_VALIDATION: malformed JSON or invalid fields; `violations` names each field path',
  404: 'ERR_NOT_FOUND, ERR_UNKNOWN_COUNTRY, ERR_UNKNOWN_NETWORK or ERR_UNKNOWN_KEY',
  409: 'ERR_ALREADY_EXISTS, ERR_DUPLICATE_KID, ERR_KEY_VALIDITY_OVERLAP, ERR_INVALID_TRANSITION or ERR_CONFLICT',
  422: 'ERR_KEY_COUNTRY_MISMATCH: the key is claimed for another country',
  503: 'ERR_UNAVAILABLE: the registry cannot reach its store',
};

export interface ApiDocOptions {
  readonly summary: string;
  readonly description?: string;
  readonly body?: keyof typeof REQUEST_SCHEMAS;
  /** Success status (default 200) and the schema of its body. */
  readonly status?: number;
  readonly response: Record<string, unknown>;
  readonly responseDescription?: string;
  /** Error statuses besides 401/403 (which the access decorators add) and 500. */
  readonly errors?: readonly number[];
}

export function ref(name: string): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

export function listOf(name: string): Record<string, unknown> {
  return {
    type: 'object',
    required: ['revision', 'items'],
    properties: { revision: { type: 'integer' }, items: { type: 'array', items: ref(name) } },
  };
}

export function ApiDoc(options: ApiDocOptions): MethodDecorator {
  const decorators: Array<MethodDecorator | ClassDecorator> = [
    ApiOperation({
      summary: options.summary,
      ...(options.description !== undefined && { description: options.description }),
    }),
    ApiResponse({
      status: options.status ?? 200,
      description: options.responseDescription ?? (options.status === 201 ? 'Created' : 'OK'),
      schema: options.response,
    }),
    ApiResponse({
      status: 500,
      description: 'ERR_INTERNAL: unexpected failure (details only in the log)',
      schema: ref('ErrorResponse'),
    }),
  ];
  if (options.body !== undefined) decorators.push(ApiBody({ schema: ref(options.body), required: true }));
  for (const status of new Set([...(options.body !== undefined ? [400] : []), ...(options.errors ?? [])])) {
    decorators.push(
      ApiResponse({
        status,
        description: ERROR_DESCRIPTIONS[status] ?? 'error',
        schema: ref('ErrorResponse'),
      }),
    );
  }
  return applyDecorators(...decorators) as MethodDecorator;
}

/** What a list route answers: the items, and the registry revision they were read at. */
export interface List<T> {
  readonly revision: number;
  readonly items: readonly T[];
}
