import { errors, nkeyAuthenticator } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { consumeDurable } from './consume-durable.js';
import { createNatsNkey, hashNatsPassword, natsNkeyPublicKey } from './nats-permissions-credentials.js';
import { reconcileNodeConsumers } from './nats-permissions-reconcile.js';
import type { NatsCountryStatus, NatsCountryUser, NatsCredential } from './nats-permissions.js';
import {
  NODE_DURABLE_LIMITS,
  countryNatsPermissions,
  networkDurableOf,
  nodeDurablesOf,
  feedNatsPermissions,
  fiuInboxPrefixOf,
  fiuNatsUser,
  inboxPrefixOf,
  registryNatsPermissions,
  renderNatsAuthorization,
} from './nats-permissions.js';
import { ensureEnlaceStreams } from './streams.js';
import { ALERTS_STREAM, publishSubjectsOf, subjectMatches } from './subjects.js';
import { TransportError } from './transport-error.js';

/** Fixed public nkeys, so that renderings (and the snapshot) are the same on every run. */
const PUBLIC_NKEYS = [
  'UD5ZVSGDJCYYQFHL7DTOOB3YMDAQ5TTQGLKISGUZ6FSHCQJHYDGIKM7X',
  'UBQSMGK7ZUW7FADOUFDZCOXKM2J44F7RLVIT52P3UZZ5YF4DSLY4VASC',
  'UA5D7E26KDRE2WIZ7WSCYPJSTPUN3CRAQPKHSOH6DXYPRQ35WFAQHEPH',
  'UB3KZXBB4XN64L37K3M3BX4OAZL3T6RVJJGQJAVTO7W7CCPUTTR4NGU7',
] as const;
const fixedNkey = (i: number): NatsCredential => ({ nkey: PUBLIC_NKEYS[i]! });
const REGISTRY_PASSWORD = 'registry-secret-0123';
/** A fixed bcrypt hash of REGISTRY_PASSWORD (cost 4: quick for the test servers too). */
const registry = {
  user: 'registry',
  credential: { passwordHash: '$2a$04$WmEfy0N19.yDsrjvDSuInukuvPI77KHqU9GzPtzo/u6NRxj/nzqjy' },
};

/** Nkey pairs for the tests that run a server: the seed signs the server's challenge. */
const nkeys = new Map<string, { seed: string; publicKey: string }>();
function nkeyOf(user: string): { seed: string; publicKey: string } {
  let pair = nkeys.get(user);
  if (pair === undefined) {
    pair = createNatsNkey();
    nkeys.set(user, pair);
  }
  return pair;
}
const nk = (user: string): NatsCredential => ({ nkey: nkeyOf(user).publicKey });
const as = (user: string, inboxPrefix?: string) => ({
  authenticator: nkeyAuthenticator(new TextEncoder().encode(nkeyOf(user).seed)),
  ...(inboxPrefix !== undefined && { inboxPrefix }),
});
const asRegistry = { user: 'registry', pass: REGISTRY_PASSWORD, inboxPrefix: '_INBOX.registry' };

