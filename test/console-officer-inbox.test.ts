/**
 * The officer's inbox and alert pages in a real browser (playwright-core driving Debian's
 * Chromium) against a real local network (nats-server, registry, MX and GT nodes): MX publishes a
 * route, a document and a network alert through its node's API; GT's console lists them with
 * their grading, filters them by grading, kind and dates (the node's list API), remembers the
 * filters in the browser (never a token), renders the inbox in es, fr and pt from the language
 * select, marks what is new since the officer last looked, renders each body for people, and
 * shows an alert's retraction and replacement in its history. axe-core and a screenshot per page.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

import { createNodeClient } from '@enlace/client';
import type { NodeClient } from '@enlace/client';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import {
  chromiumOrWarn,
  expectAccessible,
  screenshot,
  startConsoleNetwork,
} from './support/console-browser.js';
import type { ConsoleNetwork } from './support/console-browser.js';
import { routeDraft, waitFor } from './support/enlace-network.js';

const haveChromium = chromiumOrWarn('test/console-officer-inbox.test.ts');
const DEMO = resolve(import.meta.dirname, '../seeds/demo');

/** What the page scripts read (this file is type-checked without the DOM library). */
interface BrowserGlobals {
  localStorage: Record<string, string>;
}

type Draft = { header: Record<string, unknown> } & Record<string, unknown>;

/** A demo alert of seeds/demo as MX's officer would send it on the liaison network. */
async function demoDraft(file: string, header: Record<string, unknown>): Promise<Draft> {
  const draft = parse(await readFile(resolve(DEMO, file), 'utf8')) as Draft;
  return {
    ...draft,
    header: {
      ...draft.header,
      origin: 'MX',
      network: 'trafficking-liaison',
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      ...header,
    },
  };
}

