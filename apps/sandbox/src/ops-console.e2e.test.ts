import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { readConfig } from './config.js';
import { launchChromium } from './test-support/sandbox-harness.js';

/**
 * The ops console in headless Chromium, served by the sandbox host and relayed to a stand-in channel-router ops API
 * (fixed answers): the wait estimate quoted with its age, and a dead letter redriven after a confirmation.
 */
const KEY = 'ops-key-0123456789abcdef';
const ENTITY = 'queue-events/Subscriptions/voice-adapter';
let router: FastifyInstance;
let sandbox: FastifyInstance;
let browser: Browser;
let page: Page;
const redrives: { body: unknown; key: unknown }[] = [];

function queue(name: string, estimatedWaitSeconds: number, ageSeconds: number) {
  return {
    queue: name,
    level: 'normal',
    massEvent: false,
    depth: 1,
    longestWaitSeconds: 30,
    estimatedWaitSeconds,
    naiveEstimatedWaitSeconds: estimatedWaitSeconds,
    availableAgents: 0,
    staffedAgents: 1,
    serviceLevel: { answered: 0, abandoned: 0 },
    at: new Date(Date.now() - ageSeconds * 1000).toISOString(),
  };
}

beforeAll(async () => {
  router = Fastify();
  // Computed once: the console must age the figure itself between answers.
  const queues = [queue('support', 600, 12), queue('billing', 3300, 300)];
  router.get('/api/queues', async () => ({ queues }));
  router.get('/api/agents', async () => ({ agents: [] }));
  router.get('/api/handoffs', async () => ({ handoffs: [] }));
  router.get('/api/metrics/handoffs', async () => ({
    funnel: { accepted: 0, dispatched: 0, delivered: 0, completed: 0, expired: 0, failed: 0, rejected: 0 },
    switchLatencyMs: { count: 0, p50: 0, p95: 0 },
    stranded: 0,
  }));
  router.get('/api/dead-letters', async () => ({
    entities: [
      {
        entity: ENTITY,
        count: redrives.length === 0 ? 1 : 0,
        messages:
          redrives.length === 0
            ? [
                {
                  entity: ENTITY,
                  sequenceNumber: '4',
                  messageId: 'evt-dead-1',
                  eventType: 'call.assigned',
                  reason: 'PermanentFailure',
                  description: 'agent desk unknown',
                  enqueuedAt: new Date().toISOString(),
                  ageSeconds: 700,
                },
              ]
            : [],
      },
    ],
  }));
  router.post('/api/dead-letters/redrive', async (request) => {
    redrives.push({ body: request.body, key: request.headers['x-api-key'] });
    return { entity: ENTITY, redriven: 1, tooRecent: 0, retryAfterSeconds: null };
  });
  await router.listen({ host: '127.0.0.1', port: 0 });
  const routerUrl = `http://127.0.0.1:${(router.server.address() as AddressInfo).port}`;
  sandbox = buildApp({
    config: readConfig({ SANDBOX_SERVICES: `channel-router=${routerUrl}`, OPS_API_KEY: KEY }),
  });
  await sandbox.listen({ host: '127.0.0.1', port: 0 });
  browser = await launchChromium();
  page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(sandbox.server.address() as AddressInfo).port}/#ops`);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await sandbox?.close();
  await router?.close();
});

describe('the ops console', () => {
  it('given an estimate computed 12 s ago, then it is quoted as callers hear it, with its age', async () => {
    const support = page.locator('#ops-queues tr[data-queue="support"] [data-field="estimate"]');
    await support.filter({ hasText: /^about 10 min, as of \d+ s ago$/ }).waitFor({ timeout: 15_000 });
    const age = Number(/as of (\d+) s ago/.exec((await support.textContent()) ?? '')?.[1]);
    expect(age).toBeGreaterThanOrEqual(12);
    expect((await support.getAttribute('class')) ?? '').not.toContain('stale');
  });

  it('given an estimate older than the phone would quote, then it is marked stale', async () => {
    const billing = page.locator('#ops-queues tr[data-queue="billing"] [data-field="estimate"]');
    await billing.filter({ hasText: /^about 55 min, as of 5 min ago$/ }).waitFor({ timeout: 15_000 });
    expect(await billing.getAttribute('class')).toContain('stale');
  });

  it('given a dead letter, when redriven and confirmed, then the router gets that message id and the count shows', async () => {
    const questions: string[] = [];
    page.on('dialog', (dialog) => {
      questions.push(dialog.message());
      void dialog.accept();
    });
    await page.locator('#ops-dlq [data-message-id="evt-dead-1"] button', { hasText: 'Redrive' }).click();
    await page
      .locator('#ops-dlq-status', { hasText: `1 redriven to ${ENTITY}.` })
      .waitFor({ timeout: 15_000 });
    expect(questions).toEqual([`Redrive call.assigned evt-dead-1 of ${ENTITY}? Its handler runs again.`]);
    expect(redrives).toEqual([{ body: { entity: ENTITY, messageIds: ['evt-dead-1'] }, key: KEY }]);
    await page.locator('#ops-dlq', { hasText: 'None: nothing was lost.' }).waitFor({ timeout: 15_000 });
  });
});
