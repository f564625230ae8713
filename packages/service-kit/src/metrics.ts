/**
 * Prometheus metrics through prom-client: one Registry per service instance (never the global
 * one, so that several services in one process, as in the tests, keep their counts apart), with
 * the process and event-loop metrics collected into it, served at GET /metrics.
 */
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';

import { Public } from './bearer-guard.js';

/** Injection token of the service's metrics Registry. */
export const METRICS_REGISTRY = Symbol.for('enlace.service-kit.metrics-registry');

export interface MetricsRegistryOptions {
  /** Collect process (CPU, memory, handles) and event-loop metrics; default true. */
  readonly processMetrics?: boolean;
}

/** A fresh Registry with the process and event-loop metrics of this process in it. */
export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.processMetrics ?? true)
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  return registry;
}

@ApiTags('operations')
@Public()
@Controller()
export class MetricsController {
  constructor(@Inject(METRICS_REGISTRY) private readonly registry: Registry) {}

  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics: the service counters, process and event-loop metrics' })
  @ApiProduces('text/plain')
  async metrics(@Res() res: ServerResponse): Promise<void> {
    const text = await this.registry.metrics();
    res.statusCode = 200;
    res.setHeader('content-type', this.registry.contentType);
    res.end(text);
  }
}
