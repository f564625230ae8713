/**
 * The `enlace` command: keys, signing and verification of alerts, and administration of the
 * registry, from a terminal or a script.
 * `main` never throws and never exits the process: it returns the exit code, so it can be
 * driven in-process by tests and embedded by other tools.
 */
import { Command, CommanderError, Option } from 'commander';

import { keysGenerate } from './commands/keys-generate.js';
import { alertSign } from './commands/alert-sign.js';
import { alertVerify } from './commands/alert-verify.js';
import { alertDecode } from './commands/alert-decode.js';
import { addDeployCommands } from './commands/deploy.js';
import { addFeedCommands } from './commands/feed.js';
import { registerMatchCommands } from './commands/match.js';
import { addConsoleCommands } from './commands/console.js';
import { addRegistryCommands } from './commands/registry.js';
import { addRequestCommands } from './commands/request.js';
import { CliError } from './errors.js';
import type { Output } from './io.js';

export interface CliIo {
  stdout: Output;
  stderr: Output;
  /**
   * Environment variables (ENLACE_REGISTRY_URL, ENLACE_REGISTRY_TOKEN, ENLACE_FEED_URL,
   * ENLACE_FEED_TOKEN, ENLACE_NODE_URL, ENLACE_NODE_TOKEN); default process.env.
   */
  env?: Readonly<Record<string, string | undefined>>;
}

const processIo: CliIo = {
  stdout: { write: (text) => void process.stdout.write(text) },
  stderr: { write: (text) => void process.stderr.write(text), isTTY: process.stderr.isTTY },
  env: process.env,
};

export function createProgram(io: CliIo): Command {
  const program = new Command('enlace')
    .description(
      'Enlace: signed alerts on migrant smuggling and trafficking routes, fraudulent documents and ' +
        'criminal networks, exchanged between the focal points of the regional process.',
    )
    .version('0.1.0', '-V, --version')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(text.startsWith('error:') ? `enlace: ${text}` : text),
    })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const keys = program
    .command('keys')
    .description('create and inspect the keys a country signs and decrypts alerts with')
    .exitOverride();
  keys
    .command('generate')
    .description(
      'generate an Ed25519 signing key and an X25519 encryption key for a country.\n' +
        'Each private key goes to DIR/<kid>.private.jwk (mode 0600, never shared); the public keys\n' +
        'are added to DIR/jwks.json, which is what the registry and other countries need.',
    )
    .requiredOption('-c, --country <code>', 'ISO 3166-1 alpha-2 code of the country, e.g. MX')
    .requiredOption('-o, --out <dir>', 'directory to write the keys to (created if missing)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  $ enlace keys generate --country MX --out keys/mx\n')
    .exitOverride()
    .action(async (opts: { country: string; out: string; json?: boolean }) => {
      await keysGenerate(opts, io);
    });

  const alert = program
    .command('alert')
    .description('sign, verify and read alerts (enlace.alert.v1.SignedAlert files)')
    .exitOverride();
  alert
    .command('sign')
    .description(
      'validate a draft alert (proto3 JSON or YAML, without header.id and header.issuedAt),\n' +
        'give it an id and issue time, sign it with the country key and write the SignedAlert bytes.\n' +
        'A draft with header.recipients is restricted: its body is encrypted to those countries.',
    )
    .requiredOption('-k, --key <file>', "the origin country's private signing key (<kid>.private.jwk)")
    .requiredOption('-i, --in <draft>', 'the draft alert (.yaml, .yml or .json)')
    .requiredOption('-o, --out <file>', 'where to write the signed alert (binary protobuf)')
    .option('--recipients-jwks <file>', "JWKS holding the recipients' encryption keys (restricted alerts)")
    .option('-f, --force', 'replace --out if it already exists')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  $ enlace alert sign --key keys/mx/MX-sig-2026-01.private.jwk \\\n' +
        '      --in seeds/demo/route-mx-gt-us.yaml --out route.alert\n',
    )
    .exitOverride()
    .action(
      async (opts: {
        key: string;
        in: string;
        out: string;
        recipientsJwks?: string;
        force?: boolean;
        json?: boolean;
      }) => {
        await alertSign(opts, io);
      },
    );
  alert
    .command('verify')
    .description(
      "check a signed alert: the signature against the origin country's public keys, that the key\n" +
        'belongs to the origin, and that the alert is valid. Exit code 0 when valid, 1 when not.',
    )
    .argument('<alert>', 'signed alert file (binary enlace.alert.v1.SignedAlert)')
    .requiredOption('-j, --jwks <file>', 'JWKS with the public keys of the origin country')
    .option('--decrypt-key <file>', 'your private encryption key, to read a restricted body')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', '\nExample:\n  $ enlace alert verify --jwks keys/mx/jwks.json route.alert\n')
    .exitOverride()
    .action(async (file: string, opts: { jwks: string; decryptKey?: string; json?: boolean }) => {
      await alertVerify(file, opts, io);
    });
  alert
    .command('decode')
    .description('print a signed alert without verifying it (for inspection only: do not trust it)')
    .argument('<alert>', 'signed alert file (binary enlace.alert.v1.SignedAlert)')
    .option('--json', 'print the result as JSON')
    .exitOverride()
    .action(async (file: string, opts: { json?: boolean }) => {
      await alertDecode(file, opts, io);
    });

  addRegistryCommands(program, io);
  addFeedCommands(program, io);
  registerMatchCommands(program, io);
  addRequestCommands(program, io);
  addConsoleCommands(program, io);
  addDeployCommands(program, io);

  program.addOption(new Option('--no-color', 'accepted for compatibility; output has no colour').hideHelp());
  return program;
}

/** Runs the CLI with the given arguments (without `node` and the script) and returns the exit code. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end here too; commander has already printed what it had to.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      if (error.code === 'commander.help' || error.code === 'commander.executeSubCommandAsync') return 0;
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof CliError) {
      io.stderr.write(`enlace: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`enlace: unexpected error: ${(error as Error).message ?? String(error)}\n`);
    return 70;
  }
}
