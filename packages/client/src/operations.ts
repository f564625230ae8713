/**
 * What every Enlace service answers for operators (the service kit's routes): readiness
 * (GET /health/ready, terminus's report), liveness (GET /health/live) and Prometheus metrics
 * (GET /metrics). Each service's client has them.
 */
import type { CallOptions, HttpTransport } from './http-transport.js';

/** One check of the readiness report: `up` or `down`, with what the check says. */
export interface ReadinessCheckJson {
  readonly status: 'up' | 'down';
  readonly message?: string;
  readonly [detail: string]: unknown;
}

/** The readiness report (200 when `ok`, 503 with the checks that are down under `error`). */
export interface ReadinessJson {
  readonly status: 'ok' | 'error' | 'shutting_down';
  readonly info?: Readonly<Record<string, ReadinessCheckJson>>;
  readonly error?: Readonly<Record<string, ReadinessCheckJson>>;
  readonly details: Readonly<Record<string, ReadinessCheckJson>>;
}

export interface OperationsClient {
  /** 200 or 503: both answer the report. */
  ready(options?: CallOptions): Promise<ReadinessJson>;
  live(options?: CallOptions): Promise<{ readonly status: 'ok' }>;
  /** Prometheus text exposition. */
  metrics(options?: CallOptions): Promise<string>;
}

export function operationsClient(http: HttpTransport): OperationsClient {
  return {
    ready: (o) => http.json('GET', 'health/ready', { ...o, answers: [503] }),
    live: (o) => http.json('GET', 'health/live', o),
    metrics: (o) => http.text('metrics', 'text/plain', o),
  };
}
