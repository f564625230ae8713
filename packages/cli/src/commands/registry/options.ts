/**
 * What the `enlace registry` subcommands share: --url/--token/--json and --reason/--decision,
 * the connection to the registry from them (or $ENLACE_REGISTRY_URL, $ENLACE_REGISTRY_TOKEN),
 * printing JSON or text, and checks of country codes and durations.
 */
import type { RegistryClient } from '@enlace/client';
import type { Command } from 'commander';
import { Option } from 'commander';

import { CliError } from '../../errors.js';
import type { CliIo } from '../../main.js';
import { registryClient } from '../../registry/registry-http.js';

export { registryCall } from '../../registry/registry-http.js';

export interface EndpointOptions {
  url?: string;
  token?: string;
  json?: boolean;
}

export interface Why {
  reason?: string;
  decision?: string;
}

/** The role lists the registry accepts, given by the group (one import for all subcommands). */
export interface RegistryRoles {
  readonly token: readonly string[];
  readonly membership: readonly string[];
  readonly focalPoint: readonly string[];
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function env(io: CliIo, name: string): string | undefined {
  const value = (io.env ?? process.env)[name];
  return value === undefined || value === '' ? undefined : value;
}

export function connect(opts: EndpointOptions, io: CliIo, needsToken = true): RegistryClient {
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
  return registryClient({ url, ...(token !== undefined && { token }) });
}

export function print(io: CliIo, opts: { json?: boolean }, value: unknown, human: () => string): void {
  io.stdout.write(opts.json ? `${JSON.stringify(value, null, 2)}\n` : human());
}

export function withWhy<T extends object>(body: T, why: Why): T & Why {
  return {
    ...body,
    ...(why.reason !== undefined && { reason: why.reason }),
    ...(why.decision !== undefined && { decision: why.decision }),
  };
}

export function upperCountry(value: string, option = '--country'): string {
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
    throw new CliError('ERR_USAGE', `--ttl must be a duration such as 30m, 8h or 24h (got "${value}")`);
  }
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** Adds --url, --token and --json to a command that calls the registry. */
export function endpoint(command: Command): Command {
  return command
    .option('--url <url>', 'registry base URL (default: $ENLACE_REGISTRY_URL)')
    .option('--token <token>', 'bearer token (default: $ENLACE_REGISTRY_TOKEN)')
    .option('--json', 'print the registry’s JSON answer')
    .exitOverride();
}

/** Adds --reason and --decision; `required` makes --reason mandatory. */
export function why(command: Command, required: boolean): Command {
  const reason = new Option('--reason <text>', 'why, in words (kept in the audit trail)');
  if (required) reason.makeOptionMandatory();
  return command
    .addOption(reason)
    .option('--decision <text>', 'the decision it rests on, e.g. "XVII RCM (Panama, 2012), decision 6"');
}
