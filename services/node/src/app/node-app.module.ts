/**
 * The node's root Nest module: its HTTP controllers and the inbound event handler, on the
 * service kit (bearer guard with the node's role table, error filter, metrics, readiness).
 */
import { ServiceKitModule } from '@enlace/service-kit';
import type { ServiceKitModuleOptions } from '@enlace/service-kit';
import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';

import { AlertsController } from '../alerts/alerts.controller.js';
import { HealthController } from '../http/health.controller.js';
import type { NodeContext } from '../http/node-context.js';
import { NODE_CONTEXT } from '../http/tokens.js';
import { InboundController } from '../inbound/inbound.controller.js';

@Module({})
export class NodeAppModule {
  static register(context: NodeContext, kit: ServiceKitModuleOptions): DynamicModule {
    return {
      module: NodeAppModule,
      imports: [ServiceKitModule.register(kit)],
      controllers: [AlertsController, HealthController, InboundController],
      providers: [{ provide: NODE_CONTEXT, useValue: context }],
    };
  }
}
