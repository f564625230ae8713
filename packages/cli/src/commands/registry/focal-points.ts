/**
 * `enlace registry focal-points`: the directory of who acts for a country on which networks.
 */
import type { ContactChannelName } from '@enlace/client';
import type { Command } from 'commander';
import { Option } from 'commander';

import { CliError } from '../../errors.js';
import type { CliIo } from '../../main.js';
import { table } from '../../registry/render.js';
import { collect, connect, endpoint, print, registryCall, upperCountry, why, withWhy } from './options.js';
import type { EndpointOptions, RegistryRoles, Why } from './options.js';

export function addFocalPointsCommands(registry: Command, io: CliIo, roles: RegistryRoles): void {
  const focalPoints = registry
    .command('focal-points')
    .description('the directory of focal points: who acts for a country on which networks')
    .exitOverride();
  endpoint(focalPoints.command('list').description('list focal points'))
    .option('-c, --country <code>', 'only this country')
    .option('-n, --network <id>', 'only this network')
    .addOption(new Option('--role <role>', 'only this role').choices(roles.focalPoint))
    .addOption(
      new Option('--active <bool>', 'only active (true) or inactive (false)').choices(['true', 'false']),
    )
    .action(
      async (
        opts: EndpointOptions & { country?: string; network?: string; role?: string; active?: string },
      ) => {
        const body = await registryCall(
          connect(opts, io).focalPoints.list({
            ...(opts.country !== undefined && { country: upperCountry(opts.country) }),
            ...(opts.network !== undefined && { network: opts.network }),
            ...(opts.role !== undefined && { role: opts.role }),
            ...(opts.active !== undefined && { active: opts.active === 'true' }),
          }),
        );
        print(io, opts, body, () =>
          table(
            ['ID', 'COUNTRY', 'ROLE', 'ACTIVE', 'NAME', 'AGENCY', 'NETWORKS'],
            body.items.map((f) => [
              f.id,
              f.country,
              f.role,
              f.active ? 'yes' : 'no',
              f.name,
              f.agency,
              f.networks.join(','),
            ]),
          ),
        );
      },
    );
  why(endpoint(focalPoints.command('add').description('designate a focal point of a country')), false)
    .requiredOption('-c, --country <code>', 'ISO 3166-1 alpha-2 code')
    .addOption(
      new Option('--kind <kind>', 'a named person or a unit (desk)')
        .choices(['person', 'unit'])
        .default('unit'),
    )
    .requiredOption('--name <name>', 'name of the person or unit')
    .requiredOption('--agency <agency>', 'agency, e.g. "Instituto Nacional de Migración"')
    .addOption(
      new Option('--role <role>', 'role of the focal point').choices(roles.focalPoint).makeOptionMandatory(),
    )
    .requiredOption('-n, --network <id>', 'a network it acts on (repeat for several)', collect)
    .requiredOption(
      '--contact <channel:address>',
      'e.g. email:liaison@inm.gob.mx (email, phone, secure-messaging)',
    )
    .option('--id <slug>', 'stable id, e.g. mx-inm-liaison-1 (default: made by the registry)')
    .action(
      async (
        opts: EndpointOptions &
          Why & {
            country: string;
            kind: string;
            name: string;
            agency: string;
            role: string;
            network: string[];
            contact: string;
            id?: string;
          },
      ) => {
        const match = /^(email|phone|secure-messaging):(.+)$/.exec(opts.contact);
        if (match === null) {
          throw new CliError(
            'ERR_USAGE',
            `--contact must be channel:address with channel email, phone or secure-messaging (got "${opts.contact}")`,
          );
        }
        const body = withWhy(
          {
            kind: opts.kind as 'person' | 'unit',
            name: opts.name,
            agency: opts.agency,
            role: opts.role,
            country: upperCountry(opts.country),
            networks: opts.network,
            contact: { channel: match[1] as ContactChannelName, address: match[2]! },
            ...(opts.id !== undefined && { id: opts.id }),
          },
          opts,
        );
        const f = await registryCall(connect(opts, io).focalPoints.add(body));
        print(
          io,
          opts,
          f,
          () =>
            `Added focal point ${f.id}: ${f.name} (${f.agency}), ${f.role} of ${f.country} on ${f.networks.join(', ')}\n`,
        );
      },
    );
  why(
    endpoint(
      focalPoints.command('deactivate').description('deactivate a focal point (it stays in the directory)'),
    ),
    true,
  )
    .argument('<id>', 'focal point id')
    .action(async (id: string, opts: EndpointOptions & Why) => {
      const f = await registryCall(
        connect(opts, io).focalPoints.deactivate(id, withWhy({ reason: opts.reason! }, opts)),
      );
      print(io, opts, f, () => `Deactivated focal point ${f.id} (${f.name})\n`);
    });
}
