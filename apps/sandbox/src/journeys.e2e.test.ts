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
 * is the customer (and the ops console's user), the services run as processes on the emulators, nothing is
 * stubbed. The journeys share one sandbox and run in order: the queue stays over its threshold from journey 1 on.
 */
describe('journeys through the sandbox UI', () => {
  let sandbox: RunningSandbox;
  let browser: Browser;

  beforeAll(async () => {
    [sandbox, browser] = await Promise.all([
      // Hold announcements every 2 s instead of 20, so journey 4 hears one without a long wait.
      startSandbox({ env: { VOICE_HOLD_PAUSE_SECONDS: '2' } }),
      launchChromium(),
    ]);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await sandbox?.stop();
  });

  /** A tab playing the customer with this number. */
  async function customer(phone: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`${sandbox.url}/?phone=${encodeURIComponent(phone)}#overview`);
    return page;
  }

  async function show(page: Page, panel: string) {
    await page.evaluate((hash) => {
      (globalThis as unknown as { location: { hash: string } }).location.hash = hash;
    }, `#${panel}`);
    await page.locator(`[data-panel="${panel}"]`).waitFor({ state: 'visible' });
  }

  /** Dials the support number and waits for the greeting's question. */
  async function dial(page: Page) {
    await show(page, 'phone');
    await page.click('#call-dial');
    await page.locator('.call-line.agent').first().waitFor({ timeout: 30_000 });
    await page.locator('#call-state', { hasText: 'listening' }).waitFor({ timeout: 30_000 });
  }

  /** Says something on the call and waits until the agent has answered and listens again (or hangs up). */
  async function say(page: Page, text: string, keys?: string) {
    const before = await page.locator('.call-line.agent').count();
    if (keys === undefined) {
      await page.fill('#call-input', text);
      await page.click('#call-say-button');
    } else {
      await page.click(`#keypad button[aria-label="Key ${keys}"]`);
    }
    await expect
      .poll(() => page.locator('.call-line.agent').count(), { timeout: 30_000 })
      .toBeGreaterThan(before);
    return (await page.locator('.call-line.agent').last().textContent()) ?? '';
  }

  async function whatsapp(page: Page, text: string) {
    await page.fill('#wa-input', text);
    await page.click('.wa-compose button[type=submit]');
  }

  async function ensureAgent(page: Page, agentId: string) {
    await show(page, 'ops');
    await page.fill('#agent-name', agentId);
    await page.click('#agent-add button[type=submit]');
    await page.locator(`[data-agent="${agentId}"]`).waitFor({ timeout: 15_000 });
  }

  it('journey 1, voice -> WhatsApp under load: the caller accepts, the template arrives, the first reply uses the call', async () => {
    const page = await customer('+14255550101');
    // Ops: one agent on shift, then a crowd of waiting callers pushes the queue over its threshold.
    await ensureAgent(page, 'ada');
    for (let i = 0; i < 6; i += 1) await page.click('#load-add');
    await page
      .locator('#ops-queues tr[data-queue="support"]:not([data-level="normal"])')
      .waitFor({ timeout: 30_000 });
    await keyMoment(page, 'journey-1a-queue-over-threshold');

    await dial(page);
    expect(await say(page, 'My power is out at 14 Cardigan Road, LS6 1LF')).toContain('LS6 1LF');
    const offer = await say(page, 'I want to talk to a real person');
    expect(offer).toMatch(/WhatsApp/);
    expect(offer).toMatch(/wait is about \d+ minutes/);
    expect(await say(page, '', '1')).toContain('check your WhatsApp');
    await page.locator('#call-state[data-state="disconnected"]').waitFor({ timeout: 30_000 });

    await show(page, 'whatsapp');
    const template = page.locator('.wa-bubble.out[data-kind="template"]');
    await template.waitFor({ timeout: 30_000 });
    expect(await template.textContent()).toContain('your power outage');
    await whatsapp(page, 'Any update on the power cut?');
    const reply = page.locator('.wa-bubble.out[data-kind="text"]', { hasText: /Cardigan|LS6 1LF/ });
    await reply.first().waitFor({ timeout: 30_000 });
    expect(existsSync(await keyMoment(page, 'journey-1-voice-to-whatsapp'))).toBe(true);

    await show(page, 'ops');
    await page.locator('#ops-funnel [data-stage="completed"] .count', { hasText: /^[1-9]/ }).waitFor({
      timeout: 30_000,
    });
    await page.locator('#ops-timeline .chip.voice').first().waitFor({ timeout: 30_000 });
    await page.locator('#ops-timeline .chip.whatsapp').first().waitFor({ timeout: 30_000 });
    await keyMoment(page, 'journey-1b-ops-funnel-and-timeline');
    await page.close();
  }, 150_000);

  it('journey 2, voice -> web chat: the link travels by WhatsApp, redeeming it continues the conversation', async () => {
    const page = await customer('+14255550102');
    await dial(page);
    await say(page, 'My power is out at 14 Cardigan Road, LS6 1LF');
    expect(await say(page, 'I want to talk to a real person')).toMatch(/web chat/);
    expect(await say(page, 'Web chat please')).toContain('link to continue in web chat');

    await show(page, 'whatsapp');
    const link = page.locator('.wa-bubble.out a[href*="handoff="]');
    await link.first().waitFor({ timeout: 30_000 });
    await link.first().click();
    await page.locator('[data-panel="webchat"]').waitFor({ state: 'visible' });
    const chat = page.frameLocator('#webchat-frame');
    await chat
      .getByText(/welcome back/i)
      .first()
      .waitFor({ timeout: 30_000 });
    const input = chat.locator('[data-id="webchat-sendbox-input"]');
    await input.fill('Any update on the power cut?');
    await input.press('Enter');
    await chat
      .getByText(/known electricity outage|Cardigan Road/)
      .first()
      .waitFor({ timeout: 30_000 });
    expect(existsSync(await keyMoment(page, 'journey-2-voice-to-webchat'))).toBe(true);

    // The link is single use: opening it again is refused with a clear message.
    const again = await browser.newPage();
    await again.goto((await link.first().getAttribute('href')) ?? '');
    await again
      .getByRole('alert')
      .filter({ hasText: /already|used|expired/i })
      .waitFor({ timeout: 30_000 });
    await again.close();
    await page.close();
  }, 150_000);

  it('journey 3, WhatsApp -> human: asking for a person escalates, an agent takes it with the summary', async () => {
    const page = await customer('+14255550103');
    // A normal queue for this one (the crowd gone, an agent free): nothing is offered, a person takes over.
    await show(page, 'ops');
    await page.click('#load-clear');
    await page
      .locator('#ops-queues tr[data-queue="support"] [data-field="depth"]', { hasText: /^0$/ })
      .waitFor({
        timeout: 30_000,
      });
    await ensureAgent(page, 'carol');
    await page
      .locator('#ops-queues tr[data-queue="support"][data-level="normal"]')
      .waitFor({ timeout: 30_000 });
    await show(page, 'whatsapp');
    await whatsapp(page, 'my power is out at LS6 1LF');
    await page.locator('.wa-bubble.out', { hasText: 'LS6 1LF' }).first().waitFor({ timeout: 30_000 });
    await whatsapp(page, 'I want to speak to a human');
    await page
      .locator('.wa-bubble.out', { hasText: /member of our team/ })
      .first()
      .waitFor({ timeout: 30_000 });
    await show(page, 'ops');
    const desk = page.locator('[data-agent="carol"] [data-testid="agent-desk"]');
    await desk.waitFor({ timeout: 30_000 });
    const taking = (await desk.textContent()) ?? '';
    expect(taking).toContain('from whatsapp');
    expect(taking).toContain('LS6 1LF');
    expect(existsSync(await keyMoment(page, 'journey-3-whatsapp-to-human'))).toBe(true);
    await page.close();
  }, 150_000);

  it('journey 4, the caller declines: held with wait updates, one hangs up (abandon), the other is transferred', async () => {
    const ops = await customer('+14255550100');
    await show(ops, 'ops');
    for (let i = 0; i < 6; i += 1) await ops.click('#load-add');
    const support = ops.locator('#ops-queues tr[data-queue="support"]');
    await ops
      .locator('#ops-queues tr[data-queue="support"]:not([data-level="normal"])')
      .waitFor({ timeout: 30_000 });

    const stays = await customer('+14255550104');
    await dial(stays);
    await say(stays, 'My power is out at 14 Cardigan Road, LS6 1LF');
    expect(await say(stays, 'Can I speak to a human please')).toMatch(/press 2 to wait/);
    expect(await say(stays, '', '2')).toMatch(/in the queue/);
    await stays
      .locator('.call-line.agent', { hasText: 'Thanks for holding' })
      .first()
      .waitFor({ timeout: 30_000 });

    const leaves = await customer('+14255550105');
    await dial(leaves);
    await say(leaves, 'I need a human');
    await say(leaves, 'No thanks, I will wait');
    const abandoned = async () =>
      Number(await support.locator('[data-field="service-level"]').getAttribute('data-abandoned'));
    const abandonedBefore = await abandoned();
    await leaves.click('#call-hangup');
    await expect.poll(abandoned, { timeout: 30_000 }).toBe(abandonedBefore + 1);
    await keyMoment(ops, 'journey-4b-ops-abandoned');

    // The simulated crowd hangs up; the next free agent takes the caller who stayed: the call is transferred.
    await ops.click('#load-clear');
    // Once the router has seen every hang-up, only the caller who stayed is waiting.
    await ops
      .locator('#ops-queues tr[data-queue="support"] [data-field="depth"]', { hasText: /^1$/ })
      .waitFor({
        timeout: 30_000,
      });
    await ensureAgent(ops, 'dave');
    const transfers = async () => {
      const url = `${sandbox.emulators.env.ACS_CALLING_EMULATOR_URL}/_emulator/calls`;
      const listed = (await (await fetch(url)).json()) as { value: { from: string; transfers: unknown[] }[] };
      return listed.value.find((call) => call.from.includes('14255550104'))?.transfers.length ?? 0;
    };
    await expect.poll(transfers, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(existsSync(await keyMoment(stays, 'journey-4-declined-then-transferred'))).toBe(true);
    await Promise.all([stays.close(), leaves.close(), ops.close()]);
  }, 150_000);
});
