/**
 * Restricted alerts: the body, with the alert's title and summary, is encrypted to each
 * recipient country's current encryption key (JWE, ECDH-ES+A256KW per recipient), and the clear
 * header keeps neither title nor summary; then the whole alert is signed, so anyone can check the
 * origin and only recipients can read.
 */
import { encryptForRecipients, parseKid } from '@enlace/crypto';
import type { Jwks } from '@enlace/crypto';
import { encodeAlertBody } from '@enlace/schema';
import type { Alert, AlertBody } from '@enlace/schema';

import { CliError } from './errors.js';

export async function sealBody(alert: Alert, jwks: Jwks): Promise<Alert> {
  const body = alert.body;
  if (body?.$case === 'encrypted' || alert.header === undefined) return alert;
  const header = alert.header;
  const recipients = header.recipients;
  const keys = recipients.map((country) => {
    // The newest encryption key of each recipient: kids sort by year then sequence.
    const candidates = jwks.keys
      .filter((key) => key.use === 'enc' && key.kid !== undefined && parseKid(key.kid)?.country === country)
      .sort((a, b) => (a.kid! < b.kid! ? 1 : -1));
    const key = candidates[0];
    if (!key) {
      throw new CliError(
        'ERR_KEY_INVALID',
        `no encryption key for recipient ${country} in the recipients key set`,
      );
    }
    return { kid: key.kid!, publicJwk: key };
  });
  // A restricted retraction has no body: its plaintext is its title and summary alone.
  const plain: AlertBody = { body, title: header.title, summary: header.summary };
  const jwe = await encryptForRecipients(encodeAlertBody(plain), keys);
  return {
    header: { ...header, title: '', summary: '' },
    body: { $case: 'encrypted', encrypted: { jwe } },
  };
}