describe.skipIf(!haveChromium)('officer inbox and alert pages in a real browser', () => {
  let net: ConsoleNetwork;
  let mx: NodeClient;
  let gt: NodeClient;
  let context: BrowserContext;
  let page: Page;
  const ids: Record<'route' | 'document' | 'network', string> = { route: '', document: '', network: '' };

  const rows = () => page.locator('[data-testid="alert-table"] tbody tr');
  const apply = () => page.getByRole('button', { name: 'Apply' }).click();

  beforeAll(async () => {
    net = await startConsoleNetwork(['MX', 'GT']);
    const node = (c: string) =>
      createNodeClient({ baseUrl: net.network.info.nodes[c]!.url, token: net.network.info.nodes[c]!.token });
    mx = node('MX');
    gt = node('GT');
    ids.route = (await mx.alerts.publish(routeDraft('MX', 'Ruta Tecún Umán – Ciudad Hidalgo en balsas'))).id;
    const document = await demoDraft('document-counterfeit-passport.yaml', {
      title: 'Pasaportes costarricenses falsificados, serie A03',
    });
    ids.document = (await mx.alerts.publish(document)).id;
    const network = await demoDraft('network-smuggling-financier.yaml', {
      handling: 'HANDLING_CODE_H2',
      tlp: 'TLP_MARKING_AMBER',
    });
    // Accounts' digests belong to the FIU network's matching key: not on the liaison network.
    const body = network['network'] as Record<string, unknown>;
    delete (body['financial'] as Record<string, unknown>)['accounts'];
    ids.network = (await mx.alerts.publish(network)).id;
    await waitFor('three alerts in GT', async () => (await gt.alerts.list()).items.length === 3, 15_000);

    context = await net.browser.newContext();
    context.setDefaultTimeout(5_000);
    page = await context.newPage();
    await page.goto(await net.link(['--country', 'GT']));
    await waitFor('the inbox in the browser', async () => (await rows().count()) === 3, 10_000);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await net?.stop();
  });

  it('lists grading on each row and filters by grading, kind and dates; remembers the filters, never a token', async () => {
    const table = page.getByTestId('alert-table');
    const gradings = await page.locator('tbody tr td:nth-child(5)').allTextContents();
    expect(gradings.sort()).toEqual(['A1', 'B2', 'B3']);

    await page.getByLabel('Source reliability').selectOption('B');
    await apply();
    await expect.poll(() => rows().count()).toBe(2);
    await page.getByLabel('Information credibility').selectOption('1');
    await apply();
    await expect.poll(() => page.getByTestId('empty').count()).toBe(1);
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => rows().count()).toBe(3);

    // Dates: issued until yesterday finds none; from today, all three.
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Issued until').fill(yesterday);
    await apply();
    await expect.poll(() => page.getByTestId('empty').count()).toBe(1);
    await page.getByLabel('Issued until').fill('');
    await page.getByLabel('Issued from').fill(today);
    await page.getByLabel('Kind').selectOption('document');
    await apply();
    await expect.poll(() => rows().count()).toBe(1);
    expect(await table.textContent()).toContain('serie A03');

    // Remembered after a reload; what the browser keeps is the filters alone.
    await page.reload();
    await expect.poll(() => rows().count(), { timeout: 10_000 }).toBe(1);
    expect(await page.getByLabel('Kind').inputValue()).toBe('document');
    const kept = await page.evaluate(() => ({ ...(globalThis as unknown as BrowserGlobals).localStorage }));
    expect(Object.keys(kept).every((k) => k.startsWith('enlace.'))).toBe(true);
    expect(JSON.parse(kept['enlace.officer.filters.inbox']!)).toMatchObject({
      kind: 'document',
      since: today,
    });
    expect(JSON.stringify(kept)).not.toContain(net.network.info.nodes['GT']!.token.slice(0, 20));
    const cookies = await context.cookies();
    expect(JSON.stringify(kept)).not.toContain(cookies[0]!.value);

    await page.getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => rows().count()).toBe(3);
    expect(
      await page.evaluate(
        () => (globalThis as unknown as BrowserGlobals).localStorage['enlace.officer.filters.inbox'],
      ),
    ).toBeUndefined();
  }, 30_000);

  it('renders the inbox in es, fr and pt from the language select', async () => {
    const expected = {
      es: { heading: 'Bandeja de entrada', column: 'Título', kind: 'documento', search: 'Buscar' },
      fr: { heading: 'Boîte de réception', column: 'Titre', kind: 'itinéraire', search: 'Rechercher' },
      pt: { heading: 'Caixa de entrada', column: 'Título', kind: 'rede', search: 'Pesquisar' },
    } as const;
    for (const [language, words] of Object.entries(expected)) {
      await page.getByTestId('language').selectOption(language);
      await expect.poll(() => page.locator('html').getAttribute('lang')).toBe(language);
      await expect.poll(() => page.locator('#list-title').textContent()).toContain(words.heading);
      expect(await page.locator('thead').textContent()).toContain(words.column);
      expect(await page.getByTestId('alert-table').textContent()).toContain(words.kind);
      expect(await page.getByLabel(words.search, { exact: true }).count()).toBe(1);
      await screenshot(page, `officer-inbox-${language}`);
    }
    await expectAccessible(page, 'officer inbox (pt)');
    await page.getByTestId('language').selectOption('en');
    await expect.poll(() => page.locator('#list-title').textContent()).toContain('Inbox');
  }, 30_000);

  it('renders each body for people: waypoints, document patterns and detections, members and links', async () => {
    await page.getByRole('link', { name: /serie A03/ }).click();
    await expect.poll(() => page.getByTestId('document').textContent()).toContain('A03######');
    expect(await page.getByTestId('document').textContent()).toContain('counterfeit');
    expect(await page.getByTestId('detections').textContent()).toContain('Puesto fronterizo Peñas Blancas');
    expect(await page.getByTestId('grading').textContent()).toBe(
      'A1: source completely reliable, information confirmed by other sources',
    );
    await screenshot(page, 'officer-alert-document');
    await expectAccessible(page, 'officer document alert page');

    await page.goto(`${net.network.info.nodes['GT']!.url}/console/alerts/${ids.network}`);
    await expect
      .poll(() => page.getByTestId('entities').textContent(), { timeout: 10_000 })
      .toContain('El Contador');
    expect(await page.getByTestId('entities').textContent()).toContain('financier, organiser');
    expect(await page.getByTestId('links').textContent()).toContain('El Contador directs E2');
    expect(await page.getByTestId('handling-banner').textContent()).toContain('no onward dissemination');
    await screenshot(page, 'officer-alert-network');
    await expectAccessible(page, 'officer network alert page');
    // The same page in Spanish: the glossary's words for roles and relations.
    await page.getByTestId('language').selectOption('es');
    await expect.poll(() => page.getByTestId('links').textContent()).toContain('El Contador dirige a E2');
    expect(await page.getByTestId('entities').textContent()).toContain('financista, organizador');
    expect(await page.getByTestId('handling-banner').textContent()).toContain('sin difusión ulterior');
    await page.getByTestId('language').selectOption('en');

    await page.goto(`${net.network.info.nodes['GT']!.url}/console/alerts/${ids.route}`);
    await expect
      .poll(() => page.getByTestId('waypoints').textContent(), { timeout: 10_000 })
      .toContain('informal crossing, by river raft');
  }, 30_000);

  it("shows an alert's retraction with its reason and its replacement in the history", async () => {
    await mx.alerts.retract(ids.route, { reason: 'Ruta duplicada de otra alerta' });
    const replacement = await demoDraft('document-counterfeit-passport.yaml', {
      title: 'Pasaportes costarricenses falsificados, series A03 y A04',
    });
    const replaced = await mx.alerts.supersede(ids.document, replacement);
    await waitFor(
      'the retraction and the replacement in GT',
      async () => {
        const [route, document] = await Promise.all([gt.alerts.get(ids.route), gt.alerts.get(ids.document)]);
        return route.retractedBy !== undefined && document.supersededBy === replaced.id;
      },
      15_000,
    );

    await page.goto(`${net.network.info.nodes['GT']!.url}/console/alerts/${ids.route}`);
    await expect
      .poll(() => page.getByTestId('history').textContent(), { timeout: 10_000 })
      .toContain('Retracted by');
    expect(await page.getByTestId('history').textContent()).toContain('Ruta duplicada de otra alerta');
    expect(await page.getByTestId('closed-banner').textContent()).toContain('retracted');
    await screenshot(page, 'officer-alert-retracted');

    await page.goto(`${net.network.info.nodes['GT']!.url}/console/alerts/${ids.document}`);
    await expect
      .poll(() => page.getByTestId('history').textContent(), { timeout: 10_000 })
      .toContain('Replaced by Pasaportes costarricenses falsificados, series A03 y A04');
    await page
      .getByRole('link', { name: 'Pasaportes costarricenses falsificados, series A03 y A04' })
      .click();
    await expect
      .poll(() => page.getByTestId('history').textContent())
      .toContain('Replaces Pasaportes costarricenses falsificados, serie A03');
  }, 30_000);

  it('marks what arrived since the officer last looked, until marked as seen', async () => {
    await page.goto(`${net.network.info.nodes['GT']!.url}/console/`);
    await expect.poll(() => rows().count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    // Leaving the inbox counts as having looked.
    await page.getByRole('link', { name: 'Outbox' }).click();
    await expect.poll(() => page.locator('#list-title').textContent()).toContain('Outbox');
    const before = (await gt.alerts.list()).items.length;
    await mx.alerts.publish(routeDraft('MX', 'Ruta nueva por El Ceibo hacia Tenosique'));
    await waitFor(
      'the new alert in GT',
      async () => (await gt.alerts.list()).items.length === before + 1,
      10_000,
    );

    await page.getByRole('link', { name: 'Inbox', exact: true }).click();
    const fresh = page.locator('tr.unseen');
    await expect.poll(() => fresh.count(), { timeout: 10_000 }).toBe(1);
    expect(await fresh.textContent()).toContain('Ruta nueva por El Ceibo');
    expect(await fresh.textContent()).toContain('new since you last looked');
    expect(await page.getByTestId('unseen-count').textContent()).toBe('New since you last looked: 1');
    await screenshot(page, 'officer-inbox-unseen');
    await page.getByRole('button', { name: 'Mark all as seen' }).click();
    await expect.poll(() => fresh.count()).toBe(0);
    expect(await page.getByTestId('unseen-count').count()).toBe(0);
  }, 30_000);
});
