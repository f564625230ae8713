/**
 * The feed API: define, list, inspect, delete and replay feeds; read a feed's records as a
 * stream (tail, replay to stdout) and export them (JSON Lines or a STIX 2.1 bundle). Streams are
 * newline-delimited JSON with the number of alerts to look at in the `Enlace-Pending` header, so
 * the CLI can show progress.
 *
 * Limits (http/rate-limit.ts): a token may hold a few tail/replay/export streams open at once
 * and the service a bounded number overall; exports are rate-limited per token. Refusals are
 * ERR_RATE_LIMITED (429) with Retry-After.
 */
import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Param,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';

import { sendError, toServiceError } from '@enlace/service-kit';

import { FeedError } from '../errors.js';
import type { AnalystRequest } from '../http/analyst-access.js';
import { readerOf } from '../http/analyst-access.js';
import type { FeedContext } from '../http/feed-context.js';
import { rateLimited } from '../http/rate-limit.js';
import { FEED_CONTEXT } from '../http/tokens.js';
import { toStixBundle } from '../stix/index.js';
import { startViolation } from './feed-definition.js';
import { readVerified } from './feed-filter.js';
import type { FeedActor } from './feed-manager.js';
import { RecentIds } from './recent-ids.js';

const MAX_LIMIT = 1_000_000;
/** Shared STIX objects remembered by an export (ids only: about 1 MB), so each is written once. */
export const STIX_EMITTED_IDS = 16_384;

function actorOf(req: AnalystRequest): FeedActor {
  if (req.actor === undefined)
    throw new FeedError('ERR_UNAUTHENTICATED', 'a bearer token from the registry is required');
  return req.actor;
}

function readParams(
  query: Record<string, unknown>,
  defaults: { from: string },
): { from: string; follow: boolean; limit?: number } {
  const violations = [];
  const from = query.from ?? defaults.from;
  const problem = startViolation(from, 'from', new Date());
  if (problem !== undefined) violations.push(problem);
  const follow = query.follow ?? 'false';
  if (follow !== 'true' && follow !== 'false')
    violations.push({ path: 'follow', code: 'invalid_type', message: 'must be true or false' });
  let limit: number | undefined;
  if (query.limit !== undefined) {
    limit = Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      violations.push({
        path: 'limit',
        code: 'out_of_range',
        message: `must be a whole number from 1 to ${MAX_LIMIT}`,
      });
      limit = undefined;
    }
  }
  if (violations.length > 0)
    throw new FeedError('ERR_VALIDATION', violations.map((v) => `${v.path}: ${v.message}`).join('; '), {
      violations,
    });
  return { from: from as string, follow: follow === 'true', ...(limit !== undefined && { limit }) };
}

async function write(res: ServerResponse, chunk: string): Promise<void> {
  if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', () => resolve()));
}

@Controller('v1/feeds')
export class FeedsController {
  constructor(@Inject(FEED_CONTEXT) private readonly ctx: FeedContext) {}

  @Post()
  @HttpCode(201)
  async create(@Body() body: unknown, @Req() req: AnalystRequest): Promise<unknown> {
    return this.ctx.manager.create(body, actorOf(req));
  }

  @Get()
  async list(@Req() req: AnalystRequest): Promise<unknown> {
    return { feeds: await this.ctx.manager.list(actorOf(req)) };
  }

  @Get(':id')
  async show(@Param('id') id: string, @Req() req: AnalystRequest): Promise<unknown> {
    return this.ctx.manager.status(id, actorOf(req));
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Req() req: AnalystRequest): Promise<void> {
    await this.ctx.manager.delete(id, actorOf(req));
  }

  /** Delivers the feed's alerts again to its sink from `from` ("beginning" or an instant). */
  @Post(':id/replay')
  async replay(@Param('id') id: string, @Body() body: unknown, @Req() req: AnalystRequest): Promise<unknown> {
    const from = typeof body === 'object' && body !== null ? (body as { from?: unknown }).from : undefined;
    return this.ctx.manager.replay(id, from, actorOf(req));
  }

