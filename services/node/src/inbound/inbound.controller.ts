/**
 * The inbound side as a Nest event handler on the JetStream transport: every message of the
 * node's durable consumer on `enlace.v1.alert.>` goes to InboundAlerts. Resolving acks it; a
 * RejectMessage terminates it; anything else is retried.
 */
import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { JetStreamContext, JetStreamEventPattern } from '@enlace/transport';

import type { NodeContext } from '../http/node-context.js';
import { NODE_CONTEXT } from '../http/tokens.js';

export const INBOUND_ALERTS = 'enlace.v1.alert.>';

@Controller()
export class InboundController {
  constructor(@Inject(NODE_CONTEXT) private readonly node: NodeContext) {}

  @JetStreamEventPattern(INBOUND_ALERTS)
  async alert(@Payload() data: Uint8Array, @Ctx() ctx: JetStreamContext): Promise<void> {
    await this.node.inbound.handle({
      subject: ctx.getSubject(),
      data,
      msgId: ctx.getMsgId(),
      streamSeq: ctx.getStreamSequence(),
      deliveryCount: ctx.getDeliveryCount(),
    });
  }
}
