/**
 * PEM certificate bundles read in one pass over the lines, with no regular expression: the time
 * taken grows linearly with the input whatever it holds (a `caCertificate` of many BEGIN lines
 * and no END cannot make it backtrack), and the input is capped before it is looked at.
 */
import { X509Certificate } from 'node:crypto';

/** Largest `caCertificate` accepted (64 KiB: a chain of a dozen certificates fits). */
export const MAX_CA_CERTIFICATE_LENGTH = 64 * 1024;
/** Most certificates accepted in one `caCertificate`. */
export const MAX_CA_CERTIFICATES = 32;

const BEGIN = '-----BEGIN CERTIFICATE-----';
const END = '-----END CERTIFICATE-----';

/** Counts the characters looked at, so a spec can bound the work of a worst-case input. */
export interface ScanMeter {
  steps: number;
}

/** The certificate blocks of `text` (BEGIN line to END line, normalized to `\n`); text outside blocks is ignored. */
export function pemCertificateBlocks(text: string, meter?: ScanMeter): string[] {
  const blocks: string[] = [];
  let current: string[] | undefined;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (meter !== undefined) meter.steps += end - start + 1;
    let line = text.slice(start, end);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    line = line.trim();
    if (line === BEGIN) current = [BEGIN];
    else if (current !== undefined) {
      current.push(line);
      if (line === END) {
        blocks.push(`${current.join('\n')}\n`);
        current = undefined;
      }
    }
    start = end + 1;
  }
  return blocks;
}

/** Why `pem` is not a usable CA certificate bundle (a message and a stable code), or undefined when it is. */
export function certificateProblem(
  pem: string,
  meter?: ScanMeter,
): { code: 'certificate_too_large' | 'invalid_certificate'; message: string } | undefined {
  if (pem.length > MAX_CA_CERTIFICATE_LENGTH) {
    return {
      code: 'certificate_too_large',
      message: `must be at most ${MAX_CA_CERTIFICATE_LENGTH} characters (64 KiB) of PEM`,
    };
  }
  const blocks = pemCertificateBlocks(pem, meter);
  if (blocks.length === 0) {
    return {
      code: 'invalid_certificate',
      message:
        'must be one or more PEM certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)',
    };
  }
  if (blocks.length > MAX_CA_CERTIFICATES) {
    return {
      code: 'certificate_too_large',
      message: `must hold at most ${MAX_CA_CERTIFICATES} certificates`,
    };
  }
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return {
        code: 'invalid_certificate',
        message:
          blocks.length === 1
            ? 'is not a valid PEM certificate'
            : `certificate ${index + 1} of ${blocks.length} is not a valid PEM certificate`,
      };
    }
  }
  return undefined;
}
