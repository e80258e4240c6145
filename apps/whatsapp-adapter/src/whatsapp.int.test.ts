import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createEvent } from '@omni/contracts';
import { type AgentStepRequest, type AgentStepResult, OfflineDriver } from '@omni/conversation';
import { createCustomerContextStore, erasureId, erasuresContainerOf } from '@omni/customer-context';
import { startAcsMessagesEmulator } from '@omni/emulators/acs-messages';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AcsWhatsAppSender, createMessagesClient } from './acs.js';
import { readConfig } from './config.js';
import { createAdapter } from './wiring.js';

const SECRET = 'test-webhook-secret-0123456789';
const LONG_WORDS = 1800;

/** The offline driver, except `echo ...` (answered `echo: ...`) and `long reply` (10 000+ characters). */
class ScriptedDriver extends OfflineDriver {
  override async step(request: AgentStepRequest): Promise<AgentStepResult> {
    if (request.input.kind === 'text') {
      const text = request.input.text;
      const usage = { inputTokens: 1, outputTokens: 1 };
      if (text.startsWith('echo '))
        return { text: `echo: ${text.slice(5)}`, toolCalls: [], usage, model: request.model };
      if (text === 'long reply') {
        const words = Array.from({ length: LONG_WORDS }, (_, i) => `w${String(i).padStart(4, '0')}`);
        return { text: words.join(' '), toolCalls: [], usage, model: request.model };
      }
    }
    return super.step(request);
  }
}

let bus: Awaited<ReturnType<typeof startServiceBusEmulator>>;
let cosmos: Awaited<ReturnType<typeof startCosmosEmulator>>;
let acs: Awaited<ReturnType<typeof startAcsMessagesEmulator>>;
let app: FastifyInstance;
let url: string;
let sb: ReturnType<typeof createServiceBusClient>;
let publisher: EventPublisher;
let context: ReturnType<typeof createCustomerContextStore>;
let phoneCounter = 0;
let env: Record<string, string>;

/** A fresh valid US number per test. */
function phone(): string {
  phoneCounter += 1;
  return `+1425555${String(1000 + phoneCounter).padStart(4, '0')}`;
}

function replies(to: string): string[] {
  return acs.messages.whatsapp(to).map((m) => (m.body.kind === 'text' ? m.body.content : `[${m.body.kind}]`));
}

async function settle(to: string, atLeast: number): Promise<string[]> {
  await vi.waitFor(() => expect(replies(to).length).toBeGreaterThanOrEqual(atLeast), {
    timeout: 20_000,
    interval: 50,
  });
  await acs.customer.idle();
  return replies(to);
}

/** Event bodies waiting on a queue or subscription, read through the emulator's inspection API (locks nothing). */
async function peek(entity: string): Promise<{ type?: string; data?: Record<string, unknown> }[]> {
  const response = await fetch(
    `${bus.httpUrl}/entities/${encodeURIComponent(entity)}/messages?state=active&limit=1000`,
  );
  const page = (await response.json()) as { messages: { body?: unknown }[] };
  return page.messages.map((m) => (m.body ?? {}) as { type?: string; data?: Record<string, unknown> });
}

const ROUTER_HANDOFFS = 'handoff-events/Subscriptions/channel-router';

function dispatched(customerId: string, to: string, handoffId: string) {
  const now = new Date();
  return createEvent(
    'handoff.dispatched',
    {
      handoffId,
      customerId,
      fromChannel: 'voice',
      toChannel: 'whatsapp',
      deliveryChannel: 'whatsapp',
      address: { phone: to },
      tokenExpiresAt: new Date(now.getTime() + 900_000).toISOString(),
      customerName: 'Ada Lovelace',
      topic: 'power outage',
      dispatchedAt: now.toISOString(),
    },
    { source: '/apps/channel-router', correlationId: handoffId },
  );
}

const SMS_FROM = '+18005550100';

