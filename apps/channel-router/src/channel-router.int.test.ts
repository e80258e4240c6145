import { randomUUID } from 'node:crypto';
import { createEvent, type EventOfType, type OmniEvent, parseEvent } from '@omni/contracts';
import { createCustomerContextStore } from '@omni/customer-context';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readConfig } from './config.js';
import type { HandoffView } from './handoff/handoff-saga-handler.js';
import { createRouter } from './wiring.js';

// The saga driven through events only, on the in-repo Service Bus and Cosmos emulators: the router consumes
// handoff-events like in production; the test publishes what the channels would and reads what the router
// publishes from the adapters' subscriptions.

const API_KEY = 'test-ops-key-0123456789';
const EXPIRY_MS = 15 * 60_000;

let bus: Awaited<ReturnType<typeof startServiceBusEmulator>>;
let cosmos: Awaited<ReturnType<typeof startCosmosEmulator>>;
let router: FastifyInstance;
let sb: ReturnType<typeof createServiceBusClient>;
let publisher: EventPublisher;
let context: ReturnType<typeof createCustomerContextStore>;
let env: Record<string, string>;
let phoneCounter = 0;

function phone(): string {
  phoneCounter += 1;
  return `+1425555${String(2000 + phoneCounter).padStart(4, '0')}`;
}

async function newCustomer(
  withPhone = true,
): Promise<{ customerId: string; phone?: string; bsuid?: string }> {
  if (withPhone) {
    const number = phone();
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: number });
    return { customerId: customer.customerId, phone: number };
  }
  const bsuid = `bsuid-${randomUUID()}`;
  const { customer } = await context.store.resolveCustomer({ kind: 'whatsapp-bsuid', value: bsuid });
  return { customerId: customer.customerId, bsuid };
}

function requested(
  customerId: string,
  toChannel: 'whatsapp' | 'webchat',
  options: { handoffId?: string; requestedAt?: Date } = {},
): EventOfType<'handoff.requested'> {
  const handoffId = options.handoffId ?? `ho_${randomUUID()}`;
  return createEvent(
    'handoff.requested',
    {
      handoffId,
      customerId,
      fromChannel: 'voice',
      toChannel,
      reason: 'queue is long',
      summary: 'Caller reports a power outage at home.',
      collectedData: { postcode: 'EC2A 1AA' },
      customerName: 'Ada',
      topic: 'power outage',
      requestedAt: (options.requestedAt ?? new Date()).toISOString(),
    },
    { source: '/apps/voice-adapter', correlationId: handoffId },
  );
}

function outcome(
  type: 'handoff.delivered' | 'handoff.completed' | 'handoff.failed',
  customerId: string,
  handoffId: string,
  toChannel: 'whatsapp' | 'webchat' = 'whatsapp',
): OmniEvent {
  const at = new Date().toISOString();
  const common = { handoffId, customerId, toChannel };
  const options = { source: '/apps/whatsapp-adapter', correlationId: handoffId };
  if (type === 'handoff.delivered') {
    return createEvent(
      type,
      { ...common, providerMessageId: `msg-${randomUUID()}`, deliveredAt: at },
      options,
    );
  }
  if (type === 'handoff.completed') {
    return createEvent(type, { ...common, completedAt: at, switchLatencyMs: 4200 }, options);
  }
  return createEvent(
    type,
    { ...common, reason: 'template rejected', retryable: false, failedAt: at },
    options,
  );
}

/** Receives the events of one customer's session on an adapter's subscription until `count` or the deadline. */
async function received(
  subscription: string,
  customerId: string,
  count: number,
  waitMs = 10_000,
): Promise<OmniEvent[]> {
  const receiver = await sb.acceptSession('handoff-events', subscription, customerId);
  const events: OmniEvent[] = [];
  const deadline = Date.now() + waitMs;
  try {
    while (events.length < count && Date.now() < deadline) {
      const messages = await receiver.receiveMessages(10, { maxWaitTimeInMs: 500 });
      for (const message of messages) {
        const parsed = parseEvent(message.body);
        if (parsed.ok) events.push(parsed.event);
        await receiver.completeMessage(message);
      }
    }
  } finally {
    await receiver.close();
  }
  return events;
}