describe('renderNatsAuthorization', () => {
  it('renders users for members, observers and suspended countries and none for the withdrawn', () => {
    const text = renderNatsAuthorization({
      countries: [
        { code: 'MX', status: 'member', credential: fixedNkey(0), networks: ['trafficking-liaison'] },
        { code: 'CO', status: 'observer', credential: fixedNkey(1), networks: ['consular-protection'] },
        { code: 'NI', status: 'suspended', credential: fixedNkey(2), networks: ['trafficking-liaison'] },
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
      countries: [{ code: 'GT', status: 'member', credential: fixedNkey(3) }],
      services: { registry },
      mode: 'account',
    });
    expect(text).toMatch(/^accounts \{\n {2}ENLACE \{\n {4}jetstream: enabled\n {4}users = \[/m);
    expect(text).toContain(`nkey: "${PUBLIC_NKEYS[3]}"`);
    expect(text).toContain('"$JS.API.CONSUMER.INFO.ENLACE_ALERTS.node-GT-direct"');
  });

  it('no country may publish on another country’s origin subjects, in any status', () => {
    const codes = ['BZ', 'CA', 'CR', 'DO', 'SV', 'GT', 'HN', 'MX', 'NI', 'PA', 'US', 'CO'];
    const statuses: NatsCountryStatus[] = ['member', 'observer', 'suspended', 'withdrawn'];
    for (const code of codes) {
      for (const status of statuses) {
        const allowed = countryNatsPermissions(code, status, ['trafficking-liaison'])?.publish ?? [];
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
            `$JS.API.CONSUMER.MSG.NEXT.${ALERTS_STREAM}.node-${other}-net-trafficking-liaison`,
            `$JS.ACK.${ALERTS_STREAM}.node-${other}-net-trafficking-liaison.1.2.3.4.5`,
          ];
          for (const subject of theirs) {
            const hit = allowed.find((pattern) => subjectMatches(pattern, subject));
            expect(hit, `${code} (${status}) may publish on ${subject}`).toBeUndefined();
          }
        }
        // No stream administration at all, no consumer created, changed or removed (the
        // reconciler's filters and limits stand), and no registry events (only the registry signs those).
        for (const pattern of allowed) {
          expect(pattern).not.toMatch(
            /STREAM\.(CREATE|UPDATE|DELETE|PURGE)|CONSUMER\.(CREATE|DURABLE|DELETE)|registry\.event/,
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
      subscribe: ['_INBOX.node-ni.>', 'enlace.v1.registry.event.>'],
    });
    expect(countryNatsPermissions('BR', 'withdrawn')).toBeUndefined();
    // Only its own inbox prefix, in every status (no `_INBOX.>`).
    expect(member.subscribe).toEqual(['_INBOX.node-mx.>', 'enlace.v1.registry.event.>']);
  });

  it('a country reads only the durables of its own networks, its bilateral messages and receipts', () => {
    expect(
      nodeDurablesOf('GT', ['consular-protection', 'trafficking-liaison', 'consular-protection']),
    ).toEqual([
      expect.objectContaining({
        durable: 'node-GT-net-consular-protection',
        filterSubject: 'enlace.v1.alert.consular-protection.>',
        kind: 'network',
        maxAckPending: NODE_DURABLE_LIMITS.alertsMaxAckPending,
      }),
      expect.objectContaining({
        durable: 'node-GT-net-trafficking-liaison',
        filterSubject: 'enlace.v1.alert.trafficking-liaison.>',
      }),
      expect.objectContaining({ durable: 'node-GT-direct', filterSubject: 'enlace.v1.direct.GT.*' }),
      expect.objectContaining({ durable: 'node-GT-receipts', filterSubject: 'enlace.v1.ack.GT.*' }),
    ]);
    const gt = countryNatsPermissions('GT', 'member', ['consular-protection'])!;
    const reads = gt.publish.filter((s) => s.includes('CONSUMER') || s.startsWith('$JS.ACK'));
    expect(reads).toEqual([
      '$JS.API.CONSUMER.INFO.ENLACE_ALERTS.node-GT-net-consular-protection',
      '$JS.API.CONSUMER.MSG.NEXT.ENLACE_ALERTS.node-GT-net-consular-protection',
      '$JS.ACK.ENLACE_ALERTS.node-GT-net-consular-protection.>',
      '$JS.API.CONSUMER.INFO.ENLACE_ALERTS.node-GT-direct',
      '$JS.API.CONSUMER.MSG.NEXT.ENLACE_ALERTS.node-GT-direct',
      '$JS.ACK.ENLACE_ALERTS.node-GT-direct.>',
      '$JS.API.CONSUMER.INFO.ENLACE_ALERTS.node-GT-receipts',
      '$JS.API.CONSUMER.MSG.NEXT.ENLACE_ALERTS.node-GT-receipts',
      '$JS.ACK.ENLACE_ALERTS.node-GT-receipts.>',
    ]);
    expect(networkDurableOf('GT', 'trafficking-liaison')).toBe('node-GT-net-trafficking-liaison');
    expect(() => countryNatsPermissions('GT', 'member', ['Not.A.Network'])).toThrow(/network must be/);
  });

  it('the registry may create streams but never delete or purge them', () => {
    const { publish } = registryNatsPermissions();
    expect(publish).toContain('$JS.API.STREAM.CREATE.ENLACE_ALERTS');
    expect(publish).toContain('$KV.enlace_registry_state.>');
    expect(publish.filter((s) => /DELETE|PURGE/.test(s) && !s.includes('CONSUMER.DELETE'))).toEqual([]);
  });

  it('refuses malformed input with ERR_INVALID_OPTION', () => {
    const bad: Array<[NatsCountryUser[], RegExp]> = [
      [[{ code: 'mx', status: 'member', credential: fixedNkey(0) }], /ISO 3166-1 alpha-2/],
      [[{ code: 'MX', status: 'member' }], /MX \(member\) has no credential/],
      // A password in clear is never written into the server's configuration.
      [
        [
          {
            code: 'MX',
            status: 'member',
            credential: { password: 'clear-text-0123456' } as unknown as NatsCredential,
          },
        ],
        /credential of node-mx must be a public nkey .* or a bcrypt password hash .*passwords in clear are not rendered/,
      ],
      [
        [{ code: 'MX', status: 'member', credential: { passwordHash: 'md5:0123456789abcdef' } }],
        /credential of node-mx/,
      ],
      [
        [{ code: 'MX', status: 'member', credential: { nkey: 'SUAAAA' } }],
        /nkey of node-mx is not a user public nkey/,
      ],
      [[{ code: 'MX', status: 'banned' as NatsCountryStatus, credential: fixedNkey(0) }], /status of MX/],
      [[{ code: 'MX', status: 'member', credential: fixedNkey(0), networks: ['a.b'] }], /network must be/],
      [
        [
          { code: 'MX', status: 'member', credential: fixedNkey(0) },
          { code: 'MX', status: 'observer', credential: fixedNkey(0) },
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
  let gt: NatsConnection;
  // MX is on the liaison network; GT only on consular protection.
  const countries: NatsCountryUser[] = [
    { code: 'MX', status: 'member', credential: nk('node-mx'), networks: ['trafficking-liaison'] },
    { code: 'GT', status: 'member', credential: nk('node-gt'), networks: ['consular-protection'] },
  ];

  beforeAll(async () => {
    server = await startNatsServer({
      backend: 'binary',
      name: 'transport-permissions',
      config: renderNatsAuthorization({ countries, services: { registry } }),
    });
    admin = await server.connect(asRegistry);
    await ensureEnlaceStreams(await jetstreamManager(admin));
    // The reconciler (the registry's user) creates every node's durables.
    await reconcileNodeConsumers(await jetstreamManager(admin), countries);
    mx = await server.connect(as('node-mx', inboxPrefixOf('MX')));
    gt = await server.connect(as('node-gt', inboxPrefixOf('GT')));
  });

  afterAll(async () => {
    await gt?.close();
    await mx?.close();
    await admin?.close();
    await server?.stop();
  });

  it('refuses a connection without a user, or with a seed the server does not list', async () => {
    await expect(server.connect({ maxReconnectAttempts: 0, reconnect: false })).rejects.toThrow(
      /Authorization Violation/i,
    );
    await expect(
      server.connect({
        ...as('someone-else'),
        maxReconnectAttempts: 0,
        reconnect: false,
      }),
    ).rejects.toThrow(/Authorization Violation/i);
    expect(natsNkeyPublicKey(nkeyOf('node-mx').seed)).toBe(nkeyOf('node-mx').publicKey);
  });

  it('node-mx publishes on its own subject and pulls it from its own network durable', async () => {
    // The node's start-up path: stream info only (the streams exist), then its durable.
    expect((await ensureEnlaceStreams(await jetstreamManager(mx))).map((s) => s.action)).toEqual([
      'unchanged',
      'unchanged',
    ]);
    const js = jetstream(mx);
    const ack = await js.publish('enlace.v1.alert.trafficking-liaison.route.MX', 'own', { msgID: 'mx-1' });
    expect(ack.stream).toBe(ALERTS_STREAM);
    const received: string[] = [];
    const [durable] = nodeDurablesOf('MX', ['trafficking-liaison']);
    // The reconciler's limits: the node finds nothing to change (it may not change anything).
    const consumer = await consumeDurable(
      js,
      {
        stream: ALERTS_STREAM,
        durable: durable!.durable,
        filterSubject: durable!.filterSubject,
        maxDeliver: durable!.maxDeliver,
        ackWaitMs: durable!.ackWaitMs,
        maxAckPending: durable!.maxAckPending,
        pullExpiresMs: 1_000,
      },
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

  it('bilateral messages (forwards, requests, consents): node-mx publishes only direct.*.MX and reads only direct.MX.*', async () => {
    // A request MX would send as GT (its origin token GT), and one to GT sent in GT's name.
    for (const subject of ['enlace.v1.direct.MX.GT', 'enlace.v1.direct.GT.GT']) {
      const refused = violation(mx, subject);
      mx.publish(subject, 'forged');
      const error = await refused;
      expect(error.operation).toBe('publish');
    }
    const info = await (
      await jetstreamManager(admin)
    ).streams.info(ALERTS_STREAM, {
      subjects_filter: 'enlace.v1.direct.*.GT',
    });
    expect(Object.keys(info.state.subjects ?? {})).toEqual([]);
    // (Its own origin token to any destination: 'a node connecting with inboxPrefixOf(cc) works'.)
    // Reading GT's bilateral messages: neither GT's durable nor a consumer of its own on them.
    await expect(jetstream(mx).consumers.get(ALERTS_STREAM, 'node-GT-direct')).rejects.toThrow(
      /Permissions Violation/,
    );
    const error = await (
      await jetstreamManager(mx, { checkAPI: false })
    ).consumers
      .add(ALERTS_STREAM, {
        durable_name: 'node-MX-direct-snoop',
        filter_subject: 'enlace.v1.direct.GT.*',
        ack_policy: AckPolicy.Explicit,
      })
      .catch((e: unknown) => e);
    expect((error as Error).cause).toBeInstanceOf(errors.PermissionViolationError);
    const sub = mx.subscribe('enlace.v1.direct.GT.*');
    await expect(sub.closed).resolves.toBeInstanceOf(errors.PermissionViolationError);
  });

  it('the server refuses node-gt reading a network GT is not in: no consumer of its own, no pull from MX’s', async () => {
    const jsm = await jetstreamManager(gt, { checkAPI: false });
    // Creating a consumer on the liaison network, under its own name or any other.
    for (const durable of ['node-GT-net-trafficking-liaison', 'node-GT', 'anything']) {
      const error = await jsm.consumers
        .add(ALERTS_STREAM, {
          durable_name: durable,
          filter_subject: 'enlace.v1.alert.trafficking-liaison.>',
          ack_policy: AckPolicy.Explicit,
        })
        .catch((e: unknown) => e);
      // The request fails with the server's permissions violation as its cause.
      expect(error, durable).toBeInstanceOf(errors.RequestError);
      expect((error as Error).cause, durable).toBeInstanceOf(errors.PermissionViolationError);
      expect((error as Error).message).toMatch(
        /Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.CREATE\.ENLACE_ALERTS/,
      );
    }
    // Re-filtering its own durable to the network it is not in.
    await expect(
      jsm.consumers.update(ALERTS_STREAM, 'node-GT-net-consular-protection', {
        filter_subject: 'enlace.v1.alert.trafficking-liaison.>',
      }),
    ).rejects.toThrow(/Permissions Violation/);
    // Pulling from MX's durable on it.
    const next = `$JS.API.CONSUMER.MSG.NEXT.ENLACE_ALERTS.${networkDurableOf('MX', 'trafficking-liaison')}`;
    const refused = violation(gt, next);
    gt.publish(next, JSON.stringify({ batch: 1 }), { reply: `${inboxPrefixOf('GT')}.x` });
    const error = await refused;
    expect(error).toBeInstanceOf(errors.PermissionViolationError);
    expect(error.operation).toBe('publish');
    expect(error.message).toMatch(
      /Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.MSG\.NEXT\.ENLACE_ALERTS\.node-MX-net-trafficking-liaison"/,
    );
    await expect(
      jetstream(gt).consumers.get(ALERTS_STREAM, networkDurableOf('MX', 'trafficking-liaison')),
    ).rejects.toThrow(/Permissions Violation/);
    // A core subscription to alerts would bypass durables and verification bookkeeping.
    const sub = gt.subscribe('enlace.v1.alert.trafficking-liaison.>');
    await expect(sub.closed).resolves.toBeInstanceOf(errors.PermissionViolationError);
    // Its own network's durable still works.
    const own = await jetstream(gt).consumers.get(ALERTS_STREAM, 'node-GT-net-consular-protection');
    expect((await own.info()).config.filter_subject).toBe('enlace.v1.alert.consular-protection.>');
  });

  it('the server refuses node-gt reading another node’s inbox or the feed service’s', async () => {
    for (const subject of ['_INBOX.node-mx.>', '_INBOX.node-mx.abc', '_INBOX.feed.>', '_INBOX.>']) {
      const sub = gt.subscribe(subject);
      const closed = await sub.closed;
      expect(closed, subject).toBeInstanceOf(errors.PermissionViolationError);
      expect((closed as Error).message).toMatch(/Permissions Violation for Subscription to/);
    }
  });

  it('the server refuses node-mx deleting or purging a stream', async () => {
    const jsm = await jetstreamManager(mx, { checkAPI: false });
    await expect(jsm.streams.delete(ALERTS_STREAM)).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.streams.purge(ALERTS_STREAM)).rejects.toThrow(/Permissions Violation/);
    await expect(jsm.consumers.delete(ALERTS_STREAM, 'node-MX-direct')).rejects.toThrow(
      /Permissions Violation/,
    );
    expect((await (await jetstreamManager(admin)).streams.info(ALERTS_STREAM)).state.messages).toBe(1);
  });
});

describe('reconcileNodeConsumers', () => {
  let server: NatsServerHandle;
  let admin: NatsConnection;
  beforeAll(async () => {
    server = await startNatsServer({
      backend: 'binary',
      name: 'transport-reconcile',
      config: renderNatsAuthorization({ countries: [], services: { registry } }),
    });
    admin = await server.connect(asRegistry);
    await ensureEnlaceStreams(await jetstreamManager(admin));
  });
  afterAll(async () => {
    await admin?.close();
    await server?.stop();
  });

  it('follows memberships: creates, repairs and deletes node durables, and leaves other consumers alone', async () => {
    const jsm = await jetstreamManager(admin);
    // What earlier versions created: one durable per country on every network.
    await jsm.consumers.add(ALERTS_STREAM, {
      durable_name: 'node-GT',
      filter_subject: 'enlace.v1.alert.>',
      ack_policy: AckPolicy.Explicit,
    });
    // A receipts durable someone re-filtered, and a consumer that is not a node's.
    await jsm.consumers.add(ALERTS_STREAM, {
      durable_name: 'node-GT-receipts',
      filter_subject: 'enlace.v1.ack.>',
      ack_policy: AckPolicy.Explicit,
    });
    await jsm.consumers.add(ALERTS_STREAM, {
      durable_name: 'feed-cases',
      filter_subject: 'enlace.v1.alert.>',
      ack_policy: AckPolicy.Explicit,
    });
    const first = await reconcileNodeConsumers(jsm, [
      { code: 'GT', status: 'member', networks: ['consular-protection'] },
      { code: 'BR', status: 'withdrawn', networks: ['trafficking-liaison'] },
    ]);
    expect(first).toEqual({
      created: ['node-GT-direct', 'node-GT-net-consular-protection'],
      updated: ['node-GT-receipts'],
      deleted: ['node-GT'],
      wanted: { GT: ['node-GT-direct', 'node-GT-net-consular-protection', 'node-GT-receipts'] },
    });
    const receipts = await jsm.consumers.info(ALERTS_STREAM, 'node-GT-receipts');
    expect(receipts.config.filter_subject).toBe('enlace.v1.ack.GT.*');
    expect(receipts.config.max_ack_pending).toBe(NODE_DURABLE_LIMITS.otherMaxAckPending);
    // Nothing to do the second time.
    const again = await reconcileNodeConsumers(jsm, [
      { code: 'GT', status: 'member', networks: ['consular-protection'] },
    ]);
    expect([again.created, again.updated, again.deleted]).toEqual([[], [], []]);
    // GT joins the liaison network and leaves consular protection.
    const moved = await reconcileNodeConsumers(jsm, [
      { code: 'GT', status: 'member', networks: ['trafficking-liaison'] },
    ]);
    expect(moved.created).toEqual(['node-GT-net-trafficking-liaison']);
    expect(moved.deleted).toEqual(['node-GT-net-consular-protection']);
    // Withdrawn: every durable of GT goes; the feed's consumer stays.
    const gone = await reconcileNodeConsumers(jsm, [{ code: 'GT', status: 'withdrawn' }]);
    expect(gone.deleted).toEqual(['node-GT-direct', 'node-GT-net-trafficking-liaison', 'node-GT-receipts']);
    const names: string[] = [];
    for await (const info of jsm.consumers.list(ALERTS_STREAM)) names.push(info.name);
    expect(names).toEqual(['feed-cases']);
  });

  it('a country user may not run it: ERR_JETSTREAM_UNAVAILABLE naming what JetStream refused', async () => {
    const country: NatsCountryUser = { code: 'MX', status: 'member', credential: nk('node-mx') };
    const other = await startNatsServer({
      backend: 'binary',
      name: 'transport-reconcile-refused',
      config: renderNatsAuthorization({ countries: [country], services: { registry } }),
    });
    try {
      const a = await other.connect(asRegistry);
      await ensureEnlaceStreams(await jetstreamManager(a));
      await a.close();
      const mx = await other.connect(as('node-mx', inboxPrefixOf('MX')));
      const error = await reconcileNodeConsumers(await jetstreamManager(mx, { checkAPI: false }), [
        country,
      ]).catch((e: unknown) => e);
      await mx.close();
      expect(error).toBeInstanceOf(TransportError);
      expect((error as TransportError).code).toBe('ERR_JETSTREAM_UNAVAILABLE');
      expect((error as TransportError).message).toMatch(/consumers of ENLACE_ALERTS/);
    } finally {
      await other.stop();
    }
  });
});

describe('per-user inboxes', () => {
  let server: NatsServerHandle;
  const countries: NatsCountryUser[] = [
    { code: 'MX', status: 'member', credential: nk('node-mx') },
    { code: 'GT', status: 'member', credential: nk('node-gt') },
  ];
  beforeAll(async () => {
    server = await startNatsServer({
      backend: 'binary',
      name: 'transport-inboxes',
      config: renderNatsAuthorization({ countries, services: { registry } }),
    });
    const admin = await server.connect(asRegistry);
    await ensureEnlaceStreams(await jetstreamManager(admin));
    await reconcileNodeConsumers(await jetstreamManager(admin), countries);
    await admin.close();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a node connecting with inboxPrefixOf(cc) works, and no other country can read its replies', async () => {
    const mx = await server.connect(as('node-mx', inboxPrefixOf('MX')));
    const gt = await server.connect(as('node-gt', inboxPrefixOf('GT')));
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
          maxDeliver: NODE_DURABLE_LIMITS.maxDeliver,
          maxAckPending: NODE_DURABLE_LIMITS.otherMaxAckPending,
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
    const services = { registry };
    const text = renderNatsAuthorization({
      countries: [],
      services: { ...services, feed: { user: 'feed', credential: nk('feed') } },
    });
    expect(text).toContain('# feed service');
    expect(text).toContain('"enlace.v1.feed.>"');
    expect(() =>
      renderNatsAuthorization({
        countries: [],
        services: { ...services, feed: { user: 'registry', credential: nk('feed') } },
      }),
    ).toThrow(TransportError);
  });
});

describe('an FIU reads only its own country’s feed deliveries (nats-server enforces it)', () => {
  let server: NatsServerHandle;
  let feed: NatsConnection;
  let fiuMx: NatsConnection;
  // Passwords where an operator asks for them: bcrypt-hashed in the configuration.
  const feedPassword = 'feed-secret-0123456';
  const feedUser = { user: 'feed', credential: { passwordHash: hashNatsPassword(feedPassword) } };

  beforeAll(async () => {
    server = await startNatsServer({
      backend: 'binary',
      name: 'transport-fiu-permissions',
      config: renderNatsAuthorization({
        countries: [],
        services: { registry, feed: feedUser },
        fius: [
          { code: 'MX', credential: nk('fiu-mx') },
          { code: 'GT', credential: nk('fiu-gt') },
        ],
      }),
    });
    feed = await server.connect({
      user: 'feed',
      pass: feedPassword,
      inboxPrefix: '_INBOX.feed',
    });
    await (
      await jetstreamManager(feed)
    ).streams.add({ name: 'ENLACE_FEEDS', subjects: ['enlace.v1.feed.>'] });
    const js = jetstream(feed);
    await js.publish('enlace.v1.feed.MX.cases', JSON.stringify({ id: 'mx-cases:1' }));
    await js.publish('enlace.v1.feed.GT.cases', JSON.stringify({ id: 'gt-cases:1' }));
    fiuMx = await server.connect(as(fiuNatsUser('MX'), fiuInboxPrefixOf('MX')));
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
