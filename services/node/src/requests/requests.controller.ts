/**
 * The officers' HTTP API of requests for information, replies and consents: open a thread, list
 * threads (inbox: asked of this country; outbox: asked by it), read one with its messages,
 * reply, close, withdraw, ask an alert's origin for consent to onward use, grant or refuse.
 * Writing speaks as the country (`@CountryFocalPoints()`); reading is the node's readers', but
 * what was written (subject, text, references) only its focal points see. Thin: the rules live in
 * RequestExchange, @enlace/trust's verifyRequest and the store.
 */
import type { ServerResponse } from 'node:http';

import { Controller, Get, HttpCode, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiOperation,
  ApiParam,
  ApiQuery,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { BEARER_SCHEME, requestIdOf } from '@enlace/service-kit';

import { CountryFocalPoints, readerOf } from '../auth/officer-access.js';
import type { OfficerRequest } from '../auth/officer-access.js';
import { NodeError } from '../errors.js';
import type { FieldViolation } from '../errors.js';
import type { NodeContext } from '../http/node-context.js';
import { NODE_CONTEXT } from '../http/tokens.js';
import type { StoredRequestMessage, StoredThread, ThreadQuery } from '../store/request-store.js';
import { InvalidThreadCursorError, PRIORITY_NAMES, THREAD_STATUSES } from '../store/request-store.js';
import type { SentRequest } from './request-exchange.js';
import { VICTIM_REMINDER } from './request-exchange.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

type ListParams = Partial<
  Record<'box' | 'status' | 'priority' | 'type' | 'overdue' | 'country' | 'q' | 'cursor' | 'limit', string>
>;

/** Longest free-text query. */
const MAX_QUERY = 200;

/** Checks the list filters, reporting every bad one. */
export function parseThreadQuery(params: ListParams): ThreadQuery {
  const violations: FieldViolation[] = [];
  const one = (name: keyof ListParams, ok: (v: string) => boolean, message: string): string | undefined => {
    const value = params[name] as unknown;
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string' || !ok(value)) {
      violations.push({ path: name, code: 'invalid_value', message });
      return undefined;
    }
    return value;
  };
  const box = one('box', (v) => v === 'inbox' || v === 'outbox', 'must be inbox or outbox');
  const status = one(
    'status',
    (v) => (THREAD_STATUSES as readonly string[]).includes(v),
    `must be one of ${THREAD_STATUSES.join(', ')}`,
  );
  const priority = one(
    'priority',
    (v) => (PRIORITY_NAMES as readonly string[]).includes(v),
    `must be one of ${PRIORITY_NAMES.join(', ')}`,
  );
  const type = one('type', (v) => v === 'information' || v === 'consent', 'must be information or consent');
  const overdue = one('overdue', (v) => v === 'true' || v === 'false', 'must be true or false');
  const country = one('country', (v) => /^[A-Z]{2}$/.test(v), 'must be an ISO 3166-1 alpha-2 code');
  const limit = one(
    'limit',
    (v) => /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 500,
    'must be an integer from 1 to 500',
  );
  const q = one('q', (v) => v.length <= MAX_QUERY, `at most ${MAX_QUERY} characters`);
  const cursor = one('cursor', () => true, '');
  if (violations.length > 0)
    throw new NodeError('ERR_VALIDATION', `invalid query: ${violations.map((v) => v.path).join(', ')}`, {
      violations,
    });
  return {
    ...(box !== undefined && { box: box as 'inbox' | 'outbox' }),
    ...(status !== undefined && { status: status as ThreadQuery['status'] & string }),
    ...(priority !== undefined && { priority: priority as ThreadQuery['priority'] & string }),
    ...(type !== undefined && { type: type as 'information' | 'consent' }),
    ...(overdue !== undefined && { overdue: overdue === 'true' }),
    ...(country !== undefined && { country }),
    ...(q !== undefined && { q }),
    ...(cursor !== undefined && { cursor }),
    ...(limit !== undefined && { limit: Number(limit) }),
  };
}

function threadView(t: StoredThread, readsText: boolean): Record<string, unknown> {
  return {
    id: t.id,
    box: t.box,
    type: t.type,
    from: t.from,
    to: t.to,
    priority: t.priority,
    ...(t.dueAt !== undefined && { dueAt: t.dueAt.toISOString() }),
    ...(t.expiresAt !== undefined && { expiresAt: t.expiresAt.toISOString() }),
    status: t.status,
    overdue: t.overdue,
    openedAt: t.openedAt.toISOString(),
    lastAt: t.lastAt.toISOString(),
    messageCount: t.messages,
    ...(readsText && t.subject !== undefined && { subject: t.subject }),
  };
}