async function handoff(app: FastifyInstance, handoffId: string): Promise<HandoffView | undefined> {
  const response = await app.inject({
    method: 'GET',
    url: '/api/handoffs',
    headers: { 'x-api-key': API_KEY },
  });
  expect(response.statusCode).toBe(200);
  return (response.json() as { handoffs: HandoffView[] }).handoffs.find((h) => h.handoffId === handoffId);
}

async function eventually(
  app: FastifyInstance,
  handoffId: string,
  status: HandoffView['status'],
): Promise<HandoffView> {
  let view: HandoffView | undefined;
  await vi.waitFor(
    async () => {
      view = await handoff(app, handoffId);
      expect(view?.status).toBe(status);
    },
    { timeout: 15_000, interval: 100 },
  );
  return view as HandoffView;
}

beforeAll(async () => {
  [bus, cosmos] = await Promise.all([
    startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
    startCosmosEmulator({ port: 0 }),
  ]);
  env = {
    SERVICEBUS_CONNECTION_STRING: bus.connectionString,
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    HANDOFF_TOKEN_KEY: 'r'.repeat(48),
    OPS_API_KEY: API_KEY,
    WEBCHAT_PUBLIC_URL: 'https://chat.example.test',
    LOG_LEVEL: 'silent',
    DEAD_LETTER_CHECK_INTERVAL_SECONDS: '2',
  };
  router = await createRouter(readConfig(env), pino({ level: 'silent' }));
  await router.ready();
  sb = createServiceBusClient({ connectionString: bus.connectionString });
  publisher = new EventPublisher({ client: sb });
  context = createCustomerContextStore(readConfig(env));
}, 60_000);

afterAll(async () => {
  await router?.close();
  await publisher?.close();
  await sb?.close();
  await context?.close();
  await Promise.all([cosmos?.stop(), bus?.stop()]);
}, 30_000);

