// Issue #19, item 3: the first deploy runs the adapter before anyone has registered WhatsApp. Real wiring, the
// emulators, no WHATSAPP_CHANNEL_REGISTRATION_ID.
import { createEvent } from '@omni/contracts';
import { SAMPLE_CUSTOMER_ID } from '@omni/contracts/testing';
import { OfflineDriver } from '@omni/conversation';
import { startAcsMessagesEmulator } from '@omni/emulators/acs-messages';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { createServiceBusClient, EventPublisher } from '@omni/messaging';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readConfig } from './config.js';
import { createAdapter } from './wiring.js';

let bus: Awaited<ReturnType<typeof startServiceBusEmulator>>;
let cosmos: Awaited<ReturnType<typeof startCosmosEmulator>>;
let acs: Awaited<ReturnType<typeof startAcsMessagesEmulator>>;
let app: FastifyInstance;
let sb: ReturnType<typeof createServiceBusClient>;
let publisher: EventPublisher;

beforeAll(async () => {
  [bus, cosmos, acs] = await Promise.all([
    startServiceBusEmulator({ amqpPort: 0, httpPort: 0 }),
    startCosmosEmulator({ port: 0 }),
    startAcsMessagesEmulator({ port: 0 }),
  ]);
  const env = {
    SERVICEBUS_CONNECTION_STRING: bus.connectionString,
    COSMOS_ENDPOINT: cosmos.endpoint,
    COSMOS_KEY: cosmos.key,
    HANDOFF_TOKEN_KEY: 'k'.repeat(48),
    ACS_MESSAGES_CONNECTION_STRING: acs.connectionString,
    // What azd passes before the channel is registered: the setting exists, empty.
    WHATSAPP_CHANNEL_REGISTRATION_ID: '',
    EVENTGRID_WEBHOOK_SECRET: 'test-webhook-secret-0123456789',
    LOG_LEVEL: 'silent',
  };
  app = await createAdapter(readConfig(env), pino({ level: 'silent' }), { driver: new OfflineDriver(), env });
  await app.ready();
  sb = createServiceBusClient({ connectionString: bus.connectionString });
  publisher = new EventPublisher({ client: sb });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await publisher?.close();
  await sb?.close();
  await Promise.all([acs?.stop(), cosmos?.stop(), bus?.stop()]);
}, 30_000);

describe('whatsapp-adapter with WhatsApp not registered', () => {
  it('is healthy and ready, and readiness says WhatsApp is not registered', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await vi.waitFor(
      async () => {
        const ready = await app.inject({ method: 'GET', url: '/readyz' });
        expect(ready.statusCode).toBe(200);
        expect(ready.json().checks['whatsapp-channel'].note).toContain('WhatsApp not registered');
      },
      { timeout: 15_000, interval: 100 },
    );
  });

  it('answers a handoff to WhatsApp with handoff.failed and sends nothing', async () => {
    const to = '+14255550177';
    const handoffId = 'ho_unregistered_1';
    const now = new Date();
    await publisher.publish(
      createEvent(
        'handoff.dispatched',
        {
          handoffId,
          customerId: SAMPLE_CUSTOMER_ID,
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
      ),
    );
    const path = encodeURIComponent('handoff-events/Subscriptions/channel-router');
    await vi.waitFor(
      async () => {
        const response = await fetch(`${bus.httpUrl}/entities/${path}/messages?state=active&limit=1000`);
        const page = (await response.json()) as { messages: { body?: unknown }[] };
        expect(page.messages.map((m) => m.body)).toContainEqual(
          expect.objectContaining({
            type: 'handoff.failed',
            data: expect.objectContaining({
              handoffId,
              retryable: false,
              reason: expect.stringContaining('WhatsApp not registered'),
            }),
          }),
        );
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(acs.messages.whatsapp(to)).toEqual([]);
  });
});
