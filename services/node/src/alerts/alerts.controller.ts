/**
 * The officers' HTTP API: publish a draft, page through the inbox and outbox, read one alert
 * with its verification record, and fetch the exact signed envelope. Thin: the rules live in
 * AlertPublisher, @enlace/trust's verifyInbound, @enlace/policy's evaluateRead and the store.
 */
import { Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { HANDLING_NAMES, KIND_NAMES } from '@enlace/schema';
import { RECEIPT_STATUSES } from '@enlace/trust';
import type { ReceiptStatus } from '@enlace/trust';
import type { ServerResponse } from 'node:http';

import { BEARER_SCHEME, requestIdOf } from '@enlace/service-kit';

import { CountryFocalPoints, readerOf } from '../auth/officer-access.js';
import type { OfficerRequest } from '../auth/officer-access.js';
import { NodeError } from '../errors.js';
import type { FieldViolation } from '../errors.js';
import type { NodeContext } from '../http/node-context.js';
import { NODE_CONTEXT } from '../http/tokens.js';
import type { AlertQuery, Box, StoredAlert } from '../store/alert-store.js';
import { InvalidCursorError } from '../store/alert-store.js';
import type { PublishedAlertResult } from './alert-publisher.js';

import type { ReadAllowed, ReadChannel } from '@enlace/policy';

import { detailView, readRow, summaryView } from './alert-view.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type ListParams = Partial<
  Record<
    | 'box'
    | 'kind'
    | 'network'
    | 'origin'
    | 'since'
    | 'until'
    | 'handling'
    | 'reliability'
    | 'credibility'
    | 'expired'
    | 'dismissed'
    | 'cursor'
    | 'limit'
    | 'q',
    string
  >
>;

/** Checks the list filters, reporting every bad one. */
export function parseListQuery(params: ListParams): AlertQuery {
  const violations: FieldViolation[] = [];
  const bad = (path: string, message: string): void => {
    violations.push({ path, code: 'invalid_value', message });
  };
  const one = (name: keyof ListParams): string | undefined => {
    const value = params[name] as unknown;
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') {
      bad(name, 'must be given once');
      return undefined;
    }
    return value;
  };
  const box = one('box');
  if (box !== undefined && box !== 'inbox' && box !== 'outbox') bad('box', 'must be inbox or outbox');
  const kind = one('kind');
  if (kind !== undefined && !(KIND_NAMES as readonly string[]).includes(kind))
    bad('kind', `must be one of ${KIND_NAMES.join(', ')}`);
  const handling = one('handling');
  if (handling !== undefined && !(HANDLING_NAMES as readonly string[]).includes(handling))
    bad('handling', `must be one of ${HANDLING_NAMES.join(', ')}`);
  const network = one('network');
  if (network !== undefined && !/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(network))
    bad('network', 'must be a network id');
  const origin = one('origin');
  if (origin !== undefined && !/^[A-Z]{2}$/.test(origin)) bad('origin', 'must be an ISO 3166-1 alpha-2 code');
  const sinceText = one('since');
  const since = sinceText === undefined ? undefined : new Date(sinceText);
  if (since !== undefined && Number.isNaN(since.getTime())) bad('since', 'must be an RFC 3339 instant');
  const untilText = one('until');
  const until = untilText === undefined ? undefined : new Date(untilText);
  if (until !== undefined && Number.isNaN(until.getTime())) bad('until', 'must be an RFC 3339 instant');
  const reliability = one('reliability');
  if (reliability !== undefined && !/^[A-F]$/.test(reliability))
    bad('reliability', 'must be a source reliability from A to F');
  const credibility = one('credibility');
  if (credibility !== undefined && !/^[1-6]$/.test(credibility))
    bad('credibility', 'must be an information credibility from 1 to 6');
  const expired = one('expired');
  if (expired !== undefined && expired !== 'true' && expired !== 'false')
    bad('expired', 'must be true or false');
  const dismissed = one('dismissed');
  if (dismissed !== undefined && dismissed !== 'true' && dismissed !== 'false')
    bad('dismissed', 'must be true or false');
  const limitText = one('limit');
  const limit = limitText === undefined ? undefined : Number(limitText);
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 500))
    bad('limit', 'must be an integer from 1 to 500');
  const cursor = one('cursor');
  const q = one('q');
  if (q !== undefined && q.length > 200) bad('q', 'must be at most 200 characters');
  if (violations.length > 0)
    throw new NodeError('ERR_VALIDATION', `invalid query: ${violations.map((v) => v.path).join(', ')}`, {
      violations,
    });
  return {
    ...(box !== undefined && { box: box as Box }),
    ...(kind !== undefined && { kind }),
    ...(network !== undefined && { network }),
    ...(origin !== undefined && { origin }),
    ...(handling !== undefined && { handling }),
    ...(since !== undefined && { since }),
    ...(until !== undefined && { until }),
    ...(reliability !== undefined && { reliability }),
    ...(credibility !== undefined && { credibility }),
    ...((expired === 'true' || expired === 'false') && { expired: expired === 'true' }),
    ...((dismissed === 'true' || dismissed === 'false') && { dismissed: dismissed === 'true' }),
    ...(cursor !== undefined && { cursor }),
    ...(q !== undefined && { q }),
    ...(limit !== undefined && { limit }),
  };
}

