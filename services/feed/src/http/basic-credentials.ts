/**
 * Many TAXII clients (and MISP's feed fetcher in some setups) send only HTTP Basic credentials.
 * On the TAXII and MISP routes, `Authorization: Basic base64(user:token)` is handed on as
 * `Authorization: Bearer token`, so the service's one bearer guard checks the registry token
 * exactly as for every other route; the user name is not a credential and is ignored. Nothing
 * else is touched: a malformed Basic header reaches the guard as it came and is refused there.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Path prefixes where Basic credentials are taken. */
export const BASIC_CREDENTIAL_PATHS = ['/taxii2', '/misp'] as const;

/** The token of `Basic base64(user:token)`, or undefined when the header is not one. */
export function basicToken(header: string | undefined): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header ?? '');
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const token = colon < 0 ? '' : decoded.slice(colon + 1);
  return token === '' ? undefined : token;
}

/** Express middleware: Basic credentials on BASIC_CREDENTIAL_PATHS become a bearer token. */
export function basicCredentialsAsBearer(req: IncomingMessage, _res: ServerResponse, next: () => void): void {
  const path = req.url ?? '';
  if (
    BASIC_CREDENTIAL_PATHS.some(
      (prefix) => path === prefix || path.startsWith(`${prefix}/`) || path.startsWith(`${prefix}?`),
    )
  ) {
    const token = basicToken(req.headers.authorization);
    if (token !== undefined) req.headers.authorization = `Bearer ${token}`;
  }
  next();
}
