/**
 * A read-only TAXII 2.1 server (OASIS TAXII 2.1, sections 4 and 5) over the feeds' collections:
 * discovery at /taxii2/, one API root per country (/taxii2/<cc>/) whose collections are that
 * country's feeds, and per collection its objects, manifest, one object and its versions, paged
 * by keyset (`next`) or by `added_after` with the X-TAXII-Date-Added-First/-Last headers. Nothing
 * is writable: POST and DELETE answer 403, status resources 404.
 *
 * Access is the service's: the bearer guard checks the registry token (sent as Bearer, or as
 * the password of HTTP Basic: see http/basic-credentials.ts); an FIU analyst sees only its own
 * country's API root, an administrator or auditor every country's. Another country's API root
 * or collection answers 404, as if it did not exist. The routes follow the TAXII specification,
 * not this service's OpenAPI conventions, so they are left out of /docs.
 */
import { Controller, Delete, Get, Inject, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

import { FeedError } from '../errors.js';
import { formatMicros, STIX_MEDIA_TYPE } from '../collections/collection-store.js';
import type { ObjectPage, ObjectQuery } from '../collections/collection-store.js';
import type { FeedDefinition } from '../feeds/feed-definition.js';
import type { FeedActor } from '../feeds/feed-manager.js';
import { assertMayReadNow, assertReadsCollectionContent } from '../http/analyst-access.js';
import type { AnalystRequest } from '../http/analyst-access.js';
import type { FeedContext } from '../http/feed-context.js';
import { FEED_CONTEXT } from '../http/tokens.js';
import { ENLACE_STIX_NAMESPACE } from '../stix/index.js';
import { uuidV5 } from '../stix/uuid-v5.js';
import { TaxiiErrorFilter } from './taxii-error-filter.js';
import { acceptsTaxii, notAcceptable, parseTaxiiQuery, TAXII_MEDIA_TYPE } from './taxii-request.js';

const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

/** The TAXII collection id of a feed: a UUID, new when a feed of that name is created again. */
export function taxiiCollectionId(feed: Pick<FeedDefinition, 'id' | 'createdAt'>): string {
  return uuidV5(ENLACE_STIX_NAMESPACE, `taxii/collection/${feed.id}/${feed.createdAt}`);
}

function actorOf(req: AnalystRequest): FeedActor {
  if (req.actor === undefined)
    throw new FeedError(
      'ERR_UNAUTHENTICATED',
      'a registry token is required (Bearer, or Basic with the token as password)',
    );
  return req.actor;
}

function send(
  res: ServerResponse,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
  status = 200,
): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', TAXII_MEDIA_TYPE);
  res.setHeader('content-length', Buffer.byteLength(text));
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(text);
}

function dateHeaders(page: ObjectPage): Record<string, string> {
  const first = page.objects[0];
  const last = page.objects.at(-1);
  return first === undefined || last === undefined
    ? {}
    : {
        'x-taxii-date-added-first': formatMicros(first.dateAdded),
        'x-taxii-date-added-last': formatMicros(last.dateAdded),
      };
}

/** `more`, and `next` when there is more. */
function paging(page: ObjectPage): { more: boolean; next?: string } {
  const last = page.objects.at(-1);
  return page.more && last !== undefined ? { more: true, next: String(last.seq) } : { more: false };
}

@ApiExcludeController()
@UseFilters(TaxiiErrorFilter)
@Controller('taxii2')
export class TaxiiController {
  constructor(@Inject(FEED_CONTEXT) private readonly ctx: FeedContext) {}

