import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('journey 3, WhatsApp -> human: the specialist answers with what was said; asking for a person escalates and an agent takes it warm', async () => {
    await page.goto(`${sandbox.url}/#whatsapp`);
    await whatsapp('my power is out at LS6 1LF');
    const answer = page.locator('.wa-bubble.out', { hasText: 'LS6 1LF' });
    await answer.first().waitFor({ timeout: 30_000 });
    await whatsapp('I want to speak to a human');
    await page.locator('.wa-bubble.out').nth(2).waitFor({ timeout: 30_000 });
    // The escalation travels WhatsApp adapter -> `escalations` queue -> router: it waits in the support queue.
    await page.goto(`${sandbox.url}/#ops`);
    await page.locator('#ops-queues tr[data-queue="support"]').waitFor({ timeout: 30_000 });
    // Journey 3: a human agent signs in on the ops console and takes the conversation with its context.
    await page.fill('#agent-name', 'ada');
    await page.click('#agent-add button[type=submit]');
    const desk = page.locator('[data-agent="ada"] [data-testid="agent-desk"]');
    await desk.waitFor({ timeout: 30_000 });
    const taking = (await desk.textContent()) ?? '';
    expect(taking).toContain('from whatsapp');
    expect(taking).toContain('LS6 1LF');
    const shot = await keyMoment(page, 'journey-3-whatsapp-to-human');
    expect(existsSync(shot)).toBe(true);
  }, 90_000);
});
