/**
 * `enlace alert sign`: turns a draft into a SignedAlert. The draft is checked strictly, given a
 * UUIDv7 id and an issue time, its body encrypted when it is restricted to named recipients,
 * validated again as a whole, and signed over its exact protobuf bytes.
 */
import { CryptoError, parseJwks, parseKid, parsePrivateJwk, signAlert } from '@enlace/crypto';
import {
  alertFromJson,
  AlertValidationError,
  assertValidAlert,
  encodeAlert,
  encodeSignedAlert,
} from '@enlace/schema';
import type { Alert } from '@enlace/schema';
import { v7 as uuidv7 } from 'uuid';

import { sealBody } from '../seal.js';
import { CliError } from '../errors.js';
import { readStructuredFile, writeOutputFile } from '../io.js';
import type { CliIo } from '../main.js';

export interface AlertSignOptions {
  key: string;
  in: string;
  out: string;
  recipientsJwks?: string;
  force?: boolean;
  json?: boolean;
}

/** The violations on one line: `2 problems: route.waypoints: … ; route.waypoints[0]…: …`. */
function describeViolations(error: AlertValidationError): string {
  const count = error.violations.length === 1 ? '1 problem' : `${error.violations.length} problems`;
  const items = error.violations.map((v) => `${v.path === '' ? '(alert)' : v.path}: ${v.message}`);
  return `${count}: ${items.join('; ')}`;
}

export async function alertSign(opts: AlertSignOptions, io: CliIo): Promise<void> {
  const signingKey = await loadKey(opts.key);
  const draftJson = await readStructuredFile(opts.in, 'draft');
  let draft: Alert;
  try {
    draft = alertFromJson(draftJson, { draft: true });
    assertValidAlert(draft, { draft: true });
  } catch (cause) {
    if (cause instanceof AlertValidationError) {
      throw new CliError(
        'ERR_ALERT_INVALID',
        `draft ${opts.in} is not a valid alert: ${describeViolations(cause)}`,
        { cause },
      );
    }
    throw cause;
  }
  const header = draft.header!;
  if (header.id) {
    throw new CliError(
      'ERR_ALERT_INVALID',
      `draft ${opts.in}: header.id is set; a draft must not carry an id (it is given at signing)`,
    );
  }
  const owner = parseKid(signingKey.kid)?.country;
  if (owner !== header.origin) {
    throw new CliError(
      'ERR_KEY_INVALID',
      `key ${signingKey.kid} belongs to ${owner ?? 'an unknown country'}, but the draft's header.origin is ${header.origin}; sign with a key of ${header.origin}`,
    );
  }

  let alert: Alert = {
    ...draft,
    header: { ...header, id: uuidv7(), issuedAt: new Date(Math.floor(Date.now() / 1000) * 1000) },
  };
  if (header.recipients.length > 0 && alert.body?.$case !== 'encrypted') {
    if (!opts.recipientsJwks) {
      throw new CliError(
        'ERR_USAGE',
        `draft ${opts.in} is restricted to ${header.recipients.join(', ')}: give their encryption keys with --recipients-jwks FILE`,
      );
    }
    const jwks = parseJwks(await readStructuredFile(opts.recipientsJwks, 'recipients key set'));
    alert = await sealBody(alert, jwks);
  }
  try {
    assertValidAlert(alert);
  } catch (cause) {
    if (cause instanceof AlertValidationError) {
      throw new CliError(
        'ERR_ALERT_INVALID',
        `draft ${opts.in} is not a valid alert: ${describeViolations(cause)}`,
        { cause },
      );
    }
    throw cause;
  }

  const alertBytes = encodeAlert(alert);
  const signed = await signAlert(alertBytes, signingKey);
  const envelope = encodeSignedAlert(signed);
  await writeOutputFile(opts.out, envelope, { exclusive: !opts.force });

  const id = alert.header!.id;
  if (opts.json) {
    io.stdout.write(
      `${JSON.stringify({ id, kid: signingKey.kid, out: opts.out, bytes: envelope.length, restricted: header.recipients.length > 0 }, null, 2)}\n`,
    );
    return;
  }
  io.stdout.write(
    `Signed alert ${id} (${opts.in}) with ${signingKey.kid}\n` +
      `  wrote ${opts.out} (${envelope.length} bytes)` +
      (header.recipients.length > 0 ? `; body encrypted to ${header.recipients.join(', ')}\n` : '\n'),
  );
}

async function loadKey(path: string) {
  const json = await readStructuredFile(path, 'signing key');
  try {
    return parsePrivateJwk(json, 'sig');
  } catch (cause) {
    if (cause instanceof CryptoError) {
      throw new CliError('ERR_KEY_INVALID', `${path} is not a usable signing key: ${cause.message}`, {
        cause,
      });
    }
    throw cause;
  }
}