  /** The feed's records as newline-delimited JSON: `follow=true` keeps the stream open (tail). */
  @Get(':id/records')
  async records(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Req() req: AnalystRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const actor = actorOf(req);
    const feed = await this.ctx.manager.get(id, actor);
    const params = readParams(query, { from: 'beginning' });
    const release = rateLimited(res, () => this.ctx.limits.readers.acquire(actor.id));
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    try {
      await this.ctx.reader.read(
        feed,
        { ...params, signal: abort.signal },
        {
          onStart: ({ pending }) => {
            res.statusCode = 200;
            res.setHeader('content-type', 'application/x-ndjson; charset=utf-8');
            res.setHeader('enlace-pending', String(pending));
            res.flushHeaders();
          },
          // The read rule for this reader on the feed channel (records hold restricted bodies
          // encrypted only, so a header-only reader may have them as they are).
          onItem: ({ record, verified }) =>
            readVerified(readerOf(actor), verified, feed.country, 'feed').allowed
              ? write(res, `${JSON.stringify(record)}\n`)
              : undefined,
        },
      );
      res.end();
    } catch (error) {
      sendError(res, toServiceError(error, 'feed service', req));
    } finally {
      release();
    }
  }

  /**
   * Exports the feed's alerts: `format=stix` (default) streams one STIX 2.1 bundle, `format=jsonl`
   * the records as JSON Lines. `from` (default "beginning") and `until` bound the alerts by time.
   */
  @Get(':id/export')
  async export(
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Req() req: AnalystRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const actor = actorOf(req);
    const feed = await this.ctx.manager.get(id, actor);
    const format = query.format ?? 'stix';
    if (format !== 'stix' && format !== 'jsonl')
      throw new FeedError('ERR_VALIDATION', 'format: must be stix or jsonl', {
        violations: [{ path: 'format', code: 'invalid_format', message: 'must be stix or jsonl' }],
      });
    const { from: fromParam, until: untilParam, ...rest } = query;
    const params = readParams(
      { ...rest, from: fromParam ?? 'beginning', follow: 'false' },
      { from: 'beginning' },
    );
    let until: number | undefined;
    if (untilParam !== undefined) {
      const problem = startViolation(untilParam, 'until', new Date(8.64e15));
      if (problem !== undefined || untilParam === 'now' || untilParam === 'beginning')
        throw new FeedError('ERR_VALIDATION', 'until: must be an ISO 8601 instant', {
          violations: [{ path: 'until', code: 'invalid_until', message: 'must be an ISO 8601 instant' }],
        });
      until = Date.parse(untilParam as string);
    }
    rateLimited(res, () => this.ctx.limits.exports.take(actor.id, 1));
    const release = rateLimited(res, () => this.ctx.limits.readers.acquire(actor.id));
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    // Bounded whatever the export's size: objects of one alert are deduplicated within it
    // (toStixBundle), shared ones (ids derived from content) across alerts by the newest ids.
    const emitted = new RecentIds(STIX_EMITTED_IDS);
    // What goes out is the read rule's on the export channel, for this reader, the feed's
    // country holding the alerts: refused alerts are left out (see toStixBundle for STIX).
    const reader = readerOf(actor);
    let first = true;
    try {
      await this.ctx.reader.read(
        feed,
        { ...params, ...(until !== undefined && { until }), signal: abort.signal },
        {
          onStart: async ({ pending }) => {
            res.statusCode = 200;
            res.setHeader(
              'content-type',
              format === 'stix' ? 'application/stix+json;version=2.1' : 'application/x-ndjson; charset=utf-8',
            );
            res.setHeader('enlace-pending', String(pending));
            res.setHeader(
              'content-disposition',
              `attachment; filename="${feed.id}.${format === 'stix' ? 'stix.json' : 'jsonl'}"`,
            );
            if (format === 'stix')
              await write(res, `{"type":"bundle","id":"bundle--${randomUUID()}","objects":[`);
          },
          onItem: async ({ record, verified }) => {
            if (format === 'jsonl') {
              if (!readVerified(reader, verified, feed.country, 'export').allowed) return;
              await write(res, `${JSON.stringify(record)}\n`);
              return;
            }
            const bundle = toStixBundle([{ alert: verified.alert, body: verified.body }], {
              producer: { name: `Enlace feed ${feed.id}`, country: feed.country },
              reader,
            });
            for (const object of bundle.objects) {
              if (emitted.seen(object.id)) continue;
              await write(res, `${first ? '\n' : ',\n'}${JSON.stringify(object)}`);
              first = false;
            }
          },
        },
      );
      if (format === 'stix' && !res.destroyed) await write(res, '\n]}\n');
      res.end();
    } catch (error) {
      sendError(res, toServiceError(error, 'feed service', req));
    } finally {
      release();
    }
  }
}
