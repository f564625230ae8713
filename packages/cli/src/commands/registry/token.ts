/**
 * `enlace registry token`: sign a bearer token with the registry key in the registry's data
 * directory (no HTTP call: it runs where the registry data lives).
 */
import { join } from 'node:path';

import type { Command } from 'commander';
import { Option } from 'commander';

import { CliError } from '../../errors.js';
import type { CliIo } from '../../main.js';
import { readStructuredFile } from '../../io.js';
import { collect, parseTtl, upperCountry } from './options.js';
import type { RegistryRoles } from './options.js';

export function addTokenCommand(registry: Command, io: CliIo, roles: RegistryRoles): void {
  registry
    .command('token')
    .summary('sign a bearer token with the registry key (run where the registry data lives)')
    .description(
      'Sign a bearer token with the registry key found in the registry data directory ' +
        '(DIR/registry.private.jwk). Prints the token alone, ready for ENLACE_REGISTRY_TOKEN.',
    )
    .requiredOption('-d, --data <dir>', 'the registry data directory (holds registry.private.jwk)')
    .requiredOption('-s, --subject <name>', 'who the token is for, e.g. admin@secretariat')
    .addOption(
      new Option('-r, --role <role>', 'a role of the token (repeat for several)')
        .choices(roles.token)
        .argParser(collect)
        .makeOptionMandatory(),
    )
    .option('-c, --country <code>', 'the holder’s country (focal-point tokens)')
    .option('--ttl <duration>', 'lifetime: 30m, 8h, 7d (at most 30d)', '8h')
    .option('--json', 'print { token, subject, roles, country, expiresAt }')
    .addHelpText(
      'after',
      '\nExample:\n  $ export ENLACE_REGISTRY_TOKEN=$(enlace registry token --data /var/lib/enlace-registry \\\n' +
        '      --role administrator --subject admin@secretariat --ttl 8h)\n',
    )
    .exitOverride()
    .action(
      async (opts: {
        data: string;
        subject: string;
        role: string[];
        country?: string;
        ttl: string;
        json?: boolean;
      }) => {
        const ttlSeconds = parseTtl(opts.ttl);
        const country = opts.country === undefined ? undefined : upperCountry(opts.country);
        const {
          issueToken,
          REGISTRY_PRIVATE_KEY_FILE,
          TrustError: RegistryError,
        } = await import('@enlace/trust');
        const keyFile = join(opts.data, REGISTRY_PRIVATE_KEY_FILE);
        const jwk = await readStructuredFile(keyFile, 'registry private key');
        if (typeof jwk !== 'object' || jwk === null || typeof (jwk as { kid?: unknown }).kid !== 'string') {
          throw new CliError('ERR_KEY_INVALID', `${keyFile} is not a registry private JWK with a kid`);
        }
        const privateJwk = jwk as Record<string, unknown> & { kid: string };
        const now = new Date();
        let token: string;
        try {
          token = await issueToken(
            { privateJwk, kid: privateJwk.kid },
            {
              subject: opts.subject,
              roles: opts.role as Parameters<typeof issueToken>[1]['roles'],
              ttlSeconds,
              now,
              ...(country !== undefined && { country }),
            },
          );
        } catch (cause) {
          if (cause instanceof RegistryError) {
            const paths = cause.violations.map((v) => v.path).join(', ');
            throw new CliError(
              'ERR_INPUT_INVALID',
              `${cause.message}${paths === '' ? '' : ` [fields: ${paths}]`}`,
              {
                cause,
              },
            );
          }
          throw cause;
        }
        const expiresAt = new Date(Math.floor(now.getTime() / 1000) * 1000 + ttlSeconds * 1000).toISOString();
        if (opts.json) {
          io.stdout.write(
            `${JSON.stringify({ token, subject: opts.subject, roles: [...new Set(opts.role)], country, expiresAt }, null, 2)}\n`,
          );
        } else {
          io.stdout.write(`${token}\n`);
        }
      },
    );
}
