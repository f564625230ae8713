/**
 * The feed service's root Nest module: its controllers, on the service kit (bearer guard with
 * the feed's role table, error filter, metrics, readiness).
 */
import { ServiceKitModule } from '@enlace/service-kit';
import type { ServiceKitModuleOptions } from '@enlace/service-kit';
import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';

import { FeedsController } from '../feeds/feeds.controller.js';
import type { FeedContext } from '../http/feed-context.js';
import { HealthController } from '../http/health.controller.js';
import { MatchController } from '../http/match.controller.js';
import { FEED_CONTEXT } from '../http/tokens.js';

@Module({})
export class FeedAppModule {
  static register(context: FeedContext, kit: ServiceKitModuleOptions): DynamicModule {
    return {
      module: FeedAppModule,
      imports: [ServiceKitModule.register(kit)],
      controllers: [FeedsController, MatchController, HealthController],
      providers: [{ provide: FEED_CONTEXT, useValue: context }],
    };
  }
}
