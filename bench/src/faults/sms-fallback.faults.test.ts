import { readConfig as readRouterConfig } from '@omni/channel-router/dist/config.js';
import { createRouter } from '@omni/channel-router/dist/wiring.js';
import { createEvent } from '@omni/contracts';
import { createCustomerContextStore } from '@omni/customer-context';
import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { whatsappConfig } from '../support/whatsapp-config.js';
import { eventually, startWhatsAppStack, type WhatsAppStack } from '../support/whatsapp-stack.js';

// WhatsApp cannot deliver any handoff notice (every outbound message Failed): the channel-router falls back to
// the web chat link by SMS, which the whatsapp-adapter sends through ACS. Oracle: every customer gets one SMS
// with a link and every fallback is delivered (nobody stranded), nothing dead-lettered.

const API_KEY = 'fault-ops-key-0123456789';
const HANDOFF_TOKEN_KEY = 'bench-handoff-token-key-0123456789-abcdefghijkl';
let stack: WhatsAppStack;
let router: FastifyInstance;
let sb: ReturnType<typeof createServiceBusClient>;
let publisher: EventPublisher;
let context: ReturnType<typeof createCustomerContextStore>;

interface HandoffView {
  handoffId: string;
  status: string;
  fallback: { kind: string; handoffId?: string } | null;
  fallbackOf: string | null;
  stranded: boolean;
}

beforeAll(async () => {
  stack = await startWhatsAppStack({ env: { SMS_FROM_NUMBER: '+18005550100' } });
  // Delivery statuses and SMS reports go to the adapter's webhook.
  await stack.acs.customer.connect(stack.webhook);
  const env = {
    SERVICEBUS_CONNECTION_STRING: stack.bus.connectionString,
    COSMOS_ENDPOINT: stack.cosmos.endpoint,
    COSMOS_KEY: stack.cosmos.key,
    HANDOFF_TOKEN_KEY,
    OPS_API_KEY: API_KEY,
    WEBCHAT_PUBLIC_URL: 'https://chat.example.test',
    LOG_LEVEL: 'silent',
  };
  router = await createRouter(readRouterConfig(env), pino({ level: 'silent' }));
  await router.ready();
  sb = createServiceBusClient({ connectionString: stack.bus.connectionString });
  publisher = new EventPublisher({ client: sb });
  context = createCustomerContextStore(
    whatsappConfig({ COSMOS_ENDPOINT: stack.cosmos.endpoint, HANDOFF_TOKEN_KEY }),
  );
}, 60_000);

afterAll(async () => {
  await router?.close();
  await publisher?.close();
  await sb?.close();
  await context?.close();
  await stack?.stop();
}, 30_000);

async function handoffs(): Promise<HandoffView[]> {
  const response = await router.inject({ url: '/api/handoffs', headers: { 'x-api-key': API_KEY } });
  return (response.json() as { handoffs: HandoffView[] }).handoffs;
}

async function deadLettered(): Promise<number> {
  const response = await fetch(`${stack.bus.httpUrl}/entities`);
  const page = (await response.json()) as { entities: { deadLetter: number }[] };
  return page.entities.reduce((sum, entity) => sum + entity.deadLetter, 0);
}

describe('WhatsApp delivery failure -> SMS fallback, end to end', () => {
  it('given every WhatsApp notice failing for 10 customers, then each gets the web chat link by SMS, delivered, none stranded, nothing dead-lettered', async () => {
    // Every WhatsApp message the adapter sends from now on fails to deliver.
    stack.acs.customer.failAfter(0, { channelCode: '131026' });
    const phones = Array.from({ length: 10 }, (_, n) => `+1425555${String(7000 + n)}`);
    const ids: string[] = [];
    for (const phone of phones) {
      const { customer } = await context.store.resolveCustomer({ kind: 'phone', value: phone });
      const handoffId = `ho_sms_fault_${phone.slice(1)}`;
      ids.push(handoffId);
      await publisher.publish(
        createEvent(
          'handoff.requested',
          {
            handoffId,
            customerId: customer.customerId,
            fromChannel: 'voice',
            toChannel: 'whatsapp',
            reason: 'queue is long',
            summary: 'Power outage at home.',
            collectedData: {},
            topic: 'power outage',
            requestedAt: new Date().toISOString(),
          },
          { source: '/apps/voice-adapter', correlationId: handoffId },
        ),
      );
    }
    const smsTo = (phone: string) => stack.acs.messages.sms(phone);
    expect(await eventually(() => phones.every((phone) => smsTo(phone).length >= 1), 60_000)).toBe(true);
    for (const phone of phones) {
      expect(smsTo(phone)).toHaveLength(1);
      expect(smsTo(phone)[0]?.message).toContain('https://chat.example.test/?handoff=');
    }
    let views: HandoffView[] = [];
    const settled = async () => {
      views = await handoffs();
      const mains = views.filter((view) => ids.includes(view.handoffId));
      const children = mains.map((main) => views.find((view) => view.handoffId === main.fallback?.handoffId));
      return (
        mains.length === ids.length &&
        mains.every((main) => main.status === 'failed' && main.fallback?.kind === 'sms-link') &&
        children.every((child) => child?.status === 'delivered')
      );
    };
    // Wait for the state (every main handoff failed over, every SMS delivered), not for a time.
    await vi.waitFor(async () => expect(await settled()).toBe(true), { timeout: 30_000, interval: 200 });
    expect(views.filter((view) => view.stranded)).toEqual([]);
    expect(await deadLettered()).toBe(0);
    stack.acs.customer.clearFailures();
  }, 120_000);
});
