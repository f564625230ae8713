/**
 * @enlace/client is written by hand, so this suite holds it to the services' own OpenAPI
 * documents (GET /docs-json of a real registry, node and feed service): every route a client
 * calls exists there with that method, and every route there has a client method. A route added,
 * renamed or removed on either side fails here.
 */
import { join } from 'node:path';

import { createFeedClient, createNodeClient, createRegistryClient } from '@enlace/client';
import { createFeedApp } from '@enlace/feed';
import type { FeedApp } from '@enlace/feed';
import type { NodeApp } from '@enlace/node';
import { startNatsServer } from '@enlace/testing';
import type { NatsServerHandle } from '@enlace/testing';
import { ensureEnlaceStreams } from '@enlace/transport';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createEnlaceNetwork } from './support/enlace-network.js';
import type { EnlaceNetwork } from './support/enlace-network.js';

/** Routes of the documents that are the document itself, not the API. */
const NOT_API = /^\/docs/;

let server: NatsServerHandle;
let net: EnlaceNetwork;
let node: NodeApp;
let feed: FeedApp;

beforeAll(async () => {
  server = await startNatsServer({ backend: 'binary', name: 'client-routes' });
  const nc = await server.connect();
  await ensureEnlaceStreams(await jetstreamManager(nc));
  await nc.close();
  net = await createEnlaceNetwork({ natsUrl: server.url, countries: ['MX'] });
  node = await net.startNode('MX', server.url);
  feed = await createFeedApp({
    natsUrl: server.url,
    dataDir: join(net.root, 'feed'),
    registryPublicJwk: net.pinned,
    logger: false,
  });
}, 60_000);

afterAll(async () => {
  await feed?.close();
  await node?.close();
  await net?.close();
  await server?.stop();
});

/** `METHOD /path` of every operation of a service's OpenAPI document. */
async function documented(url: string): Promise<string[]> {
  const doc = (await (await fetch(`${url}/docs-json`)).json()) as { paths: Record<string, object> };
  return Object.entries(doc.paths)
    .filter(([path]) => !NOT_API.test(path))
    .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
}

/** A fetch that answers every call with an empty success and records `METHOD /path`. */
function recorder(): { fetch: typeof fetch; calls: string[] } {
  const calls: string[] = [];
  const stub: typeof fetch = (input, init) => {
    const url = new URL(String(input));
    calls.push(`${init?.method ?? 'GET'} ${url.pathname}`);
    return Promise.resolve(
      new Response(JSON.stringify({ hits: [], items: [] }), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      }),
    );
  };
  return { fetch: stub, calls };
}

/** Whether `METHOD /v1/keys/P/revoke` is an instance of `METHOD /v1/keys/{kid}/revoke`. */
function covers(template: string, call: string): boolean {
  const pattern = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+');
  return new RegExp(`^${pattern}$`).test(call);
}

function expectSameRoutes(documentedRoutes: string[], calls: string[]): void {
  expect(documentedRoutes.length).toBeGreaterThan(5);
  const unknown = calls.filter((call) => !documentedRoutes.some((route) => covers(route, call)));
  expect(unknown, 'client calls that no documented route answers').toEqual([]);
  const uncovered = documentedRoutes.filter((route) => !calls.some((call) => covers(route, call)));
  expect(uncovered, 'documented routes without a client method').toEqual([]);
}

const P = 'P';
const why = { reason: 'r' };

describe('the clients call exactly the routes the services document', () => {
  it('registry', async () => {
    const { fetch, calls } = recorder();
    const r = createRegistryClient({ baseUrl: 'http://registry.test', fetch });
    await r.countries.list();
    await r.countries.get(P);
    await r.countries.admit({ code: P, status: 'member' });
    for (const change of ['suspend', 'reinstate', 'withdraw'] as const)
      await r.countries.changeStatus(P, change, why);
    await r.networks.list();
    await r.networks.get(P);
    await r.memberships.list();
    await r.memberships.add({ country: P, network: P, role: 'publisher' });
    await r.memberships.end({ country: P, network: P, role: 'publisher', reason: 'r' });
    await r.focalPoints.list();
    await r.focalPoints.get(P);
    await r.focalPoints.add({
      kind: 'unit',
      name: P,
      agency: P,
      role: P,
      country: P,
      networks: [P],
      contact: { channel: 'email', address: P },
    });
    await r.focalPoints.deactivate(P, why);
    await r.keys.list();
    await r.keys.get(P);
    await r.keys.register({ country: P, publicJwk: { kid: P } });
    await r.keys.rotate({ country: P, publicJwk: { kid: P } });
    await r.keys.revoke(P, why);
    await r.tokens.revoked();
    await r.tokens.revoke(P, why);
    await r.policy.rules();
    await r.policy.decide({ action: 'publish', network: P, kind: 'route', origin: P });
    await r.glossary();
    await r.audit();
    await r.health();
    await r.jwks();
    await r.registryKey();
    await r.snapshotJson();
    await r.ready();
    await r.live();
    await r.metrics();
    expectSameRoutes(await documented(net.registry.url), calls);
  });

  it('node', async () => {
    const { fetch, calls } = recorder();
    const n = createNodeClient({ baseUrl: 'http://node.test', fetch });
    await n.alerts.publish({});
    await n.alerts.retract(P, why);
    await n.alerts.supersede(P, {});
    await n.alerts.ack(P);
    await n.alerts.forward(P, { to: P });
    await n.alerts.list();
    await n.alerts.get(P);
    await n.alerts.envelope(P);
    await n.alerts.requestConsent(P, { to: P, reason: P });
    await n.alerts.dismiss(P);
    await n.alerts.undismiss(P);
    await n.alerts.judicialUse(P);
    await n.requests.create({ to: [P], subject: P, text: P });
    await n.requests.list({ overdue: true });
    await n.requests.get(P);
    await n.requests.reply(P, { text: P });
    await n.requests.close(P);
    await n.requests.withdraw(P);
    await n.requests.read(P);
    await n.consents.decide(P, { granted: true });
    // An EventSource opens this one (the console), so the client only names it.
    calls.push(`GET ${new URL(n.alerts.eventsUrl()).pathname}`);
    await n.health();
    await n.ready();
    await n.live();
    await n.metrics();
    expectSameRoutes(await documented(node.url), calls);
  });

  it('feed service', async () => {
    const { fetch, calls } = recorder();
    const f = createFeedClient({ baseUrl: 'http://feed.test', fetch });
    await f.feeds.create({ sink: { type: 'nats', subject: P } });
    await f.feeds.list();
    await f.feeds.get(P);
    await f.feeds.delete(P);
    await f.feeds.replay(P, { from: 'beginning' });
    await f.feeds.records(P);
    await f.feeds.export(P);
    await f.match({ keyId: P, digests: [] });
    await f.health();
    await f.ready();
    await f.live();
    await f.metrics();
    expectSameRoutes(await documented(feed.url), calls);
  });
});
