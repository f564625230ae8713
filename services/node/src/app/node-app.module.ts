/**
 * The node's root Nest module: HTTP controllers, guard and filter. Inbound alerts come from the
 * node's durables (NetworkDurables, one per network), not through a Nest transport.
 */
import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';

import { AlertsController } from '../alerts/alerts.controller.js';
import { OfficerGuard } from '../auth/officer.guard.js';
import { HealthController } from '../http/health.controller.js';
import type { NodeContext } from '../http/node-context.js';
import { NodeErrorFilter } from '../http/node-error.filter.js';
import { NODE_CONTEXT } from '../http/tokens.js';

@Module({})
export class NodeAppModule {
  static register(context: NodeContext): DynamicModule {
    return {
      module: NodeAppModule,
      controllers: [AlertsController, HealthController],
      providers: [
        { provide: NODE_CONTEXT, useValue: context },
        { provide: APP_GUARD, useClass: OfficerGuard },
        { provide: APP_FILTER, useClass: NodeErrorFilter },
      ],
    };
  }
}
