/**
 * GET /health: whether the service can deliver (NATS connected, a verified registry snapshot), and
 * the digests indexed. Metrics (/metrics) and readiness (/health/ready) come from the service kit.
 */
import { Public } from '@enlace/service-kit';
import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';

import type { FeedContext } from './feed-context.js';
import { FEED_CONTEXT } from './tokens.js';

@Controller()
export class HealthController {
  constructor(@Inject(FEED_CONTEXT) private readonly ctx: FeedContext) {}

  @Public()
  @Get('health')
  health(@Res() res: ServerResponse): void {
    const view = this.ctx.trust.current();
    const nats = this.ctx.natsConnected();
    const ok = nats && view !== undefined;
    res.statusCode = ok ? 200 : 503;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(
      JSON.stringify({
        status: ok ? 'ok' : 'degraded',
        nats: nats ? 'connected' : 'disconnected',
        registryRevision: view?.revision ?? null,
        indexedDigests: this.ctx.indexedDigests(),
      }),
    );
  }
}
