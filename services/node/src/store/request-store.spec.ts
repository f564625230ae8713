import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { InvalidThreadCursorError, RequestStore } from './request-store.js';
import type { NewRequestMessage } from './request-store.js';

let dir: string;
let store: RequestStore;

const id = (n: number): string => `0193a000-0000-7000-8000-${String(n).padStart(12, '0')}`;
const T = new Date('2026-12-01T10:00:00.000Z');

function message(n: number, extra: Partial<NewRequestMessage> = {}): NewRequestMessage {
  return {
    id: id(n),
    threadId: id(n),
    box: 'outbox',
    type: 'information',
    from: 'MX',
    to: ['GT', 'HN'],
    issuedAt: new Date(T.getTime() + n * 1_000),
    inReplyTo: '',
    handling: 'H0',
    tlp: 'amber',
    content: {},
    body: { subject: `s${n}`, text: 't', references: { alertIds: [], documentSeries: [], keyedDigests: [] } },
    envelope: new Uint8Array([n]),
    kid: 'MX-sig-2026-01',
    priority: 'urgent',
    ...extra,
  };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enlace-request-store-'));
  store = RequestStore.open(dir);
});

afterEach(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('RequestStore', () => {
  it('stores each message once and moves its thread: open → answered → closed', () => {
    expect(store.insert(message(1))).toBe(true);
    expect(store.insert(message(1))).toBe(false);
    expect(store.thread(id(1))).toMatchObject({ status: 'open', messages: 1, subject: 's1' });
    const reply = message(2, {
      threadId: id(1),
      type: 'reply',
      from: 'HN',
      to: ['MX'],
      inReplyTo: id(1),
      box: 'inbox',
    });
    expect(store.insert(reply)).toBe(true);
    expect(store.thread(id(1))).toMatchObject({ status: 'answered', messages: 2 });
    store.insert(message(3, { threadId: id(1), type: 'reply', inReplyTo: id(2), closes: true }));
    expect(store.thread(id(1))?.status).toBe('closed');
    // Nothing reopens a closed thread.
    store.insert(message(4, { threadId: id(1), type: 'reply', from: 'GT', to: ['MX'], inReplyTo: id(1) }));
    expect(store.thread(id(1))?.status).toBe('closed');
    expect(store.messages(id(1)).map((m) => m.id)).toEqual([id(1), id(2), id(3), id(4)]);
  });

  it('only the opener withdraws', () => {
    store.insert(message(1, { box: 'inbox' }));
    store.insert(
      message(2, { threadId: id(1), type: 'reply', from: 'GT', inReplyTo: id(1), withdraws: true }),
    );
    expect(store.thread(id(1))?.status).toBe('answered');
    store.insert(message(3, { threadId: id(1), type: 'reply', inReplyTo: id(2), withdraws: true }));
    expect(store.thread(id(1))?.status).toBe('withdrawn');
  });

  it('judges overdue when read, filters and pages newest first', () => {
    store.insert(message(1, { dueAt: new Date(T.getTime() + 60_000) }));
    store.insert(message(2, { priority: 'routine' }));
    store.insert(message(3, { box: 'inbox', from: 'PA', to: ['MX'] }));
    const later = new Date(T.getTime() + 120_000);
    expect(store.list({ overdue: true, now: later }).items.map((t) => t.id)).toEqual([id(1)]);
    expect(store.list({ overdue: true, now: T }).items).toEqual([]);
    expect(store.overdueCount(later)).toBe(1);
    expect(store.list({ priority: 'routine' }).items.map((t) => t.id)).toEqual([id(2)]);
    expect(store.list({ country: 'PA' }).items.map((t) => t.id)).toEqual([id(3)]);
    const first = store.list({ limit: 2 });
    expect(first.items.map((t) => t.id)).toEqual([id(3), id(2)]);
    expect(store.list({ limit: 2, cursor: first.next! }).items.map((t) => t.id)).toEqual([id(1)]);
    expect(() => store.list({ cursor: 'nonsense' })).toThrow(InvalidThreadCursorError);
  });

  it('finds the newest unexpired consent for one alert, holder and destination', () => {
    const consent = (n: number, granted: boolean, expiresAt?: Date) => ({
      id: id(n),
      consentRequestId: id(1),
      alertId: id(99),
      grantedBy: 'MX',
      holder: 'GT',
      toCountry: 'PA',
      purpose: 'forward',
      granted,
      issuedAt: new Date(T.getTime() + n * 1_000),
      expiresAt,
      envelope: new Uint8Array([n]),
    });
    store.insert(message(1, { type: 'consent_decision' }), consent(1, true, new Date(T.getTime() + 10_000)));
    expect(store.consentFor(id(99), 'GT', 'PA', T)?.granted).toBe(true);
    expect(store.consentFor(id(99), 'GT', 'PA', new Date(T.getTime() + 20_000))).toBeUndefined();
    expect(store.consentFor(id(99), 'GT', 'SV', T)).toBeUndefined();
    expect(store.decisionOf(id(1))?.id).toBe(id(1));
  });

  it('searches the subject and text of readable messages only, by thread; a duplicate indexes nothing twice', () => {
    store.insert(
      message(1, {
        body: {
          subject: 'Serie G12',
          text: 'Vista en Tapachula',
          references: { alertIds: [], documentSeries: ['ZZ99'], keyedDigests: [] },
        },
      }),
    );
    store.insert(
      message(2, {
        threadId: id(1),
        type: 'reply',
        from: 'HN',
        to: ['MX'],
        box: 'inbox',
        body: {
          subject: '',
          text: 'Dos detecciones en Agua Caliente',
          references: { alertIds: [], documentSeries: [], keyedDigests: [] },
        },
      }),
    );
    store.insert(message(3, { box: 'inbox', from: 'GT', to: ['MX'], body: undefined }));
    store.insert(message(1));
    const ids = (q: string): string[] => store.list({ q }).items.map((t) => t.id);
    expect(ids('tapach')).toEqual([id(1)]);
    expect(ids('AGUA caliente')).toEqual([id(1)]);
    expect(ids('tapachula caliente')).toEqual([]);
    // References (document series, digests) are not indexed.
    expect(ids('ZZ99')).toEqual([]);
    expect(ids('*')).toEqual([]);
    expect(store.list({ q: 'serie', box: 'inbox' }).items).toEqual([]);
  });

  it('keeps a pending delivery per addressee until each copy is stored, across a reopen', () => {
    expect(store.insert(message(1), undefined, T, ['GT', 'HN'])).toBe(true);
    store.recordDelivery(id(1), 'GT', { stored: true, at: T });
    store.recordDelivery(id(1), 'HN', { stored: false, error: 'no stream for enlace.v1.direct.HN.MX' });
    store.close();
    store = RequestStore.open(dir);
    expect(store.deliveries(id(1))).toEqual([
      { messageId: id(1), to: 'GT', status: 'stored', attempts: 1, storedAt: T },
      {
        messageId: id(1),
        to: 'HN',
        status: 'pending',
        attempts: 1,
        lastError: 'no stream for enlace.v1.direct.HN.MX',
      },
    ]);
    expect(store.pendingDeliveries().map((d) => d.to)).toEqual(['HN']);
    // A redelivered insert adds no second delivery.
    expect(store.insert(message(1), undefined, T, ['GT', 'HN'])).toBe(false);
    store.recordDelivery(id(1), 'HN', { stored: true, at: T });
    expect(store.pendingDeliveries()).toEqual([]);
  });
});
