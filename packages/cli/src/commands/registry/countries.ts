/**
 * `enlace registry countries`: list, show, admit, suspend, reinstate and withdraw countries.
 */
import type { Names } from '@enlace/client';
import type { Command } from 'commander';
import { Option } from 'commander';

import { CliError } from '../../errors.js';
import type { CliIo } from '../../main.js';
import { currentStatus, renderCountry, table } from '../../registry/render.js';
import { collect, connect, endpoint, print, registryCall, upperCountry, why, withWhy } from './options.js';
import type { EndpointOptions, Why } from './options.js';

export function addCountriesCommands(registry: Command, io: CliIo): void {
  const countries = registry
    .command('countries')
    .description('the countries of the process and their status')
    .exitOverride();
  endpoint(countries.command('list').description('list countries with their current status')).action(
    async (opts: EndpointOptions) => {
      const body = await registryCall(connect(opts, io).countries.list());
      print(io, opts, body, () =>
        table(
          ['CODE', 'STATUS', 'SINCE', 'NAME'],
          body.items.map((c) => {
            const status = currentStatus(c);
            return [c.code, status?.status ?? '-', status?.effectiveAt ?? '-', c.names?.en ?? ''];
          }),
        ),
      );
    },
  );
  endpoint(countries.command('show').description('one country with its status history'))
    .argument('<code>', 'ISO 3166-1 alpha-2 code, e.g. NI')
    .action(async (code: string, opts: EndpointOptions) => {
      const body = await registryCall(connect(opts, io).countries.get(upperCountry(code, '<code>')));
      print(io, opts, body, () => renderCountry(body));
    });
  why(
    endpoint(
      countries
        .command('admit')
        .description('admit a country as member or observer (names in en, es, fr and pt when it is new)'),
    ),
    false,
  )
    .argument('<code>', 'ISO 3166-1 alpha-2 code')
    .addOption(
      new Option('--status <status>', 'member or observer')
        .choices(['member', 'observer'])
        .makeOptionMandatory(),
    )
    .option('--name <lang=text>', 'a name, e.g. --name "es=Belice" (repeat for en, es, fr, pt)', collect)
    .option('--effective-at <instant>', 'from when (RFC 3339 UTC); default now')
    .addHelpText(
      'after',
      '\nExample:\n  $ enlace registry countries admit BZ --status member --name en=Belize --name es=Belice \\\n' +
        '      --name fr=Belize --name pt=Belize --decision "VI RCM (San José, 2001), agreement 7"\n',
    )
    .action(
      async (
        code: string,
        opts: EndpointOptions & Why & { status: string; name?: string[]; effectiveAt?: string },
      ) => {
        let names: Record<string, string> | undefined;
        for (const entry of opts.name ?? []) {
          const match = /^(en|es|fr|pt)=(.+)$/s.exec(entry);
          if (match === null) {
            throw new CliError(
              'ERR_USAGE',
              `--name must be lang=text with lang en, es, fr or pt (got "${entry}")`,
            );
          }
          names = { ...names, [match[1]!]: match[2]! };
        }
        const body = withWhy(
          {
            code: upperCountry(code, '<code>'),
            status: opts.status as 'member' | 'observer',
            // Partial names go as given: the registry names each one missing.
            ...(names !== undefined && { names: names as unknown as Names }),
            ...(opts.effectiveAt !== undefined && { effectiveAt: opts.effectiveAt }),
          },
          opts,
        );
        const country = await registryCall(connect(opts, io).countries.admit(body));
        print(
          io,
          opts,
          country,
          () => `Admitted ${country.code} as ${opts.status}\n${renderCountry(country)}`,
        );
      },
    );
  for (const [change, past, what] of [
    ['suspend', 'Suspended', 'suspend a country: it neither publishes nor receives from --effective-at'],
    ['reinstate', 'Reinstated', 'reinstate a suspended country'],
    ['withdraw', 'Withdrew', 'withdraw a country from the process (permanent)'],
  ] as const) {
    why(endpoint(countries.command(change).description(what)), true)
      .argument('<code>', 'ISO 3166-1 alpha-2 code')
      .option('--effective-at <instant>', 'from when (RFC 3339 UTC); default now')
      .action(async (code: string, opts: EndpointOptions & Why & { effectiveAt?: string }) => {
        const cc = upperCountry(code, '<code>');
        const body = withWhy(
          { reason: opts.reason!, ...(opts.effectiveAt !== undefined && { effectiveAt: opts.effectiveAt }) },
          opts,
        );
        const country = await registryCall(connect(opts, io).countries.changeStatus(cc, change, body));
        print(io, opts, country, () => `${past} ${cc}\n${renderCountry(country)}`);
      });
  }
}
