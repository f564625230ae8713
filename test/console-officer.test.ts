/**
 * The officer's compose, actions and archive in a real browser (playwright-core driving Debian's
 * Chromium) against a real local network (nats-server, registry, MX, GT and HN nodes): MX's
 * focal point composes a document alert restricted to GT in its console; GT's node stores it
 * verified with the body readable, HN's cannot read its body; MX retracts it from its page and
 * GT's page shows the retraction in its history; GT dismisses it and brings it back from the
 * archive. axe-core and a screenshot on the compose form, the alert page and the archive.
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
import { waitFor } from './support/enlace-network.js';

const haveChromium = chromiumOrWarn('test/console-officer.test.ts');
const TITLE = 'Pasaportes falsificados serie A03 en Tecún Umán';

describe.skipIf(!haveChromium)('officer compose, actions and archive in a real browser', () => {
  let net: ConsoleNetwork;
  let gt: NodeClient;
  let hn: NodeClient;
  let context: BrowserContext;
  let page: Page;
  let id = '';

  beforeAll(async () => {
    net = await startConsoleNetwork(['MX', 'GT', 'HN']);
    const node = (c: string) =>
      createNodeClient({ baseUrl: net.network.info.nodes[c]!.url, token: net.network.info.nodes[c]!.token });
    gt = node('GT');
    hn = node('HN');
    context = await net.browser.newContext();
    context.setDefaultTimeout(10_000);
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    await net?.stop();
  });

  it('MX composes a document alert restricted to GT: GT reads it verified, HN cannot read its body', async () => {
    await page.goto(await net.link(['--country', 'MX']));
    await page.getByRole('link', { name: 'New document alert' }).click();
    await page.getByLabel('Title').fill(TITLE);
    await page.getByLabel('Summary').fill('Serie A03 con laminado alterado, detectada en el cruce.');
    await page.getByLabel('Handling code').selectOption('H1');
    await page.getByLabel('Source reliability').selectOption('B');
    await page.getByLabel('Information credibility').selectOption('2');
    await page.getByLabel('Restricted to (countries)').fill('GT');
    await page.getByLabel('Issuing country').fill('CR');
    await page.getByLabel('Series or edition').fill('A03');
    await page.getByLabel(/Number patterns/).fill('A03######');
    await page.getByLabel('Place of detection 1').fill('Tecún Umán');
    await page.getByLabel('Country of detection 1').fill('GT');
    await expectAccessible(page, 'compose document');
    await screenshot(page, 'officer-compose-document');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.waitForURL(/\/console\/alerts\/[0-9a-f-]{36}$/);
    id = /alerts\/([0-9a-f-]{36})$/.exec(page.url())![1]!;

    await waitFor(
      'GT stores the alert',
      async () => (await gt.alerts.list({ q: 'A03' })).items.some((a) => a.id === id),
      20_000,
    );
    const atGt = await gt.alerts.get(id);
    expect(atGt.verification.bodyReadable).toBe(true);
    expect(atGt.alert['document']).toMatchObject({ series: 'A03', issuingCountry: 'CR' });
    // HN is on the network but not a recipient: whatever it holds, never the body.
    const hnSees = await hn.alerts.list({}).then((p) => p.items.filter((a) => a.id === id));
    for (const a of hnSees) {
      const detail = await hn.alerts.get(id).catch(() => undefined);
      expect(a.title).toBe('');
      expect(detail?.alert['document']).toBeUndefined();
    }
  }, 60_000);

  it('MX retracts it from its page, and GT sees the retraction in its history', async () => {
    await page.getByRole('button', { name: 'Retract' }).click();
    await page.getByLabel('Reason for the retraction').fill('Serie confirmada como auténtica por el emisor.');
    await page.getByRole('button', { name: 'Confirm the retraction' }).click();
    await waitFor(
      'GT stores the retraction',
      async () => (await gt.alerts.get(id)).retractedBy !== undefined,
      20_000,
    );
    await page.goto(await net.link(['--country', 'GT']));
    // The one-time code is exchanged after the page loads: wait for the session before moving on.
    await expect.poll(() => page.getByTestId('who').count(), { timeout: 10_000 }).toBe(1);
    await page.goto(`${net.network.info.nodes['GT']!.url}/console/alerts/${id}`);
    await expect.poll(() => page.getByText('Retracted by its originator.', { exact: true }).count()).toBe(1);
    await expect.poll(() => page.getByText('Retracted by').count()).toBeGreaterThan(0);
    await expectAccessible(page, 'alert page (GT)');
    await screenshot(page, 'officer-alert-retracted');
  }, 60_000);

  it('GT dismisses it and undoes the dismissal from the searchable archive', async () => {
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await expect.poll(() => page.getByText(/Dismissed from the inbox by/).count()).toBe(1);
    expect((await gt.alerts.list({ dismissed: 'false' })).items.some((a) => a.id === id)).toBe(false);
    await page.getByRole('link', { name: 'Archive' }).click();
    await page.getByLabel('Search the archive').fill('A03');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.getByRole('link', { name: TITLE }).count()).toBe(1);
    await expectAccessible(page, 'archive');
    await screenshot(page, 'officer-archive');
    await page.getByRole('button', { name: `Undo dismiss: ${TITLE}` }).click();
    await expect.poll(() => page.getByRole('link', { name: TITLE }).count()).toBe(0);
    expect((await gt.alerts.list({ dismissed: 'true' })).items).toEqual([]);
    expect((await gt.alerts.list({ dismissed: 'false' })).items.some((a) => a.id === id)).toBe(true);
    // The node refuses a dismissal of a malformed id, naming the field.
    await expect(gt.alerts.dismiss('not-an-id')).rejects.toMatchObject({ status: 400 });
  }, 60_000);
});
