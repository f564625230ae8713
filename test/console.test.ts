/**
 * The web console in a real browser (playwright-core driving Debian's Chromium) against a real
 * local network (nats-server, registry, MX and GT nodes, feed service): a one-time sign-in link
 * from `enlace console link` lands on GT's inbox with its titles; an alert MX publishes arrives
 * live (server-sent events, no reload); free-text search; the alert page with its verification
 * record; the CSP on every /console/ response; no token in the URL, localStorage or a readable
 * cookie; CSRF refusal; a link works once; sign-out; the administrator console by pasted token.
 * Without Chromium the suite is skipped with the reason printed.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';

import { createNodeClient } from '@enlace/client';
import { main } from '@enlace/cli';
import { startLocalNetwork } from '@enlace/local-network';
import type { LocalNetwork } from '@enlace/local-network';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { expectAccessible } from './support/console-browser.js';
import { routeDraft, waitFor } from './support/enlace-network.js';

const CHROMIUM = process.env['ENLACE_CHROMIUM'] ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`test/console.test.ts skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

/** What the page scripts read (this file is type-checked without the DOM library). */
interface BrowserGlobals {
  localStorage: Record<string, string>;
  sessionStorage: Record<string, string>;
  document: { cookie: string };
  marker?: number;
}

const SEEDS = resolve(import.meta.dirname, '../seeds/registry');
/** Screenshots of the console's pages (git-ignored). */
const SCREENSHOTS = resolve(import.meta.dirname, 'console-screenshots');

