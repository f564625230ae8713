/**
 * Sign-in to the web console that a service serves under /console/: a one-time sign-in link for
 * a token (the CLI's `enlace console link`), and, from the console in the browser, the exchange
 * of a link's code or a pasted token for the session cookie, who is signed in, and sign-out.
 * The browser sends the cookie by itself (same origin); the token never reaches the page.
 */
import { HttpTransport } from './http-transport.js';
import type { CallOptions, ClientOptions } from './http-transport.js';
import type { ServiceKind } from './errors.js';

/** The header the console sends with every request that changes state (CSRF defence). */
export const CONSOLE_HEADERS: Readonly<Record<string, string>> = { 'x-enlace-console': '1' };

export type ConsoleAppName = 'officer' | 'administrator' | 'fiu';

export interface ConsoleLinkJson {
  /** Single use, valid a few minutes. */
  readonly code: string;
  readonly expiresAt: string;
  /** The link's path under the service's base URL (the code rides in the fragment). */
  readonly path: string;
}

export interface ConsoleSessionJson {
  readonly app: ConsoleAppName;
  readonly actor: string;
  readonly roles: readonly string[];
  readonly country?: string;
  readonly expiresAt: string;
}

export interface ConsoleClient {
  /** A one-time sign-in link for the client's token; `url` is the full link to open. */
  createLink(options?: CallOptions): Promise<ConsoleLinkJson & { readonly url: string }>;
  /** Which console this service serves. */
  info(options?: CallOptions): Promise<{ readonly app: ConsoleAppName }>;
  /** Exchanges a link's code, or a pasted token, for the session cookie. */
  signIn(
    credential: { readonly code: string } | { readonly token: string },
    options?: CallOptions,
  ): Promise<ConsoleSessionJson>;
  session(options?: CallOptions): Promise<ConsoleSessionJson>;
  signOut(options?: CallOptions): Promise<void>;
}

export function createConsoleClient(service: ServiceKind, options: ClientOptions): ConsoleClient {
  const http = new HttpTransport(service, {
    ...options,
    headers: { ...options.headers, ...CONSOLE_HEADERS },
  });
  return {
    createLink: async (o) => {
      const link = await http.json<ConsoleLinkJson>('POST', 'console/api/links', { ...o, body: {} });
      return { ...link, url: new URL(link.path, http.base).href };
    },
    info: (o) => http.json('GET', 'console/api/info', o),
    signIn: (credential, o) => http.json('POST', 'console/api/session', { ...o, body: credential }),
    session: (o) => http.json('GET', 'console/api/session', o),
    signOut: (o) => http.json('DELETE', 'console/api/session', o),
  };
}
