import { errors } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { consumeDurable } from './consume-durable.js';
import type { NatsCountryStatus, NatsCountryUser } from './nats-permissions.js';
import {
  countryNatsPermissions,
  feedNatsPermissions,
  fiuInboxPrefixOf,
  fiuNatsUser,
  countryNatsUser,
  inboxPrefixOf,
  registryNatsPermissions,
  renderNatsAuthorization,
} from './nats-permissions.js';
import { ensureEnlaceStreams } from './streams.js';
import { ALERTS_STREAM, publishSubjectsOf, subjectMatches } from './subjects.js';
import { TransportError } from './transport-error.js';

const registry = { user: 'registry', credential: { password: 'registry-secret-0123' } };
const pw = (code: string): { password: string } => ({ password: `${code.toLowerCase()}-secret-0123456` });

describe('renderNatsAuthorization', () => {
  it('renders users for members, observers and suspended countries and none for the withdrawn', () => {
    const text = renderNatsAuthorization({
      countries: [
        { code: 'MX', status: 'member', credential: pw('MX') },
        { code: 'CO', status: 'observer', credential: pw('CO') },
        { code: 'NI', status: 'suspended', credential: pw('NI') },
        { code: 'BR', status: 'withdrawn' },
      ],
      services: { registry },
    });
    expect(text).toMatchSnapshot();
    // Sorted, so that re-rendering unchanged state changes no byte.
    expect(text.indexOf('# BR withdrawn: no user')).toBeLessThan(text.indexOf('# CO observer'));
    expect(text).not.toContain('node-br');
  });

  it('puts the same users in an ENLACE account with JetStream in mode account', () => {
    const text = renderNatsAuthorization({
      countries: [{ code: 'GT', status: 'member', credential: pw('GT') }],
      services: { registry },
      mode: 'account',
    });
    expect(text).toMatch(/^accounts \{\n {2}ENLACE \{\n {4}jetstream: enabled\n {4}users = \[/m);
    expect(text).toContain('user: "node-gt"');
  });

  it('no country may publish on another country’s origin subjects, in any status', () => {
    const codes = ['BZ', 'CA', 'CR', 'DO', 'SV', 'GT', 'HN', 'MX', 'NI', 'PA', 'US', 'CO'];
    const statuses: NatsCountryStatus[] = ['member', 'observer', 'suspended', 'withdrawn'];
    for (const code of codes) {
      for (const status of statuses) {
        const allowed = countryNatsPermissions(code, status)?.publish ?? [];
        for (const other of codes.filter((c) => c !== code)) {
          const theirs = [
            `enlace.v1.alert.trafficking-liaison.route.${other}`,
            `enlace.v1.alert.fiu-exchange.network.${other}`,
            `enlace.v1.direct.${code}.${other}`,
            `enlace.v1.ack.${code}.${other}`,
            `enlace.v1.audit.node-${other.toLowerCase()}.officer`,
            `$JS.API.CONSUMER.MSG.NEXT.${ALERTS_STREAM}.node-${other}`,
            `$JS.API.CONSUMER.INFO.${ALERTS_STREAM}.node-${other}`,
            `$JS.ACK.${ALERTS_STREAM}.node-${other}.1.2.3.4.5`,
            // Its own durables re-filtered to read what is addressed to another country.
            `$JS.API.CONSUMER.CREATE.${ALERTS_STREAM}.node-${code}-direct.enlace.v1.direct.${other}.*`,
            `$JS.API.CONSUMER.CREATE.${ALERTS_STREAM}.node-${code}-receipts.enlace.v1.ack.${other}.*`,
            `$JS.API.CONSUMER.CREATE.${ALERTS_STREAM}.node-${code}.enlace.v1.direct.>`,
          ];
          for (const subject of theirs) {
            const hit = allowed.find((pattern) => subjectMatches(pattern, subject));
            expect(hit, `${code} (${status}) may publish on ${subject}`).toBeUndefined();
          }
        }
        // No stream administration at all, and no registry events (only the registry signs those).
        for (const pattern of allowed) {
          expect(pattern).not.toMatch(
            /STREAM\.(CREATE|UPDATE|DELETE|PURGE)|CONSUMER\.DELETE|registry\.event/,
          );
          expect(['>', '*', 'enlace.>', 'enlace.v1.>', '$JS.API.>']).not.toContain(pattern);
        }
      }
    }
  });

  it('members publish their own origin subjects; observers only receipts; suspended only registry reads and audit', () => {
    const member = countryNatsPermissions('MX', 'member')!;
    for (const own of publishSubjectsOf('MX')) expect(member.publish).toContain(own);
    const observer = countryNatsPermissions('CO', 'observer')!;
    expect(observer.publish.filter((s) => s.startsWith('enlace.v1.') && !s.includes('registry.rpc'))).toEqual(
      ['enlace.v1.ack.*.CO', 'enlace.v1.audit.node-co.>'],
    );
    expect(countryNatsPermissions('NI', 'suspended')).toEqual({
      publish: [
        'enlace.v1.registry.rpc.get_key',
        'enlace.v1.registry.rpc.get_snapshot',
        'enlace.v1.registry.rpc.decide',
        'enlace.v1.audit.node-ni.>',
      ],
      subscribe: ['_INBOX.>', 'enlace.v1.registry.event.>'],
    });
    expect(countryNatsPermissions('BR', 'withdrawn')).toBeUndefined();
    expect(countryNatsPermissions('MX', 'member', { inboxes: 'per-user' })!.subscribe).toEqual([
      '_INBOX.node-mx.>',
      'enlace.v1.registry.event.>',
    ]);
  });

  it('the registry may create streams but never delete or purge them', () => {
    const { publish } = registryNatsPermissions();
    expect(publish).toContain('$JS.API.STREAM.CREATE.ENLACE_ALERTS');
    expect(publish).toContain('$KV.enlace_registry_state.>');
    expect(publish.filter((s) => /DELETE|PURGE/.test(s) && !s.includes('CONSUMER.DELETE'))).toEqual([]);
  });

  it('refuses malformed input with ERR_INVALID_OPTION', () => {
    const bad: Array<[NatsCountryUser[], RegExp]> = [
      [[{ code: 'mx', status: 'member', credential: pw('MX') }], /ISO 3166-1 alpha-2/],
      [[{ code: 'MX', status: 'member' }], /MX \(member\) has no credential/],
      [[{ code: 'MX', status: 'member', credential: { password: 'short' } }], /password of node-mx/],
      [[{ code: 'MX', status: 'member', credential: { password: 'has"quote-0123' } }], /password of node-mx/],
      [[{ code: 'MX', status: 'banned' as NatsCountryStatus, credential: pw('MX') }], /status of MX/],
      [
        [
          { code: 'MX', status: 'member', credential: pw('MX') },
          { code: 'MX', status: 'observer', credential: pw('MX') },
        ],
        /MX is listed twice/,
      ],
    ];
    for (const [countries, message] of bad) {
      let error: unknown;
      try {
        renderNatsAuthorization({ countries, services: { registry } });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).code).toBe('ERR_INVALID_OPTION');
      expect((error as TransportError).message).toMatch(message);
    }
  });
});

type PermissionViolation = InstanceType<typeof errors.PermissionViolationError>;

/** Resolves with the permissions violation the server reports for `subject` on `nc`. */
function violation(nc: NatsConnection, subject: string, timeoutMs = 3_000): Promise<PermissionViolation> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no permissions violation for ${subject}`)), timeoutMs);
    void (async () => {
      for await (const status of nc.status()) {
        if (
          status.type === 'error' &&
          status.error instanceof errors.PermissionViolationError &&
          status.error.subject === subject
        ) {
          clearTimeout(timer);
          resolve(status.error);
          return;
        }
      }
    })();
  });
}

describe('nats-server enforces the rendered permissions', () => {
  let server: NatsServerHandle;
  let admin: NatsConnection;
  let mx: NatsConnection;

  beforeAll(async () => {
    server = await startNatsServer({
      backend: 'binary',
      name: 'transport-permissions',
      config: renderNatsAuthorization({
        countries: [
          { code: 'MX', status: 'member', credential: pw('MX') },
          { code: 'GT', status: 'member', credential: pw('GT') },
        ],
        services: { registry },
      }),
    });
    admin = await server.connect({ user: 'registry', pass: registry.credential.password });
    await ensureEnlaceStreams(await jetstreamManager(admin));
    // GT's durable exists: MX must not be able to read it.
    const gt = await server.connect({ user: countryNatsUser('GT'), pass: pw('GT').password });
    await (
      await jetstreamManager(gt)
    ).consumers.add(ALERTS_STREAM, {
      durable_name: 'node-GT',
      filter_subject: 'enlace.v1.alert.>',
      ack_policy: AckPolicy.Explicit,
    });
    await gt.close();
    mx = await server.connect({ user: countryNatsUser('MX'), pass: pw('MX').password });
  });

  afterAll(async () => {
    await mx?.close();
    await admin?.close();
    await server?.stop();
  });

  it('refuses a connection without a user', async () => {
    await expect(server.connect({ maxReconnectAttempts: 0, reconnect: false })).rejects.toThrow(
      /Authorization Violation/i,
    );
  });

  it('node-mx publishes on its own subject and pulls it from its own durable', async () => {
    // The node's start-up path: stream info only (the streams exist), then its durable.
    expect((await ensureEnlaceStreams(await jetstreamManager(mx))).map((s) => s.action)).toEqual([
      'unchanged',
      'unchanged',
    ]);
    const js = jetstream(mx);
    const ack = await js.publish('enlace.v1.alert.trafficking-liaison.route.MX', 'own', { msgID: 'mx-1' });
    expect(ack.stream).toBe(ALERTS_STREAM);
    const received: string[] = [];
    const consumer = await consumeDurable(
      js,
      { stream: ALERTS_STREAM, durable: 'node-MX', filterSubject: 'enlace.v1.alert.>', pullExpiresMs: 1_000 },
      (msg) => {
        received.push(msg.subject);
      },
    );
    try {
      const deadline = Date.now() + 5_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(received).toEqual(['enlace.v1.alert.trafficking-liaison.route.MX']);
      expect(consumer.counters().acked).toBe(1);
    } finally {
      await consumer.close();
    }
  });

  it('the server refuses node-mx publishing on GT’s subject', async () => {
    const subject = 'enlace.v1.alert.trafficking-liaison.route.GT';
    const refused = violation(mx, subject);
    mx.publish(subject, 'forged');
    const error = await refused;
    expect(error.operation).toBe('publish');
    expect(error.message).toMatch(
      /Permissions Violation for Publish to "enlace\.v1\.alert\.trafficking-liaison\.route\.GT"/,
    );
    // Nothing reached the stream.
    const info = await (
      await jetstreamManager(admin)
    ).streams.info(ALERTS_STREAM, {
      subjects_filter: subject,
    });
    expect(info.state.subjects?.[subject] ?? 0).toBe(0);
  });

  it('the server refuses node-mx reading GT’s durable, or re-filtering its own', async () => {
    const next = '$JS.API.CONSUMER.MSG.NEXT.ENLACE_ALERTS.node-GT';
    const refused = violation(mx, next);
    mx.publish(next, JSON.stringify({ batch: 1 }), { reply: '_INBOX.mx-test' });
    expect((await refused).operation).toBe('publish');
    await expect(jetstream(mx).consumers.get(ALERTS_STREAM, 'node-GT')).rejects.toThrow(
      /Permissions Violation/,
    );
    // Its own durable with another filter (e.g. to read other countries' bilateral messages).
    await expect(
      (await jetstreamManager(mx, { checkAPI: false })).consumers.add(ALERTS_STREAM, {
        durable_name: 'node-MX',
        filter_subject: 'enlace.v1.direct.>',
        ack_policy: AckPolicy.Explicit,
      }),
    ).rejects.toThrow(/Permissions Violation/);
    // A core subscription to alerts would bypass durables and verification bookkeeping.
    const sub = mx.subscribe('enlace.v1.alert.>');
    await expect(sub.closed).resolves.toBeInstanceOf(errors.PermissionViolationError);
  });

  it('the server refuses node-mx deleting or purging a stream', async () => {
    const jsm = await jetstreamManager(mx, { checkAPI: false });
    await expect(jsm.streams.delete(ALERTS_STREAM)).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.streams.purge(ALERTS_STREAM)).rejects.toThrow(/Permissions Violation/);
    expect((await (await jetstreamManager(admin)).streams.info(ALERTS_STREAM)).state.messages).toBe(1);
  });
});

describe('per-user inboxes', () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer({
      backend: 'binary',
      name: 'transport-inboxes',
      config: renderNatsAuthorization({
        countries: [
          { code: 'MX', status: 'member', credential: pw('MX') },
          { code: 'GT', status: 'member', credential: pw('GT') },
        ],
        services: { registry },
        inboxes: 'per-user',
      }),
    });
    const admin = await server.connect({ user: 'registry', pass: registry.credential.password });
    await ensureEnlaceStreams(await jetstreamManager(admin));
    await admin.close();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a node connecting with inboxPrefixOf(cc) works, and no other country can read its replies', async () => {
    const mx = await server.connect({
      user: 'node-mx',
      pass: pw('MX').password,
      inboxPrefix: inboxPrefixOf('MX'),
    });
    const gt = await server.connect({
      user: 'node-gt',
      pass: pw('GT').password,
      inboxPrefix: inboxPrefixOf('GT'),
    });
    try {
      const snoop = gt.subscribe('_INBOX.>');
      await expect(snoop.closed).resolves.toBeInstanceOf(errors.PermissionViolationError);
      const js = jetstream(mx);
      await js.publish('enlace.v1.direct.GT.MX', 'to GT', { msgID: 'direct-1' });
      const received: string[] = [];
      const consumer = await consumeDurable(
        jetstream(gt),
        {
          stream: ALERTS_STREAM,
          durable: 'node-GT-direct',
          filterSubject: 'enlace.v1.direct.GT.*',
          pullExpiresMs: 1_000,
        },
        (msg) => {
          received.push(msg.subject);
        },
      );
      try {
        const deadline = Date.now() + 5_000;
        while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
        expect(received).toEqual(['enlace.v1.direct.GT.MX']);
      } finally {
        await consumer.close();
      }
    } finally {
      await mx.close();
      await gt.close();
    }
  });
});

describe('feedNatsPermissions', () => {
  const permissions = feedNatsPermissions();
  const mayPublish = (subject: string): boolean =>
    permissions.publish.some((p) => subjectMatches(p, subject));

  it('reads alerts through its own consumers and delivers on enlace.v1.feed.>, nothing more', () => {
    expect(mayPublish('$JS.API.CONSUMER.CREATE.ENLACE_ALERTS.feed-gt-all-1.enlace.v1.alert.*.*.*')).toBe(
      true,
    );
    expect(mayPublish('$JS.API.CONSUMER.MSG.NEXT.ENLACE_ALERTS.feed-gt-all-1')).toBe(true);
    expect(mayPublish('$JS.ACK.ENLACE_ALERTS.feed-gt-all-1.1.2.3.4.5')).toBe(true);
    expect(mayPublish('enlace.v1.feed.GT.cases')).toBe(true);
    expect(mayPublish('$KV.enlace_feeds.gt-all')).toBe(true);
    expect(mayPublish('enlace.v1.audit.feed.gt-ive-analyst')).toBe(true);
    // Never an alert, a change to the alerts stream, the registry's state or the audit trail.
    for (const subject of [
      'enlace.v1.alert.trafficking-liaison.route.MX',
      'enlace.v1.direct.GT.MX',
      '$JS.API.STREAM.DELETE.ENLACE_ALERTS',
      '$JS.API.STREAM.PURGE.ENLACE_ALERTS',
      '$JS.API.STREAM.UPDATE.ENLACE_ALERTS',
      '$KV.enlace_registry_state.countries',
      'enlace.v1.audit.registry.admin',
      'enlace.v1.registry.event.country.MX',
    ])
      expect(mayPublish(subject), subject).toBe(false);
    expect(permissions.subscribe).toEqual(['_INBOX.feed.>', 'enlace.v1.registry.event.>']);
  });

  it('renders the feed user beside the registry; the two may not share a name', () => {
    const services = { registry: { user: 'registry', credential: { password: 'registry-secret-1' } } };
    const text = renderNatsAuthorization({
      countries: [],
      services: { ...services, feed: { user: 'feed', credential: { password: 'feed-secret-12' } } },
    });
    expect(text).toContain('# feed service');
    expect(text).toContain('"enlace.v1.feed.>"');
    expect(() =>
      renderNatsAuthorization({
        countries: [],
        services: { ...services, feed: { user: 'registry', credential: { password: 'feed-secret-12' } } },
      }),
    ).toThrow(TransportError);
  });
});

describe('an FIU reads only its own country’s feed deliveries (nats-server enforces it)', () => {
  let server: NatsServerHandle;
  let feed: NatsConnection;
  let fiuMx: NatsConnection;
  const feedUser = { user: 'feed', credential: { password: 'feed-secret-0123456' } };

  beforeAll(async () => {
    server = await startNatsServer({
      backend: 'binary',
      name: 'transport-fiu-permissions',
      config: renderNatsAuthorization({
        countries: [],
        services: { registry, feed: feedUser },
        fius: [
          { code: 'MX', credential: pw('fiu-MX') },
          { code: 'GT', credential: pw('fiu-GT') },
        ],
      }),
    });
    feed = await server.connect({
      user: 'feed',
      pass: feedUser.credential.password,
      inboxPrefix: '_INBOX.feed',
    });
    await (
      await jetstreamManager(feed)
    ).streams.add({ name: 'ENLACE_FEEDS', subjects: ['enlace.v1.feed.>'] });
    const js = jetstream(feed);
    await js.publish('enlace.v1.feed.MX.cases', JSON.stringify({ id: 'mx-cases:1' }));
    await js.publish('enlace.v1.feed.GT.cases', JSON.stringify({ id: 'gt-cases:1' }));
    fiuMx = await server.connect({
      user: fiuNatsUser('MX'),
      pass: pw('fiu-MX').password,
      inboxPrefix: fiuInboxPrefixOf('MX'),
    });
  });

  afterAll(async () => {
    await fiuMx?.close();
    await feed?.close();
    await server?.stop();
  });

  it('fiu-mx pulls MX deliveries through its durable', async () => {
    const jsm = await jetstreamManager(fiuMx, { checkAPI: false });
    await jsm.consumers.add('ENLACE_FEEDS', {
      durable_name: 'fiu-mx',
      filter_subject: 'enlace.v1.feed.MX.>',
      ack_policy: AckPolicy.Explicit,
    });
    const consumer = await jetstream(fiuMx).consumers.get('ENLACE_FEEDS', 'fiu-mx');
    const msg = await consumer.next({ expires: 2_000 });
    expect(msg?.json()).toEqual({ id: 'mx-cases:1' });
    await msg?.ackAck();
  });

  it('fiu-mx may not read GT deliveries, alerts, or another consumer', async () => {
    const jsm = await jetstreamManager(fiuMx, { checkAPI: false });
    await expect(
      jsm.consumers.add('ENLACE_FEEDS', {
        durable_name: 'fiu-mx',
        filter_subject: 'enlace.v1.feed.GT.>',
        ack_policy: AckPolicy.Explicit,
      }),
    ).rejects.toThrow(/Permissions Violation/);
    await expect(
      jsm.consumers.add('ENLACE_FEEDS', {
        durable_name: 'fiu-gt',
        filter_subject: 'enlace.v1.feed.GT.>',
        ack_policy: AckPolicy.Explicit,
      }),
    ).rejects.toThrow(/Permissions Violation/);
    const gt = fiuMx.subscribe('enlace.v1.feed.GT.>');
    await expect(gt.closed).resolves.toBeInstanceOf(errors.PermissionViolationError);
    const alerts = fiuMx.subscribe('enlace.v1.alert.>');
    await expect(alerts.closed).resolves.toBeInstanceOf(errors.PermissionViolationError);
  });
});
