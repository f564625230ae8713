/**
 * The registry connection the registry commands share: the client of @enlace/client for --url
 * and --token, with every failure one CliError line (see service-call.ts).
 */
import { createRegistryClient } from '@enlace/client';
import type { RegistryClient } from '@enlace/client';

import { call, createClientFor } from '../service-call.js';

export interface RegistryEndpoint {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly token?: string;
  /** Per-request timeout in ms (default 15 000). */
  readonly timeoutMs?: number;
}

/** The typed registry client for --url; a bad URL is a usage error naming --url. */
export function registryClient(endpoint: RegistryEndpoint): RegistryClient {
  return createClientFor(
    () =>
      createRegistryClient({
        baseUrl: endpoint.url,
        ...(endpoint.token !== undefined && { token: endpoint.token }),
        timeoutMs: endpoint.timeoutMs ?? 15_000,
      }),
    { flag: '--url', example: 'http://127.0.0.1:8080' },
  );
}

/** Runs a registry call, its failures as CliErrors worded for --url. */
export function registryCall<T>(run: Promise<T>): Promise<T> {
  return call('registry', run, { flag: '--url' });
}
