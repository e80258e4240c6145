import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';

export { type RunningSandbox, startSandbox } from '../sandbox-runner.js';

/** Debian's Chromium (CI installs the `chromium` package); `CHROMIUM_PATH` points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Headless Chromium through playwright-core, with the flags this offline machine needs (no background
 * networking, no component updates, no sandbox as root). Fails with what to install when Chromium is missing.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: \`apt-get install -y chromium\` (Debian), or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Where journey screenshots go: `apps/sandbox/test-results/journeys/` (kept as CI artifacts). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../test-results/journeys/', import.meta.url));

/** Saves a full-page screenshot of the journey's key moment and returns its path. */
export async function keyMoment(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = `${SCREENSHOT_DIR}${name}.png`;
  await page.screenshot({ path, fullPage: true });
  return path;
}
