/**
 * `enlace console link`: a one-time sign-in link to the web console of a service. The link's
 * code is single-use and valid a few minutes; the console exchanges it for a session cookie, so
 * the token itself is never in a URL. On the local network (`npm start`) the URL and token come
 * from .enlace/network.json: the country's node for an officer, the registry for an
 * administrator, the feed service for an FIU analyst; `--url` and `--token` for any other
 * deployment.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { createConsoleClient } from '@enlace/client';
import type { ServiceKind } from '@enlace/client';
import { Option } from 'commander';
import type { Command } from 'commander';

import { CliError } from '../errors.js';
import type { CliIo } from '../main.js';
import { call, createClientFor } from '../service-call.js';

export type ConsoleRole = 'officer' | 'administrator' | 'fiu-analyst';

const SERVICE_OF: Readonly<Record<ConsoleRole, ServiceKind>> = {
  officer: 'node',
  administrator: 'registry',
  'fiu-analyst': 'feed',
};

interface LinkOptions {
  country?: string;
  role: ConsoleRole;
  url?: string;
  token?: string;
  network: string;
  json?: boolean;
}

interface LocalNetworkFile {
  registry?: { url?: string; token?: string };
  nodes?: Record<string, { url?: string; token?: string }>;
  feed?: { url?: string; tokens?: Record<string, string> };
}

/** The service URL and token for `role` (and `country`) in network.json. */
async function fromNetworkFile(file: string, role: ConsoleRole, country: string | undefined) {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new CliError(
      'ERR_FILE_NOT_FOUND',
      `cannot read ${file} (is the local network started with npm start?); or give --url and --token`,
      { cause },
    );
  }
  let info: LocalNetworkFile;
  try {
    info = JSON.parse(text) as LocalNetworkFile;
  } catch (cause) {
    throw new CliError('ERR_INPUT_INVALID', `${file} is not JSON`, { cause });
  }
  const needCountry = (): string => {
    if (country === undefined)
      throw new CliError('ERR_USAGE', `--country is required for the ${role} console (e.g. --country MX)`);
    return country;
  };
  const found =
    role === 'officer'
      ? info.nodes?.[needCountry()]
      : role === 'fiu-analyst'
        ? { url: info.feed?.url, token: info.feed?.tokens?.[needCountry()] }
        : info.registry;
  if (found?.url === undefined || found.token === undefined)
    throw new CliError(
      'ERR_INPUT_INVALID',
      `${file} has no ${role} ${role === 'administrator' ? '' : `of ${country} `}(countries: ${Object.keys(info.nodes ?? {}).join(', ')})`,
    );
  return { url: found.url, token: found.token };
}

export function addConsoleCommands(program: Command, io: CliIo): void {
  const consoleCommand = program.command('console').summary('the web console of each service');
  consoleCommand
    .command('link')
    .description(
      'print a one-time sign-in link to a web console: the officer console of a country node, the\n' +
        'administrator console of the registry, or the FIU console of the feed service. The link is\n' +
        'single-use and expires within minutes; it opens a session in the browser (an HttpOnly cookie).',
    )
    .option('-c, --country <CC>', 'the country (officer and FIU analyst)')
    .addOption(
      new Option('-r, --role <role>', 'whose console')
        .choices(['officer', 'administrator', 'fiu-analyst'])
        .default('officer'),
    )
    .option('--url <url>', 'the service URL (default: from the local network file)')
    .option('--token <token>', 'a registry token for that service (default: from the local network file)')
    .option('--network <file>', 'the local network file', join('.enlace', 'network.json'))
    .option('--json', 'print the link as JSON')
    .addHelpText('after', '\nExample:\n  $ npx enlace console link --country MX\n')
    .exitOverride()
    .action(async (opts: LinkOptions) => {
      const country = opts.country?.toUpperCase();
      if (country !== undefined && !/^[A-Z]{2}$/.test(country))
        throw new CliError(
          'ERR_USAGE',
          `--country must be an ISO 3166-1 alpha-2 code (got "${opts.country}")`,
        );
      if ((opts.url === undefined) !== (opts.token === undefined))
        throw new CliError('ERR_USAGE', '--url and --token go together');
      const target =
        opts.url !== undefined && opts.token !== undefined
          ? { url: opts.url, token: opts.token }
          : await fromNetworkFile(opts.network, opts.role, country);
      const service = SERVICE_OF[opts.role];
      const client = createClientFor(
        () => createConsoleClient(service, { baseUrl: target.url, token: target.token }),
        {
          flag: '--url',
          example: 'http://127.0.0.1:8101',
        },
      );
      const link = await call(service, client.createLink(), { flag: '--url', answer: 'a sign-in link' });
      if (opts.json === true)
        io.stdout.write(`${JSON.stringify({ url: link.url, expiresAt: link.expiresAt })}\n`);
      else io.stdout.write(`${link.url}\n(single use; expires at ${link.expiresAt})\n`);
    });
}
