/**
 * `enlace registry audit`: the audit trail, newest first (auditor or administrator).
 */
import type { Command } from 'commander';

import type { CliIo } from '../../main.js';
import { table } from '../../registry/render.js';
import { connect, endpoint, print, registryCall } from './options.js';
import type { EndpointOptions } from './options.js';

export function addAuditCommand(registry: Command, io: CliIo): void {
  endpoint(
    registry.command('audit').description('read the audit trail, newest first (auditor or administrator)'),
  )
    .option('--actor <id>', 'only this actor')
    .option('--action <action>', 'only this action, e.g. country.suspend')
    .option('--entity <entity>', 'only this entity: country, membership, focal-point, key, auth, ...')
    .option('--entity-id <id>', 'only this entity id, e.g. NI')
    .option('--since <instant>', 'from this instant')
    .option('--until <instant>', 'until this instant')
    .option('--limit <n>', 'at most n records (1-1000, default 100)')
    .action(
      async (
        opts: EndpointOptions & {
          actor?: string;
          action?: string;
          entity?: string;
          entityId?: string;
          since?: string;
          until?: string;
          limit?: string;
        },
      ) => {
        const { url: _url, token: _token, json: _json, ...filters } = opts;
        const query = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
        const body = await registryCall(connect(opts, io).audit(query));
        print(io, opts, body, () =>
          table(
            ['AT', 'ACTOR', 'ACTION', 'ENTITY', 'OUTCOME', 'REASON'],
            body.items.map((r) => [
              r.at,
              r.actor,
              r.action,
              `${r.entity}:${r.entityId}`,
              r.outcome === 'ok' ? 'ok' : `${r.outcome} ${r.code ?? ''}`.trim(),
              r.reason ?? '',
            ]),
          ),
        );
      },
    );
}
