import type { ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntitySummary } from './broker.js';
import { receiveAll, startTestBus, type TestBus } from './test-support/fixture.js';

// The platform's own topology (the default): handoff-events and inbound-messages are session-enabled.
let bus: TestBus;

beforeAll(async () => {
  bus = await startTestBus({});
});

afterAll(async () => {
  await bus?.close();
});

async function sessionMessages(
  topic: string,
  subscription: string,
  sessionId: string,
): Promise<ServiceBusReceivedMessage[]> {
  return receiveAll(
    await bus.client.acceptSession(topic, subscription, sessionId, { receiveMode: 'receiveAndDelete' }),
  );
}

async function peekCount(topic: string, subscription: string): Promise<number> {
  const receiver = bus.client.createReceiver(topic, subscription);
  try {
    return (await receiver.peekMessages(100)).length;
  } finally {
    await receiver.close();
  }
}

describe('topic fan-out through subscription rules', () => {
  it('a SQL filter delivers handoff.dispatched for WhatsApp to whatsapp-adapter only', async () => {
    const sender = bus.client.createSender('handoff-events');
    await sender.sendMessages([
      {
        body: { id: 'evt-1', type: 'handoff.dispatched' },
        messageId: 'evt-1',
        sessionId: 'cust-1',
        applicationProperties: {
          type: 'handoff.dispatched',
          toChannel: 'whatsapp',
          deliveryChannel: 'whatsapp',
        },
      },
      {
        body: { id: 'evt-2', type: 'handoff.dispatched' },
        messageId: 'evt-2',
        sessionId: 'cust-2',
        applicationProperties: {
          type: 'handoff.dispatched',
          toChannel: 'webchat',
          deliveryChannel: 'webchat',
        },
      },
      {
        body: { id: 'evt-3', type: 'handoff.requested' },
        messageId: 'evt-3',
        sessionId: 'cust-1',
        applicationProperties: { type: 'handoff.requested', channel: 'voice' },
      },
    ]);
    await sender.close();

    const whatsapp = await sessionMessages('handoff-events', 'whatsapp-adapter', 'cust-1');
    expect(whatsapp.map((message) => message.messageId)).toEqual(['evt-1']);
    expect(await sessionMessages('handoff-events', 'whatsapp-adapter', 'cust-2')).toHaveLength(0);

    const webchat = await sessionMessages('handoff-events', 'webchat-adapter', 'cust-2');
    expect(webchat.map((message) => message.messageId)).toEqual(['evt-2']);
    expect(await sessionMessages('handoff-events', 'webchat-adapter', 'cust-1')).toHaveLength(0);

    const router = await sessionMessages('handoff-events', 'channel-router', 'cust-1');
    expect(router.map((message) => message.messageId)).toEqual(['evt-3']);
    expect(await peekCount('handoff-events', 'channel-router')).toBe(0);
  });

  it('a correlation filter routes inbound messages by channel', async () => {
    const sender = bus.client.createSender('inbound-messages');
    await sender.sendMessages([
      {
        body: 'hi from whatsapp',
        sessionId: 'phone:+14255550123',
        applicationProperties: { type: 'message.received', channel: 'whatsapp' },
      },
      {
        body: 'hi from web',
        sessionId: 'webchat:u-1',
        applicationProperties: { type: 'message.received', channel: 'webchat' },
      },
    ]);
    await sender.close();
    expect(await peekCount('inbound-messages', 'whatsapp-adapter')).toBe(1);
    expect(await peekCount('inbound-messages', 'webchat-adapter')).toBe(1);
    const whatsapp = await sessionMessages('inbound-messages', 'whatsapp-adapter', 'phone:+14255550123');
    expect(whatsapp.map((message) => message.body)).toEqual(['hi from whatsapp']);
    const web = await sessionMessages('inbound-messages', 'webchat-adapter', 'webchat:u-1');
    expect(web.map((message) => message.body)).toEqual(['hi from web']);
  });

  it('a subscription without rules gets every message, and the inspection API counts per subscription', async () => {
    const sender = bus.client.createSender('queue-events');
    await sender.sendMessages([
      { body: 1, applicationProperties: { type: 'call.queued' } },
      { body: 2, applicationProperties: { type: 'call.assigned' } },
    ]);
    await sender.close();
    const response = await fetch(`${bus.emulator.httpUrl}/entities`);
    const { entities } = (await response.json()) as { entities: EntitySummary[] };
    const count = (path: string) => entities.find((entity) => entity.path === path)?.active;
    expect(count('queue-events/Subscriptions/channel-router')).toBe(2);
    expect(count('queue-events/Subscriptions/voice-adapter')).toBe(1);
    expect(await peekCount('queue-events', 'channel-router')).toBe(2);
    expect(await peekCount('queue-events', 'voice-adapter')).toBe(1);
    const listed = await fetch(
      `${bus.emulator.httpUrl}/entities/${encodeURIComponent('queue-events/Subscriptions/voice-adapter')}/messages`,
    );
    const body = (await listed.json()) as { messages: { body: unknown }[] };
    expect(body.messages.map((message) => message.body)).toEqual([2]);
  });

  it('refuses a message without a session id for session-enabled subscriptions', async () => {
    const sender = bus.client.createSender('inbound-messages');
    await expect(
      sender.sendMessages({ body: 'no session', applicationProperties: { channel: 'whatsapp' } }),
    ).rejects.toMatchObject({ name: 'ServiceBusError' });
    await sender.close();
  });
});
