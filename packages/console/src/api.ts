/**
 * The console's clients of the service that served it (same origin): every call goes through
 * @enlace/client, with the X-Enlace-Console header (CSRF defence) and the session cookie the
 * browser adds by itself. No token is ever held by the page.
 */
import {
  CONSOLE_HEADERS,
  EnlaceHttpError,
  createConsoleClient,
  createFeedClient,
  createNodeClient,
  createRegistryClient,
} from '@enlace/client';
import type { ConsoleAppName, ServiceKind } from '@enlace/client';

import { i18next } from './i18n/index.js';

const base = { baseUrl: window.location.origin, headers: CONSOLE_HEADERS };

const SERVICE_OF: Readonly<Record<ConsoleAppName, ServiceKind>> = {
  officer: 'node',
  administrator: 'registry',
  fiu: 'feed',
};

export const consoleClient = (app: ConsoleAppName = 'officer') => createConsoleClient(SERVICE_OF[app], base);
export const nodeClient = createNodeClient(base);
export const registryClient = createRegistryClient(base);
export const feedClient = createFeedClient(base);

/** Why a call was refused for want of a session: the page then shows the sign-in form. */
export function sessionEnded(error: unknown): string | undefined {
  if (!(error instanceof EnlaceHttpError) || error.status !== 401) return undefined;
  if (error.reason === 'session_expired') return i18next.t('sessionExpired');
  if (error.reason === 'signed_out') return undefined;
  return error.message;
}

/** One line for a failed call. */
export function messageOf(error: unknown): string {
  if (error instanceof EnlaceHttpError) return `${error.message} (${error.code})`;
  return error instanceof Error ? error.message : String(error);
}
