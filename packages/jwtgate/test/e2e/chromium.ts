// Debian's Chromium for the browser tests, driven by playwright-core (never a downloaded browser):
// whether it is there, how it is launched, a page's usual waits, and where screenshots go.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = new URL('../../../../artifacts/screenshots/', import.meta.url).pathname;

/**
 * True when Chromium is installed. Otherwise declares `name` as a test that fails in CI (which
 * must have it: .ci/run installs it) and is skipped, loudly, elsewhere; returns false.
 */
export function haveChromium(name: string): boolean {
  if (existsSync(CHROMIUM)) return true;
  const message = `${CHROMIUM} is missing: the ${name} test cannot run (apt-get install chromium)`;
  if (process.env.CI === 'true')
    test(name, () => assert.fail(`${message}; CI must have it (.ci/run installs it)`));
  else {
    process.stderr.write(`\n*** SKIPPED: ${message} ***\n\n`);
    test(name, { skip: message }, () => {});
  }
  return false;
}

/**
 * Launches headless Chromium with nothing of its own on the network (no QUIC, background
 * networking, component updates or sync); `args` are added (e.g. --host-resolver-rules).
 */
export async function launchChromium(args: readonly string[] = []): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...args,
    ],
    timeout: 30_000,
  });
}

/** A fresh context (no cookies) with the tests' timeouts, and a page in it. */
export async function newPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(15_000);
  return { context, page: await context.newPage() };
}

/** Clicks `selector` and waits for the page it loads. */
export async function clickAndLoad(page: Page, selector: string): Promise<void> {
  const loaded = page.waitForEvent('load', { timeout: 15_000 });
  await page.click(selector);
  await loaded;
}

/** A full-page screenshot to artifacts/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