describe.skipIf(!haveChromium)('web console in a real browser', () => {
  let stateDir: string;
  let network: LocalNetwork;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  const sink = (): PassThrough => new PassThrough().resume();

  /** `enlace console link` as a user runs it, answering the link. */
  async function link(args: string[]): Promise<string> {
    let out = '';
    let err = '';
    const code = await main(
      ['console', 'link', '--network', join(stateDir, 'network.json'), '--json', ...args],
      {
        stdout: { write: (t: string) => void (out += t) },
        stderr: { write: (t: string) => void (err += t) },
      },
    );
    expect(code, err).toBe(0);
    return (JSON.parse(out) as { url: string }).url;
  }

  const PLACES: Readonly<Record<string, { latitude: number; longitude: number }>> = {
    'Ciudad Hidalgo': { latitude: 14.6795, longitude: -92.1504 },
    Chetumal: { latitude: 18.5001, longitude: -88.2961 },
  };

  /** MX's officer publishes a route from Tecún Umán to `place` through its node's API. */
  const publish = (title: string, place: string) => {
    const mx = createNodeClient({
      baseUrl: network.info.nodes['MX']!.url,
      token: network.info.nodes['MX']!.token,
    });
    const draft = routeDraft('MX', title);
    const route = draft['route'] as { waypoints: Record<string, unknown>[] };
    route.waypoints[0] = { ...route.waypoints[0], coordinates: { latitude: 14.6747, longitude: -92.1425 } };
    route.waypoints[1] = { ...route.waypoints[1], place, coordinates: PLACES[place] };
    return mx.alerts.publish(draft);
  };

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'enlace-console-'));
    await mkdir(SCREENSHOTS, { recursive: true });
    network = await startLocalNetwork(
      {
        countries: ['MX', 'GT'],
        stateDir,
        seedsDir: SEEDS,
        host: '127.0.0.1',
        natsPort: 0,
        registryPort: 0,
        nodePortBase: 0,
        feedPort: 0,
        strictPorts: false,
        json: true,
      },
      { stdout: sink(), stderr: sink() },
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
    context = await browser.newContext();
    page = await context.newPage();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await network?.stop();
    if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
  });

  it('prints each console in network.json', () => {
    expect(network.info.nodes['GT']!.console).toBe(`${network.info.nodes['GT']!.url}/console/`);
    expect(network.info.registry.console).toBe(`${network.info.registry.url}/console/`);
    expect(network.info.feed.console).toBe(`${network.info.feed.url}/console/`);
  });

  it('signs GT in with a one-time link, lists the inbox, receives an alert live, searches and signs out', async () => {
    const gt = createNodeClient({
      baseUrl: network.info.nodes['GT']!.url,
      token: network.info.nodes['GT']!.token,
    });
    const first = await publish('Ruta Tecún Umán – Reynosa en tractocamiones', 'Ciudad Hidalgo');
    await waitFor('the first alert in GT', async () => (await gt.alerts.list()).items.length === 1, 10_000);

    const url = await link(['--country', 'GT']);
    expect(url).toMatch(/\/console\/signin#code=[A-Za-z0-9_-]{43}$/);
    const requested: string[] = [];
    page.on('request', (request) => requested.push(request.url()));
    const response = await page.goto(url);
    const csp = response!.headers()['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/unsafe-inline|https?:|\*/);

    const table = page.getByTestId('alert-table');
    await expect.poll(() => table.textContent(), { timeout: 10_000 }).toContain('Ruta Tecún Umán');
    // The code left the address bar at once; no token anywhere the page can read.
    expect(page.url()).toBe(`${network.info.nodes['GT']!.url}/console/`);
    const stored = await page.evaluate(() => {
      const w = globalThis as unknown as BrowserGlobals;
      return JSON.stringify({ ...w.localStorage, ...w.sessionStorage }) + w.document.cookie;
    });
    expect(stored).toBe('{}');
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    expect(cookies[0]!.value).not.toContain(network.info.nodes['GT']!.token.slice(0, 20));

    // Live: a new alert arrives without a reload.
    await expect.poll(() => page.getByTestId('live-status').textContent(), { timeout: 10_000 }).toBe('live');
    await page.evaluate(() => ((globalThis as unknown as BrowserGlobals).marker = 1));
    const started = Date.now();
    await publish('Ruta del Caribe hacia Chetumal', 'Chetumal');
    await expect
      .poll(() => table.textContent(), { timeout: 5_000, interval: 50 })
      .toContain('Ruta del Caribe hacia Chetumal');
    const liveMs = Date.now() - started;
    await page.screenshot({ path: join(SCREENSHOTS, 'officer-inbox.png'), fullPage: true });
    await expectAccessible(page, 'officer inbox');
    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).marker)).toBe(1);
    expect(await page.locator('tr.new').count()).toBe(1);
    console.log(`console: live alert shown ${liveMs} ms after publish`);

    // Free text, accent-insensitive, over place names.
    await page.getByLabel('Search').fill('chetumal');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(await table.textContent()).not.toContain('Tecún Umán');
    // Both routes start at Tecún Umán; only the first goes to Reynosa.
    await page.getByLabel('Search').fill('tecun');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
    await page.getByLabel('Search').fill('reynosa');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);
    expect(await table.textContent()).toContain('Ruta Tecún Umán');

    // The map of routes: both routes drawn over bundled borders, its own chunk, no outside request.
    await page.getByRole('link', { name: 'Map of routes' }).click();
    await expect.poll(() => page.locator('[data-route-id]').count(), { timeout: 10_000 }).toBe(2);
    expect(await page.locator('svg.map .countries path').count()).toBeGreaterThan(100);
    expect(await page.locator('svg.map rect.crossing-informal').count()).toBe(2);
    const origin = new URL(network.info.nodes['GT']!.url).origin;
    expect(requested.filter((u) => !u.startsWith(`${origin}/`))).toEqual([]);
    expect(requested.some((u) => /\/console\/assets\/route-map-[\w-]+\.js$/.test(u))).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'officer-map.png'), fullPage: true });
    await page.getByRole('link', { name: 'Inbox', exact: true }).click();
    await page.getByLabel('Search').fill('reynosa');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => page.locator('tbody tr').count()).toBe(1);

    // The alert page: banner in words, waypoints, verification record.
    await page.getByRole('link', { name: /Ruta Tecún Umán/ }).click();
    await expect.poll(() => page.getByTestId('verification').textContent()).toContain('MX-sig-');
    expect(await page.getByTestId('handling-banner').textContent()).toContain('not for judicial proceedings');
    expect(await page.getByTestId('waypoints').textContent()).toContain('informal crossing');
    await page.screenshot({ path: join(SCREENSHOTS, 'officer-alert.png'), fullPage: true });
    await expectAccessible(page, 'officer alert page');
    expect(page.url()).toBe(`${network.info.nodes['GT']!.url}/console/alerts/${first.id}`);

    // A state-changing call without the console header is refused (CSRF), and with it allowed.
    const statuses = await page.evaluate(async (id) => {
      const bare = await fetch(`/v1/alerts/${id}/ack`, { method: 'POST' });
      const withHeader = await fetch(`/v1/alerts/${id}/ack`, {
        method: 'POST',
        headers: { 'x-enlace-console': '1', 'content-type': 'application/json' },
        body: '{}',
      });
      const missing = await fetch('/console/assets/missing.js');
      const api = await fetch('/console/api/nothing');
      return [
        bare.status,
        withHeader.status,
        missing.status,
        api.status,
        missing.headers.get('content-security-policy') !== null,
      ];
    }, first.id);
    expect(statuses).toEqual([403, 202, 404, 404, true]);

    // The link works once only.
    const other = await browser.newContext();
    const again = await other.newPage();
    await again.goto(url);
    await expect
      .poll(() => again.getByTestId('sign-in-message').textContent())
      .toContain('used already or has expired');
    await other.close();

    // Sign-out ends the session on the server.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect.poll(() => page.getByTestId('sign-in-message').textContent()).toContain('signed out');
    const after = await page.evaluate(async () => (await fetch('/v1/alerts')).status);
    expect(after).toBe(401);
  }, 60_000);

  it("MX's officer composes a route alert in the form: a bad coordinate is shown at its field, then GT sees it live", async () => {
    const gtContext = await browser.newContext();
    const gtPage = await gtContext.newPage();
    await gtPage.goto(await link(['--country', 'GT']));
    await expect
      .poll(() => gtPage.getByTestId('live-status').textContent(), { timeout: 10_000 })
      .toBe('live');

    const mxContext = await browser.newContext();
    mxContext.setDefaultTimeout(5_000);
    const mx = await mxContext.newPage();
    await mx.goto(await link(['--country', 'MX']));
    await mx.getByRole('link', { name: 'New route alert' }).click();
    await mx.getByLabel('Title').fill('Ruta compuesta en la consola hacia Tenosique');
    await mx.getByLabel('Handling code').selectOption('H2');
    await mx.getByLabel('Source reliability').selectOption('B');
    await mx.getByLabel('Information credibility').selectOption('2');
    await mx.getByLabel('Place 1', { exact: true }).fill('El Ceibo');
    await mx.getByLabel('Country 1', { exact: true }).fill('GT');
    await mx.getByLabel('Latitude 1', { exact: true }).fill('95');
    await mx.getByLabel('Longitude 1', { exact: true }).fill('-90.93');
    await mx.getByLabel('Place 2', { exact: true }).fill('Tenosique');
    await mx.getByLabel('Latitude 2', { exact: true }).fill('17.47');
    await mx.getByLabel('Longitude 2', { exact: true }).fill('-91.42');
    await mx.getByLabel('Crossing 2', { exact: true }).selectOption('CROSSING_TYPE_INFORMAL');
    const outboxBefore = (
      await createNodeClient({
        baseUrl: network.info.nodes['MX']!.url,
        token: network.info.nodes['MX']!.token,
      }).alerts.list({ box: 'outbox' })
    ).items.length;
    await mx.getByRole('button', { name: 'Publish' }).click();
    const error = mx.locator('[data-error-for="route.waypoints[0].coordinates.latitude"]');
    await expect.poll(() => error.textContent()).toContain('-90 to 90');
    expect(await mx.getByLabel('Latitude 1', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await mx.screenshot({ path: join(SCREENSHOTS, 'officer-compose-error.png'), fullPage: true });
    const mxClient = createNodeClient({
      baseUrl: network.info.nodes['MX']!.url,
      token: network.info.nodes['MX']!.token,
    });
    expect((await mxClient.alerts.list({ box: 'outbox' })).items).toHaveLength(outboxBefore);

    await mx.getByLabel('Latitude 1', { exact: true }).fill('17.25');
    const started = Date.now();
    await mx.getByRole('button', { name: 'Publish' }).click();
    await expect
      .poll(() => mx.getByTestId('handling-banner').textContent(), { timeout: 10_000 })
      .toContain('H2');
    await expect
      .poll(() => gtPage.getByTestId('alert-table').textContent(), { timeout: 2_000, interval: 50 })
      .toContain('Ruta compuesta en la consola hacia Tenosique');
    console.log(`console: composed alert in GT's inbox ${Date.now() - started} ms after Publish`);

    // H2: GT may not forward it, and the page says why.
    await gtPage.getByRole('link', { name: /Ruta compuesta/ }).click();
    await expect
      .poll(() => gtPage.locator('#forward-reason').textContent())
      .toContain('no onward dissemination');
    expect(await gtPage.getByRole('button', { name: 'Forward' }).isDisabled()).toBe(true);
    await mxContext.close();
    await gtContext.close();
  }, 45_000);

  it('signs the administrator in by pasted token and shows the decisions only an administrator may take', async () => {
    const admin = await browser.newContext();
    const tab = await admin.newPage();
    await tab.goto(network.info.registry.console);
    await tab.getByLabel('Registry token').fill(network.info.registry.token);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => tab.getByTestId('countries').textContent(), { timeout: 10_000 }).toContain('MX');
    expect(await tab.getByRole('button', { name: 'Suspend MX' }).count()).toBe(1);
    await tab.screenshot({ path: join(SCREENSHOTS, 'administrator-countries.png'), fullPage: true });
    await expectAccessible(tab, 'administrator countries');
    expect(
      await tab.evaluate(() => JSON.stringify({ ...(globalThis as unknown as BrowserGlobals).localStorage })),
    ).toBe('{}');
    await admin.close();

    // The auditor sees the same countries and no button.
    const auditor = await browser.newContext();
    const view = await auditor.newPage();
    await view.goto(network.info.registry.console);
    await view.getByLabel('Registry token').fill(network.info.registry.auditorToken);
    await view.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => view.getByTestId('countries').textContent(), { timeout: 10_000 }).toContain('MX');
    expect(await view.getByRole('button', { name: 'Suspend MX' }).count()).toBe(0);
    const refused = await view.evaluate(async () => {
      const r = await fetch('/v1/countries/MX/suspend', {
        method: 'POST',
        headers: { 'x-enlace-console': '1', 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'test' }),
      });
      return r.status;
    });
    expect(refused).toBe(403);
    await auditor.close();
  }, 60_000);

  it('opens the FIU console with its link', async () => {
    const fiu = await browser.newContext();
    const tab = await fiu.newPage();
    await tab.goto(await link(['--country', 'GT', '--role', 'fiu-analyst']));
    await expect.poll(() => tab.getByRole('heading', { name: 'Feeds' }).count(), { timeout: 10_000 }).toBe(1);
    expect(await tab.textContent('h1')).toContain('FIU console');
    await fiu.close();
  }, 30_000);
});