function messageView(m: StoredRequestMessage, readsText: boolean): Record<string, unknown> {
  return {
    id: m.id,
    threadId: m.threadId,
    box: m.box,
    type: m.type,
    from: m.from,
    to: m.to,
    issuedAt: m.issuedAt.toISOString(),
    receivedAt: m.receivedAt.toISOString(),
    ...(m.inReplyTo !== '' && { inReplyTo: m.inReplyTo }),
    handling: m.handling,
    tlp: m.tlp,
    ...m.content,
    kid: m.kid,
    bodyReadable: m.body !== undefined,
    ...(readsText && m.body !== undefined && { body: m.body }),
  };
}

/** What a send answers: 201, or 202 when a copy for some addressee is still pending. */
function sentView(res: ServerResponse, sent: SentRequest): Record<string, unknown> {
  if (sent.undelivered.length > 0) res.statusCode = 202;
  return {
    id: sent.id,
    threadId: sent.threadId,
    subjects: sent.subjects,
    // Stored here and published again until JetStream stores them (GET the thread: deliveries).
    ...(sent.undelivered.length > 0 && { undelivered: sent.undelivered }),
    ...(sent.screening.length > 0 && { screening: sent.screening, reminder: VICTIM_REMINDER }),
  };
}

const WRITE_BODY = {
  type: 'object',
  properties: {
    subject: { type: 'string', maxLength: 200 },
    text: { type: 'string', maxLength: 10_000 },
    references: { type: 'object' },
    confirmNoVictimIdentified: {
      type: 'boolean',
      description: 'confirms, after the free-text screen found something, that no victim is identified',
    },
  },
} as const;

@ApiTags('requests')
@ApiBearerAuth(BEARER_SCHEME)
@Controller('v1')
export class RequestsController {
  constructor(@Inject(NODE_CONTEXT) private readonly node: NodeContext) {}

