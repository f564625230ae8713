/**
 * What the console's browser suites share: Debian's Chromium through playwright-core (skipped
 * with a printed reason when absent), a local network started by the harness, one-time sign-in
 * links from `enlace console link` as a user runs it, an axe-core scan that fails on serious or
 * critical violations, and screenshots into test/console-screenshots (git-ignored).
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';

import AxeBuilder from '@axe-core/playwright';
import { main } from '@enlace/cli';
import { startLocalNetwork } from '@enlace/local-network';
import type { LocalNetwork } from '@enlace/local-network';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';

export const CHROMIUM = process.env['ENLACE_CHROMIUM'] ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

/** Call at the top of a browser suite: prints why it is skipped, never skips silently. */
export function chromiumOrWarn(suite: string): boolean {
  if (!haveChromium) console.warn(`${suite} skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);
  return haveChromium;
}

export const SEEDS = resolve(import.meta.dirname, '../../seeds/registry');
export const SCREENSHOTS = resolve(import.meta.dirname, '../console-screenshots');

export interface ConsoleNetwork {
  readonly network: LocalNetwork;
  readonly stateDir: string;
  readonly browser: Browser;
  /** A fresh one-time sign-in link, e.g. `link(['--country', 'GT', '--role', 'fiu-analyst'])`. */
  link(args: readonly string[]): Promise<string>;
  stop(): Promise<void>;
}

/** A local network of `countries` (registry, nodes, feed service on a real nats-server) and a browser. */
export async function startConsoleNetwork(countries: readonly string[]): Promise<ConsoleNetwork> {
  const stateDir = await mkdtemp(join(tmpdir(), 'enlace-console-'));
  await mkdir(SCREENSHOTS, { recursive: true });
  const sink = (): PassThrough => new PassThrough().resume();
  const network = await startLocalNetwork(
    {
      countries: [...countries],
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
  const browser = await chromium.launch({
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
  return {
    network,
    stateDir,
    browser,
    link: async (args) => {
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
    },
    stop: async () => {
      await browser.close();
      await network.stop();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/**
 * axe-core over the page as it is now (WCAG 2.1 A and AA rules): fails on any serious or critical
 * violation, naming the rule and the elements. Returns the count of lesser ones for the log.
 */
export async function expectAccessible(page: Page, name: string): Promise<number> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const grave = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const lines = grave.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(lines, `axe on ${name}`).toEqual([]);
  return result.violations.length;
}

/** A full-page screenshot as test/console-screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
