/** Liveness and metrics, for operators and Prometheus; no token needed. */
import { Controller, Get, Header, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';

import { Public } from '../auth/officer.guard.js';
import type { NodeContext } from './node-context.js';
import { NODE_CONTEXT } from './tokens.js';

@ApiTags('operations')
@Public()
@Controller()
export class HealthController {
  constructor(@Inject(NODE_CONTEXT) private readonly node: NodeContext) {}

  @Get('health')
  @ApiOperation({ summary: 'Country, NATS link, registry snapshot in force, alerts stored' })
  health(@Res({ passthrough: true }) res: ServerResponse): Record<string, unknown> {
    const view = this.node.trust.current();
    const nats = this.node.natsConnected();
    const ok = nats && view !== undefined;
    res.statusCode = ok ? 200 : 503;
    return {
      status: ok ? 'ok' : 'degraded',
      country: this.node.country,
      nats: nats ? 'connected' : 'disconnected',
      registry:
        view === undefined
          ? { status: 'no snapshot' }
          : { revision: view.revision, source: view.source, verifiedAt: view.verifiedAt.toISOString() },
      stored: this.node.store.counts(),
      pulling: this.node.pulling(),
    };
  }

  @Get('metrics')
  @ApiOperation({ summary: 'Prometheus metrics: accepted and rejected alerts (by reason), publications' })
  @ApiProduces('text/plain')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  metrics(): string {
    return this.node.metrics.render({
      country: this.node.country,
      registryRevision: this.node.trust.current()?.revision,
      stored: this.node.store.counts(),
    });
  }
}
