/** The feed service's root Nest module: controllers, guard and error filter. */
import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';

import { FeedsController } from '../feeds/feeds.controller.js';
import { AnalystGuard } from '../http/analyst.guard.js';
import type { FeedContext } from '../http/feed-context.js';
import { FeedErrorFilter } from '../http/feed-error.filter.js';
import { HealthController } from '../http/health.controller.js';
import { MatchController } from '../http/match.controller.js';
import { FEED_CONTEXT } from '../http/tokens.js';

@Module({})
export class FeedAppModule {
  static register(context: FeedContext): DynamicModule {
    return {
      module: FeedAppModule,
      controllers: [FeedsController, MatchController, HealthController],
      providers: [
        { provide: FEED_CONTEXT, useValue: context },
        { provide: APP_GUARD, useClass: AnalystGuard },
        { provide: APP_FILTER, useClass: FeedErrorFilter },
      ],
    };
  }
}
