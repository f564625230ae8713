/**
 * `enlace registry memberships`: which country holds which role on which network, and when.
 */
import type { MembershipRole } from '@enlace/policy';
import type { Command } from 'commander';
import { Option } from 'commander';

import type { CliIo } from '../../main.js';
import { table } from '../../registry/render.js';
import { connect, endpoint, print, registryCall, upperCountry, why, withWhy } from './options.js';
import type { EndpointOptions, RegistryRoles, Why } from './options.js';

export function addMembershipsCommands(registry: Command, io: CliIo, roles: RegistryRoles): void {
  const memberships = registry
    .command('memberships')
    .description('which country holds which role on which network, and when')
    .exitOverride();
  endpoint(memberships.command('list').description('list memberships'))
    .option('-c, --country <code>', 'only this country')
    .option('-n, --network <id>', 'only this network')
    .option('--active-at <instant>', 'only those valid at this instant')
    .action(async (opts: EndpointOptions & { country?: string; network?: string; activeAt?: string }) => {
      const body = await registryCall(
        connect(opts, io).memberships.list({
          ...(opts.country !== undefined && { country: upperCountry(opts.country) }),
          ...(opts.network !== undefined && { network: opts.network }),
          ...(opts.activeAt !== undefined && { activeAt: opts.activeAt }),
        }),
      );
      print(io, opts, body, () =>
        table(
          ['COUNTRY', 'NETWORK', 'ROLE', 'FROM', 'UNTIL'],
          body.items.map((m) => [m.country, m.network, m.role, m.validFrom, m.validUntil ?? '-']),
        ),
      );
    });
  why(endpoint(memberships.command('add').description('give a country a role on a network')), false)
    .requiredOption('-c, --country <code>', 'ISO 3166-1 alpha-2 code')
    .requiredOption('-n, --network <id>', 'network id, e.g. trafficking-liaison')
    .addOption(
      new Option('--role <role>', 'role on the network').choices(roles.membership).makeOptionMandatory(),
    )
    .option('--from <instant>', 'valid from (RFC 3339 UTC); default now')
    .option('--until <instant>', 'valid until (exclusive); default open-ended')
    .action(
      async (
        opts: EndpointOptions &
          Why & { country: string; network: string; role: string; from?: string; until?: string },
      ) => {
        const body = withWhy(
          {
            country: upperCountry(opts.country),
            network: opts.network,
            role: opts.role as MembershipRole,
            ...(opts.from !== undefined && { validFrom: opts.from }),
            ...(opts.until !== undefined && { validUntil: opts.until }),
          },
          opts,
        );
        const m = await registryCall(connect(opts, io).memberships.add(body));
        print(
          io,
          opts,
          m,
          () => `Added ${m.country} as ${m.role} on ${m.network} from ${m.validFrom} (${m.id})\n`,
        );
      },
    );
  why(endpoint(memberships.command('end').description("end a country's role on a network")), true)
    .requiredOption('-c, --country <code>', 'ISO 3166-1 alpha-2 code')
    .requiredOption('-n, --network <id>', 'network id')
    .addOption(
      new Option('--role <role>', 'role on the network').choices(roles.membership).makeOptionMandatory(),
    )
    .option('--at <instant>', 'when it ends (RFC 3339 UTC); default now')
    .action(
      async (
        opts: EndpointOptions & Why & { country: string; network: string; role: string; at?: string },
      ) => {
        const body = withWhy(
          {
            country: upperCountry(opts.country),
            network: opts.network,
            role: opts.role as MembershipRole,
            reason: opts.reason!,
            ...(opts.at !== undefined && { at: opts.at }),
          },
          opts,
        );
        const m = await registryCall(connect(opts, io).memberships.end(body));
        print(
          io,
          opts,
          m,
          () => `Ended ${m.country} as ${m.role} on ${m.network} at ${m.validUntil ?? '?'}\n`,
        );
      },
    );
}