describe('handoff saga through events', () => {
  it('given a voice -> WhatsApp request, when delivered and the customer writes, then it is dispatched, recorded and completed', async () => {
    const customer = await newCustomer();
    const request = requested(customer.customerId, 'whatsapp');
    const { handoffId } = request.data;
    await publisher.publish(request);

    const [dispatched] = await received('whatsapp-adapter', customer.customerId, 1);
    expect(dispatched).toMatchObject({
      type: 'handoff.dispatched',
      correlationId: handoffId,
      data: {
        handoffId,
        toChannel: 'whatsapp',
        deliveryChannel: 'whatsapp',
        address: { phone: customer.phone },
      },
    });
    // Recorded where the whatsapp-adapter looks for a pending handoff.
    const records = await context.store.handoffs(customer.customerId);
    expect(records).toEqual([
      expect.objectContaining({ id: handoffId, toChannel: 'whatsapp', status: 'offered' }),
    ]);
    await eventually(router, handoffId, 'dispatched');

    await publisher.publish(outcome('handoff.delivered', customer.customerId, handoffId));
    await eventually(router, handoffId, 'delivered');
    await publisher.publish(outcome('handoff.completed', customer.customerId, handoffId));
    const done = await eventually(router, handoffId, 'completed');
    expect(done.switchLatencyMs).toBe(4200);
    expect(done.transitions.map((t) => t.status)).toEqual([
      'dispatching',
      'dispatched',
      'delivered',
      'completed',
    ]);
    expect(done.fallback).toBeNull();
  });

  it('given a voice -> web chat request, when dispatched, then a one-time link goes by WhatsApp and redeems for the customer', async () => {
    const customer = await newCustomer();
    const request = requested(customer.customerId, 'webchat');
    await publisher.publish(request);
    const [dispatched] = await received('webchat-adapter', customer.customerId, 1);
    if (dispatched?.type !== 'handoff.dispatched') throw new Error('expected handoff.dispatched');
    expect(dispatched.data).toMatchObject({ toChannel: 'webchat', deliveryChannel: 'whatsapp' });
    const link = new URL(dispatched.data.link ?? '');
    expect(link.origin).toBe('https://chat.example.test');
    const token = link.searchParams.get('handoff') ?? '';
    const linked = await context.store.redeemHandoffToken(
      token,
      { kind: 'webchat', value: `web-${randomUUID()}` },
      { channel: 'webchat' },
    );
    expect(linked.customerId).toBe(customer.customerId);
  });

  it('given a dispatched handoff, when its delivery fails, then it fails and falls back to a web chat link by SMS', async () => {
    const customer = await newCustomer();
    const request = requested(customer.customerId, 'whatsapp');
    const { handoffId } = request.data;
    await publisher.publish(request);
    await eventually(router, handoffId, 'dispatched');
    await publisher.publish(outcome('handoff.failed', customer.customerId, handoffId));

    const failed = await eventually(router, handoffId, 'failed');
    expect(failed.fallback).toMatchObject({ kind: 'sms-link', cause: 'failed' });
    const [sms] = await received('webchat-adapter', customer.customerId, 1);
    expect(sms).toMatchObject({
      type: 'handoff.dispatched',
      data: {
        handoffId: failed.fallback?.handoffId,
        toChannel: 'webchat',
        deliveryChannel: 'sms',
        address: { phone: customer.phone },
        link: expect.stringContaining('https://chat.example.test/?handoff='),
      },
    });
    const child = await eventually(router, failed.fallback?.handoffId ?? '', 'dispatched');
    expect(child.fallbackOf).toBe(handoffId);
  });

  it('given the SMS-link fallback fails too, then the customer is shown stranded and a callback is queued for a human', async () => {
    const customer = await newCustomer();
    const request = requested(customer.customerId, 'whatsapp');
    const { handoffId } = request.data;
    await publisher.publish(request);
    await eventually(router, handoffId, 'dispatched');
    await publisher.publish(outcome('handoff.failed', customer.customerId, handoffId));
    const failed = await eventually(router, handoffId, 'failed');
    expect(failed.stranded).toBe(false);
    const childId = failed.fallback?.handoffId ?? '';
    await eventually(router, childId, 'dispatched');
    // The SMS is not delivered either: no channel is left to reach the customer on.
    await publisher.publish(outcome('handoff.failed', customer.customerId, childId, 'webchat'));
    const child = await eventually(router, childId, 'failed');
    expect(child.fallback).toMatchObject({ kind: 'callback', cause: 'failed' });
    expect(child.stranded).toBe(true);
    await vi.waitFor(
      async () => {
        const response = await router.inject({
          method: 'GET',
          url: '/api/queues/support',
          headers: { 'x-api-key': API_KEY },
        });
        const waiting = (response.json() as { waiting: { customerId: string; kind: string }[] }).waiting;
        expect(waiting).toContainEqual(
          expect.objectContaining({ customerId: customer.customerId, kind: 'messaging' }),
        );
      },
      { timeout: 15_000, interval: 100 },
    );
    const metrics = await router.inject({
      method: 'GET',
      url: '/api/metrics/handoffs',
      headers: { 'x-api-key': API_KEY },
    });
    expect((metrics.json() as { stranded: number }).stranded).toBeGreaterThanOrEqual(1);
  });

  it('given a message the router cannot use, then the ops API lists the dead letter (reason, type, age, no body) and the gauge counts it', async () => {
    const sender = sb.createSender('escalations');
    await sender.sendMessages({
      body: { type: 'escalation.requested', data: { note: 'call +447911123456' } },
      subject: 'escalation.requested',
      messageId: `bad-${randomUUID()}`,
    });
    await sender.close();
    let listed: { entity: string; count: number; messages: Record<string, unknown>[] }[] = [];
    await vi.waitFor(
      async () => {
        const response = await router.inject({
          method: 'GET',
          url: '/api/dead-letters?entity=escalations',
          headers: { 'x-api-key': API_KEY },
        });
        listed = (response.json() as { entities: typeof listed }).entities;
        expect(listed[0]?.count).toBeGreaterThanOrEqual(1);
      },
      { timeout: 15_000, interval: 200 },
    );
    expect(listed[0]?.messages[0]).toMatchObject({
      entity: 'escalations',
      reason: 'InvalidEvent',
      eventType: 'escalation.requested',
    });
    expect(JSON.stringify(listed)).not.toContain('7911123456');
    await vi.waitFor(
      async () => {
        const metrics = await router.inject({ method: 'GET', url: '/metrics' });
        expect(metrics.body).toMatch(/messaging_dead_letters\{[^}]*entity="escalations"[^}]*\} [1-9]/);
      },
      { timeout: 15_000, interval: 200 },
    );
    const unknown = await router.inject({
      method: 'GET',
      url: '/api/dead-letters?entity=nope',
      headers: { 'x-api-key': API_KEY },
    });
    expect(unknown.statusCode).toBe(404);
    // Redriven at once, it would fall inside the queue's duplicate-detection window: it stays, and the answer says so.
    const redrive = await router.inject({
      method: 'POST',
      url: '/api/dead-letters/redrive',
      headers: { 'x-api-key': API_KEY },
      payload: { entity: 'escalations', reason: 'InvalidEvent' },
    });
    expect(redrive.statusCode).toBe(200);
    expect(redrive.json()).toMatchObject({ entity: 'escalations', redriven: 0 });
    expect((redrive.json() as { tooRecent: number }).tooRecent).toBeGreaterThanOrEqual(1);
  });

  it('given a dispatched handoff nobody takes up, when HANDOFF_EXPIRY passes, then it expires and a callback is queued for a human', async () => {
    // No phone, so no SMS link: the fallback is a callback escalation into the support queue.
    const customer = await newCustomer(false);
    const request = requested(customer.customerId, 'whatsapp', {
      requestedAt: new Date(Date.now() - EXPIRY_MS + 1500),
    });
    const { handoffId } = request.data;
    await publisher.publish(request);
    const expired = await eventually(router, handoffId, 'expired');
    expect(expired.transitions.map((t) => t.status)).toEqual(['dispatching', 'dispatched', 'expired']);
    expect(expired.fallback).toMatchObject({ kind: 'callback', cause: 'expired' });

    await vi.waitFor(
      async () => {
        const response = await router.inject({
          method: 'GET',
          url: '/api/queues/support',
          headers: { 'x-api-key': API_KEY },
        });
        const waiting = (response.json() as { waiting: { customerId: string; kind: string }[] }).waiting;
        expect(waiting).toContainEqual(
          expect.objectContaining({ customerId: customer.customerId, kind: 'messaging' }),
        );
      },
      { timeout: 15_000, interval: 100 },
    );
  });

  it('given a request delivered twice and re-published with a new id, when handled, then one dispatch happens', async () => {
    const customer = await newCustomer();
    const request = requested(customer.customerId, 'whatsapp');
    const { handoffId } = request.data;
    await publisher.publish(request);
    await publisher.publish(request);
    await publisher.publish({ ...request, id: randomUUID() });
    await publisher.publish(outcome('handoff.completed', customer.customerId, handoffId));
    const done = await eventually(router, handoffId, 'completed');
    expect(done.transitions.filter((t) => t.status === 'dispatched')).toHaveLength(1);
    const dispatched = await received('whatsapp-adapter', customer.customerId, 2, 2_000);
    expect(dispatched.map((e) => e.type)).toEqual(['handoff.dispatched']);
  });

  it('given outcomes before their request, when the request arrives last, then nothing is dispatched and the completion stands', async () => {
    const customer = await newCustomer();
    const request = requested(customer.customerId, 'whatsapp');
    const { handoffId } = request.data;
    await publisher.publish(outcome('handoff.completed', customer.customerId, handoffId));
    await publisher.publish(outcome('handoff.delivered', customer.customerId, handoffId));
    await publisher.publish(request);
    await vi.waitFor(
      async () => {
        const view = await handoff(router, handoffId);
        expect(view).toMatchObject({ status: 'completed', requestedAt: request.data.requestedAt });
        expect(view?.deliveredAt).not.toBeNull();
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(await received('whatsapp-adapter', customer.customerId, 1, 1_500)).toEqual([]);
  });

  it('given a request for an unknown customer, when handled, then it is rejected with handoff.failed and nothing is dispatched', async () => {
    const request = requested('cust_01JZ0000000000000000000000', 'whatsapp');
    await publisher.publish(request);
    const rejected = await eventually(router, request.data.handoffId, 'rejected');
    expect(rejected.failureReason).toBe('customer not found');
  });

  it('given a dispatched handoff, when the router restarts, then the new instance completes the saga and its timer still fires', async () => {
    const customer = await newCustomer();
    const request = requested(customer.customerId, 'whatsapp');
    const { handoffId } = request.data;
    const other = await newCustomer();
    const expiring = requested(other.customerId, 'whatsapp', {
      requestedAt: new Date(Date.now() - EXPIRY_MS + 4000),
    });
    await publisher.publishAll([request, expiring]);
    await eventually(router, handoffId, 'dispatched');
    await eventually(router, expiring.data.handoffId, 'dispatched');

    await router.close();
    router = await createRouter(readConfig(env), pino({ level: 'silent' }));
    await router.ready();

    await publisher.publish(outcome('handoff.completed', customer.customerId, handoffId));
    const done = await eventually(router, handoffId, 'completed');
    expect(done.transitions.map((t) => t.status)).toEqual(['dispatching', 'dispatched', 'completed']);
    await eventually(router, expiring.data.handoffId, 'expired');

    const metrics = await router.inject({
      method: 'GET',
      url: '/api/metrics/handoffs',
      headers: { 'x-api-key': API_KEY },
    });
    expect(metrics.json()).toMatchObject({
      funnel: { completed: expect.any(Number), expired: expect.any(Number) },
      switchLatencyMs: { p50: 4200, p95: 4200 },
    });
    expect((metrics.json() as { funnel: { completed: number } }).funnel.completed).toBeGreaterThanOrEqual(3);
  });
});