function smsDispatched(customerId: string, to: string, handoffId: string, link: string) {
  const event = dispatched(customerId, to, handoffId);
  return {
    ...event,
    data: { ...event.data, toChannel: 'webchat' as const, deliveryChannel: 'sms' as const, link },
  };
}

/** Starts the adapter the tests share and connects the customer's phone to its webhook. */
async function startSharedAdapter(): Promise<void> {
  app = await createAdapter(readConfig(env), pino({ level: 'silent' }), {
    driver: new ScriptedDriver(),
    env,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  url = `http://127.0.0.1:${address.port}/api/events`;
  await acs.customer.connect(url, { secret: SECRET });
}

beforeAll(async () => {
  [bus, cosmos, acs] = await Promise.all([
    startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
    startCosmosEmulator({ port: 0 }),
    startAcsMessagesEmulator({ port: 0 }),
  ]);
  env = {
    SERVICEBUS_CONNECTION_STRING: bus.connectionString,
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    HANDOFF_TOKEN_KEY: 'k'.repeat(48),
    ACS_MESSAGES_CONNECTION_STRING: acs.connectionString,
    WHATSAPP_CHANNEL_REGISTRATION_ID: acs.channelRegistrationId,
    EVENTGRID_WEBHOOK_SECRET: SECRET,
    WHATSAPP_RATE_BURST: '100',
    WHATSAPP_RATE_PER_MINUTE: '600',
    SMS_FROM_NUMBER: SMS_FROM,
    LOG_LEVEL: 'silent',
  };
  await startSharedAdapter();
  sb = createServiceBusClient({ connectionString: bus.connectionString });
  publisher = new EventPublisher({ client: sb });
  context = createCustomerContextStore(readConfig(env));
}, 60_000);

afterAll(async () => {
  await app?.close();
  await publisher?.close();
  await sb?.close();
  await context?.close();
  await Promise.all([acs?.stop(), cosmos?.stop(), bus?.stop()]);
}, 30_000);

describe('whatsapp-adapter through its webhook and the emulators', () => {
  it('answers an inbound text through the SDK (signed: the emulator verifies the HMAC)', async () => {
    const to = phone();
    const { delivery } = await acs.customer.send(to, 'echo hello there');
    expect(delivery).toMatchObject({ status: 200 });
    expect(await settle(to, 1)).toEqual(['echo: hello there']);
  });

  it('answers the same Event Grid delivery only once', async () => {
    const to = phone();
    const { event } = await acs.customer.send(to, 'echo once');
    await settle(to, 1);
    await acs.customer.redeliver(event.id);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(replies(to)).toEqual(['echo: once']);
  });

  it("answers Microsoft's published AdvancedMessageReceived example (no messageId, no messageType), once", async () => {
    const to = phone();
    const [example] = JSON.parse(
      readFileSync(
        new URL('./fixtures/advanced-message-received.learn-example.json', import.meta.url),
        'utf8',
      ),
    ) as [{ id: string; subject: string; data: Record<string, unknown> }];
    // The example's sender is a placeholder; WhatsApp sends the number without '+'.
    const event = {
      ...example,
      id: randomUUID(),
      subject: example.subject.replace('{sender@id}', to.slice(1)),
      data: { ...example.data, from: to.slice(1) },
    };
    expect(event.data).not.toHaveProperty('messageId');
    const post = () =>
      fetch(`${url}?code=${SECRET}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
        body: JSON.stringify([event]),
      });
    expect((await post()).status).toBe(200);
    expect(await settle(to, 1)).toHaveLength(1);
    // Event Grid delivers the same event again (at least once): still one answer.
    expect((await post()).status).toBe(200);
    await vi.waitFor(async () =>
      expect(await peek('inbound-messages/Subscriptions/whatsapp-adapter')).toEqual([]),
    );
    expect(replies(to)).toHaveLength(1);
  });

  it('answers 400 to an inbound message that cannot be used (no usable sender), so Event Grid does not retry it', async () => {
    const response = await fetch(`${url}?code=${SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
      body: JSON.stringify([
        {
          id: randomUUID(),
          topic:
            '/subscriptions/x/resourcegroups/y/providers/microsoft.communication/communicationservices/z',
          subject: 'advancedMessage/sender/none/recipient/00000000-0000-0000-0000-000000000000',
          eventType: 'Microsoft.Communication.AdvancedMessageReceived',
          dataVersion: '1.0',
          metadataVersion: '1',
          eventTime: new Date().toISOString(),
          data: {
            channelType: 'whatsapp',
            content: 'hi',
            from: '',
            receivedTimestamp: new Date().toISOString(),
          },
        },
      ]),
    });
    expect(response.status).toBe(400);
    const metrics = await (await fetch(url.replace('/api/events', '/metrics'))).text();
    expect(metrics).toMatch(/whatsapp_inbound_rejected_total\{reason="invalid-sender"[^}]*\} [1-9]/);
  });

  it('answers both of two messages from one sender that Event Grid delivers in reverse order, each once', async () => {
    const to = phone();
    acs.customer.holdEvents();
    await acs.customer.send(to, 'echo first');
    await acs.customer.send(to, 'echo second');
    const results = await acs.customer.releaseEvents('reverse');
    expect(results.map((r) => r.delivered)).toEqual([true, true]);
    expect((await settle(to, 2)).sort()).toEqual(['echo: first', 'echo: second']);
  });

  it('answers a message Event Grid delivers again after the adapter restarted (its webhook dedupe was in memory) only once', async () => {
    const to = phone();
    const { event } = await acs.customer.send(to, 'echo before the restart');
    await settle(to, 1);
    // A second instance: a fresh process as far as the webhook's in-memory dedupe goes.
    const restarted = await createAdapter(readConfig(env), pino({ level: 'silent' }), {
      driver: new ScriptedDriver(),
      env,
    });
    try {
      await restarted.listen({ host: '127.0.0.1', port: 0 });
      const address = restarted.server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      await acs.customer.connect(`http://127.0.0.1:${address.port}/api/events`, { secret: SECRET });
      expect(await acs.customer.redeliver(event.id)).toMatchObject({ delivered: true });
      await vi.waitFor(
        async () => expect(await peek('inbound-messages/Subscriptions/whatsapp-adapter')).toEqual([]),
        { timeout: 20_000, interval: 100 },
      );
      await acs.customer.idle();
      expect(replies(to)).toEqual(['echo: before the restart']);
    } finally {
      await acs.customer.connect(url, { secret: SECRET });
      await restarted.close();
    }
  });

  it("maps a delivery status that reaches the webhook before the send's answer reaches the adapter (handoff.delivered)", async () => {
    const to = phone();
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: to });
    const handoffId = `ho_race_${to.slice(1)}`;
    let statusArrived: () => void = () => {};
    const arrived = new Promise<void>((resolve) => {
      statusArrived = resolve;
    });
    const acsSender = new AcsWhatsAppSender(createMessagesClient({ connectionString: acs.connectionString }));
    // The send's answer is held back until the webhook has the status of that very message.
    const racing = await createAdapter(readConfig(env), pino({ level: 'silent' }), {
      driver: new ScriptedDriver(),
      env,
      sender: {
        send: async (body) => {
          const id = await acsSender.send(body);
          await arrived;
          return id;
        },
      },
    });
    racing.addHook('preHandler', async (request) => {
      if (JSON.stringify(request.body ?? '').includes('AdvancedMessageDeliveryStatusUpdated'))
        statusArrived();
    });
    try {
      await racing.listen({ host: '127.0.0.1', port: 0 });
      const address = racing.server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      await acs.customer.connect(`http://127.0.0.1:${address.port}/api/events`, { secret: SECRET });
      await racing.ready();
      // Only the racing adapter takes this dispatch: the shared one would send through the plain sender.
      await app.close();
      await publisher.publish(dispatched(customer.customerId, to, handoffId));
      await vi.waitFor(
        async () =>
          expect(await peek(ROUTER_HANDOFFS)).toContainEqual(
            expect.objectContaining({
              type: 'handoff.delivered',
              data: expect.objectContaining({ handoffId }),
            }),
          ),
        { timeout: 20_000, interval: 100 },
      );
    } finally {
      await racing.close();
      await startSharedAdapter();
    }
  });

  it('answers 400 to a malformed event and 401 without the secret', async () => {
    const malformed = await fetch(`${url}?code=${SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
      body: JSON.stringify([{ nothing: 'here' }]),
    });
    expect(malformed.status).toBe(400);
    const anonymous = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
      body: '[]',
    });
    expect(anonymous.status).toBe(401);
  });

  it('sends the template outside the 24-hour window and text inside it', async () => {
    const outside = phone();
    const a = await context.store.resolveCustomer({ kind: 'phone', value: outside });
    await publisher.publish(dispatched(a.customer.customerId, outside, `ho_out_${outside.slice(1)}`));
    await settle(outside, 1);
    const template = acs.messages.whatsapp(outside)[0];
    expect(template?.body).toMatchObject({ kind: 'template', template: { name: 'continue_conversation' } });

    const inside = phone();
    await acs.customer.send(inside, 'echo I am here');
    await settle(inside, 1);
    const b = await context.store.resolveCustomer({ kind: 'phone', value: inside });
    await publisher.publish(dispatched(b.customer.customerId, inside, `ho_in_${inside.slice(1)}`));
    const sent = await settle(inside, 2);
    expect(acs.messages.whatsapp(inside)[1]?.body.kind).toBe('text');
    expect(sent[1]).toContain('power outage');
  });

  it('drops (and counts) a notice about an erased customer that was published before the erasure: nothing is sent', async () => {
    const to = phone();
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: to });
    // What the router's erasure job records first (ADR 0075).
    await erasuresContainerOf(context.containers).items.create({
      id: erasureId(customer.customerId),
      type: 'erasure',
      status: 'running',
    });
    const dropped = async () => {
      const metrics = await (await fetch(url.replace('/api/events', '/metrics'))).text();
      const line = metrics
        .split('\n')
        .find((l) => l.startsWith('omni_erased_customer_events_dropped_total{'));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    };
    const before = await dropped();

    await publisher.publish(dispatched(customer.customerId, to, `ho_erased_${to.slice(1)}`));

    await vi.waitFor(async () => expect(await dropped()).toBe(before + 1), {
      timeout: 20_000,
      interval: 100,
    });
    expect(acs.messages.whatsapp(to)).toEqual([]);
  });

  it('sends the SMS-link fallback by SMS (the real @azure/communication-sms) and reports its delivery', async () => {
    const to = phone();
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: to });
    const handoffId = `ho_sms_${to.slice(1)}`;
    const link = `https://chat.example.test/?handoff=${handoffId}`;
    await publisher.publish(smsDispatched(customer.customerId, to, handoffId, link));
    await vi.waitFor(() => expect(acs.messages.sms(to)).toHaveLength(1), { timeout: 20_000, interval: 50 });
    const [sms] = acs.messages.sms(to);
    expect(sms?.from).toBe(SMS_FROM);
    expect(sms?.message).toContain(link);
    expect(sms?.message).toContain('power outage');
    await vi.waitFor(
      async () =>
        expect(await peek(ROUTER_HANDOFFS)).toContainEqual(
          expect.objectContaining({
            type: 'handoff.delivered',
            data: expect.objectContaining({ handoffId, providerMessageId: sms?.messageId }),
          }),
        ),
      { timeout: 20_000, interval: 100 },
    );
    expect(acs.messages.whatsapp(to)).toEqual([]);
  });

  it('publishes handoff.failed when the handoff SMS is not delivered', async () => {
    const to = phone();
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: to });
    const handoffId = `ho_smsfail_${to.slice(1)}`;
    acs.customer.failNextSms({ details: 'Number not reachable.' });
    await publisher.publish(
      smsDispatched(customer.customerId, to, handoffId, 'https://chat.example.test/?h=1'),
    );
    await vi.waitFor(
      async () =>
        expect(await peek(ROUTER_HANDOFFS)).toContainEqual(
          expect.objectContaining({
            type: 'handoff.failed',
            data: expect.objectContaining({
              handoffId,
              retryable: false,
              reason: expect.stringContaining('SMS'),
            }),
          }),
        ),
      { timeout: 20_000, interval: 100 },
    );
  });

  it('publishes handoff.failed when the handoff notice is not delivered', async () => {
    const to = phone();
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: to });
    const handoffId = `ho_fail_${to.slice(1)}`;
    acs.customer.failNext();
    await publisher.publish(dispatched(customer.customerId, to, handoffId));
    await settle(to, 1);
    // Peek the channel-router's subscription through the emulator's inspection API (locks nothing).
    const path = encodeURIComponent('handoff-events/Subscriptions/channel-router');
    await vi.waitFor(
      async () => {
        const response = await fetch(`${bus.httpUrl}/entities/${path}/messages?state=active&limit=1000`);
        const text = await response.text();
        expect(text).toContain(handoffId);
        const page = JSON.parse(text) as { messages: { body?: unknown }[] };
        const bodies = page.messages.map((m) => m.body);
        expect(bodies).toContainEqual(
          expect.objectContaining({
            type: 'handoff.failed',
            data: expect.objectContaining({ handoffId, toChannel: 'whatsapp', retryable: false }),
          }),
        );
      },
      { timeout: 15_000, interval: 100 },
    );
  });

  it('uses the voice-call summary in the first WhatsApp reply', async () => {
    const to = phone();
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: to });
    await context.store.updateSummary(
      customer.customerId,
      'Caller reported a power outage at 14 Cardigan Road, LS6 1LF.',
      { postcode: 'LS6 1LF', address: '14 Cardigan Road' },
    );
    await acs.customer.send(to, 'any update on the outage?');
    // The first turn's answer (a handoff announcement, then the specialist) names the data from the call.
    await vi.waitFor(() => expect(replies(to).join('\n')).toContain('LS6 1LF'), {
      timeout: 20_000,
      interval: 50,
    });
  });

  it('splits a reply over 4096 characters into parts, in order', async () => {
    const to = phone();
    await acs.customer.send(to, 'long reply');
    await vi.waitFor(
      () => expect(replies(to).join(' ')).toContain(`w${String(LONG_WORDS - 1).padStart(4, '0')}`),
      {
        timeout: 20_000,
      },
    );
    const parts = replies(to);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(4096);
    const words = parts.join(' ').match(/w\d{4}/g) ?? [];
    expect(words).toEqual(Array.from({ length: LONG_WORDS }, (_, i) => `w${String(i).padStart(4, '0')}`));
  });

  it('answers 50 messages sent at once by one sender in the order sent', async () => {
    const to = phone();
    const inputs = Array.from({ length: 50 }, (_, i) => `echo m${i}`);
    await Promise.all(inputs.map((text) => acs.customer.send(to, text)));
    const got = await settle(to, 50);
    expect(got).toEqual(inputs.map((text) => `echo: ${text.slice(5)}`));
  }, 60_000);

  it('recognises a user who later hides their number: the BSUID from the delivery status links them', async () => {
    const to = phone();
    const bsuid = `US.9${to.slice(2)}`;
    acs.customer.setBsuid(to, bsuid);
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: to });
    const handoffId = `ho_bsuid_${to.slice(1)}`;
    await publisher.publish(dispatched(customer.customerId, to, handoffId));
    await vi.waitFor(
      async () =>
        expect(await peek(ROUTER_HANDOFFS)).toContainEqual(
          expect.objectContaining({
            type: 'handoff.delivered',
            data: expect.objectContaining({ handoffId }),
          }),
        ),
      { timeout: 15_000, interval: 100 },
    );
    // Now the user writes with their number hidden: only the BSUID arrives.
    await acs.customer.send('', 'echo from my username', { fromBSUID: bsuid });
    await vi.waitFor(() => expect(replies(bsuid)).toEqual(['echo: from my username']), {
      timeout: 20_000,
      interval: 50,
    });
    const again = await context.store.resolveCustomer({ kind: 'whatsapp-bsuid', value: bsuid });
    expect(again.created).toBe(false);
    expect(again.customer.customerId).toBe(customer.customerId);
    await vi.waitFor(
      async () =>
        expect(await peek(ROUTER_HANDOFFS)).toContainEqual(
          expect.objectContaining({
            type: 'handoff.completed',
            data: expect.objectContaining({ handoffId, customerId: customer.customerId }),
          }),
        ),
      { timeout: 15_000, interval: 100 },
    );
  });

  it('puts an escalation with the summary on the escalations queue when the customer asks for a person', async () => {
    const to = phone();
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: to });
    await context.store.updateSummary(customer.customerId, 'Billing dispute about invoice 4411.', {
      invoice: '4411',
    });
    await acs.customer.send(to, 'I want to speak to a human');
    await vi.waitFor(
      async () =>
        expect(await peek('escalations')).toContainEqual(
          expect.objectContaining({
            type: 'escalation.requested',
            data: expect.objectContaining({
              customerId: customer.customerId,
              channel: 'whatsapp',
              // Summarised afresh at the escalation: the earlier summary and what was said since.
              summary: expect.stringMatching(/4411[\s\S]*human|human[\s\S]*4411/i),
              collectedData: expect.objectContaining({ invoice: '4411' }),
            }),
          }),
        ),
      { timeout: 15_000, interval: 100 },
    );
    expect(replies(to).length).toBeGreaterThanOrEqual(1);
  });

  it('records handoff.completed with the switch latency when the customer first writes after a handoff', async () => {
    const to = phone();
    const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: to });
    const handoffId = `ho_done_${to.slice(1)}`;
    const before = Date.now();
    await publisher.publish(dispatched(customer.customerId, to, handoffId));
    await settle(to, 1);
    await acs.customer.send(to, 'echo I am back');
    await settle(to, 2);
    let latency = -1;
    await vi.waitFor(
      async () => {
        const completed = (await peek(ROUTER_HANDOFFS)).find(
          (e) => e.type === 'handoff.completed' && e.data?.handoffId === handoffId,
        );
        expect(completed).toBeDefined();
        latency = Number(completed?.data?.switchLatencyMs);
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(latency).toBeGreaterThanOrEqual(0);
    expect(latency).toBeLessThanOrEqual(Date.now() - before + 1_000);
  });
});

describe('whatsapp-adapter and the queue monitor', () => {
  it('offers web chat instead of a long wait once the router says the human queue is high', async () => {
    const at = new Date().toISOString();
    await publisher.publish(
      createEvent(
        'queue.status.changed',
        {
          queue: 'support',
          depth: 70,
          longestWaitSeconds: 900,
          estimatedWaitSeconds: 1_200,
          availableAgents: 0,
          level: 'high',
          massEvent: false,
          at,
        },
        { source: '/apps/channel-router', correlationId: `qs-${at}`, subject: 'support' },
      ),
    );
    const to = phone();
    // The snapshot reaches the adapter through its queue-status subscription; ask until the offer shows it.
    await vi.waitFor(
      async () => {
        await acs.customer.send(to, 'I want to speak to a human');
        await settle(to, 1);
        expect(replies(to).join('\n')).toMatch(/web chat/i);
      },
      { timeout: 20_000, interval: 500 },
    );
    expect(replies(to).join('\n')).toMatch(/20 minutes|1200|wait/i);
  }, 30_000);
});
