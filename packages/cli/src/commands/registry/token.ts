/**
 * `enlace registry token`: sign a bearer token with the registry key in the registry's data
 * directory (no HTTP call: it runs where the registry data lives), and `enlace registry token
 * revoke <jti>`: revoke one through the registry's API (administrator).
 */
import { join } from 'node:path';

import type { Command } from 'commander';
import { Option } from 'commander';

import { CliError } from '../../errors.js';
import type { CliIo } from '../../main.js';
import { readStructuredFile } from '../../io.js';
import {
  collect,
  connect,
  endpoint,
  parseTtl,
  print,
  registryCall,
  upperCountry,
  why,
  withWhy,
} from './options.js';
import type { EndpointOptions, RegistryRoles, Why } from './options.js';

/** The services a token can be for (its audience), by the name the CLI takes. */
const SERVICES = ['registry', 'node', 'feed'] as const;
type Service = (typeof SERVICES)[number];

/** The service a token is for when --for is not given: where its role works. */
function defaultService(roles: readonly string[]): Service {
  if (roles.includes('focal-point')) return 'node';
  if (roles.includes('fiu-analyst')) return 'feed';
  return 'registry';
}

export function addTokenCommand(registry: Command, io: CliIo, roles: RegistryRoles): void {
  const token = registry
    .command('token')
    .summary('sign a bearer token with the registry key, or revoke one (token revoke <jti>)')
    .description(
      'Sign a bearer token with the registry key (the default subcommand, issue), or revoke one by ' +
        'its id (revoke). Tokens are for one service each (registry, node or feed) and live 12 h ' +
        'by default, 24 h at most. `enlace registry token issue --help` lists the options of issue.',
    )
    .exitOverride();

  token
    .command('issue', { isDefault: true })
    .summary('sign a bearer token with the registry key (run where the registry data lives)')
    .description(
      'Sign a bearer token with the registry key found in the registry data directory ' +
        '(DIR/registry.private.jwk). Prints the token alone, ready for ENLACE_REGISTRY_TOKEN. ' +
        'A token is for one service only (--for) and carries a random id (jti) to revoke it by; ' +
        'focal-point and fiu-analyst tokens need --country. Give a focal point its registry id as ' +
        'subject: deactivating the focal point then revokes its tokens.',
    )
    .requiredOption('-d, --data <dir>', 'the registry data directory (holds registry.private.jwk)')
    .requiredOption(
      '-s, --subject <name>',
      'who the token is for, e.g. admin@secretariat or mx-inm-liaison-1',
    )
    .addOption(
      new Option('-r, --role <role>', 'a role of the token (repeat for several)')
        .choices(roles.token)
        .argParser(collect)
        .makeOptionMandatory(),
    )
    .option('-c, --country <code>', 'the holder’s country (required for focal-point and fiu-analyst)')
    .addOption(
      new Option(
        '--for <service>',
        'the one service that accepts it (default: node for focal-point, feed for fiu-analyst, else registry)',
      ).choices(SERVICES),
    )
    .option('--ttl <duration>', 'lifetime: 30m, 8h, 24h (at most 24h)', '12h')
    .option('--json', 'print { token, jti, subject, roles, country, audience, expiresAt }')
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
        for?: Service;
        ttl: string;
        json?: boolean;
      }) => {
        const ttlSeconds = parseTtl(opts.ttl);
        const country = opts.country === undefined ? undefined : upperCountry(opts.country);
        const {
          createToken,
          REGISTRY_PRIVATE_KEY_FILE,
          SERVICE_AUDIENCES,
          TrustError: RegistryError,
        } = await import('@enlace/trust');
        const keyFile = join(opts.data, REGISTRY_PRIVATE_KEY_FILE);
        const jwk = await readStructuredFile(keyFile, 'registry private key');
        if (typeof jwk !== 'object' || jwk === null || typeof (jwk as { kid?: unknown }).kid !== 'string') {
          throw new CliError('ERR_KEY_INVALID', `${keyFile} is not a registry private JWK with a kid`);
        }
        const privateJwk = jwk as Record<string, unknown> & { kid: string };
        const audience = SERVICE_AUDIENCES[opts.for ?? defaultService(opts.role)];
        let issued: Awaited<ReturnType<typeof createToken>>;
        try {
          issued = await createToken(
            { privateJwk, kid: privateJwk.kid },
            {
              subject: opts.subject,
              roles: opts.role as Parameters<typeof createToken>[1]['roles'],
              audience,
              ttlSeconds,
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
        if (opts.json) {
          io.stdout.write(
            `${JSON.stringify(
              {
                token: issued.token,
                jti: issued.jti,
                subject: opts.subject,
                roles: [...new Set(opts.role)],
                country,
                audience,
                expiresAt: issued.expiresAt.toISOString(),
              },
              null,
              2,
            )}\n`,
          );
        } else {
          io.stdout.write(`${issued.token}\n`);
        }
      },
    );

  why(
    endpoint(
      token
        .command('revoke')
        .summary('revoke a bearer token by its id (administrator)')
        .description(
          'Revoke a bearer token by its id (the jti claim; `enlace registry token --json` prints it). ' +
            'The registry refuses it at once; nodes and the feed service within seconds, when the ' +
            "registry's change event brings them the signed snapshot that lists it. The id stays on " +
            'the list until the token would have expired anyway (24 h at most). Needs an ' +
            "administrator's registry token; the revocation is audited with --reason.",
        ),
    ),
    true,
  )
    .argument('<jti>', 'the token id, e.g. 0b5e3c1e-6c1a-4f7e-9f49-3d2f4c6a8e10')
    .addHelpText(
      'after',
      '\nExample:\n  $ enlace registry token revoke 0b5e3c1e-6c1a-4f7e-9f49-3d2f4c6a8e10 --reason "laptop stolen"\n',
    )
    .action(async (jti: string, opts: EndpointOptions & Why) => {
      const body = withWhy({ reason: opts.reason! }, opts);
      const revoked = await registryCall(connect(opts, io).tokens.revoke(jti, body));
      print(
        io,
        opts,
        revoked,
        () => `Revoked token ${revoked.jti} at ${revoked.revokedAt} (listed until ${revoked.expiresAt})\n`,
      );
    });
}
