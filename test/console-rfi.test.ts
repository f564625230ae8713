/**
 * The officer console's requests for information, consent to onward use and map of routes, in a
 * real browser (playwright-core driving Debian's Chromium) against a real local network of MX, GT,
 * HN and PA: MX's officer asks GT and HN in the form (a due time in the past is shown at its field
 * first); GT sees the request and replies; MX's thread shows the reply; an urgent request past
 * its due is overdue; GT asks MX's consent to pass MX's H2 alert to PA, MX grants it in its
 * console, then GT's forward to PA goes through; the map filters by network and dates and its
 * route table works by keyboard; 1,000 routes are drawn and the time to draw is printed (reported
 * in bench/README.md). axe-core and a screenshot on every page. Without Chromium the suite is
 * skipped with the reason printed.
 */
import { createNodeClient } from '@enlace/client';
import type { NodeClient } from '@enlace/client';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  chromiumOrWarn,
  expectAccessible,
  screenshot,
  startConsoleNetwork,
} from './support/console-browser.js';
import type { ConsoleNetwork } from './support/console-browser.js';
import { routeDraft, waitFor } from './support/enlace-network.js';

const run = chromiumOrWarn('test/console-rfi.test.ts');

describe.skipIf(!run)('requests for information, consent and the map in the console', () => {
  let net: ConsoleNetwork;
  let mxContext: BrowserContext;
  let gtContext: BrowserContext;
  let mx: Page;
  let gt: Page;
  const api: Record<string, NodeClient> = {};
  let h2AlertId: string;
  let consularAlertId: string;

  const url = (country: string, path = ''): string =>
    `${net.network.info.nodes[country]!.url}/console/${path}`;

  /** A route of `origin` from Tecún Umán to Ciudad Hidalgo (informal crossing), with coordinates. */
  const route = (title: string, handling: string, network?: string): Record<string, unknown> => {
    const draft = routeDraft('MX', title);
    const header: Record<string, unknown> = { ...(draft['header'] as Record<string, unknown>), handling };
    if (network !== undefined) header['network'] = network;
    const waypoints = (draft['route'] as { waypoints: Record<string, unknown>[] }).waypoints;
    waypoints[0] = { ...waypoints[0], coordinates: { latitude: 14.6747, longitude: -92.1425 } };
    waypoints[1] = { ...waypoints[1], coordinates: { latitude: 14.6795, longitude: -92.1504 } };
    return { ...draft, header, route: { ...(draft['route'] as object), waypoints } };
  };

  const signIn = async (page: Page, country: string): Promise<void> => {
    await page.goto(await net.link(['--country', country]));
    await page.waitForURL(url(country), { timeout: 10_000 });
  };

  beforeAll(async () => {
    net = await startConsoleNetwork(['MX', 'GT', 'HN', 'PA']);
    for (const c of ['MX', 'GT', 'HN', 'PA'])
      api[c] = createNodeClient({
        baseUrl: net.network.info.nodes[c]!.url,
        token: net.network.info.nodes[c]!.token,
      });
    h2AlertId = (await api['MX']!.alerts.publish(route('Ruta H2 por el Suchiate', 'HANDLING_CODE_H2'))).id;
    consularAlertId = (
      await api['MX']!.alerts.publish(
        route('Ruta consular hacia Ciudad Hidalgo', 'HANDLING_CODE_H1', 'consular-protection'),
      )
    ).id;
    await waitFor(
      'both routes in GT',
      async () => (await api['GT']!.alerts.list({ kind: 'route' })).items.length === 2,
      15_000,
    );
    mxContext = await net.browser.newContext();
    gtContext = await net.browser.newContext();
    mx = await mxContext.newPage();
    gt = await gtContext.newPage();
    await signIn(mx, 'MX');
    await signIn(gt, 'GT');
  }, 120_000);

  afterAll(async () => {
    await net?.stop();
  });

  it('MX asks GT and HN in the form; GT replies; MX sees the reply in the thread', async () => {
    await mx.getByRole('link', { name: 'Requests for information' }).click();
    await mx.getByRole('link', { name: 'New request' }).click();
    await expect.poll(() => mx.getByRole('heading', { name: 'New request for information' }).count()).toBe(1);
    expect(await mx.getByRole('note').textContent()).toContain('No victim may be identified');
    await expectAccessible(mx, 'new request form');
    await screenshot(mx, 'rfi-new');

    await mx.getByLabel('To (countries, comma-separated)').fill('GT, HN');
    await mx.getByLabel('Subject').fill('Serie de pasaportes G-88');
    await mx
      .getByLabel('Text', { exact: true })
      .fill('¿Tienen registros de la serie G-88 en la frontera sur?');
    await mx.getByLabel('Priority', { exact: true }).selectOption('urgent');
    await mx.getByLabel('Due (your local time)').fill('2020-01-01T10:00');
    await mx.getByLabel('Handling code').selectOption('H2');
    await mx.getByLabel('Document series').fill('G-88');
    await mx.getByRole('button', { name: 'Send the request' }).click();
    // The node's 400: the due time is shown at its field, nothing is sent.
    const due = mx.getByLabel('Due (your local time)');
    await expect.poll(() => due.getAttribute('aria-invalid')).toBe('true');
    expect(await mx.locator('[data-path="dueAt"]').textContent()).toContain('in_past');
    expect((await api['MX']!.requests.list({ box: 'outbox' })).items).toHaveLength(0);

    await due.fill(new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 16));
    await mx.getByRole('button', { name: 'Send the request' }).click();
    await expect.poll(() => mx.url(), { timeout: 10_000 }).toMatch(/\/console\/requests\/[0-9a-f-]{36}$/);
    const threadId = /requests\/([0-9a-f-]{36})$/.exec(mx.url())![1]!;
    await expect.poll(() => mx.getByRole('heading', { name: 'Serie de pasaportes G-88' }).count()).toBe(1);

    // GT: the request arrives in its inbox (a refresh, no reload of the page).
    await gt.getByRole('link', { name: 'Requests for information' }).click();
    const row = gt.locator(`tr[data-thread-id="${threadId}"]`);
    await expect
      .poll(
        async () => {
          if ((await row.count()) === 0) await gt.getByRole('button', { name: 'Refresh' }).click();
          return row.count();
        },
        { timeout: 15_000, interval: 300 },
      )
      .toBe(1);
    expect(await row.textContent()).toContain('urgent');
    await expectAccessible(gt, 'requests inbox');
    await screenshot(gt, 'rfi-inbox');
    await gt.getByRole('link', { name: 'Serie de pasaportes G-88' }).click();
    await expect.poll(() => gt.getByText('¿Tienen registros de la serie G-88').count()).toBe(1);
    await gt.getByLabel('Your reply').fill('Sí: dos pasaportes G-88 retenidos en El Carmen en octubre.');
    await gt.getByRole('button', { name: 'Send the reply' }).click();
    await expect.poll(() => gt.getByTestId('rfi-status').textContent()).toBe('Reply sent.');
    // A withdraw is the opener's only: GT does not see it (and the node refuses it).
    expect(await gt.getByRole('button', { name: 'Withdraw the request' }).count()).toBe(0);
    const withdrawn = await api['GT']!.requests.withdraw(threadId).then(
      () => 'sent',
      (e: { violations?: readonly { code: string }[] }) => e.violations?.[0]?.code,
    );
    expect(withdrawn).toBe('not_opener');

    // MX: the reply is in the thread, with GT's receipt of the request.
    await expect
      .poll(
        async () => {
          await mx.reload();
          return mx.getByText('dos pasaportes G-88 retenidos').count();
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBe(1);
    expect(await mx.getByTestId('thread-status').textContent()).toContain('answered');
    await expectAccessible(mx, 'request thread');
    await screenshot(mx, 'rfi-thread');
  }, 60_000);

  it('an urgent request past its due time is shown overdue', async () => {
    const dueAt = new Date(Date.now() + 1500).toISOString();
    const sent = await api['MX']!.requests.create({
      to: ['HN'],
      subject: 'Documentos de la ruta del Golfo',
      text: '¿Qué series vieron este mes?',
      priority: 'urgent',
      dueAt,
    });
    await new Promise((r) => setTimeout(r, Date.parse(dueAt) - Date.now() + 200));
    await mx.goto(url('MX', 'requests'));
    await mx.getByRole('button', { name: 'Outgoing' }).click();
    await mx.getByLabel('Overdue only').check();
    const row = mx.locator(`tr[data-thread-id="${sent.threadId}"]`);
    await expect.poll(() => row.count(), { timeout: 5_000 }).toBe(1);
    expect(await row.textContent()).toContain('overdue');
    // The answered G-88 request is not overdue.
    expect(await mx.locator('tbody tr').count()).toBe(1);
  }, 30_000);

  it("GT asks MX's consent to pass the H2 alert to PA; MX grants it; GT then forwards to PA", async () => {
    const before = await api['GT']!.alerts.forward(h2AlertId, { to: 'PA' }).then(
      () => 'sent',
      (e: { code?: string }) => e.code,
    );
    expect(before).toBe('ERR_HANDLING_RESTRICTED');

    await gt.goto(url('GT', `alerts/${h2AlertId}`));
    await expect.poll(() => gt.getByRole('heading', { name: /Consent of the originator/ }).count()).toBe(1);
    // A third country is required: the node's violation shows at the field.
    await gt.getByLabel('Reason').fill('La fiscalía de Panamá investiga la misma red.');
    await gt.getByRole('button', { name: "Ask the originator's consent" }).click();
    await expect
      .poll(() => gt.getByLabel('Third country', { exact: true }).getAttribute('aria-invalid'))
      .toBe('true');
    await gt.getByLabel('Third country', { exact: true }).fill('PA');
    await gt.getByRole('button', { name: "Ask the originator's consent" }).click();
    await expect
      .poll(() => gt.getByTestId('rfi-status').textContent())
      .toBe('Consent asked of the originator.');
    await expect
      .poll(() => gt.locator('[data-consent-id]').textContent())
      .toContain('awaiting the originator');
    await expectAccessible(gt, 'consent asked');
    await screenshot(gt, 'rfi-consent-asked');

    await mx.goto(url('MX', `alerts/${h2AlertId}`));
    const grant = mx.getByRole('button', { name: 'Grant (PA)' });
    await expect
      .poll(
        async () => {
          if ((await grant.count()) === 0) await mx.reload();
          return grant.count();
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBe(1);
    expect(await mx.locator('[data-consent-id]').textContent()).toContain('GT asks: forward to PA');
    await expectAccessible(mx, 'consent to decide');
    await screenshot(mx, 'rfi-consent-decide');
    await grant.click();
    await expect.poll(() => mx.getByTestId('rfi-status').textContent()).toBe('Consent granted.');

    const forward = gt.getByRole('button', { name: 'Forward to PA' });
    await expect
      .poll(
        async () => {
          await gt.reload();
          await gt.getByRole('heading', { name: /Consent of the originator/ }).waitFor();
          return forward.count();
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBe(1);
    await forward.click();
    await expect.poll(() => gt.getByTestId('rfi-status').textContent()).toBe('Forwarded to PA.');
    // For PA only: the consent opens no way to HN.
    const toHn = await api['GT']!.alerts.forward(h2AlertId, { to: 'HN' }).then(
      () => 'sent',
      (e: { code?: string }) => e.code,
    );
    expect(toHn).toBe('ERR_HANDLING_RESTRICTED');
  }, 60_000);

  it('the map filters by network and dates; its route table and routes open alerts by keyboard', async () => {
    await gt.goto(url('GT', 'map'));
    const routes = gt.locator('svg.map [data-route-id]');
    await expect.poll(() => routes.count(), { timeout: 15_000 }).toBe(2);
    expect(await gt.locator('svg.map rect.crossing-informal').count()).toBe(2);
    expect(await gt.getByText('Natural Earth').textContent()).toContain('de facto');
    expect(await gt.getByRole('list', { name: 'Legend' }).textContent()).toContain(
      'informal border crossing',
    );
    await expectAccessible(gt, 'map of routes');

    await gt.getByLabel('Network').selectOption('consular-protection');
    await expect.poll(() => routes.count()).toBe(1);
    expect(await routes.first().getAttribute('data-route-id')).toBe(consularAlertId);
    await gt.getByLabel('Network').selectOption('');
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const today = new Date().toISOString().slice(0, 10);
    await gt.getByLabel('Issued from').fill(tomorrow);
    await expect.poll(() => routes.count()).toBe(0);
    expect(await gt.getByTestId('map-count').textContent()).toBe('0 of 2 routes shown');
    await gt.getByLabel('Issued from').fill(today);
    await gt.getByLabel('Issued until').fill(today);
    await expect.poll(() => routes.count()).toBe(2);
    await screenshot(gt, 'rfi-map');

    // Keyboard: the skip link to the table, Tab to the first route, Enter opens the alert.
    await gt.getByRole('link', { name: 'Routes and their waypoints' }).focus();
    await gt.keyboard.press('Enter');
    await gt.keyboard.press('Tab');
    const focused = await gt.evaluate(
      () =>
        (globalThis as unknown as { document: { activeElement: { textContent: string } } }).document
          .activeElement.textContent,
    );
    expect(['Ruta H2 por el Suchiate', 'Ruta consular hacia Ciudad Hidalgo']).toContain(focused);
    await gt.keyboard.press('Enter');
    await expect.poll(() => gt.url()).toMatch(/\/console\/alerts\/[0-9a-f-]{36}$/);

    // A route on the map itself: focus and Enter.
    await gt.goto(url('GT', 'map'));
    await expect.poll(() => routes.count(), { timeout: 15_000 }).toBe(2);
    await gt.locator(`svg.map [data-route-id="${h2AlertId}"]`).focus();
    await gt.keyboard.press('Enter');
    await expect.poll(() => gt.url()).toBe(url('GT', `alerts/${h2AlertId}`));
  }, 60_000);

  it('draws 1,000 routes (time to draw printed for bench/README.md)', async () => {
    const total = 1000;
    const started = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total - 2) {
          const i = next++;
          await api['MX']!.alerts.publish(route(`Ruta de carga ${i}`, 'HANDLING_CODE_H1'));
        }
      }),
    );
    await waitFor(
      'GT to hold 1,000 routes',
      async () => (await collect(api['GT']!, total)).size >= total,
      120_000,
      1000,
    );
    const publishedMs = Date.now() - started;
    const opened = Date.now();
    await gt.goto(url('GT', 'map'));
    const svg = gt.getByTestId('route-map');
    await expect
      .poll(() => svg.getAttribute('data-draw-ms'), { timeout: 60_000, interval: 200 })
      .not.toBeNull();
    const openMs = Date.now() - opened;
    const drawMs = Number(await svg.getAttribute('data-draw-ms'));
    const commitMs = Number(await svg.getAttribute('data-commit-ms'));
    expect(await gt.locator('svg.map [data-route-id]').count()).toBe(total);
    // The table shows the first 100 and more on demand, by keyboard too.
    const rows = gt.locator('tr[data-table-route-id]');
    expect(await rows.count()).toBe(100);
    await gt.getByRole('button', { name: /Show 100 more routes/ }).focus();
    await gt.keyboard.press('Enter');
    await expect.poll(() => rows.count()).toBe(200);
    console.log(
      `console map: ${total} routes drawn in ${drawMs} ms (routes to painted frame; React commit ` +
        `${commitMs} ms); map opened with its ` +
        `routes in ${openMs} ms; ${total - 2} routes published and received in ${publishedMs} ms`,
    );
  }, 240_000);
});

/** Every route alert id of GT's inbox (all pages). */
async function collect(client: NodeClient, atMost: number): Promise<Set<string>> {
  const ids = new Set<string>();
  for await (const s of client.alerts.all({ kind: 'route', limit: 500 })) {
    ids.add(s.id);
    if (ids.size >= atMost) break;
  }
  return ids;
}
