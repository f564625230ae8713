/**
 * `enlace registry ...`: administer the registry from a terminal or a script. `token` signs a
 * bearer token with the registry key in the registry's data directory; every other command calls
 * the registry's HTTP API at --url (or $ENLACE_REGISTRY_URL) with --token (or
 * $ENLACE_REGISTRY_TOKEN). Refusals print as one line with the registry's code and field paths.
 */
import { join } from 'node:path';

import type { Command } from 'commander';
import { Option } from 'commander';

import { CliError } from '../errors.js';
import { readStructuredFile, writeOutputFile } from '../io.js';
import type { CliIo } from '../main.js';
// The registry's own lists (a module without Nest or NATS), so the CLI offers exactly what it accepts.
import { MEMBERSHIP_ROLES } from '@enlace/policy';
import { FOCAL_POINT_ROLES, TOKEN_ROLES } from '@enlace/trust';
import { RegistryHttp } from '../registry/registry-http.js';
import type { CountryJson, KeyJson } from '../registry/render.js';
import { currentStatus, keyState, renderCountry, table } from '../registry/render.js';

interface EndpointOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

interface Why {
  reason?: string;
  decision?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function env(io: CliIo, name: string): string | undefined {
  const value = (io.env ?? process.env)[name];
  return value === undefined || value === '' ? undefined : value;
}

function connect(opts: EndpointOptions, io: CliIo, needsToken = true): RegistryHttp {
  const url = opts.url ?? env(io, 'ENLACE_REGISTRY_URL');
  if (url === undefined) {
    throw new CliError(
      'ERR_USAGE',
      'no registry URL: pass --url http://host:port or set ENLACE_REGISTRY_URL',
    );
  }
  const token = opts.token ?? env(io, 'ENLACE_REGISTRY_TOKEN');
  if (needsToken && token === undefined) {
    throw new CliError(
      'ERR_USAGE',
      'no registry token: pass --token or set ENLACE_REGISTRY_TOKEN (an administrator makes one with `enlace registry token`)',
    );
  }
  return new RegistryHttp({ url, ...(token !== undefined && { token }) });
}

function print(io: CliIo, opts: { json?: boolean }, value: unknown, human: () => string): void {
  io.stdout.write(opts.json ? `${JSON.stringify(value, null, 2)}\n` : human());
}

function withWhy<T extends object>(body: T, why: Why): T & Why {
  return {
    ...body,
    ...(why.reason !== undefined && { reason: why.reason }),
    ...(why.decision !== undefined && { decision: why.decision }),
  };
}

function upperCountry(value: string, option = '--country'): string {
  const code = value.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(code)) {
    throw new CliError(
      'ERR_USAGE',
      `${option} must be an ISO 3166-1 alpha-2 code such as MX (got "${value}")`,
    );
  }
  return code;
}

/** `8h`, `30m`, `7d`, `90s` or a number of seconds. */
export function parseTtl(value: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value.trim());
  if (match === null) {
    throw new CliError('ERR_USAGE', `--ttl must be a duration such as 30m, 8h or 7d (got "${value}")`);
  }
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** Adds --url, --token and --json to a command that calls the registry. */
function endpoint(command: Command): Command {
  return command
    .option('--url <url>', 'registry base URL (default: $ENLACE_REGISTRY_URL)')
    .option('--token <token>', 'bearer token (default: $ENLACE_REGISTRY_TOKEN)')
    .option('--json', 'print the registry’s JSON answer')
    .exitOverride();
}

/** Adds --reason and --decision; `required` makes --reason mandatory. */
function why(command: Command, required: boolean): Command {
  const reason = new Option('--reason <text>', 'why, in words (kept in the audit trail)');
  if (required) reason.makeOptionMandatory();
  return command
    .addOption(reason)
    .option('--decision <text>', 'the decision it rests on, e.g. "XVII RCM (Panama, 2012), decision 6"');
}

