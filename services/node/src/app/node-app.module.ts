/** The node's root Nest module: HTTP controllers, the inbound event handler, guard and filter. */
import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';

import { AlertsController } from '../alerts/alerts.controller.js';
import { OfficerGuard } from '../auth/officer.guard.js';
import { HealthController } from '../http/health.controller.js';
import type { NodeContext } from '../http/node-context.js';
import { NodeErrorFilter } from '../http/node-error.filter.js';
import { NODE_CONTEXT } from '../http/tokens.js';
import { InboundController } from '../inbound/inbound.controller.js';

@Module({})
export class NodeAppModule {
  static register(context: NodeContext): DynamicModule {
    return {
      module: NodeAppModule,
      controllers: [AlertsController, HealthController, InboundController],
      providers: [
        { provide: NODE_CONTEXT, useValue: context },
        { provide: APP_GUARD, useClass: OfficerGuard },
        { provide: APP_FILTER, useClass: NodeErrorFilter },
      ],
    };
  }
}
