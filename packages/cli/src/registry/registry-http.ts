/**
 * The registry's HTTP API as the CLI calls it: JSON in and out, the bearer token, and every
 * failure one CliError line — the registry's own code, message and field paths when it refused
 * (exit 1), or why it could not be reached (exit 1).
 */
import { CliError } from '../errors.js';

export interface RegistryEndpoint {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly token?: string;
  /** Per-request timeout in ms (default 15 000). */
  readonly timeoutMs?: number;
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; violations?: Array<{ path?: unknown; code?: unknown }> };
}

/** `ERR_VALIDATION (400): invalid membership: role: ... [role, network]` */
export function describeRegistryError(status: number, body: unknown): string {
  const error = (body as ErrorBody | undefined)?.error;
  if (error === undefined || typeof error.code !== 'string') return `the registry answered HTTP ${status}`;
  const message = typeof error.message === 'string' ? error.message.replace(/\s+/g, ' ') : '';
  const paths = (error.violations ?? [])
    .map((v) => (typeof v.path === 'string' ? (v.path === '' ? '(body)' : v.path) : undefined))
    .filter((p): p is string => p !== undefined);
  const fields = paths.length > 0 ? ` [fields: ${[...new Set(paths)].join(', ')}]` : '';
  return `registry refused (${error.code}, HTTP ${status}): ${message}${fields}`;
}

export class RegistryHttp {
  private readonly base: URL;

  constructor(private readonly endpoint: RegistryEndpoint) {
    let base: URL;
    try {
      base = new URL(endpoint.url);
    } catch (cause) {
      throw new CliError(
        'ERR_USAGE',
        `--url must be an http(s) URL such as http://127.0.0.1:8080 (got "${endpoint.url}")`,
        {
          cause,
        },
      );
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new CliError('ERR_USAGE', `--url must be an http(s) URL (got "${endpoint.url}")`);
    }
    this.base = base;
  }

  /** GET a JSON resource; `query` entries that are undefined are left out. */
  async get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    const url = this.resolve(path);
    for (const [name, value] of Object.entries(query))
      if (value !== undefined) url.searchParams.set(name, value);
    return (await this.request('GET', url)).json as T;
  }

  async post<T>(path: string, body: unknown): Promise<T> {
    return (await this.request('POST', this.resolve(path), body)).json as T;
  }

  /** GET returning the raw text (e.g. the snapshot JWS). */
  async getText(path: string, accept: string): Promise<string> {
    return (await this.request('GET', this.resolve(path), undefined, accept)).text;
  }

  private resolve(path: string): URL {
    const base = this.base.href.endsWith('/') ? this.base.href : `${this.base.href}/`;
    return new URL(path.replace(/^\//, ''), base);
  }

  private async request(
    method: 'GET' | 'POST',
    url: URL,
    body?: unknown,
    accept = 'application/json',
  ): Promise<{ text: string; json: unknown }> {
    const headers: Record<string, string> = { accept };
    if (this.endpoint.token !== undefined) headers['authorization'] = `Bearer ${this.endpoint.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.endpoint.timeoutMs ?? 15_000),
      });
    } catch (cause) {
      const reason =
        (cause as Error).name === 'TimeoutError'
          ? 'no answer in time'
          : (((cause as Error).cause as Error | undefined)?.message ?? (cause as Error).message);
      throw new CliError(
        'ERR_REGISTRY_UNREACHABLE',
        `cannot reach the registry at ${this.base.origin}: ${reason}`,
        {
          cause,
          exitCode: 1,
        },
      );
    }
    const text = await response.text();
    let json: unknown;
    const isJson = (response.headers.get('content-type') ?? '').includes('json');
    if (isJson) {
      try {
        json = JSON.parse(text) as unknown;
      } catch (cause) {
        throw new CliError(
          'ERR_REGISTRY_UNREACHABLE',
          `the registry at ${this.base.origin} answered malformed JSON`,
          {
            cause,
            exitCode: 1,
          },
        );
      }
    }
    if (!response.ok) {
      if (json === undefined) {
        throw new CliError(
          'ERR_REGISTRY_UNREACHABLE',
          `${url.origin}${url.pathname} answered HTTP ${response.status} without a registry error; is --url the registry?`,
          { exitCode: 1 },
        );
      }
      throw new CliError('ERR_REGISTRY_REFUSED', describeRegistryError(response.status, json), {
        exitCode: 1,
      });
    }
    if (accept === 'application/json' && json === undefined) {
      throw new CliError(
        'ERR_REGISTRY_UNREACHABLE',
        `${url.origin}${url.pathname} did not answer JSON; is --url the registry?`,
        {
          exitCode: 1,
        },
      );
    }
    return { text, json };
  }
}