@ApiTags('alerts')
@ApiBearerAuth(BEARER_SCHEME)
@Controller('v1/alerts')
export class AlertsController {
  constructor(@Inject(NODE_CONTEXT) private readonly node: NodeContext) {}

  @Post()
  @CountryFocalPoints()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Publish an alert',
    description:
      'A draft Alert in proto3 JSON, without header.id and header.issuedAt (assigned here). ' +
      "header.origin defaults to this node's country. With header.recipients the body is encrypted " +
      "to each recipient's encryption key. Signed with this node's key and published with Nats-Msg-Id = id.",
  })
  @ApiBody({
    schema: {
      type: 'object',
      additionalProperties: true,
      description: 'enlace.alert.v1.Alert draft (proto3 JSON)',
    },
  })
  @ApiResponse({ status: 201, description: '{ id, subject, stream, seq, alert }' })
  @ApiResponse({
    status: 400,
    description: 'ERR_VALIDATION: malformed JSON or an invalid draft; violations list the field paths',
  })
  @ApiResponse({
    status: 403,
    description: 'ERR_POLICY_DENIED (reason from the registry policy) or ERR_FORBIDDEN',
  })
  @ApiResponse({ status: 422, description: 'ERR_NO_RECIPIENT_KEY' })
  async publish(@Req() req: OfficerRequest): Promise<Record<string, unknown>> {
    return publishedView(await this.node.publisher.publish(req.body, req.actor!, requestIdOf(req)));
  }

  @Post(':id/retract')
  @CountryFocalPoints()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Retract an alert this country published',
    description: 'Publishes a new signed alert with retracts_id and no body; receivers mark the old one.',
  })
  @ApiBody({ schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string' } } } })
  async retract(@Param('id') id: string, @Req() req: OfficerRequest): Promise<Record<string, unknown>> {
    this.#find(id);
    const reason = (req.body as { reason?: unknown } | undefined)?.reason;
    return publishedView(await this.node.publisher.retract(id, reason, req.actor!, requestIdOf(req)));
  }

  @Post(':id/supersede')
  @CountryFocalPoints()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Replace an alert this country published',
    description: 'The body is a draft as for POST /v1/alerts; it is published with supersedes_id = id.',
  })
  @ApiBody({ schema: { type: 'object', additionalProperties: true } })
  async supersede(@Param('id') id: string, @Req() req: OfficerRequest): Promise<Record<string, unknown>> {
    this.#find(id);
    return publishedView(await this.node.publisher.supersede(id, req.body, req.actor!, requestIdOf(req)));
  }

  @Post(':id/ack')
  @CountryFocalPoints()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Acknowledge an alert to its originator',
    description:
      'Sends a signed receipt (status "read" by default, or "received") on enlace.v1.ack.<origin>.<this country>. ' +
      'Receiving nodes send "received" by themselves when they store an alert.',
  })
  @ApiBody({
    required: false,
    schema: { type: 'object', properties: { status: { type: 'string', enum: [...RECEIPT_STATUSES] } } },
  })
  async ack(@Param('id') id: string, @Req() req: OfficerRequest): Promise<Record<string, unknown>> {
    const alert = this.#find(id);
    const status = (req.body as { status?: unknown } | undefined)?.status ?? 'read';
    if (!(RECEIPT_STATUSES as readonly unknown[]).includes(status))
      throw new NodeError('ERR_VALIDATION', 'status must be "read" or "received"', {
        violations: [{ path: 'status', code: 'invalid_value', message: 'must be read or received' }],
      });
    const sent = await this.node.receipts.send(alert, status as ReceiptStatus, req.actor!.id);
    return { id, status, subject: sent.subject };
  }

  @Post(':id/forward')
  @CountryFocalPoints()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Pass an alert on to another country, as handling and policy allow',
    description:
      'H2 (no onward dissemination without consent) and H3 alerts are refused with 403 ERR_HANDLING_RESTRICTED ' +
      'naming the code unless the origin granted consent for that destination; a restricted alert (body ' +
      'encrypted to its recipients) to a country outside them with 403 ERR_RESTRICTED_FORWARD (only its origin ' +
      'can open it further, by superseding it); a destination the policy excludes with 403 ERR_POLICY_DENIED. The signed envelope ' +
      'travels unchanged on enlace.v1.direct.<to>.<this country>.',
  })
  @ApiBody({
    schema: { type: 'object', required: ['to'], properties: { to: { type: 'string', example: 'US' } } },
  })
  async forward(@Param('id') id: string, @Req() req: OfficerRequest): Promise<Record<string, unknown>> {
    this.#find(id);
    const to = (req.body as { to?: unknown } | undefined)?.to;
    const sent = await this.node.publisher.forward(id, to, req.actor!, requestIdOf(req));
    return { id, to, subject: sent.subject };
  }

  @Post(':id/dismiss')
  @CountryFocalPoints()
  @HttpCode(200)
  @ApiOperation({
    summary: "Dismiss an alert from this country's inbox (reversible)",
    description:
      'The alert stays stored and searchable with dismissed=true (the archive); DELETE undoes it. ' +
      "Dismissals are this country's alone: nothing is sent to the origin. The first dismissal stands.",
  })
  @ApiParam({ name: 'id', description: 'alert id (UUIDv7)' })
  @ApiResponse({ status: 200, description: '{ id, dismissed: true, at, by }' })
  dismiss(@Param('id') id: string, @Req() req: OfficerRequest): Record<string, unknown> {
    const row = this.#find(id);
    this.#read(row, req, 'by_id');
    this.node.store.dismiss(id, req.actor!.id);
    const dismissal = this.node.store.dismissal(id)!;
    return { id, dismissed: true, at: dismissal.at.toISOString(), by: dismissal.officer };
  }

  @Delete(':id/dismiss')
  @CountryFocalPoints()
  @HttpCode(200)
  @ApiOperation({ summary: 'Undo a dismissal: the alert is back in the inbox' })
  @ApiParam({ name: 'id', description: 'alert id (UUIDv7)' })
  @ApiResponse({ status: 200, description: '{ id, dismissed: false }' })
  undismiss(@Param('id') id: string, @Req() req: OfficerRequest): Record<string, unknown> {
    const row = this.#find(id);
    this.#read(row, req, 'by_id');
    this.node.store.undismiss(id);
    return { id, dismissed: false };
  }

  @Get()
  @ApiOperation({ summary: 'Inbox and outbox, newest first, filtered, one page at a time' })
  @ApiQuery({ name: 'box', required: false, enum: ['inbox', 'outbox'] })
  @ApiQuery({ name: 'kind', required: false, enum: [...KIND_NAMES] })
  @ApiQuery({ name: 'network', required: false })
  @ApiQuery({ name: 'origin', required: false })
  @ApiQuery({ name: 'handling', required: false, enum: [...HANDLING_NAMES] })
  @ApiQuery({ name: 'since', required: false, description: 'issued at or after (RFC 3339)' })
  @ApiQuery({ name: 'until', required: false, description: 'issued before (RFC 3339)' })
  @ApiQuery({ name: 'reliability', required: false, description: 'Admiralty source reliability, A to F' })
  @ApiQuery({
    name: 'credibility',
    required: false,
    description: 'Admiralty information credibility, 1 to 6',
  })
  @ApiQuery({
    name: 'expired',
    required: false,
    enum: ['true', 'false'],
    description: 'only alerts whose expires_at has passed (true) or not (false)',
  })
  @ApiQuery({
    name: 'q',
    required: false,
    description:
      'free text: every word, as a prefix, in the title, summary, place names, document series or modus operandi',
  })
  @ApiQuery({
    name: 'dismissed',
    required: false,
    enum: ['true', 'false'],
    description: 'only alerts this country dismissed (true: the archive) or did not (false)',
  })
  @ApiQuery({ name: 'cursor', required: false, description: 'the `next` of the previous page' })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 500, default 50' })
  list(@Query() params: ListParams, @Req() req: OfficerRequest): Record<string, unknown> {
    const query = parseListQuery(params);
    try {
      const page = this.node.store.list(query);
      const items = page.items.flatMap((row) => {
        const read = this.#read(row, req, 'inbox', false);
        // A reader who sees only the header must not learn that its hidden text matched.
        if (read === undefined || (query.q !== undefined && read.visibility === 'header')) return [];
        return [summaryView(row, read)];
      });
      return { items, ...(page.next !== undefined && { next: page.next }) };
    } catch (error) {
      if (error instanceof InvalidCursorError)
        throw new NodeError('ERR_VALIDATION', error.message, {
          violations: [{ path: 'cursor', code: 'invalid_value', message: error.message }],
        });
      throw error;
    }
  }

  @Get(':id')
  @ApiOperation({ summary: 'One alert as JSON, with its verification record' })
  @ApiParam({ name: 'id', description: 'alert id (UUIDv7)' })
  get(@Param('id') id: string, @Req() req: OfficerRequest): Record<string, unknown> {
    const row = this.#find(id);
    const view = detailView(row, this.node.store.receipts(id), this.#read(row, req, 'by_id'));
    const dismissal = this.node.store.dismissal(id);
    return {
      ...view,
      dismissed: dismissal === undefined ? false : { at: dismissal.at.toISOString(), by: dismissal.officer },
    };
  }

  @Get(':id/envelope')
  @ApiOperation({ summary: 'The SignedAlert exactly as received (protobuf)' })
  @ApiProduces('application/x-protobuf')
  envelope(@Param('id') id: string, @Req() req: OfficerRequest, @Res() res: ServerResponse): void {
    const alert = this.#find(id);
    // A restricted alert travels with its body, title and summary encrypted (the schema keeps
    // them out of its header), so a reader with visibility `header` may have the bytes too.
    this.#read(alert, req, 'envelope');
    res.statusCode = 200;
    res.setHeader('content-type', 'application/x-protobuf; messageType=enlace.alert.v1.SignedAlert');
    res.setHeader('content-length', String(alert.envelope.byteLength));
    res.end(Buffer.from(alert.envelope.buffer, alert.envelope.byteOffset, alert.envelope.byteLength));
  }

  /** The read rule for this request's reader; a refusal throws, or gives undefined when `orThrow` is false. */
  #read(row: StoredAlert, req: OfficerRequest, channel: ReadChannel): ReadAllowed;
  #read(row: StoredAlert, req: OfficerRequest, channel: ReadChannel, orThrow: false): ReadAllowed | undefined;
  #read(
    row: StoredAlert,
    req: OfficerRequest,
    channel: ReadChannel,
    orThrow = true,
  ): ReadAllowed | undefined {
    const decision = readRow(row, readerOf(req.actor, this.node.country), this.node.country, channel);
    if (decision.allowed) return decision;
    if (!orThrow) return undefined;
    throw new NodeError('ERR_POLICY_DENIED', decision.message, { reason: decision.reason });
  }

  #find(id: string) {
    if (!UUID.test(id))
      throw new NodeError('ERR_VALIDATION', 'the alert id must be a lower-case UUID', {
        violations: [{ path: 'id', code: 'invalid_format', message: 'must be a lower-case UUID' }],
      });
    const alert = this.node.store.get(id);
    if (alert === undefined) throw new NodeError('ERR_NOT_FOUND', `no alert ${id} on this node`);
    return alert;
  }
}

function publishedView(result: PublishedAlertResult): Record<string, unknown> {
  return {
    id: result.id,
    subject: result.subject,
    stream: result.stream,
    seq: result.seq,
    duplicate: result.duplicate,
    alert: summaryView(result.alert),
  };
}
