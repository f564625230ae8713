import { mkdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  alertFromJson,
  alertToJson,
  decodeAlert,
  decodeSignedAlert,
  encodeAlert,
  encodeSignedAlert,
} from '@enlace/schema';
import { InformationCredibility, SourceReliability } from '@enlace/schema';
import type { Alert, AlertBody } from '@enlace/schema';
import { openDatabase } from '@enlace/service-kit/sqlite';
import { v7 as uuidv7 } from 'uuid';
import { parse as parseYaml } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { parseListQuery } from '../alerts/alerts.controller.js';
import { alertJsonOf, summaryView, toRow } from '../alerts/alert-view.js';
import type { RowInput } from '../alerts/alert-view.js';
import { searchableText } from './alert-search.js';
import { AlertStore } from './alert-store.js';
import type { NewAlertRow } from './alert-store.js';

let dir: string;
let store: AlertStore;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'enlace-store-'));
  store = AlertStore.open(dir);
});

afterEach(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

const T0 = Date.parse('2026-11-01T00:00:00.000Z');

function row(overrides: Partial<NewAlertRow> & { at?: number } = {}): NewAlertRow {
  const { at = T0, ...rest } = overrides;
  return {
    id: uuidv7({ msecs: at }),
    box: 'inbox',
    origin: 'MX',
    network: 'trafficking-liaison',
    kind: 'route',
    handling: 'H0',
    tlp: 'amber',
    grading: '',
    issuedAt: new Date(at),
    expiresAt: new Date(at + 86_400_000),
    title: 'a route',
    recipients: [],
    supersedesId: '',
    retractsId: '',
    restricted: false,
    readable: true,
    clearBody: undefined,
    searchText: 'a route',
    envelope: new Uint8Array([1, 2, 3, 0, 255]),
    subject: 'enlace.v1.alert.trafficking-liaison.route.MX',
    streamSeq: 1,
    verification: {
      verifiedAt: new Date(at).toISOString(),
      kid: 'MX-sig-2026-01',
      registryRevision: 1,
      rules: [],
      bodyReadable: true,
      checks: [],
    },
    ...rest,
  };
}

describe('AlertStore', () => {
  it('stores an alert once, keeps its envelope byte for byte, and survives a reopen', () => {
    const alert = row();
    expect(store.insert(alert)).toBe(true);
    expect(store.insert({ ...alert, title: 'another copy' })).toBe(false);
    store.close();
    store = AlertStore.open(dir);
    const stored = store.get(alert.id)!;
    expect(stored.title).toBe('a route');
    expect([...stored.envelope]).toEqual([1, 2, 3, 0, 255]);
    expect(store.counts()).toEqual({ inbox: 1, outbox: 0 });
  });

  it('filters and pages newest first with a cursor, and refuses a cursor it did not make', () => {
    const kinds = ['route', 'document', 'network'];
    for (let i = 0; i < 30; i++)
      store.insert(row({ at: T0 + i * 1000, kind: kinds[i % 3]!, origin: i % 2 === 0 ? 'MX' : 'GT' }));
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = store.list({ kind: 'route', limit: 4, ...(cursor !== undefined && { cursor }) });
      seen.push(...page.items.map((a) => a.id));
      expect(page.items.every((a) => a.kind === 'route')).toBe(true);
      cursor = page.next;
    } while (cursor !== undefined);
    expect(seen).toHaveLength(10);
    expect([...seen].sort().reverse()).toEqual(seen);

    const since = store.list({ origin: 'GT', since: new Date(T0 + 20_000) });
    expect(since.items.map((a) => a.issuedAt.getTime() - T0)).toEqual([
      29_000, 27_000, 25_000, 23_000, 21_000,
    ]);
    expect(() => store.list({ cursor: 'bm90IGEgY3Vyc29y' })).toThrow(
      'the cursor is not one this node returned',
    );
  });

  it('filters by a date range and by Admiralty grading, and refuses a bad grading by field', () => {
    const graded = (at: number, reliability: string, credibility: string) =>
      row({ at, grading: `${reliability}${credibility}` });
    const b2 = graded(T0, 'B', '2');
    const b3 = graded(T0 + 1000, 'B', '3');
    const a2 = graded(T0 + 2000, 'A', '2');
    for (const r of [b2, b3, a2]) store.insert(r);
    expect(store.list({ reliability: 'B' }).items.map((a) => a.id)).toEqual([b3.id, b2.id]);
    expect(store.list({ credibility: '2' }).items.map((a) => a.id)).toEqual([a2.id, b2.id]);
    expect(store.list({ reliability: 'B', credibility: '2' }).items.map((a) => a.id)).toEqual([b2.id]);
    expect(
      store.list({ since: new Date(T0 + 1000), until: new Date(T0 + 2000) }).items.map((a) => a.id),
    ).toEqual([b3.id]);
    expect(parseListQuery({ reliability: 'B', credibility: '2', until: '2026-11-02T00:00:00Z' })).toEqual({
      reliability: 'B',
      credibility: '2',
      until: new Date('2026-11-02T00:00:00Z'),
    });
    expect(() => parseListQuery({ reliability: 'G', credibility: '7', until: 'soon' })).toThrow(
      expect.objectContaining({
        code: 'ERR_VALIDATION',
        violations: [
          expect.objectContaining({ path: 'until', code: 'invalid_value' }),
          expect.objectContaining({ path: 'reliability', code: 'invalid_value' }),
          expect.objectContaining({ path: 'credibility', code: 'invalid_value' }),
        ],
      }),
    );
  });

  it('lists expired alerts apart, and marks them expired in the inbox view', () => {
    const expired = row({ at: T0, expiresAt: new Date(T0 + 1000) });
    const current = row({ at: T0 + 5000, expiresAt: new Date(Date.now() + 86_400_000) });
    const open = row({ at: T0 + 6000, expiresAt: undefined });
    for (const r of [expired, current, open]) store.insert(r);
    const now = new Date(T0 + 60_000);
    expect(store.list({ expired: true, now }).items.map((a) => a.id)).toEqual([expired.id]);
    expect(store.list({ expired: false, now }).items.map((a) => a.id)).toEqual([open.id, current.id]);
    const views = store.list({}).items.map((row) => summaryView(row));
    expect(views.map((v) => [v.id, v.expired])).toEqual([
      [open.id, false],
      [current.id, false],
      [expired.id, true],
    ]);
    expect(views[2]!.notices).toContainEqual(expect.stringMatching(/^expired at /));
    expect(parseListQuery({ expired: 'true' })).toEqual({ expired: true });
    expect(() => parseListQuery({ expired: 'yes' })).toThrow(
      expect.objectContaining({
        code: 'ERR_VALIDATION',
        violations: [expect.objectContaining({ path: 'expired' })],
      }),
    );
  });

  it('marks a retracted or superseded alert of the same origin, whichever arrives first', () => {
    const original = row({ at: T0 });
    const retraction = row({ at: T0 + 1, retractsId: original.id });
    // The retraction first (redelivery order is not guaranteed), then the original.
    store.insert(retraction);
    store.insert(original);
    expect(store.get(original.id)!.retractedBy).toBe(retraction.id);

    const other = row({ at: T0 + 2 });
    store.insert(other);
    // Another origin cannot supersede MX's alert.
    store.insert(row({ at: T0 + 3, origin: 'GT', supersedesId: other.id }));
    expect(store.get(other.id)!.supersededBy).toBeUndefined();
    const replacement = row({ at: T0 + 4, supersedesId: other.id });
    store.insert(replacement);
    expect(store.get(other.id)!.supersededBy).toBe(replacement.id);
  });

  it('stores a batch in one transaction and answers each row as stored, as get() reads it back', () => {
    const original = row({ at: T0 });
    const retraction = row({ at: T0 + 1, retractsId: original.id });
    store.insert(retraction);
    const fresh = row({ at: T0 + 2 });
    const receivedAt = new Date(T0 + 10);
    // The original (whose retraction came first), a new alert, and a repeat of it in the same batch.
    const results = store.insertMany([original, fresh, { ...fresh, title: 'a repeat' }], receivedAt);
    expect(results[2]).toBeUndefined();
    for (const [i, input] of [original, fresh].entries()) {
      const stored = results[i]!;
      const read = store.get(input.id)!;
      expect({ ...stored, envelope: [...stored.envelope] }).toEqual({
        ...read,
        envelope: [...read.envelope],
      });
    }
    expect(results[0]!.retractedBy).toBe(retraction.id);
    expect(store.envelopeOf(fresh.id)).toEqual({ box: 'inbox', envelope: Buffer.from(fresh.envelope) });
    expect(store.envelopeOf('0190a000-0000-7000-8000-000000000000')).toBeUndefined();
    expect(results[1]!.receivedAt).toEqual(receivedAt);
    expect(store.counts()).toEqual({ inbox: 3, outbox: 0 });
  });

  it('stores none of a batch when one row fails', () => {
    const good = row({ at: T0 });
    const bad = { ...row({ at: T0 + 1 }), issuedAt: 'yesterday' as never };
    expect(() => store.insertMany([good, bad])).toThrow(TypeError);
    expect(store.has(good.id)).toBe(false);
  });

  it('keeps each receipt once', () => {
    const receipt = {
      alertId: uuidv7(),
      from: 'GT',
      status: 'read',
      at: new Date(T0),
      kid: 'GT-sig-2026-01',
    };
    expect(store.insertReceipt(receipt)).toBe(true);
    expect(store.insertReceipt({ ...receipt, at: new Date(T0 + 5) })).toBe(false);
    expect(store.receipts(receipt.alertId)).toEqual([receipt]);
  });

  it('keeps a batch of receipts in one transaction, each once, and none when one fails', () => {
    const alertId = uuidv7();
    const at = new Date(T0);
    const from = (c: string): { alertId: string; from: string; status: string; at: Date; kid: string } => ({
      alertId,
      from: c,
      status: 'received',
      at,
      kid: `${c}-sig-2026-01`,
    });
    expect(store.insertReceipts([])).toBe(0);
    expect(store.insertReceipts([from('GT')])).toBe(1);
    // GT's again (kept once), HN's twice in the same batch (once), SV's.
    expect(store.insertReceipts([from('GT'), from('HN'), from('HN'), from('SV')])).toBe(2);
    expect(store.receipts(alertId).map((r) => r.from)).toEqual(['GT', 'HN', 'SV']);
    const bad = { ...from('PA'), at: 'yesterday' as never };
    expect(() => store.insertReceipts([from('CR'), bad])).toThrow(TypeError);
    expect(store.receipts(alertId).map((r) => r.from)).toEqual(['GT', 'HN', 'SV']);
  });
});

