/**
 * Feed definitions, kept in the JetStream KV bucket `enlace_feeds` (file storage, with history),
 * so that they survive a restart of the feed service and any instance on the same NATS sees them.
 * Creation is a KV create (fails if the id exists), changes are compare-and-set updates.
 */
import { StorageType } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';

import { FEEDS_BUCKET } from '@enlace/transport';

import { FeedError } from '../errors.js';
import type { FeedDefinition } from './feed-definition.js';

export { FEEDS_BUCKET };

export interface StoredFeed {
  readonly feed: FeedDefinition;
  readonly revision: number;
}

export class FeedRepository {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection): Promise<FeedRepository> {
    const kvm = new Kvm(nc);
    let kv: KV;
    try {
      kv = await kvm.create(FEEDS_BUCKET, { history: 10, storage: StorageType.File });
    } catch (cause) {
      try {
        kv = await kvm.open(FEEDS_BUCKET);
        await kv.status();
      } catch {
        throw new FeedError('ERR_UNAVAILABLE', `cannot open the KV bucket ${FEEDS_BUCKET}`, { cause });
      }
    }
    return new FeedRepository(kv);
  }

  async list(): Promise<StoredFeed[]> {
    const ids: string[] = [];
    for await (const key of await this.kv.keys()) ids.push(key);
    const feeds: StoredFeed[] = [];
    for (const id of ids.sort()) {
      const stored = await this.get(id);
      if (stored !== undefined) feeds.push(stored);
    }
    return feeds;
  }

  async get(id: string): Promise<StoredFeed | undefined> {
    const entry = await this.kv.get(id);
    if (entry === null || entry.operation !== 'PUT' || entry.value.length === 0) return undefined;
    return { feed: entry.json<FeedDefinition>(), revision: entry.revision };
  }

  /** Stores a new feed; ERR_CONFLICT when the id is taken. */
  async create(feed: FeedDefinition): Promise<StoredFeed> {
    try {
      const revision = await this.kv.create(feed.id, JSON.stringify(feed));
      return { feed, revision };
    } catch (cause) {
      if ((await this.get(feed.id)) !== undefined)
        throw new FeedError('ERR_CONFLICT', `a feed named ${feed.name} already exists for ${feed.country}`, {
          cause,
          violations: [{ path: 'name', code: 'name_taken', message: `${feed.id} already exists` }],
        });
      throw new FeedError('ERR_UNAVAILABLE', `the feed ${feed.id} could not be stored`, { cause });
    }
  }

  /** Replaces a feed if it is still at `revision`; ERR_CONFLICT when someone changed it meanwhile. */
  async update(feed: FeedDefinition, revision: number): Promise<StoredFeed> {
    try {
      return { feed, revision: await this.kv.update(feed.id, JSON.stringify(feed), revision) };
    } catch (cause) {
      throw new FeedError('ERR_CONFLICT', `the feed ${feed.id} changed meanwhile; try again`, { cause });
    }
  }

  async delete(id: string): Promise<void> {
    await this.kv.delete(id);
  }
}
