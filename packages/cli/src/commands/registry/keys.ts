/**
 * `enlace registry keys`: countries' public keys as the registry holds them — list, register
 * from a JWK or JWKS file, rotate, revoke.
 */
import type { KeyJson, KeyRotationJson } from '@enlace/client';
import type { Command } from 'commander';
import { Option } from 'commander';

import { CliError } from '../../errors.js';
import type { CliIo } from '../../main.js';
import { readStructuredFile } from '../../io.js';
import { keyState, table } from '../../registry/render.js';
import { collect, connect, endpoint, print, registryCall, upperCountry, why, withWhy } from './options.js';
import type { EndpointOptions, Why } from './options.js';

export function addKeysCommands(group: Command, io: CliIo): void {
  const keys = group
    .command('keys')
    .description("countries' public keys as the registry holds them")
    .exitOverride();
  endpoint(keys.command('list').description('list registered keys, revoked ones included'))
    .option('-c, --country <code>', 'only this country')
    .addOption(new Option('--use <use>', 'only signing or encryption keys').choices(['sig', 'enc']))
    .option('--active', 'only keys valid and not revoked now')
    .action(async (opts: EndpointOptions & { country?: string; use?: string; active?: boolean }) => {
      const body = await registryCall(
        connect(opts, io).keys.list({
          ...(opts.country !== undefined && { country: upperCountry(opts.country) }),
          ...(opts.use !== undefined && { use: opts.use as 'sig' | 'enc' }),
          ...(opts.active === true && { active: true }),
        }),
      );
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
        const registry = connect(opts, io);
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
            registered.push(await registryCall(registry.keys.register(body)));
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
        const registry = connect(opts, io);
        const selected = await readPublicKeys(opts.jwk, opts.kid);
        if (opts.kid === undefined && new Set(selected.map((k) => k.use)).size < selected.length) {
          throw new CliError(
            'ERR_USAGE',
            `${opts.jwk} holds several keys of one use (${selected.map((k) => k.kid).join(', ')}); name the new ones with --kid`,
          );
        }
        const rotations: KeyRotationJson[] = [];
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
          rotations.push(await registryCall(registry.keys.rotate(body)));
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
      const body = withWhy({ reason: opts.reason!, ...(opts.at !== undefined && { at: opts.at }) }, opts);
      const key = await registryCall(connect(opts, io).keys.revoke(kid, body));
      print(io, opts, key, () => `Revoked ${key.kid} from ${key.revokedAt ?? '?'}\n`);
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
