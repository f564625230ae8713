/**
 * `enlace alert decode`: shows what a SignedAlert file contains, without verifying anything.
 */
import { alertToJson, decodeAlert, decodeSignedAlert, SchemaError } from '@enlace/schema';

import { CliError } from '../errors.js';
import { readInputFile } from '../io.js';
import type { CliIo } from '../main.js';
import { renderAlert } from '../render.js';
import { decodeProtectedHeader } from './protected-header.js';

export async function alertDecode(file: string, opts: { json?: boolean }, io: CliIo): Promise<void> {
  const bytes = await readInputFile(file, 'signed alert');
  let alertJson: Record<string, unknown>;
  let signed;
  try {
    signed = decodeSignedAlert(bytes);
    alertJson = alertToJson(decodeAlert(signed.alert)) as Record<string, unknown>;
  } catch (cause) {
    if (cause instanceof SchemaError) {
      throw new CliError('ERR_INPUT_INVALID', `${file} is not a signed alert: ${cause.message}`, { cause });
    }
    throw cause;
  }
  const protectedHeader = decodeProtectedHeader(signed.protectedHeader);
  if (opts.json) {
    io.stdout.write(
      `${JSON.stringify(
        {
          verified: false,
          protectedHeader,
          signature: Buffer.from(signed.signature).toString('base64url'),
          alert: alertJson,
        },
        null,
        2,
      )}\n`,
    );
    return;
  }
  io.stdout.write(
    'NOT VERIFIED: decoded for inspection only; use `enlace alert verify` before relying on it.\n',
  );
  io.stdout.write(renderAlert(alertJson));
  io.stdout.write(
    `Signature\n  header      ${protectedHeader === undefined ? '(unreadable)' : JSON.stringify(protectedHeader)}\n` +
      `  bytes       ${signed.signature.length}\n`,
  );
}