  @Post('requests')
  @CountryFocalPoints()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Send a request for information to one or more countries',
    description:
      'Subject, text and references are encrypted to every addressed country; the signed request travels on ' +
      'enlace.v1.direct.<to>.<this country>. ' +
      VICTIM_REMINDER +
      ' When the free-text screen finds what could identify a person, the request is refused (400, ' +
      'may_identify_person) unless confirmNoVictimIdentified is true.',
  })
  @ApiBody({
    schema: {
      ...WRITE_BODY,
      required: ['to', 'subject', 'text'],
      properties: {
        ...WRITE_BODY.properties,
        to: { type: 'array', items: { type: 'string' }, example: ['GT', 'HN'] },
        priority: { type: 'string', enum: [...PRIORITY_NAMES] },
        dueAt: { type: 'string', format: 'date-time' },
        expiresAt: { type: 'string', format: 'date-time' },
        handling: { type: 'string', enum: ['H0', 'H1', 'H2', 'H3'] },
        tlp: { type: 'string', enum: ['clear', 'green', 'amber', 'amber+strict', 'red'] },
        network: { type: 'string' },
        focalPointRole: { type: 'string' },
      },
    },
  })
  @ApiResponse({ status: 201, description: '{ id, threadId, subjects, screening? }' })
  @ApiResponse({
    status: 202,
    description:
      '{ id, threadId, subjects, undelivered }: stored and signed, but JetStream did not store the copy for ' +
      'the countries in undelivered; the node publishes them again until it does (GET the thread: deliveries)',
  })
  @ApiResponse({ status: 400, description: 'ERR_VALIDATION: violations list the field paths and codes' })
  async create(
    @Req() req: OfficerRequest,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<Record<string, unknown>> {
    return sentView(res, await this.node.requests.create(req.body, req.actor!, requestIdOf(req)));
  }

  @Get('requests')
  @ApiOperation({ summary: 'Threads (requests and consents), newest first, filtered, one page at a time' })
  @ApiQuery({ name: 'box', required: false, enum: ['inbox', 'outbox'] })
  @ApiQuery({ name: 'status', required: false, enum: [...THREAD_STATUSES] })
  @ApiQuery({ name: 'priority', required: false, enum: [...PRIORITY_NAMES] })
  @ApiQuery({ name: 'type', required: false, enum: ['information', 'consent'] })
  @ApiQuery({ name: 'overdue', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'country', required: false, description: 'threads from or to this country' })
  @ApiQuery({
    name: 'q',
    required: false,
    description:
      'free text: threads with a message whose subject or text (as readable here: this node’s own and those ' +
      'addressed to it) has every word, as a prefix; focal points of this country only (403 otherwise)',
  })
  @ApiQuery({ name: 'cursor', required: false })
  @ApiQuery({ name: 'limit', required: false })
  list(@Query() params: ListParams, @Req() req: OfficerRequest): Record<string, unknown> {
    const query = parseThreadQuery(params);
    const readsText = this.#readsText(req);
    // Matching is reading: whoever may not read the text may not probe it either.
    if (query.q !== undefined && !readsText)
      throw new NodeError('ERR_FORBIDDEN', 'only focal points of this country search the text of requests');
    try {
      const page = this.node.requestStore.list(query);
      return {
        items: page.items.map((t) => threadView(t, readsText)),
        ...(page.next !== undefined && { next: page.next }),
      };
    } catch (error) {
      if (error instanceof InvalidThreadCursorError)
        throw new NodeError('ERR_VALIDATION', error.message, {
          violations: [{ path: 'cursor', code: 'invalid_value', message: error.message }],
        });
      throw error;
    }
  }

  @Get('requests/:id')
  @ApiOperation({
    summary: 'One thread with all its messages, their signed receipts and (outbox) per-addressee delivery',
    description:
      'Read by a focal point of this country, each message of another country addressed to it is ' +
      'acknowledged to its sender with a signed read receipt (once).',
  })
  @ApiParam({ name: 'id', description: 'thread id (the id of the message that opened it)' })
  async get(@Param('id') id: string, @Req() req: OfficerRequest): Promise<Record<string, unknown>> {
    const thread = this.#thread(id);
    const readsText = this.#readsText(req);
    if (readsText) await this.node.requests.markRead(id, req.actor!);
    return this.#threadView(thread, readsText);
  }

  @Post('requests/:id/read')
  @CountryFocalPoints()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Mark a thread read: a signed read receipt to the sender of each message addressed here',
  })
  @ApiResponse({ status: 200, description: '{ acknowledged: message ids receipted now }' })
  async read(@Param('id') id: string, @Req() req: OfficerRequest): Promise<Record<string, unknown>> {
    this.#thread(id);
    return { acknowledged: await this.node.requests.markRead(id, req.actor!) };
  }

  #threadView(thread: StoredThread, readsText: boolean): Record<string, unknown> {
    const { requestStore, store } = this.node;
    const decision = requestStore.decisionOf(thread.id);
    return {
      ...threadView(thread, readsText),
      messages: requestStore.messages(thread.id).map((m) => ({
        ...messageView(m, readsText),
        // Signed receipts of the addressees (received when their node stored it, read when opened).
        receipts: store
          .receipts(m.id)
          .map((r) => ({ from: r.from, status: r.status, at: r.at.toISOString() })),
        ...(m.box === 'outbox' && {
          deliveries: requestStore.deliveries(m.id).map((d) => ({
            to: d.to,
            status: d.status,
            attempts: d.attempts,
            ...(d.storedAt !== undefined && { storedAt: d.storedAt.toISOString() }),
          })),
        }),
      })),
      ...(decision !== undefined && { consent: { id: decision.id, granted: decision.granted } }),
    };
  }

  @Post('requests/:id/reply')
  @CountryFocalPoints()
  @HttpCode(201)
  @ApiOperation({ summary: 'Reply in a thread (to the opener, or, from the opener, to all it asked)' })
  @ApiBody({
    schema: {
      ...WRITE_BODY,
      required: ['text'],
      properties: { ...WRITE_BODY.properties, closes: { type: 'boolean' } },
    },
  })
  async reply(
    @Param('id') id: string,
    @Req() req: OfficerRequest,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<Record<string, unknown>> {
    this.#thread(id);
    return sentView(res, await this.node.requests.reply(id, req.body, req.actor!, requestIdOf(req)));
  }

  @Post('requests/:id/close')
  @CountryFocalPoints()
  @HttpCode(201)
  @ApiOperation({ summary: 'Close a thread (a last message, text optional)' })
  @ApiBody({ required: false, schema: WRITE_BODY })
  async close(
    @Param('id') id: string,
    @Req() req: OfficerRequest,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<Record<string, unknown>> {
    this.#thread(id);
    return sentView(res, await this.node.requests.reply(id, req.body, req.actor!, requestIdOf(req), 'close'));
  }

  @Post('requests/:id/withdraw')
  @CountryFocalPoints()
  @HttpCode(201)
  @ApiOperation({ summary: 'Withdraw a request this country sent' })
  @ApiBody({ required: false, schema: WRITE_BODY })
  async withdraw(
    @Param('id') id: string,
    @Req() req: OfficerRequest,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<Record<string, unknown>> {
    this.#thread(id);
    return sentView(
      res,
      await this.node.requests.reply(id, req.body, req.actor!, requestIdOf(req), 'withdraw'),
    );
  }

  @Post('alerts/:id/consent-requests')
  @CountryFocalPoints()
  @HttpCode(201)
  @ApiOperation({
    summary: "Ask an alert's origin for consent to onward use (the third-party rule)",
    description:
      'purpose forward (to: the third country) or judicial_use (H1); the reason is encrypted to the origin. ' +
      'Once granted, POST /v1/alerts/{id}/forward to that country only is allowed for an H2/H3 alert.',
  })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['reason'],
      properties: {
        to: { type: 'string', example: 'PA' },
        purpose: { type: 'string', enum: ['forward', 'judicial_use'] },
        reason: { type: 'string' },
        confirmNoVictimIdentified: { type: 'boolean' },
      },
    },
  })
  async requestConsent(
    @Param('id') id: string,
    @Req() req: OfficerRequest,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<Record<string, unknown>> {
    if (!UUID.test(id)) throw idError('id');
    return sentView(res, await this.node.requests.requestConsent(id, req.body, req.actor!, requestIdOf(req)));
  }

  @Post('alerts/:id/judicial-use')
  @CountryFocalPoints()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Record that an alert is used in judicial proceedings (H1: only with the origin’s consent)',
    description:
      'An H0 alert, or this country’s own, is recorded as used; an H1, H2 or H3 alert of another country only ' +
      'with its origin’s signed grant of purpose judicial_use to this country for that alert (403 ' +
      'ERR_HANDLING_RESTRICTED otherwise). The audit trail keeps who, which alert and which consent: ids only.',
  })
  @ApiResponse({ status: 201, description: '{ alertId, handling, consentId?, recordedAt }' })
  @ApiResponse({
    status: 403,
    description: 'ERR_HANDLING_RESTRICTED: no granted consent of purpose judicial_use',
  })
  async judicialUse(@Param('id') id: string, @Req() req: OfficerRequest): Promise<Record<string, unknown>> {
    if (!UUID.test(id)) throw idError('id');
    return this.node.requests.judicialUse(id, req.actor!, requestIdOf(req));
  }

  @Post('consents/:id/decision')
  @CountryFocalPoints()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Grant or refuse a consent request about one of this country’s alerts (signed)',
    description: 'The signed decision goes to the country that asked; a grant travels with its forward.',
  })
  @ApiParam({ name: 'id', description: 'the consent request id' })
  @ApiBody({
    schema: {
      type: 'object',
      required: ['granted'],
      properties: {
        granted: { type: 'boolean' },
        reason: { type: 'string' },
        expiresAt: { type: 'string', format: 'date-time' },
      },
    },
  })
  async decide(
    @Param('id') id: string,
    @Req() req: OfficerRequest,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<Record<string, unknown>> {
    if (!UUID.test(id)) throw idError('id');
    const sent = await this.node.requests.decide(id, req.body, req.actor!, requestIdOf(req));
    return { ...sentView(res, sent), granted: (req.body as { granted: boolean }).granted };
  }

  /** Only this country's focal points read what was written; administrators and auditors see the rest. */
  #readsText(req: OfficerRequest): boolean {
    return readerOf(req.actor, this.node.country).role === 'focal-point';
  }

  #thread(id: string): StoredThread {
    if (!UUID.test(id)) throw idError('id');
    const thread = this.node.requestStore.thread(id);
    if (thread === undefined) throw new NodeError('ERR_NOT_FOUND', `no thread ${id} on this node`);
    return thread;
  }
}

function idError(path: string): NodeError {
  return new NodeError('ERR_VALIDATION', `the ${path} must be a lower-case UUID`, {
    violations: [{ path, code: 'invalid_format', message: 'must be a lower-case UUID' }],
  });
}
