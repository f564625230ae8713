/**
 * Live arrival of verified alerts: GET /v1/alert-events is a server-sent event stream with one
 * `alert` event (data: the inbox line, as the read rule lets this reader see it) for each alert
 * the inbound path stores, fed by InboundAlerts.onOutcome, so a console needs no polling loop.
 * The same guard as the rest of the API lets a reader in (bearer token or console session).
 */
import { Controller, Inject, Req, Sse } from '@nestjs/common';
import type { MessageEvent } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { Observable } from 'rxjs';

import { readerOf } from '../auth/officer-access.js';
import type { OfficerRequest } from '../auth/officer-access.js';
import type { NodeContext } from '../http/node-context.js';
import { NODE_CONTEXT } from '../http/tokens.js';
import { readRow, summaryView } from './alert-view.js';

/** A comment line this often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 25_000;

@ApiTags('alerts')
@Controller('v1/alert-events')
export class AlertEventsController {
  constructor(@Inject(NODE_CONTEXT) private readonly node: NodeContext) {}

  @Sse()
  @ApiOperation({
    summary: 'Newly verified inbox alerts, as server-sent events',
    description:
      'One `alert` event per alert stored in the inbox from now on; its data is the inbox line (as GET /v1/alerts gives it).',
  })
  @ApiProduces('text/event-stream')
  events(@Req() req: OfficerRequest): Observable<MessageEvent> {
    const reader = readerOf(req.actor, this.node.country);
    return new Observable<MessageEvent>((subscriber) => {
      const stop = this.node.inbound.onOutcome((event) => {
        if (event.outcome !== 'stored' || event.alert.box !== 'inbox') return;
        const read = readRow(event.alert, reader, this.node.country, 'inbox');
        if (!read.allowed) return;
        subscriber.next({ type: 'alert', id: event.alert.id, data: summaryView(event.alert, read) });
      });
      const keepalive = setInterval(() => subscriber.next({ type: 'ping', data: '' }), KEEPALIVE_MS);
      keepalive.unref();
      return () => {
        clearInterval(keepalive);
        stop();
      };
    });
  }
}