interface ListBody<T> {
  revision: number;
  items: T[];
}

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
        .choices(TOKEN_ROLES)
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
        const { issueToken, REGISTRY_PRIVATE_KEY_FILE, TrustError: RegistryError } =
          await import('@enlace/trust');
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
              roles: opts.role as Array<(typeof TOKEN_ROLES)[number]>,
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

  // ---- countries ------------------------------------------------------------------------------
  const countries = registry
    .command('countries')
    .description('the countries of the process and their status')
    .exitOverride();
  endpoint(countries.command('list').description('list countries with their current status')).action(
    async (opts: EndpointOptions) => {
      const body = await connect(opts, io).get<ListBody<CountryJson>>('v1/countries');
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
      const body = await connect(opts, io).get<CountryJson>(`v1/countries/${upperCountry(code, '<code>')}`);
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
            status: opts.status,
            ...(names !== undefined && { names }),
            ...(opts.effectiveAt !== undefined && { effectiveAt: opts.effectiveAt }),
          },
          opts,
        );
        const country = await connect(opts, io).post<CountryJson>('v1/countries', body);
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
          { ...(opts.effectiveAt !== undefined && { effectiveAt: opts.effectiveAt }) },
          opts,
        );
        const country = await connect(opts, io).post<CountryJson>(`v1/countries/${cc}/${change}`, body);
        print(io, opts, country, () => `${past} ${cc}\n${renderCountry(country)}`);
      });
  }

  // ---- memberships ----------------------------------------------------------------------------
  interface MembershipJson {
    id: string;
    country: string;
    network: string;
    role: string;
    validFrom: string;
    validUntil?: string;
  }
  const memberships = registry
    .command('memberships')
    .description('which country holds which role on which network, and when')
    .exitOverride();
  endpoint(memberships.command('list').description('list memberships'))
    .option('-c, --country <code>', 'only this country')
    .option('-n, --network <id>', 'only this network')
    .option('--active-at <instant>', 'only those valid at this instant')
    .action(async (opts: EndpointOptions & { country?: string; network?: string; activeAt?: string }) => {
      const body = await connect(opts, io).get<ListBody<MembershipJson>>('v1/memberships', {
        country: opts.country === undefined ? undefined : upperCountry(opts.country),
        network: opts.network,
        activeAt: opts.activeAt,
      });
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
      new Option('--role <role>', 'role on the network').choices(MEMBERSHIP_ROLES).makeOptionMandatory(),
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
            role: opts.role,
            ...(opts.from !== undefined && { validFrom: opts.from }),
            ...(opts.until !== undefined && { validUntil: opts.until }),
          },
          opts,
        );
        const m = await connect(opts, io).post<MembershipJson>('v1/memberships', body);
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
      new Option('--role <role>', 'role on the network').choices(MEMBERSHIP_ROLES).makeOptionMandatory(),
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
            role: opts.role,
            ...(opts.at !== undefined && { at: opts.at }),
          },
          opts,
        );
        const m = await connect(opts, io).post<MembershipJson>('v1/memberships/end', body);
        print(
          io,
          opts,
          m,
          () => `Ended ${m.country} as ${m.role} on ${m.network} at ${m.validUntil ?? '?'}\n`,
        );
      },
    );

  // ---- focal points ---------------------------------------------------------------------------
  interface FocalPointJson {
    id: string;
    kind: string;
    name: string;
    agency: string;
    role: string;
    country: string;
    networks: string[];
    contact: { channel: string; address: string };
    active: boolean;
  }
  const focalPoints = registry
    .command('focal-points')
    .description('the directory of focal points: who acts for a country on which networks')
    .exitOverride();
  endpoint(focalPoints.command('list').description('list focal points'))
    .option('-c, --country <code>', 'only this country')
    .option('-n, --network <id>', 'only this network')
    .addOption(new Option('--role <role>', 'only this role').choices(FOCAL_POINT_ROLES))
    .addOption(
      new Option('--active <bool>', 'only active (true) or inactive (false)').choices(['true', 'false']),
    )
    .action(
      async (
        opts: EndpointOptions & { country?: string; network?: string; role?: string; active?: string },
      ) => {
        const body = await connect(opts, io).get<ListBody<FocalPointJson>>('v1/focal-points', {
          country: opts.country === undefined ? undefined : upperCountry(opts.country),
          network: opts.network,
          role: opts.role,
          active: opts.active,
        });
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
      new Option('--role <role>', 'role of the focal point').choices(FOCAL_POINT_ROLES).makeOptionMandatory(),
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
            kind: opts.kind,
            name: opts.name,
            agency: opts.agency,
            role: opts.role,
            country: upperCountry(opts.country),
            networks: opts.network,
            contact: { channel: match[1]!, address: match[2]! },
            ...(opts.id !== undefined && { id: opts.id }),
          },
          opts,
        );
        const f = await connect(opts, io).post<FocalPointJson>('v1/focal-points', body);
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
      const f = await connect(opts, io).post<FocalPointJson>(
        `v1/focal-points/${encodeURIComponent(id)}/deactivate`,
        withWhy({}, opts),
      );
      print(io, opts, f, () => `Deactivated focal point ${f.id} (${f.name})\n`);
    });

  // ---- keys -----------------------------------------------------------------------------------
  const keys = registry
    .command('keys')
    .description("countries' public keys as the registry holds them")
    .exitOverride();
  endpoint(keys.command('list').description('list registered keys, revoked ones included'))
    .option('-c, --country <code>', 'only this country')
    .addOption(new Option('--use <use>', 'only signing or encryption keys').choices(['sig', 'enc']))
    .option('--active', 'only keys valid and not revoked now')
    .action(async (opts: EndpointOptions & { country?: string; use?: string; active?: boolean }) => {
      const body = await connect(opts, io).get<ListBody<KeyJson>>('v1/keys', {
        country: opts.country === undefined ? undefined : upperCountry(opts.country),
        use: opts.use,
        active: opts.active ? 'true' : undefined,
      });
      print(io, opts, body, () =>
        table(
          ['KID', 'COUNTRY', 'USE', 'NOT BEFORE', 'NOT AFTER', 'STATE'],
          body.items.map((k) => [k.kid, k.country, k.use, k.notBefore, k.notAfter ?? '-', keyState(k)]),
        ),
      );
    });
  why(
    endpoint(
      keys
        .command('register')
        .summary("register a country's public keys from a JWK or JWKS file")
        .description(
          "Register a country's public keys from a JWK or a JWKS file (e.g. the jwks.json written " +
            'by `enlace keys generate`): every key in it, or those named by --kid.',
        ),
    ),
    false,
  )
    .requiredOption('--jwk <file>', 'public JWK or JWKS (jwks.json); private keys are refused')
    .option('-c, --country <code>', "the keys' country (default: from each kid, e.g. MX-sig-2026-01)")
    .option('--kid <kid>', 'register only this key of the file (repeat for several)', collect)
    .option('--not-before <instant>', 'valid from (RFC 3339 UTC); default now')
    .option('--not-after <instant>', 'valid until (exclusive); default open-ended')
    .addHelpText('after', '\nExample:\n  $ enlace registry keys register --jwk keys/mx/jwks.json\n')
    .action(
      async (
        opts: EndpointOptions &
          Why & { jwk: string; country?: string; kid?: string[]; notBefore?: string; notAfter?: string },
      ) => {
        const http = connect(opts, io);
        const selected = await readPublicKeys(opts.jwk, opts.kid);
        const registered: KeyJson[] = [];
        for (const jwk of selected) {
          const body = withWhy(
            {
              country: countryOfKey(jwk, opts.country),
              publicJwk: jwk,
              ...(opts.notBefore !== undefined && { notBefore: opts.notBefore }),
              ...(opts.notAfter !== undefined && { notAfter: opts.notAfter }),
            },
            opts,
          );
          try {
            registered.push(await http.post<KeyJson>('v1/keys', body));
          } catch (error) {
            if (error instanceof CliError && registered.length > 0) {
              throw new CliError(
                error.code,
                `${error.message} (after registering ${registered.map((k) => k.kid).join(', ')})`,
                {
                  cause: error,
                  exitCode: error.exitCode,
                },
              );
            }
            throw error;
          }
        }
        print(io, opts, { keys: registered }, () =>
          registered
            .map((k) => `Registered ${k.kid} (${k.country}, ${k.use}) valid from ${k.notBefore}\n`)
            .join(''),
        );
      },
    );
  why(
    endpoint(
      keys
        .command('rotate')
        .summary('rotate to a new key: the current key of the same use ends when it takes over')
        .description(
          'Rotate to a new key: it takes over at --at and the current key of the same use ends then. ' +
            'The file may be a JWKS; name the new keys with --kid when it holds older ones too.',
        ),
    ),
    false,
  )
    .requiredOption('--jwk <file>', 'the new public JWK, or a JWKS holding it')
    .option('-c, --country <code>', "the key's country (default: from its kid)")
    .option('--kid <kid>', 'the new key(s) in the file (repeat for sig and enc)', collect)
    .option('--at <instant>', 'when the new key takes over (RFC 3339 UTC); default now')
    .option('--not-after <instant>', 'the new key is valid until (exclusive)')
    .action(
      async (
        opts: EndpointOptions &
          Why & { jwk: string; country?: string; kid?: string[]; at?: string; notAfter?: string },
      ) => {
        const http = connect(opts, io);
        const selected = await readPublicKeys(opts.jwk, opts.kid);
        if (opts.kid === undefined && new Set(selected.map((k) => k.use)).size < selected.length) {
          throw new CliError(
            'ERR_USAGE',
            `${opts.jwk} holds several keys of one use (${selected.map((k) => k.kid).join(', ')}); name the new ones with --kid`,
          );
        }
        const rotations: Array<{ previous?: KeyJson; current: KeyJson }> = [];
        for (const jwk of selected) {
          const body = withWhy(
            {
              country: countryOfKey(jwk, opts.country),
              publicJwk: jwk,
              ...(opts.at !== undefined && { at: opts.at }),
              ...(opts.notAfter !== undefined && { notAfter: opts.notAfter }),
            },
            opts,
          );
          rotations.push(await http.post<{ previous?: KeyJson; current: KeyJson }>('v1/keys/rotate', body));
        }
        print(io, opts, { rotations }, () =>
          rotations
            .map(
              (r) =>
                `Rotated ${r.current.country} ${r.current.use}: ${r.previous?.kid ?? '(none)'} -> ${r.current.kid} from ${r.current.notBefore}\n`,
            )
            .join(''),
        );
      },
    );
  why(
    endpoint(keys.command('revoke').description('revoke a key: it verifies nothing issued at or after --at')),
    true,
  )
    .argument('<kid>', 'the key, e.g. MX-sig-2026-01')
    .option('--at <instant>', 'from when (RFC 3339 UTC); default now')
    .action(async (kid: string, opts: EndpointOptions & Why & { at?: string }) => {
      const body = withWhy({ ...(opts.at !== undefined && { at: opts.at }) }, opts);
      const key = await connect(opts, io).post<KeyJson>(`v1/keys/${encodeURIComponent(kid)}/revoke`, body);
      print(io, opts, key, () => `Revoked ${key.kid} from ${key.revokedAt ?? '?'}\n`);
    });

  // ---- audit ----------------------------------------------------------------------------------
  interface AuditJson {
    at: string;
    actor: string;
    action: string;
    entity: string;
    entityId: string;
    outcome: string;
    code?: string;
    reason?: string;
  }
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
        const body = await connect(opts, io).get<{ items: AuditJson[] }>('v1/audit', {
          actor: opts.actor,
          action: opts.action,
          entity: opts.entity,
          entityId: opts.entityId,
          since: opts.since,
          until: opts.until,
          limit: opts.limit,
        });
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

  // ---- snapshot -------------------------------------------------------------------------------
  registry
    .command('snapshot')
    .summary('fetch the signed registry snapshot and verify it against the pinned registry key')
    .description(
      'Fetch the signed registry snapshot (compact JWS). With --verify-with, check it against the ' +
        'registry key you pinned (registry.public.jwk, or GET /.well-known/enlace-registry.jwk); ' +
        'exit code 1 when it does not verify.',
    )
    .option('--url <url>', 'registry base URL (default: $ENLACE_REGISTRY_URL)')
    .option('-o, --out <file>', 'write the JWS to this file')
    .option('--verify-with <jwk>', 'the pinned registry public key (JWK file)')
    .option('--json', 'print { verified, revision, generatedAt, registryKid, countries, keys }')
    .exitOverride()
    .action(async (opts: { url?: string; out?: string; verifyWith?: string; json?: boolean }) => {
      const http = connect(opts, io, false);
      const jws = (await http.getText('v1/snapshot', 'application/jose')).trim();
      let snapshot: Record<string, unknown>;
      let verified = false;
      if (opts.verifyWith !== undefined) {
        const pinned = await readStructuredFile(opts.verifyWith, 'pinned registry key');
        const { verifySignedSnapshot, TrustError: RegistryError } = await import('@enlace/trust');
        try {
          snapshot = (await verifySignedSnapshot(jws, pinned)) as unknown as Record<string, unknown>;
          verified = true;
        } catch (cause) {
          if (cause instanceof RegistryError) {
            throw new CliError(
              'ERR_VERIFICATION_FAILED',
              `the snapshot does not verify (${cause.code}): ${cause.message}`,
              {
                cause,
                exitCode: cause.code === 'ERR_VALIDATION' ? 2 : 1,
              },
            );
          }
          throw cause;
        }
      } else {
        snapshot = decodePayload(jws);
      }
      if (opts.out !== undefined) await writeOutputFile(opts.out, `${jws}\n`);
      const policy = (snapshot['policy'] ?? {}) as { countries?: unknown[]; memberships?: unknown[] };
      const summary = {
        verified,
        revision: snapshot['revision'],
        generatedAt: snapshot['generatedAt'],
        registryKid: snapshot['registryKid'],
        countries: policy.countries?.length ?? 0,
        memberships: policy.memberships?.length ?? 0,
        keys: Array.isArray(snapshot['keys']) ? snapshot['keys'].length : 0,
        ...(opts.out !== undefined && { out: opts.out }),
      };
      print(io, opts, summary, () => {
        let out = `Snapshot revision ${String(summary.revision)} generated ${String(summary.generatedAt)} by ${String(summary.registryKid)}\n`;
        out += `  ${summary.countries} countries, ${summary.memberships} memberships, ${summary.keys} keys\n`;
        out += verified
          ? `  signature   verified with the pinned key ${opts.verifyWith}\n`
          : '  signature   NOT VERIFIED (pass --verify-with <pinned registry JWK>)\n';
        if (opts.out !== undefined) out += `  written to  ${opts.out}\n`;
        return out;
      });
    });
}

