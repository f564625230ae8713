/**
 * The registry's audit trail: one AuditRecord per command, refused requests included, appended
 * to the JetStream stream ENLACE_AUDIT on `enlace.v1.audit.registry.<actor>`. The stream refuses
 * message deletion and purging, so the trail is append-only for every client. Queries read it
 * newest first, in windows of stream sequences walked backwards, so the cost of a query grows
 * with how far back it has to look, not with the size of the trail.
 */
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import {
  DeliverPolicy,
  JetStreamApiError,
  StorageType,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { AUDIT_STREAM, AUDIT_STREAM_SUBJECTS, auditSubject } from '@enlace/transport';

import { RegistryError } from '../domain/errors.js';
import type { AuditQuery, AuditRecord } from '../domain/model.js';

export const AUDIT_SERVICE = 'registry';
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** Stream sequences read per window when walking the trail backwards. */
const WINDOW = 1024;
/** A query gives up (ERR_UNAVAILABLE) rather than run longer than this. */
const QUERY_BUDGET_MS = 10_000;

/** Creates ENLACE_AUDIT (file storage, no delete, no purge) unless it exists. */
export async function ensureAuditStream(jsm: JetStreamManager): Promise<void> {
  try {
    await jsm.streams.info(AUDIT_STREAM);
    return;
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.code !== 10059) {
      throw new RegistryError('ERR_UNAVAILABLE', `cannot read stream ${AUDIT_STREAM}`, { cause: err });
    }
  }
  try {
    await jsm.streams.add({
      name: AUDIT_STREAM,
      subjects: [...AUDIT_STREAM_SUBJECTS],
      storage: StorageType.File,
      deny_delete: true,
      deny_purge: true,
    });
  } catch (err) {
    // Another registry instance may have created it in between.
    try {
      await jsm.streams.info(AUDIT_STREAM);
    } catch {
      throw new RegistryError('ERR_UNAVAILABLE', `cannot create stream ${AUDIT_STREAM}`, { cause: err });
    }
  }
}

export class AuditLog {
  private constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {}

  static async open(nc: NatsConnection): Promise<AuditLog> {
    const jsm = await jetstreamManager(nc);
    await ensureAuditStream(jsm);
    return new AuditLog(jetstream(nc), jsm);
  }

  /** Appends a record; resolves once the stream has stored it. The id is its Nats-Msg-Id. */
  async append(record: AuditRecord): Promise<number> {
    try {
      const ack = await this.js.publish(auditSubject(AUDIT_SERVICE, record.actor), JSON.stringify(record), {
        msgID: record.id,
      });
      return ack.seq;
    } catch (cause) {
      throw new RegistryError('ERR_UNAVAILABLE', `cannot append to the audit stream ${AUDIT_STREAM}`, {
        cause,
      });
    }
  }

  /** Records of this service matching `query`, newest first. */
  async query(query: AuditQuery): Promise<AuditRecord[]> {
    const limit = Math.min(Math.max(query.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
    const since = query.since === undefined ? undefined : Date.parse(query.since);
    const until = query.until === undefined ? undefined : Date.parse(query.until);
    let first: number;
    let last: number;
    try {
      const info = await this.jsm.streams.info(AUDIT_STREAM);
      first = info.state.first_seq;
      last = info.state.last_seq;
    } catch (cause) {
      throw new RegistryError('ERR_UNAVAILABLE', `cannot read stream ${AUDIT_STREAM}`, { cause });
    }
    const deadline = Date.now() + QUERY_BUDGET_MS;
    const found: AuditRecord[] = [];
    // Paging: the next page starts below the oldest sequence of the one before.
    let end = query.before === undefined ? last : Math.min(last, query.before - 1);
    while (end >= first && end > 0 && found.length < limit) {
      if (Date.now() > deadline)
        throw new RegistryError('ERR_UNAVAILABLE', `the audit query took longer than ${QUERY_BUDGET_MS} ms`);
      const start = Math.max(first, end - WINDOW + 1);
      const window = await this.readWindow(start, end);
      // Records are appended in time order, give or take the clocks of several registry
      // instances: stop only once a whole window lies before `since`.
      let allBeforeSince = window.length > 0;
      for (let i = window.length - 1; i >= 0 && found.length < limit; i--) {
        const record = window[i] as AuditRecord;
        const at = Date.parse(record.at);
        if (since !== undefined && at < since) continue;
        allBeforeSince = false;
        if (until !== undefined && at >= until) continue;
        if (matches(record, query)) found.push(record);
      }
      if (since !== undefined && allBeforeSince) break;
      end = start - 1;
    }
    return found;
  }

  /** Records of this service stored at sequences start..end, in order. */
  private async readWindow(start: number, end: number): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    try {
      const consumer = await this.js.consumers.get(AUDIT_STREAM, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: start,
      });
      const messages = await consumer.fetch({ max_messages: end - start + 1, expires: 2_000 });
      for await (const m of messages) {
        if (m.seq > end) break;
        const record = decodeRecord(m);
        if (record !== undefined) out.push(record);
        if (m.seq >= end) break;
      }
      await consumer.delete().catch(() => undefined);
    } catch (cause) {
      throw new RegistryError('ERR_UNAVAILABLE', `cannot read the audit stream ${AUDIT_STREAM}`, { cause });
    }
    return out;
  }
}

function decodeRecord(m: JsMsg): AuditRecord | undefined {
  try {
    const value = m.json<AuditRecord>();
    if (value.service !== AUDIT_SERVICE) return undefined;
    return { ...value, sequence: m.seq };
  } catch {
    return undefined;
  }
}

function matches(record: AuditRecord, query: AuditQuery): boolean {
  return (
    (query.actor === undefined || record.actor === query.actor) &&
    (query.action === undefined || record.action === query.action) &&
    (query.entity === undefined || record.entity === query.entity) &&
    (query.entityId === undefined || record.entityId === query.entityId)
  );
}