  /** Checks Accept and returns who asks. */
  #begin(req: AnalystRequest): FeedActor {
    const actor = actorOf(req);
    const accept = req.headers.accept;
    if (!acceptsTaxii(accept)) throw notAcceptable(accept);
    assertMayReadNow(this.ctx.trust, actor);
    return actor;
  }

  /** The countries whose API roots `actor` may see. */
  #countries(actor: FeedActor): string[] {
    if (actor.country !== undefined) return [actor.country];
    return this.ctx.trust
      .require()
      .snapshot.policy.countries.map((c) => c.code)
      .sort();
  }

  #root(actor: FeedActor, root: string): string {
    const country = root.toUpperCase();
    if (
      root !== country.toLowerCase() ||
      !/^[a-z]{2}$/.test(root) ||
      !this.#countries(actor).includes(country)
    )
      throw new FeedError('ERR_NOT_FOUND', `there is no API root ${JSON.stringify(root)}`);
    return country;
  }

  async #collections(actor: FeedActor, root: string): Promise<FeedDefinition[]> {
    const country = this.#root(actor, root);
    return (await this.ctx.manager.definitions(actor)).filter((feed) => feed.country === country);
  }

  /** A collection whose objects `actor` reads: analysts of its country only. */
  async #content(actor: FeedActor, root: string, id: string): Promise<FeedDefinition> {
    const feed = await this.#collection(actor, root, id);
    assertReadsCollectionContent(actor);
    return feed;
  }

  async #collection(actor: FeedActor, root: string, id: string): Promise<FeedDefinition> {
    const feed = (await this.#collections(actor, root)).find(
      (f) => taxiiCollectionId(f) === id || f.id === id,
    );
    if (feed === undefined)
      throw new FeedError('ERR_NOT_FOUND', `there is no collection ${JSON.stringify(id)}`);
    return feed;
  }

  /**
   * The absolute URL of /taxii2/ as the client reached it. Behind a TLS-terminating proxy the
   * proxy's X-Forwarded-Proto and X-Forwarded-Host say how; a client that sets them itself only
   * changes the URLs of its own answer.
   */
  #base(req: AnalystRequest): string {
    const first = (value: string | string[] | undefined): string | undefined =>
      (Array.isArray(value) ? value[0] : value)?.split(',')[0]?.trim();
    const forwarded = first(req.headers['x-forwarded-proto'])?.toLowerCase();
    const scheme =
      forwarded === 'https' || forwarded === 'http'
        ? forwarded
        : (req.socket as Partial<TLSSocket>).encrypted === true
          ? 'https'
          : 'http';
    const host = [first(req.headers['x-forwarded-host']), req.headers.host].find(
      (h): h is string => h !== undefined && /^[A-Za-z0-9.[\]:-]{1,255}$/.test(h),
    );
    return `${scheme}://${host ?? 'localhost'}/taxii2/`;
  }

  /** Section 4.1: the discovery resource. */
  @Get()
  discovery(@Req() req: AnalystRequest, @Res() res: ServerResponse): void {
    const actor = this.#begin(req);
    const roots = this.#countries(actor).map((cc) => `${this.#base(req)}${cc.toLowerCase()}/`);
    send(res, {
      title: 'Enlace feeds',
      description:
        "Verified Enlace alerts as STIX 2.1, one API root per country; each of the country's feeds is a collection.",
      ...(actor.country !== undefined && { default: roots[0] }),
      api_roots: roots,
    });
  }

  /** Section 4.2: the API root of a country. */
  @Get(':root')
  apiRoot(@Param('root') root: string, @Req() req: AnalystRequest, @Res() res: ServerResponse): void {
    const actor = this.#begin(req);
    const country = this.#root(actor, root);
    send(res, {
      title: `Enlace feeds of ${regionNames.of(country) ?? country} (${country})`,
      description: `The feeds of the financial intelligence unit of ${country}, one collection each.`,
      versions: [TAXII_MEDIA_TYPE],
      // Nothing is writable here: no request carries a body.
      max_content_length: 0,
    });
  }

  /** Section 4.3: nothing is ever writable, so there is no status to ask about. */
  @Get(':root/status/:status')
  status(@Param('root') root: string, @Param('status') status: string, @Req() req: AnalystRequest): never {
    this.#root(this.#begin(req), root);
    throw new FeedError(
      'ERR_NOT_FOUND',
      `there is no status ${JSON.stringify(status)}: nothing here is writable`,
    );
  }

  /** Section 5.1. */
  @Get(':root/collections')
  async collections(
    @Param('root') root: string,
    @Req() req: AnalystRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const feeds = await this.#collections(this.#begin(req), root);
    send(res, feeds.length === 0 ? {} : { collections: feeds.map(collectionOf) });
  }

  /** Section 5.2. */
  @Get(':root/collections/:id')
  async collection(
    @Param('root') root: string,
    @Param('id') id: string,
    @Req() req: AnalystRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    send(res, collectionOf(await this.#collection(this.#begin(req), root, id)));
  }

  /** Section 5.3: the collection's manifest. */
  @Get(':root/collections/:id/manifest')
  async manifest(
    @Param('root') root: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Req() req: AnalystRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const feed = await this.#content(this.#begin(req), root, id);
    const page = this.ctx.collections.objects(feed.id, parseTaxiiQuery(query, { filters: 'all' }));
    send(
      res,
      {
        ...paging(page),
        ...(page.objects.length > 0 && {
          objects: page.objects.map((o) => ({
            id: o.id,
            date_added: formatMicros(o.dateAdded),
            version: o.version,
            media_type: STIX_MEDIA_TYPE,
          })),
        }),
      },
      dateHeaders(page),
    );
  }

  /** Section 5.4: the collection's objects, in the order the feed delivered them. */
  @Get(':root/collections/:id/objects')
  async objects(
    @Param('root') root: string,
    @Param('id') id: string,
    @Query() query: Record<string, unknown>,
    @Req() req: AnalystRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const feed = await this.#content(this.#begin(req), root, id);
    this.#envelope(res, this.ctx.collections.objects(feed.id, parseTaxiiQuery(query, { filters: 'all' })));
  }

  /** The collection and query of one object (5.6, 5.8); ERR_NOT_FOUND when the collection holds no such object. */
  async #oneObject(
    req: AnalystRequest,
    root: string,
    id: string,
    object: string,
    query: Record<string, unknown>,
    filters: 'object' | 'versions',
  ): Promise<{ feed: FeedDefinition; parsed: ObjectQuery }> {
    const feed = await this.#content(this.#begin(req), root, id);
    const parsed: ObjectQuery = { ...parseTaxiiQuery(query, { filters }), ids: [object] };
    if (!this.ctx.collections.has(feed.id, object))
      throw new FeedError('ERR_NOT_FOUND', `the collection holds no object ${JSON.stringify(object)}`);
    return { feed, parsed };
  }

  /** Section 5.6: one object, its last version unless match[version] says otherwise. */
  @Get(':root/collections/:id/objects/:object')
  async object(
    @Param('root') root: string,
    @Param('id') id: string,
    @Param('object') object: string,
    @Query() query: Record<string, unknown>,
    @Req() req: AnalystRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const { feed, parsed } = await this.#oneObject(req, root, id, object, query, 'object');
    this.#envelope(res, this.ctx.collections.objects(feed.id, parsed));
  }

  /** Section 5.8: the versions of one object, oldest first. */
  @Get(':root/collections/:id/objects/:object/versions')
  async versions(
    @Param('root') root: string,
    @Param('id') id: string,
    @Param('object') object: string,
    @Query() query: Record<string, unknown>,
    @Req() req: AnalystRequest,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const { feed, parsed } = await this.#oneObject(req, root, id, object, query, 'versions');
    const page = this.ctx.collections.objects(feed.id, parsed);
    send(
      res,
      { ...paging(page), ...(page.objects.length > 0 && { versions: page.objects.map((o) => o.version) }) },
      dateHeaders(page),
    );
  }

  /** Sections 5.5 and 5.7: collections here are read-only (can_write false). */
  @Post(':root/collections/:id/objects')
  async add(
    @Param('root') root: string,
    @Param('id') id: string,
    @Req() req: AnalystRequest,
  ): Promise<never> {
    await this.#collection(this.#begin(req), root, id);
    throw new FeedError('ERR_FORBIDDEN', 'this collection is read-only (can_write is false)');
  }

  @Delete(':root/collections/:id/objects/:object')
  async remove(
    @Param('root') root: string,
    @Param('id') id: string,
    @Req() req: AnalystRequest,
  ): Promise<never> {
    await this.#collection(this.#begin(req), root, id);
    throw new FeedError('ERR_FORBIDDEN', 'this collection is read-only (can_write is false)');
  }

  /** An envelope (section 3.7) of the page's objects, written as stored, without parsing them again. */
  #envelope(res: ServerResponse, page: ObjectPage): void {
    const head = JSON.stringify(paging(page));
    const text =
      page.objects.length === 0
        ? head
        : `${head.slice(0, -1)},"objects":[${page.objects.map((o) => o.json).join(',')}]}`;
    res.statusCode = 200;
    res.setHeader('content-type', TAXII_MEDIA_TYPE);
    res.setHeader('content-length', Buffer.byteLength(text));
    for (const [name, value] of Object.entries(dateHeaders(page))) res.setHeader(name, value);
    res.end(text);
  }
}

function collectionOf(feed: FeedDefinition): Record<string, unknown> {
  return {
    id: taxiiCollectionId(feed),
    // The feed id: tools such as OpenCTI's TAXII2 connector pick collections by title.
    title: feed.id,
    description: feed.description === '' ? `Enlace feed ${feed.id} of ${feed.country}` : feed.description,
    alias: feed.id,
    can_read: true,
    can_write: false,
    media_types: [STIX_MEDIA_TYPE],
  };
}