interface PublicJwkJson extends Record<string, unknown> {
  kid: string;
  use?: string;
}

/** The public keys of a JWK or JWKS file, optionally only those named; private keys refused. */
async function readPublicKeys(file: string, kids: string[] | undefined): Promise<PublicJwkJson[]> {
  const json = await readStructuredFile(file, 'key file');
  const all: unknown[] =
    typeof json === 'object' && json !== null && Array.isArray((json as { keys?: unknown }).keys)
      ? (json as { keys: unknown[] }).keys
      : [json];
  const keys: PublicJwkJson[] = [];
  all.forEach((key, index) => {
    if (typeof key !== 'object' || key === null || typeof (key as { kid?: unknown }).kid !== 'string') {
      throw new CliError('ERR_KEY_INVALID', `${file}: key ${index} is not a JWK with a kid`);
    }
    if ('d' in key) {
      throw new CliError(
        'ERR_KEY_INVALID',
        `${file} holds a private key (${String((key as { kid?: unknown }).kid)}); register only public keys (jwks.json)`,
      );
    }
    keys.push(key as PublicJwkJson);
  });
  if (kids === undefined) {
    if (keys.length === 0) throw new CliError('ERR_KEY_INVALID', `${file} holds no keys`);
    return keys;
  }
  return kids.map((kid) => {
    const key = keys.find((k) => k.kid === kid);
    if (key === undefined) {
      throw new CliError(
        'ERR_USAGE',
        `--kid ${kid} is not in ${file} (it holds ${keys.map((k) => k.kid).join(', ')})`,
      );
    }
    return key;
  });
}

function countryOfKey(jwk: PublicJwkJson, country: string | undefined): string {
  if (country !== undefined) return upperCountry(country);
  const prefix = jwk.kid.split('-')[0] ?? '';
  if (!/^[A-Z]{2}$/.test(prefix)) {
    throw new CliError('ERR_USAGE', `cannot tell the country of key ${jwk.kid}; pass --country`);
  }
  return prefix;
}

function decodePayload(jws: string): Record<string, unknown> {
  const parts = jws.split('.');
  try {
    if (parts.length !== 3) throw new Error('not three parts');
    return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch (cause) {
    throw new CliError(
      'ERR_REGISTRY_UNREACHABLE',
      'the registry answered something that is not a snapshot JWS',
      {
        cause,
        exitCode: 1,
      },
    );
  }
}
