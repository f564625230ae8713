/**
 * The administrator and FIU consoles in a real browser (Debian's Chromium through playwright-core)
 * against a local network (nats-server, registry, MX and GT nodes, feed service): the
 * administrator suspends MX behind the confirmation dialog (focus moves in, Escape cancels) and
 * MX's next publish from its compose form is refused with the reason shown, then reinstates it;
 * the auditor sees no button and the registry still refuses; every administrator page is scanned
 * by axe; GT's FIU analyst creates a feed in the form (a bad name is shown at its field), sees its
 * delivered count rise as MX publishes, and finds a planted document number with digests computed
 * in the browser from the matching key file. Without Chromium the suite is skipped, saying why.
 */
import { readFile } from 'node:fs/promises';

import { createNodeClient, createRegistryClient } from '@enlace/client';
import { keyedDigest, parseMatchingKey } from '@enlace/crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  chromiumOrWarn,
  expectAccessible,
  screenshot,
  startConsoleNetwork,
} from './support/console-browser.js';
import type { ConsoleNetwork } from './support/console-browser.js';
import { routeDraft } from './support/enlace-network.js';

const run = chromiumOrWarn('test/console-admin-fiu.test.ts');

describe.skipIf(!run)('administrator and FIU consoles in a real browser', () => {
  let net: ConsoleNetwork;

  beforeAll(async () => {
    net = await startConsoleNetwork(['MX', 'GT']);
  }, 90_000);
  afterAll(async () => {
    await net?.stop();
  });

  const mxNode = () =>
    createNodeClient({
      baseUrl: net.network.info.nodes['MX']!.url,
      token: net.network.info.nodes['MX']!.token,
    });

  /** Signs in to the registry's console with a pasted token. */
  async function registryPage(token: string): Promise<Page> {
    const page = await (await net.browser.newContext()).newPage();
    await page.goto(net.network.info.registry.console);
    await page.getByLabel('Registry token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByTestId('countries').textContent(), { timeout: 10_000 }).toContain('MX');
    return page;
  }

  const statusOf = (page: Page, code: string) =>
    page.locator(`tr[data-country="${code}"] [data-testid="country-status"]`).textContent();

  /** Waits until MX's node holds a registry revision at least the registry's. */
  async function nodeCaughtUp(): Promise<void> {
    const registry = createRegistryClient({
      baseUrl: net.network.info.registry.url,
      token: net.network.info.registry.token,
    });
    const revision = (await registry.health()).revision;
    await expect
      .poll(
        async () => {
          const r = (await mxNode().health()).registry;
          return 'revision' in r ? r.revision : 0;
        },
        { timeout: 10_000 },
      )
      .toBeGreaterThanOrEqual(revision);
  }

  it('suspends MX behind the confirmation; MX’s officer is refused with the reason; then reinstates', async () => {
    const admin = await registryPage(net.network.info.registry.token);
    await expectAccessible(admin, 'administrator countries');
    await screenshot(admin, 'administrator-countries');

    // The dialog takes the focus; Escape cancels and changes nothing.
    await admin.getByRole('button', { name: 'Suspend MX' }).click();
    const dialog = admin.getByRole('dialog');
    await expect.poll(() => dialog.isVisible()).toBe(true);
    expect(
      await admin.evaluate(
        () =>
          (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement
            .id,
      ),
    ).toBe('confirm-reason');
    await expectAccessible(admin, 'administrator confirmation dialog');
    await screenshot(admin, 'administrator-confirm');
    await admin.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    expect(await statusOf(admin, 'MX')).toBe('member');

    await admin.getByRole('button', { name: 'Suspend MX' }).click();
    await admin.getByLabel('Reason').fill('Firma comprometida en revisión');
    await admin.getByLabel('Decision reference').fill('XVII RCM (Panama, 2012), decision 6');
    await admin.getByRole('button', { name: 'Confirm suspension of MX' }).click();
    await expect.poll(() => statusOf(admin, 'MX'), { timeout: 10_000 }).toBe('suspended');
    const history = await admin.locator('tr[data-country="MX"]').textContent();
    expect(history).toContain('Firma comprometida en revisión');
    expect(history).toContain('XVII RCM (Panama, 2012), decision 6');
    await nodeCaughtUp();
    console.log('console-admin-fiu: MX suspended in the console');

    // MX's officer composes a valid route alert; the publish is refused and says why.
    const mx = await (await net.browser.newContext()).newPage();
    await mx.goto(await net.link(['--country', 'MX']));
    await mx.getByRole('link', { name: 'New route alert' }).click();
    await mx.getByLabel('Title').fill('Ruta durante la suspensión');
    await mx.getByLabel('Handling code').selectOption('H1');
    await mx.getByLabel('Source reliability').selectOption('B');
    await mx.getByLabel('Information credibility').selectOption('2');
    await mx.getByLabel('Place 1', { exact: true }).fill('El Ceibo');
    await mx.getByLabel('Country 1', { exact: true }).fill('GT');
    await mx.getByLabel('Latitude 1', { exact: true }).fill('17.25');
    await mx.getByLabel('Longitude 1', { exact: true }).fill('-90.93');
    await mx.getByLabel('Place 2', { exact: true }).fill('Tenosique');
    await mx.getByLabel('Latitude 2', { exact: true }).fill('17.47');
    await mx.getByLabel('Longitude 2', { exact: true }).fill('-91.42');
    await mx.getByLabel('Crossing 2', { exact: true }).selectOption('CROSSING_TYPE_INFORMAL');
    await mx.getByRole('button', { name: 'Publish' }).click();
    const refusal = mx.getByRole('alert');
    await expect.poll(() => refusal.textContent(), { timeout: 10_000 }).toMatch(/suspended/i);
    console.log(`console: MX's refused publish says: ${await refusal.textContent()}`);
    await screenshot(mx, 'officer-compose-suspended');

    // Reinstated, MX publishes again.
    await admin.getByRole('button', { name: 'Reinstate MX' }).click();
    await admin.getByLabel('Reason').fill('Clave rotada y verificada');
    await admin.getByRole('button', { name: 'Confirm reinstatement of MX' }).click();
    await expect.poll(() => statusOf(admin, 'MX'), { timeout: 10_000 }).toBe('member');
    expect(await admin.locator('tr[data-country="MX"] .history li').count()).toBeGreaterThanOrEqual(3);
    await nodeCaughtUp();
    await mxNode().alerts.publish(routeDraft('MX', 'Ruta tras el restablecimiento'));

    console.log('console-admin-fiu: MX reinstated and publishing');
    // Every other administrator page, each scanned and photographed.
    for (const [tab, name, testId] of [
      ['Memberships', 'memberships', 'memberships'],
      ['Focal points', 'focal-points', 'focal-points'],
      ['Keys', 'keys', 'keys'],
      ['Policy', 'policy', 'policy-rules'],
      ['Audit trail', 'audit', 'audit'],
    ] as const) {
      await admin.getByRole('link', { name: tab, exact: true }).click();
      await expect
        .poll(() => admin.getByTestId(testId).locator('tbody tr').count(), { timeout: 10_000 })
        .toBeGreaterThan(0);
      await expectAccessible(admin, `administrator ${name}`);
      await screenshot(admin, `administrator-${name}`);
    }
    // The audit trail holds the suspension with its reason; filtered by action it is all there is.
    await admin.getByLabel('Action').fill('country.suspend');
    await admin.getByRole('button', { name: 'Apply' }).click();
    await expect
      .poll(() => admin.getByTestId('audit').locator('tbody tr').count(), { timeout: 10_000 })
      .toBe(1);
    expect(await admin.getByTestId('audit').textContent()).toContain('Firma comprometida en revisión');
    // The focal-point directory searched by country.
    await admin.getByRole('link', { name: 'Focal points', exact: true }).click();
    await admin.getByLabel('Country').fill('GT');
    await admin.getByRole('button', { name: 'Search' }).click();
    await expect
      .poll(async () => [
        ...new Set(
          await admin.getByTestId('focal-points').locator('tbody tr td:nth-child(4)').allTextContents(),
        ),
      ])
      .toEqual(['GT']);
    await admin.context().close();
    await mx.context().close();
  }, 150_000);

  it('shows the auditor everything without a button, and the registry still refuses', async () => {
    const view = await registryPage(net.network.info.registry.auditorToken);
    expect(await view.getByRole('button', { name: /^(Suspend|Reinstate|Withdraw) / }).count()).toBe(0);
    await view.getByRole('link', { name: 'Keys', exact: true }).click();
    await expect
      .poll(() => view.getByTestId('keys').locator('tbody tr').count(), { timeout: 10_000 })
      .toBeGreaterThan(0);
    expect(await view.getByRole('button', { name: /^Revoke / }).count()).toBe(0);
    const refused = await view.evaluate(async () => {
      const r = await fetch('/v1/countries/MX/suspend', {
        method: 'POST',
        headers: { 'x-enlace-console': '1', 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'auditor tries' }),
      });
      return { status: r.status, body: (await r.json()) as { error?: { code?: string } } };
    });
    expect(refused.status).toBe(403);
    expect(refused.body.error?.code).toBe('ERR_FORBIDDEN');
    await view.context().close();
  }, 30_000);

  it("GT's FIU analyst creates a feed, watches it deliver, and finds a planted hit with browser digests", async () => {
    const fiu = await (await net.browser.newContext()).newPage();
    await fiu.goto(await net.link(['--country', 'GT', '--role', 'fiu-analyst']));
    await expect.poll(() => fiu.getByRole('heading', { name: 'Feeds' }).count(), { timeout: 10_000 }).toBe(1);

    // A bad name is shown next to its field, and nothing is created.
    await fiu.getByLabel('Feed name').fill('Casos GT');
    await fiu.getByLabel(/^Directory/).fill('casos');
    await fiu.getByRole('button', { name: 'Create feed' }).click();
    await expect
      .poll(() => fiu.getByLabel('Feed name').getAttribute('aria-invalid'), { timeout: 10_000 })
      .toBe('true');
    expect(await fiu.locator('#feed-name-error').textContent()).toContain('name');
    await expectAccessible(fiu, 'FIU feed form with an error');
    await screenshot(fiu, 'fiu-feed-error');

    await fiu.getByLabel('Feed name').fill('casos-gt');
    await fiu.getByRole('button', { name: 'Create feed' }).click();
    const row = fiu.locator('tr[data-feed="casos-gt"]');
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    const delivered = async () =>
      Number((await row.getByTestId('feed-delivered').textContent())?.replace(/\D/g, ''));
    const before = await delivered();
    console.log(`console-admin-fiu: feed created, delivered ${before}`);

    // The matching key the network's members hold; MX plants a document with that number.
    const keyFile = Object.values(net.network.info.feed.matchingKeys)[0]!;
    const key = parseMatchingKey(JSON.parse(await readFile(keyFile, 'utf8')) as unknown);
    const planted = 'P-7700 1234';
    const draft = routeDraft('MX', 'Pasaportes falsificados en Tapachula');
    const header = { ...(draft['header'] as Record<string, unknown>), kind: 'ALERT_KIND_DOCUMENT' };
    const published = await mxNode().alerts.publish({
      header,
      document: {
        documentType: 'DOCUMENT_TYPE_PASSPORT',
        issuingCountry: 'CR',
        fraudType: 'FRAUD_TYPE_COUNTERFEIT',
        numberPatterns: ['P77######'],
        numberDigests: [
          {
            digest: Buffer.from(keyedDigest(key, 'doc', 'CR', planted)).toString('base64'),
            keyId: key.keyId,
          },
        ],
        detections: [
          {
            country: 'MX',
            place: 'Aeropuerto de Tapachula',
            detectedAt: new Date(Date.now() - 86_400_000).toISOString(),
            quantity: 2,
            point: 'DETECTION_POINT_AIRPORT',
          },
        ],
      },
    } as never);
    await mxNode().alerts.publish(routeDraft('MX', 'Ruta para el flujo'));
    await expect.poll(delivered, { timeout: 15_000 }).toBeGreaterThanOrEqual(before + 2);
    expect(await row.getByTestId('feed-state').textContent()).toBe('running');
    await expectAccessible(fiu, 'FIU feeds');
    await screenshot(fiu, 'fiu-feeds');

    // Digests computed in the page from the key file; only digests leave it.
    const sent: string[] = [];
    fiu.on('request', (r) => {
      if (r.url().endsWith('/v1/match')) sent.push(r.postData() ?? '');
    });
    await fiu.getByLabel('Matching key file').setInputFiles(keyFile);
    await expect.poll(() => fiu.getByTestId('match-key-loaded').count()).toBe(1);
    await fiu.getByLabel('What the numbers are').selectOption('doc');
    await fiu.getByLabel('Issuing or account country').fill('CR');
    await fiu.getByLabel('Numbers, one per line').fill(`X9999999\n${planted.toLowerCase()}\nZ0001`);
    await fiu.getByRole('button', { name: 'Compute digests and match' }).click();
    const result = fiu.getByTestId('match-result');
    await expect.poll(() => result.textContent(), { timeout: 10_000 }).toContain('1 of 3 numbers hit');
    expect(sent).toHaveLength(1);
    expect(sent[0]).not.toMatch(/7700|X9999999|Z0001/i);
    expect((JSON.parse(sent[0]!) as { digests: string[] }).digests).toContain(
      Buffer.from(keyedDigest(key, 'doc', 'CR', planted)).toString('hex'),
    );
    await expectAccessible(fiu, 'FIU matching');
    await screenshot(fiu, 'fiu-match');
    await result.getByRole('link', { name: published.id }).click();
    const hit = fiu.getByTestId('hit-alert');
    await expect.poll(() => hit.textContent()).toContain('MX');
    expect(await hit.textContent()).toContain('trafficking-liaison');
    await expectAccessible(fiu, 'FIU hit alert');
    await screenshot(fiu, 'fiu-hit-alert');
    await fiu.context().close();
  }, 150_000);
});
