/**
 * POST /v1/match: hit/no-hit matching. The FIU sends keyed digests (HMAC-SHA256 under the
 * network's matching key) of its own case's account or document numbers, never the numbers, and
 * learns only which digests occur in alerts its country may receive, and in which alerts.
 */
import type { ServerResponse } from 'node:http';

import { Body, Controller, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';

import { FeedError } from '../errors.js';
import type { AnalystRequest } from './analyst-access.js';
import type { FeedContext } from './feed-context.js';
import { rateLimited } from './rate-limit.js';
import { FEED_CONTEXT } from './tokens.js';

@Controller('v1/match')
export class MatchController {
  constructor(@Inject(FEED_CONTEXT) private readonly ctx: FeedContext) {}

  @Post()
  @HttpCode(200)
  async match(
    @Body() body: unknown,
    @Req() req: AnalystRequest,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<unknown> {
    const actor = req.actor;
    if (actor === undefined || !actor.canWrite)
      throw new FeedError('ERR_FORBIDDEN', 'matching takes an FIU analyst or administrator token');
    // Each digest counts (a 100,000-digest query costs 100,000), charged before any work.
    rateLimited(res, () => this.ctx.limits.match.take(actor.id, digestCount(body)));
    return this.ctx.match(body, actor);
  }
}

/** Digests a match request asks about (at least 1: a malformed request still costs a unit). */
function digestCount(body: unknown): number {
  const digests =
    typeof body === 'object' && body !== null ? (body as { digests?: unknown }).digests : undefined;
  return Array.isArray(digests) ? Math.max(1, digests.length) : 1;
}
