/**
 * `enlace alert verify`: the checks a receiving node makes that need no registry — the
 * signature against the origin's JWKS, that the signing key belongs to the origin country, and
 * that the alert is valid — with a verdict and a stable reason code.
 */
import {
  createJwksResolver,
  CryptoError,
  decryptForRecipient,
  parseJwks,
  parseKid,
  parsePrivateJwk,
  verifySignedAlert,
} from '@enlace/crypto';
import {
  alertBodyToJson,
  alertToJson,
  AlertValidationError,
  assertValidAlert,
  decodeAlert,
  decodeAlertBody,
  decodeSignedAlert,
  SchemaError,
} from '@enlace/schema';
import type { Alert, SignedAlert } from '@enlace/schema';

import { CliError } from '../errors.js';
import { readInputFile, readStructuredFile } from '../io.js';
import type { CliIo } from '../main.js';
import { renderAlert } from '../render.js';
import { decodeProtectedHeader } from './protected-header.js';

/** The same reason codes a node records for a rejected alert. */
export type VerifyReason = 'malformed' | 'unknown_key' | 'bad_signature';

interface Verdict {
  valid: boolean;
  reason?: VerifyReason;
  message: string;
  kid?: string;
}

function reasonFor(error: CryptoError): VerifyReason {
  switch (error.code) {
    case 'ERR_KEY_UNKNOWN':
    case 'ERR_KEY_WRONG_TYPE':
      return 'unknown_key';
    case 'ERR_SIGNATURE_INVALID':
      return 'bad_signature';
    default:
      return 'malformed';
  }
}

export async function alertVerify(
  file: string,
  opts: { jwks: string; decryptKey?: string; json?: boolean },
  io: CliIo,
): Promise<void> {
  const bytes = await readInputFile(file, 'signed alert');
  let resolver;
  try {
    resolver = createJwksResolver(parseJwks(await readStructuredFile(opts.jwks, 'key set')));
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw new CliError(
      'ERR_KEY_INVALID',
      `key set ${opts.jwks} is not a valid JWKS: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const decryptKey = opts.decryptKey ? await loadDecryptKey(opts.decryptKey) : undefined;

  let signed: SignedAlert | undefined;
  let alert: Alert | undefined;
  let verdict: Verdict;
  try {
    signed = decodeSignedAlert(bytes);
    alert = decodeAlert(signed.alert);
    const verified = await verifySignedAlert(signed, resolver);
    const origin = alert.header?.origin ?? '';
    const owner = parseKid(verified.kid)?.country;
    if (owner !== origin) {
      verdict = {
        valid: false,
        reason: 'unknown_key',
        kid: verified.kid,
        message: `the alert claims origin ${origin || '(none)'} but was signed with ${verified.kid}, which is not a key of ${origin || 'that country'}`,
      };
    } else {
      assertValidAlert(alert);
      verdict = {
        valid: true,
        kid: verified.kid,
        message: `signature verified with ${verified.kid} (key of ${origin}); the alert is valid`,
      };
    }
  } catch (error) {
    if (error instanceof CryptoError) {
      verdict = { valid: false, reason: reasonFor(error), message: error.message };
    } else if (error instanceof AlertValidationError) {
      verdict = { valid: false, reason: 'malformed', message: error.message };
    } else if (error instanceof SchemaError) {
      verdict = {
        valid: false,
        reason: 'malformed',
        message: `${file} is not a signed alert: ${error.message}`,
      };
    } else {
      throw error;
    }
  }

  let bodyJson: Record<string, unknown> | undefined;
  if (verdict.valid && decryptKey && alert?.body?.$case === 'encrypted') {
    try {
      const plain = await decryptForRecipient(alert.body.encrypted.jwe, decryptKey);
      bodyJson = alertBodyToJson(decodeAlertBody(plain));
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new CliError(
        'ERR_INPUT_INVALID',
        `the alert is valid, but its body could not be decrypted: ${message}`,
        {
          cause,
          exitCode: 1,
        },
      );
    }
  }

  const alertJson = alert ? (alertToJson(alert) as Record<string, unknown>) : undefined;
  if (opts.json) {
    io.stdout.write(
      `${JSON.stringify(
        {
          verdict: verdict.valid ? 'valid' : 'rejected',
          ...(verdict.reason ? { reason: verdict.reason } : {}),
          message: verdict.message,
          ...(verdict.kid ? { kid: verdict.kid } : {}),
          ...(signed ? { protectedHeader: decodeProtectedHeader(signed.protectedHeader) } : {}),
          ...(alertJson ? { alert: alertJson } : {}),
          ...(bodyJson === undefined ? {} : { decryptedBody: bodyJson }),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    if (alertJson) {
      // A restricted alert's title travels inside the encrypted body: show the decrypted one.
      const header = (alertJson['header'] ?? {}) as Record<string, unknown>;
      const title = bodyJson?.['title'];
      io.stdout.write(
        renderAlert(typeof title === 'string' ? { ...alertJson, header: { ...header, title } } : alertJson),
      );
    }
    if (bodyJson !== undefined) {
      io.stdout.write(`Decrypted body\n${JSON.stringify(bodyJson, null, 2).replace(/^/gm, '  ')}\n`);
    }
    io.stdout.write(
      verdict.valid
        ? `Verdict: VALID: ${verdict.message}\n`
        : `Verdict: REJECTED (${verdict.reason}): ${verdict.message}\n`,
    );
  }
  if (!verdict.valid) {
    // The verdict is printed in full above; the exit code tells a script.
    throw new CliError('ERR_VERIFICATION_FAILED', `verification failed (${verdict.reason})`, { exitCode: 1 });
  }
}

async function loadDecryptKey(path: string) {
  try {
    return parsePrivateJwk(await readStructuredFile(path, 'decryption key'), 'enc');
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw new CliError('ERR_KEY_INVALID', `${path}: ${(cause as Error).message}`, { cause });
  }
}