describe('free-text search (FTS5)', () => {
  const route = (title: string, place: string, at: number): NewAlertRow =>
    row({
      at,
      title,
      searchText: searchableText({
        header: { title, summary: 'cruce en balsa' },
        route: { waypoints: [{ place, country: 'GT', crossing: 'CROSSING_TYPE_INFORMAL' }] },
        network: { accounts: [{ digest: 'deadbeefcafe' }] },
      }),
    });

  it('finds alerts by place names and words of the title, accent-insensitively, with keyset paging', () => {
    store.insert(route('Ruta del Golfo', 'Tecún Umán', T0));
    store.insertMany([route('Ruta del Pacífico', 'Tapachula', T0 + 1), route('Otra', 'Reynosa', T0 + 2)]);
    expect(store.list({ q: 'tecun' }).items.map((a) => a.title)).toEqual(['Ruta del Golfo']);
    expect(store.list({ q: 'ruta' }).items.map((a) => a.title)).toEqual([
      'Ruta del Pacífico',
      'Ruta del Golfo',
    ]);
    const first = store.list({ q: 'balsa', limit: 2 });
    expect(first.items.map((a) => a.title)).toEqual(['Otra', 'Ruta del Pacífico']);
    expect(store.list({ q: 'balsa', limit: 2, cursor: first.next! }).items.map((a) => a.title)).toEqual([
      'Ruta del Golfo',
    ]);
  });

  it('never indexes digests or enum values, and FTS syntax in the query is only text', () => {
    store.insert(route('Ruta', 'Tecún Umán', T0));
    expect(store.list({ q: 'deadbeefcafe' }).items).toEqual([]);
    expect(store.list({ q: 'CROSSING_TYPE_INFORMAL' }).items).toEqual([]);
    expect(store.list({ q: 'ruta OR "x' }).items).toEqual([]);
    expect(store.list({ q: '*** ' }).items).toEqual([]);
  });

  it('re-indexes a replaced alert and indexes what a store made before search holds', () => {
    const a = route('Ruta vieja', 'Tapachula', T0);
    store.insert(a);
    store.replace({
      ...a,
      title: 'Ruta nueva',
      searchText: searchableText({ header: { title: 'Ruta nueva' } }),
    });
    expect(store.list({ q: 'vieja' }).items).toEqual([]);
    expect(store.list({ q: 'nueva' }).items).toHaveLength(1);
  });

  it('indexes behind the commit, and loses nothing to a kill before the index caught up', () => {
    const a = route('Ruta del Norte', 'Piedras Negras', T0);
    const b = route('Ruta del Sur', 'Ciudad Hidalgo', T0 + 1);
    store.insertMany([a, b]);
    // Committed with the alerts, not yet in the FTS table (moved behind, 50 ms later).
    const raw = openDatabase(join(dir, 'alerts.sqlite'));
    const count = (table: string) =>
      (raw.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    expect(count('alerts_search_pending')).toBe(2);
    expect(count('alerts_search')).toBe(0);
    // The node is killed here: the next store on the same file indexes what waited, at open.
    const next = AlertStore.open(dir);
    expect(count('alerts_search_pending')).toBe(0);
    expect(next.list({ q: 'piedras' }).items.map((x) => x.id)).toEqual([a.id]);
    next.close();
    // A search sees an alert just stored, before its words were moved.
    const c = route('Ruta del Este', 'Corinto', T0 + 2);
    store.insert(c);
    expect(store.list({ q: 'corinto' }).items.map((x) => x.id)).toEqual([c.id]);
    raw.close();
  });

  it('takes q from the query string, bounded', () => {
    expect(parseListQuery({ q: 'tecun' })).toEqual({ q: 'tecun' });
    expect(() => parseListQuery({ q: 'x'.repeat(201) })).toThrow(/q/);
  });

  it('dismisses per country, reversibly: out of dismissed=false, into the archive (searchable, paged)', () => {
    const a = row({ at: T0, title: 'Ruta del Golfo', searchText: 'Ruta del Golfo' });
    const b = row({
      at: T0 + 1,
      title: 'Ruta del Norte',
      searchText: 'Ruta del Norte',
    });
    const c = row({ at: T0 + 2 });
    store.insertMany([a, b, c]);
    const at = new Date(T0 + 10);
    expect(store.dismiss(a.id, 'officer-gt-1', at)).toBe(true);
    expect(store.dismiss(b.id, 'officer-gt-2', at)).toBe(true);
    // The first dismissal stands; an id not stored is not dismissed.
    expect(store.dismiss(a.id, 'officer-gt-3')).toBe(false);
    expect(store.dismissal(a.id)).toEqual({ at, officer: 'officer-gt-1' });
    expect(store.dismiss('01900000-0000-7000-8000-000000000000', 'officer-gt-1')).toBe(false);
    expect(store.list({ dismissed: false }).items.map((r) => r.id)).toEqual([c.id]);
    const archive = store.list({ dismissed: true, limit: 1 });
    expect(archive.items.map((r) => r.id)).toEqual([b.id]);
    expect(store.list({ dismissed: true, limit: 1, cursor: archive.next! }).items.map((r) => r.id)).toEqual([
      a.id,
    ]);
    expect(store.list({ dismissed: true, q: 'golfo' }).items.map((r) => r.id)).toEqual([a.id]);
    expect(store.list({}).items).toHaveLength(3);
    // Undo: back in the inbox; undoing twice changes nothing.
    expect(store.undismiss(a.id)).toBe(true);
    expect(store.undismiss(a.id)).toBe(false);
    expect(store.dismissal(a.id)).toBeUndefined();
    expect(store.list({ dismissed: false }).items.map((r) => r.id)).toEqual([c.id, a.id]);
    store.close();
    store = AlertStore.open(dir);
    expect(store.list({ dismissed: true }).items.map((r) => r.id)).toEqual([b.id]);
  });

  it('takes dismissed from the query string as true or false, and names the field otherwise', () => {
    expect(parseListQuery({ dismissed: 'true' })).toEqual({ dismissed: true });
    expect(parseListQuery({ dismissed: 'false' })).toEqual({ dismissed: false });
    expect(() => parseListQuery({ dismissed: 'maybe' })).toThrow(
      expect.objectContaining({
        code: 'ERR_VALIDATION',
        violations: [expect.objectContaining({ path: 'dismissed', code: 'invalid_value' })],
      }),
    );
  });
});

describe('the JSON view, built from the envelope when read', () => {
  const draft = alertFromJson(
    parseYaml(readFileSync(join(import.meta.dirname, '../../../../seeds/demo/route-mx-gt-us.yaml'), 'utf8')),
    { draft: true },
  );
  const clear = draft.body as AlertBody['body'];
  const issued = (at: number, recipients: string[] = []): Alert => ({
    ...draft,
    header: { ...draft.header!, id: uuidv7({ msecs: at }), origin: 'MX', issuedAt: new Date(at), recipients },
  });
  const envelopeOf = (alert: Alert): Uint8Array =>
    encodeSignedAlert({
      protectedHeader: 'eyJhbGciOiJFZERTQSJ9',
      alert: encodeAlert(alert),
      signature: new Uint8Array(64),
    });
  const verification = (bodyReadable: boolean) => ({
    verifiedAt: new Date(T0).toISOString(),
    kid: 'MX-sig-2026-01',
    registryRevision: 1,
    rules: [],
    bodyReadable,
    checks: [],
  });
  const input = (
    alert: Alert,
    body: AlertBody['body'],
    readable: boolean,
    title?: string,
    summary?: string,
  ): RowInput => ({
    box: 'inbox' as const,
    alert,
    body,
    ...(title !== undefined && { title }),
    ...(summary !== undefined && { summary }),
    kind: 'route',
    handling: 'H0',
    envelope: envelopeOf(alert),
    subject: 'enlace.v1.alert.trafficking-liaison.route.MX',
    streamSeq: 1,
    verification: verification(readable),
  });

  it('is the alert as the node read it: in clear, restricted and readable here, restricted to others', () => {
    const plain = issued(T0);
    const secret = issued(T0 + 1, ['GT']);
    const sealed: Alert = {
      ...secret,
      header: { ...secret.header!, title: '', summary: '' },
      body: { $case: 'encrypted', encrypted: { jwe: '{"ciphertext":"AA"}' } },
    };
    const cases = [
      // What toRow stored as JSON before: the header (with a restricted alert's title and summary) and the body readable here.
      { row: toRow(input(plain, clear, true)), view: alertToJson(plain) },
      {
        row: toRow(input(sealed, clear, true, secret.header!.title, secret.header!.summary)),
        view: alertToJson({
          header: { ...sealed.header!, title: secret.header!.title, summary: secret.header!.summary },
          body: secret.body,
        }),
      },
      {
        row: toRow({
          ...input(sealed, undefined, false, '', ''),
          alert: { ...sealed, header: { ...sealed.header!, id: uuidv7({ msecs: T0 + 2 }) } },
        }),
        view: undefined,
      },
    ];
    for (const { row, view } of cases) {
      store.insert(row);
      const stored = store.get(row.id)!;
      const expected =
        view ??
        alertToJson({ header: decodeAlert(decodeSignedAlert(row.envelope).alert).header, body: undefined });
      expect(alertJsonOf(stored)).toStrictEqual(expected);
    }
    expect(cases[0]!.row.clearBody).toBeUndefined();
    expect(cases[2]!.row.clearBody).toBeUndefined();
    expect(store.list({ q: secret.header!.title.split(' ')[0]! }).items.map((a) => a.id)).toContain(
      cases[1]!.row.id,
    );
  });

  it("fills the grading column of an older store from each envelope's clear header", () => {
    const plain = issued(T0);
    const grading = plain.header!.grading!;
    const code = `${SourceReliability[grading.sourceReliability].slice(-1)}${InformationCredibility[grading.informationCredibility].slice(-1)}`;
    expect(code).toMatch(/^[A-F][1-6]$/);
    store.insert(toRow(input(plain, clear, true)));
    store.close();
    const raw = openDatabase(join(dir, 'alerts.sqlite'));
    raw.exec('ALTER TABLE alerts DROP COLUMN grading');
    raw.close();
    store = AlertStore.open(dir);
    expect(store.get(plain.header!.id)!.grading).toBe(code);
    expect(store.list({ reliability: code[0]! }).items.map((a) => a.id)).toEqual([plain.header!.id]);
    expect(store.list({ credibility: code[1]! }).items.map((a) => a.id)).toEqual([plain.header!.id]);
  });

  it('moves what an older store kept as alert_json: the search text, a restricted clear body; then drops the column', () => {
    store.close();
    const old = join(dir, 'old');
    const plain = issued(T0);
    const secret = issued(T0 + 1, ['GT']);
    const sealed: Alert = {
      ...secret,
      header: { ...secret.header!, title: '', summary: '' },
      body: { $case: 'encrypted', encrypted: { jwe: '{"ciphertext":"AA"}' } },
    };
    const db = openDatabase(join((mkdirSync(old), old), 'alerts.sqlite'));
    db.exec(`CREATE TABLE alerts (
      id TEXT PRIMARY KEY, box TEXT NOT NULL, origin TEXT NOT NULL, network TEXT NOT NULL, kind TEXT NOT NULL,
      handling TEXT NOT NULL, tlp TEXT NOT NULL, issued_at INTEGER NOT NULL, expires_at INTEGER,
      received_at INTEGER NOT NULL, title TEXT NOT NULL, recipients TEXT NOT NULL, supersedes_id TEXT NOT NULL,
      retracts_id TEXT NOT NULL, restricted INTEGER NOT NULL, readable INTEGER NOT NULL, alert_json TEXT NOT NULL,
      envelope BLOB NOT NULL, subject TEXT NOT NULL, stream_seq INTEGER, verification TEXT NOT NULL,
      retracted_by TEXT, superseded_by TEXT) WITHOUT ROWID`);
    const views = [
      [plain, alertToJson(plain)],
      [
        sealed,
        alertToJson({
          header: { ...sealed.header!, title: secret.header!.title, summary: secret.header!.summary },
          body: secret.body,
        }),
      ],
    ] as const;
    for (const [alert, view] of views)
      db.prepare(
        `INSERT INTO alerts VALUES (?, 'inbox', 'MX', 'trafficking-liaison', 'route', 'H0', 'amber', ?, NULL, ?, ?, ?, '', '', ?, 1, ?, ?, 's', 1, '{}', NULL, NULL)`,
      ).run(
        alert.header!.id,
        T0,
        T0,
        secret.header!.title,
        JSON.stringify(alert.header!.recipients),
        alert.header!.recipients.length > 0 ? 1 : 0,
        JSON.stringify(view),
        Buffer.from(envelopeOf(alert)),
      );
    db.close();
    store = AlertStore.open(old);
    for (const [alert, view] of views) expect(alertJsonOf(store.get(alert.header!.id)!)).toStrictEqual(view);
    expect(store.list({ q: 'tapachula' }).items).toHaveLength(2);
    store.close();
    const reopened = openDatabase(join(old, 'alerts.sqlite'));
    expect(
      reopened
        .prepare('PRAGMA table_info(alerts)')
        .all()
        .map((c) => (c as { name: string }).name),
    ).not.toContain('alert_json');
    reopened.close();
    store = AlertStore.open(old);
  });
});
