import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  keyMoment,
  launchChromium,
  type RunningSandbox,
  startSandbox,
} from './test-support/sandbox-harness.js';

/**
 * The journeys of ARCHITECTURE.md section 6, end to end through the sandbox UI in headless Chromium: the browser
 * is the customer, the services run as processes on the emulators, nothing is stubbed.
 */
describe('journeys through the sandbox UI', () => {
  let sandbox: RunningSandbox;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [sandbox, browser] = await Promise.all([startSandbox(), launchChromium()]);
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  async function whatsapp(text: string) {
    await page.fill('#wa-input', text);
    await page.click('.wa-compose button[type=submit]');
  }

  it('WhatsApp: the customer asks, the outage specialist answers with what they said; asking for a person escalates', async () => {
    await page.goto(`${sandbox.url}/#whatsapp`);
    await whatsapp('my power is out at LS6 1LF');
    const answer = page.locator('.wa-bubble.out', { hasText: 'LS6 1LF' });
    await answer.first().waitFor({ timeout: 30_000 });
    await whatsapp('I want to speak to a human');
    await page.locator('.wa-bubble.out').nth(2).waitFor({ timeout: 30_000 });
    // The escalation is published after the reply is sent: wait for it on the queue.
    const queue = `${sandbox.emulators.env.SERVICEBUS_EMULATOR_URL}/entities/escalations/messages?state=active`;
    await vi.waitFor(
      async () => expect(await (await fetch(queue)).text()).toContain('escalation.requested'),
      {
        timeout: 15_000,
        interval: 100,
      },
    );
    const shot = await keyMoment(page, 'whatsapp-escalation');
    expect(existsSync(shot)).toBe(true);
  }, 90_000);
});
