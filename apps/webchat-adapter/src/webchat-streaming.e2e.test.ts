import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildPage } from '../scripts/build-page.js';
import type { TokenResponse } from './app.js';
import { STREAM_FAILED_REPLY } from './connector.js';
import { PUBLIC_DIR } from './page.js';
import { GatedDriver } from './test-support/gated-driver.js';
import { startWebchatStack, type WebchatStack } from './test-support/stack.js';

const CHROMIUM = '/usr/bin/chromium';
const RESULTS = fileURLToPath(new URL('../test-results/', import.meta.url));
/** The bubbles of the bot (WebChat 4.18's markup), livestreamed or final. */
const BOT_BUBBLES = '.webchat__bubble:not(.webchat__bubble--from-user) .webchat__bubble__content';

let stack: WebchatStack;
let driver: GatedDriver;
let browser: BrowserContext;
let userDataDir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: apt-get install chromium to run the e2e tests`,
    );
  }
  if (!existsSync(join(PUBLIC_DIR, 'webchat.js')) || !existsSync(join(PUBLIC_DIR, 'page.js')))
    await buildPage();
  await mkdir(RESULTS, { recursive: true });
  driver = new GatedDriver();
  // No pause between streamed updates: the test's gate paces the words.
  stack = await startWebchatStack({
    driver,
    // The failing-model case waits for the dead letter: retries 100 ms apart, 3 attempts (in production the
    // failure policy holds a failing message for minutes, to outlast an outage).
    env: {
      WEBCHAT_STREAM_INTERVAL_MS: '0',
      SERVICEBUS_RETRY_SCHEDULE_MS: '100',
      SERVICEBUS_MAX_ATTEMPTS: '3',
    },
  });
  userDataDir = await mkdtemp(join(tmpdir(), 'omni-webchat-stream-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 390, height: 760 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
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

/** Opens the page and resolves to its Direct Line session (captured from the token answer). */
async function open(): Promise<{ page: Page; session: TokenResponse }> {
  const page = await browser.newPage();
  const token = page.waitForResponse((r) => r.url().includes('/api/directline/token'));
  await page.goto(stack.url);
  const session = (await (await token).json()) as TokenResponse;
  await page.locator('[data-id="webchat-sendbox-input"]').waitFor({ state: 'visible', timeout: 20_000 });
  await page.getByText('How can I help you today?').first().waitFor({ timeout: 20_000 });
  return { page, session };
}

async function lastBotText(page: Page): Promise<string> {
  const bubbles = page.locator(BOT_BUBBLES);
  const count = await bubbles.count();
  if (count === 0) return '';
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText (the rendered text), not a DOM node
  return (await bubbles.nth(count - 1).innerText()).trim();
}

describe('streamed replies in the web chat page (headless Chromium)', () => {
  it('given a streaming model, when the user asks, then the reply grows on screen word by word and ends as the stored turn', async () => {
    const { page, session } = await open();
    const input = page.locator('[data-id="webchat-sendbox-input"]');
    const welcomed = await page.locator(BOT_BUBBLES).count();
    await input.fill('stream my bill please');
    await input.press('Enter');
    const words = driver.reply.match(/\S+\s*/g) ?? [];
    const snapshots: string[] = [];
    for (let shown = 1; shown <= 5; shown += 1) {
      driver.release();
      const expected = words.slice(0, shown).join('').trim();
      await expect.poll(() => lastBotText(page), { timeout: 15_000 }).toBe(expected);
      snapshots.push(await lastBotText(page));
      // One bubble growing, not one bubble per update.
      expect(await page.locator(BOT_BUBBLES).count()).toBe(welcomed + 1);
      if (shown === 3)
        await page.screenshot({ path: join(RESULTS, 'webchat-streaming.png'), fullPage: true });
    }
    for (let rest = 5; rest < words.length; rest += 1) driver.release();
    await expect.poll(() => lastBotText(page), { timeout: 15_000 }).toBe(driver.reply);
    // The final message took the streamed bubble's place.
    expect(await page.locator(BOT_BUBBLES).count()).toBe(welcomed + 1);

    // Several distinct partial snapshots, each a prefix of the final text.
    expect(new Set(snapshots).size).toBe(5);
    for (const snapshot of snapshots) expect(driver.reply.startsWith(snapshot)).toBe(true);
    // The final text on screen is the assistant turn the transcript stored.
    const { customer } = await stack.context.store.resolveCustomer({
      kind: 'webchat',
      value: session.userId,
    });
    await vi.waitFor(async () => {
      const turns = await stack.context.store.recentTurns(customer.customerId, 10);
      expect(turns.filter((t) => t.role === 'assistant').at(-1)?.text).toBe(await lastBotText(page));
    });
    // Only the final message is kept by Direct Line (streamed updates are typing, never stored).
    const kept = stack.directLine.activities(session.conversationId).filter((a) => a.from?.role === 'bot');
    expect(kept.map((a) => a.text)).toContain(driver.reply);
    expect(
      kept.some((a) => a.text !== driver.reply && a.text !== undefined && driver.reply.startsWith(a.text)),
    ).toBe(false);
    await page.screenshot({ path: join(RESULTS, 'webchat-streamed-final.png'), fullPage: true });
    await page.close();
  }, 90_000);

  it('given a model that fails mid-reply, when the stream is cut, then it ends with a clear message and the partial text is never kept as a reply', async () => {
    await browser.clearCookies(); // a new web user, welcomed as new
    const { page, session } = await open();
    const input = page.locator('[data-id="webchat-sendbox-input"]');
    // Gates opened in advance: two words stream, then the driver throws (on every delivery of the message).
    for (let i = 0; i < 20; i += 1) driver.release();
    await input.fill('fail my bill please');
    await input.press('Enter');
    await page.getByText(STREAM_FAILED_REPLY).first().waitFor({ timeout: 20_000 });
    await expect.poll(() => lastBotText(page), { timeout: 15_000 }).toBe(STREAM_FAILED_REPLY);
    // The message is retried, then dead-lettered with its reason.
    const path = encodeURIComponent('inbound-messages/Subscriptions/webchat-adapter');
    await vi.waitFor(
      async () => {
        const response = await fetch(
          `${stack.bus.httpUrl}/entities/${path}/messages?state=deadletter&limit=100`,
        );
        const { messages } = (await response.json()) as { messages: unknown[] };
        expect(messages.length).toBeGreaterThan(0);
      },
      { timeout: 20_000 },
    );
    const kept = stack.directLine.activities(session.conversationId).filter((a) => a.from?.role === 'bot');
    const partial = (driver.reply.match(/\S+\s*/g) ?? []).slice(0, 2).join('').trim();
    expect(kept.some((a) => a.text === partial)).toBe(false);
    // Shown once: the retries of the message do not stream.
    expect(kept.filter((a) => a.text === STREAM_FAILED_REPLY)).toHaveLength(1);
    await page.screenshot({ path: join(RESULTS, 'webchat-stream-failed.png'), fullPage: true });
    await page.close();
  }, 90_000);
});
