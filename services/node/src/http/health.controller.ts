/**
 * GET /health: the node's summary for operators (country, NATS link, registry snapshot in force,
 * alerts stored, pulling); no token needed. Metrics (/metrics) and readiness (/health/ready) come
 * from the service kit.
 */
import { Public } from '@enlace/service-kit';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';

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
}
