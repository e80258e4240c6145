import { SAMPLE_CUSTOMER_ID, sampleEvent } from '@omni/contracts/testing';
import { describe, expect, it } from 'vitest';
import { eventFromMessageBody, toServiceBusMessage } from './message.js';

describe('toServiceBusMessage', () => {
  it('given a handoff event, then the message id is the event id and the session is the customer', () => {
    const event = sampleEvent('handoff.dispatched');
    const message = toServiceBusMessage(event);
    expect(message.messageId).toBe(event.id);
    expect(message.sessionId).toBe(SAMPLE_CUSTOMER_ID);
    expect(message.correlationId).toBe(event.correlationId);
    expect(message.subject).toBe('handoff.dispatched');
    expect(message.contentType).toBe('application/json');
  });

  it('given a handoff event, then the filter properties the subscriptions use are set', () => {
    const message = toServiceBusMessage(sampleEvent('handoff.dispatched'));
    expect(message.applicationProperties).toMatchObject({
      type: 'handoff.dispatched',
      toChannel: 'webchat',
      deliveryChannel: 'whatsapp',
    });
  });

  it('given an event on an entity without sessions, then no session id is set', () => {
    expect(toServiceBusMessage(sampleEvent('queue.status.changed')).sessionId).toBeUndefined();
  });

  it('given an inbound message, then the session is the sender, not a customer', () => {
    const event = sampleEvent('message.received');
    expect(toServiceBusMessage(event).sessionId).toBe(event.data.senderKey);
  });

  it('given a body as the SDK hands it back, then the same event is read', () => {
    const event = sampleEvent('call.queued');
    const body = toServiceBusMessage(event).body;
    const asBuffer = Buffer.from(JSON.stringify(body));
    for (const received of [JSON.parse(JSON.stringify(body)), asBuffer]) {
      const parsed = eventFromMessageBody(received);
      expect(parsed.ok && parsed.event).toEqual(event);
    }
  });
});
