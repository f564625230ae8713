/**
 * A feed in MISP's feed format, for MISP's Feeds (Sync Actions > Feeds > Add Feed, input source
 * "Network", source format "MISP Feed"): `/misp/<cc>/<feed>/manifest.json` (every event's uuid
 * with its info, date, timestamp and tags), `hashes.csv` (MD5 of each attribute value, and its
 * event) and `<event uuid>.json` per alert. manifest.json and hashes.csv are streamed from the
 * collection store one event at a time, never the whole feed in memory.
 *
 * Same access as the feed API: the registry token as Bearer (MISP's feed "Headers" field takes
 * `Authorization: Bearer <token>`) or HTTP Basic with the token as password; an FIU analyst reads
 * only its own country's feeds, another country's answers 404.
 */
import { Controller, Get, Inject, Param, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';

import { FeedError } from '../errors.js';
import { feedId } from '../feeds/feed-definition.js';
import type { FeedDefinition } from '../feeds/feed-definition.js';
import type { FeedActor } from '../feeds/feed-manager.js';
import { assertMayReadNow, assertReadsCollectionContent } from '../http/analyst-access.js';
import type { AnalystRequest } from '../http/analyst-access.js';
import type { FeedContext } from '../http/feed-context.js';
import { rateLimited } from '../http/rate-limit.js';
import { FEED_CONTEXT } from '../http/tokens.js';
import { ChallengingErrorFilter } from '../taxii/taxii-error-filter.js';
import { mispHashLines, mispManifestEntry } from './misp-event.js';
import type { MispEvent } from './misp-event.js';

const EVENT_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;

async function write(res: ServerResponse, chunk: string): Promise<void> {
  if (!res.write(chunk)) await new Promise<void>((resolve) => res.once('drain', () => resolve()));
}

@ApiExcludeController()
@UseFilters(ChallengingErrorFilter)
@Controller('misp')
export class MispController {
  constructor(@Inject(FEED_CONTEXT) private readonly ctx: FeedContext) {}

  async #feed(
    req: AnalystRequest,
    cc: string,
    name: string,
  ): Promise<{ actor: FeedActor; feed: FeedDefinition }> {
    const actor = req.actor;
    if (actor === undefined) throw new FeedError('ERR_UNAUTHENTICATED', 'a registry token is required');
    assertMayReadNow(this.ctx.trust, actor);
    assertReadsCollectionContent(actor);
    if (!/^[a-z]{2}$/.test(cc))
      throw new FeedError('ERR_NOT_FOUND', `there is no country ${JSON.stringify(cc)}`);
    const id = name.startsWith(`${cc}-`) ? name : feedId(cc, name);
    const feed = await this.ctx.manager.get(id, actor);
    return { actor, feed };
  }

  @Get(':cc/:feed')
  async index(
    @Param('cc') cc: string,
    @Param('feed') name: string,
    @Req() req: AnalystRequest,
  ): Promise<unknown> {
    const { feed } = await this.#feed(req, cc, name);
    return { feed: feed.id, files: ['manifest.json', 'hashes.csv', '<event uuid>.json'] };
  }

  @Get(':cc/:feed/:file')
  async file(
    @Param('cc') cc: string,
    @Param('feed') name: string,
    @Param('file') file: string,
    @Req() req: AnalystRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const { actor, feed } = await this.#feed(req, cc, name);
    if (file === 'manifest.json' || file === 'hashes.csv') {
      const release = rateLimited(res, () => this.ctx.limits.readers.acquire(actor.id));
      try {
        await (file === 'manifest.json' ? this.#manifest(res, feed) : this.#hashes(res, feed));
      } finally {
        release();
      }
      return;
    }
    const uuid = EVENT_FILE.exec(file)?.[1];
    const event = uuid === undefined ? undefined : this.ctx.collections.event(feed.id, uuid);
    if (event === undefined) throw new FeedError('ERR_NOT_FOUND', `the feed ${feed.id} has no ${file}`);
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('content-length', Buffer.byteLength(event.json));
    res.end(event.json);
  }

  async #manifest(res: ServerResponse, feed: FeedDefinition): Promise<void> {
    res.statusCode = 200;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    let first = true;
    await write(res, '{');
    for (const event of this.ctx.collections.events(feed.id)) {
      if (res.destroyed) return;
      const entry = mispManifestEntry(JSON.parse(event.json) as MispEvent);
      await write(res, `${first ? '\n' : ',\n'}${JSON.stringify(event.uuid)}:${JSON.stringify(entry)}`);
      first = false;
    }
    res.end('\n}\n');
  }

  async #hashes(res: ServerResponse, feed: FeedDefinition): Promise<void> {
    res.statusCode = 200;
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    for (const event of this.ctx.collections.events(feed.id)) {
      if (res.destroyed) return;
      const lines = mispHashLines(JSON.parse(event.json) as MispEvent);
      if (lines.length > 0) await write(res, `${lines.join('\n')}\n`);
    }
    res.end();
  }
}
