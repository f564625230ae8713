/**
 * Marks a route as an administrative command, named as the core's audit records name it
 * (`country.admit`, `key.revoke`, ...). The RejectionAuditInterceptor uses it to record requests
 * the API refuses before the command runs (malformed JSON, a body its schemas refuse), so the
 * audit trail shows every attempted administrative action, refused ones included.
 */
import { SetMetadata } from '@nestjs/common';

export const AUDITED_COMMAND_METADATA = 'enlace:registry:audited-command';

/** What a route handler sees of its request, for naming the entity a refused request was about. */
export interface CommandRequestView {
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly body: unknown;
}

export interface AuditedCommandSpec {
  /** e.g. "country.admit": the action of the command's own audit records. */
  readonly action: string;
  /** e.g. "country". */
  readonly entity: string;
  /** The entity id as the command's own records give it, read from the raw request. */
  readonly entityId: (req: CommandRequestView) => string;
}

export function AuditedCommand(spec: AuditedCommandSpec): MethodDecorator {
  return SetMetadata(AUDITED_COMMAND_METADATA, spec);
}

/** A string field of the raw body (or of an object in it, `publicJwk.kid`); "?" when absent. */
export function bodyField(req: CommandRequestView, path: string): string {
  let value: unknown = req.body;
  for (const name of path.split('.'))
    value =
      typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' && value !== '' ? value.slice(0, 200) : '?';
}

/** A path parameter; "?" when absent. */
export function pathParam(req: CommandRequestView, name: string): string {
  const value = req.params[name];
  return value === undefined || value === '' ? '?' : value.slice(0, 200);
}
