import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPage } from '../scripts/build-page.js';
import { PUBLIC_DIR } from './page.js';
import { startWebchatStack, type WebchatStack } from './test-support/stack.js';

const CHROMIUM = '/usr/bin/chromium';
const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url));

let stack: WebchatStack;
let browser: BrowserContext;
let userDataDir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: install Debian's chromium package (apt-get install chromium) to run the web chat e2e test`,
    );
  }
  if (!existsSync(join(PUBLIC_DIR, 'webchat.js')) || !existsSync(join(PUBLIC_DIR, 'page.js')))
    await buildPage();
  await mkdir(RESULTS, { recursive: true });
  stack = await startWebchatStack();
  userDataDir = await mkdtemp(join(tmpdir(), 'omni-webchat-e2e-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 390, height: 760 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
}, 30_000);

describe('the web chat page in headless Chromium', () => {
  it('given the page, when the user sends a message, then the reply appears', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(stack.url);
    await expect.poll(() => page.locator('html').getAttribute('lang'), { timeout: 20_000 }).toBe('en');
    const input = page.locator('[data-id="webchat-sendbox-input"]');
    await input.waitFor({ state: 'visible', timeout: 20_000 });
    await page.getByText('How can I help you today?').first().waitFor({ timeout: 20_000 });
    await input.fill('echo hello from the browser');
    await input.press('Enter');
    await page.getByText('echo: hello from the browser').first().waitFor({ timeout: 20_000 });
    await expect
      .poll(() => page.locator('#status[role="status"]').textContent(), { timeout: 20_000 })
      .toContain('Connected');
    await page.screenshot({ path: join(RESULTS, 'webchat-reply.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('given a link with an invalid handoff token, when the page opens, then it shows why and offers a new chat', async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.url}/?handoff=${'x'.repeat(40)}`);
    const alert = page.locator('#problem[role="alert"]');
    await alert.getByText('This link is not valid').waitFor({ timeout: 20_000 });
    await alert.getByRole('button', { name: 'Start a new chat' }).waitFor();
    await page.screenshot({ path: join(RESULTS, 'webchat-invalid-link.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('given a handoff link from a call, when the page opens it, then the chat continues with the call summary and the link leaves the address bar', async () => {
    const { customer } = await stack.context.store.resolveCustomer(
      { kind: 'phone', value: '+14255550190' },
      { channel: 'voice' },
    );
    await stack.context.store.updateSummary(
      customer.customerId,
      'Caller asked about a bill of 42.10 GBP.',
      {},
    );
    const issued = await stack.context.store.issueHandoffToken(customer.customerId, 'webchat', 900, {
      fromChannel: 'voice',
    });
    // Another device: no web chat cookie from the earlier tests.
    await browser.clearCookies();
    const page = await browser.newPage();
    await page.goto(`${stack.url}/?handoff=${issued.token}`);
    await page.getByText('from our phone call').first().waitFor({ timeout: 20_000 });
    await page.getByText('Caller asked about a bill of 42.10 GBP.').first().waitFor({ timeout: 20_000 });
    expect(new URL(page.url()).search).toBe('');
    await page.screenshot({ path: join(RESULTS, 'webchat-handoff.png'), fullPage: true });
    await page.close();
  }, 60_000);
});
