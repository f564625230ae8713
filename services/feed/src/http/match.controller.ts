/**
 * POST /v1/match: hit/no-hit matching. The FIU sends keyed digests (HMAC-SHA256 under the
 * network's matching key) of its own case's account or document numbers, never the numbers, and
 * learns only which digests occur in alerts its country may receive, and in which alerts.
 */
import { Body, Controller, HttpCode, Inject, Post, Req } from '@nestjs/common';

import { FeedError } from '../errors.js';
import type { AnalystRequest } from './analyst-access.js';
import type { FeedContext } from './feed-context.js';
import { FEED_CONTEXT } from './tokens.js';

@Controller('v1/match')
export class MatchController {
  constructor(@Inject(FEED_CONTEXT) private readonly ctx: FeedContext) {}

  @Post()
  @HttpCode(200)
  async match(@Body() body: unknown, @Req() req: AnalystRequest): Promise<unknown> {
    const actor = req.actor;
    if (actor === undefined || !actor.canWrite)
      throw new FeedError('ERR_FORBIDDEN', 'matching takes an FIU analyst or administrator token');
    return this.ctx.match(body, actor);
  }
}
