/**
 * `enlace registry ...`: administer the registry from a terminal or a script. `token` signs a
 * bearer token with the registry key in the registry's data directory; every other command calls
 * the registry's HTTP API (through @enlace/client) at --url (or $ENLACE_REGISTRY_URL) with --token
 * (or $ENLACE_REGISTRY_TOKEN). Refusals print as one line with the registry's code and field paths.
 * Each subcommand group lives in registry/<group>.ts.
 */
import type { Command } from 'commander';

import type { CliIo } from '../main.js';
// The registry's own lists (a module without Nest or NATS), so the CLI offers exactly what it accepts.
import { MEMBERSHIP_ROLES } from '@enlace/policy';
import { FOCAL_POINT_ROLES, TOKEN_ROLES } from '@enlace/trust';
import { addAuditCommand } from './registry/audit.js';
import { addCountriesCommands } from './registry/countries.js';
import { addFocalPointsCommands } from './registry/focal-points.js';
import { addKeysCommands } from './registry/keys.js';
import { addMembershipsCommands } from './registry/memberships.js';
import type { RegistryRoles } from './registry/options.js';
import { addPolicyCommands } from './registry/policy.js';
import { addSnapshotCommand } from './registry/snapshot.js';
import { addTokenCommand } from './registry/token.js';

export { parseTtl } from './registry/options.js';

const ROLES: RegistryRoles = {
  token: TOKEN_ROLES,
  membership: MEMBERSHIP_ROLES,
  focalPoint: FOCAL_POINT_ROLES,
};

export function addRegistryCommands(program: Command, io: CliIo): void {
  const registry = program
    .command('registry')
    .summary('administer the registry: countries, memberships, focal points, keys, audit, snapshot')
    .description(
      'Administer the registry: countries, memberships, focal points, keys, audit and the signed ' +
        'snapshot. Commands call the registry API at --url (or $ENLACE_REGISTRY_URL) with a bearer ' +
        'token (--token or $ENLACE_REGISTRY_TOKEN); `enlace registry token` makes one. Exit code 0 on ' +
        'success, 1 when the registry refuses or cannot be reached, 2 for usage errors.',
    )
    .exitOverride();

  addTokenCommand(registry, io, ROLES);
  addCountriesCommands(registry, io);
  addMembershipsCommands(registry, io, ROLES);
  addFocalPointsCommands(registry, io, ROLES);
  addKeysCommands(registry, io);
  addPolicyCommands(registry, io);
  addAuditCommand(registry, io);
  addSnapshotCommand(registry, io);
}