describe('queue path through the bus', () => {
  it('given a queued call and an agent coming online, when wired to the emulators, then call.assigned reaches the voice adapter and a status is published', async () => {
    const customer = await newCustomer();
    const callId = `call-${randomUUID()}`;
    const queue = `q-${randomUUID().slice(0, 8)}`;
    const statuses = sb.createReceiver('queue-status', 'voice-adapter');
    const assignments = sb.createReceiver('queue-events', 'voice-adapter');
    try {
      await publisher.publish(
        createEvent(
          'call.queued',
          {
            callId,
            customerId: customer.customerId,
            queue,
            priority: 3,
            enqueuedAt: new Date().toISOString(),
          },
          { source: '/apps/voice-adapter', correlationId: callId },
        ),
      );
      await vi.waitFor(
        async () => {
          const response = await router.inject({
            url: `/api/queues/${queue}`,
            headers: { 'x-api-key': API_KEY },
          });
          expect(response.json()).toMatchObject({ depth: 1 });
        },
        { timeout: 15_000, interval: 100 },
      );
      const put = await router.inject({
        method: 'PUT',
        url: '/api/agents/agent-int-1',
        headers: { 'x-api-key': API_KEY },
        payload: { status: 'available', queues: [queue] },
      });
      expect(put.statusCode).toBe(200);

      const found: OmniEvent[] = [];
      const deadline = Date.now() + 15_000;
      while (
        !found.some((e) => e.type === 'call.assigned' && e.data.callId === callId) &&
        Date.now() < deadline
      ) {
        for (const message of await assignments.receiveMessages(10, { maxWaitTimeInMs: 500 })) {
          const parsed = parseEvent(message.body);
          if (parsed.ok) found.push(parsed.event);
          await assignments.completeMessage(message);
        }
      }
      expect(found).toContainEqual(
        expect.objectContaining({
          type: 'call.assigned',
          data: expect.objectContaining({ callId, agentId: 'agent-int-1', queue }),
        }),
      );
      const snapshots: OmniEvent[] = [];
      const until = Date.now() + 10_000;
      while (
        !snapshots.some((e) => e.type === 'queue.status.changed' && e.data.queue === queue) &&
        Date.now() < until
      ) {
        for (const message of await statuses.receiveMessages(20, { maxWaitTimeInMs: 500 })) {
          const parsed = parseEvent(message.body);
          if (parsed.ok) snapshots.push(parsed.event);
          await statuses.completeMessage(message);
        }
      }
      expect(snapshots).toContainEqual(
        expect.objectContaining({ type: 'queue.status.changed', data: expect.objectContaining({ queue }) }),
      );
    } finally {
      await statuses.close();
      await assignments.close();
    }
  });
});
