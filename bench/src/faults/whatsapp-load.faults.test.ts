import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allAnswered, answerMismatches, runConversationLoad } from '../support/conversation-load.js';
import { deliverEvents, inParallel } from '../support/event-grid-client.js';
import { seededRandom, shuffled } from '../support/prng.js';
import { benchPhone, inboundTextEvent } from '../support/whatsapp-events.js';
import { eventually, startWhatsAppStack, type WhatsAppStack } from '../support/whatsapp-stack.js';

let stack: WhatsAppStack;

beforeAll(async () => {
  stack = await startWhatsAppStack();
}, 60_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe('whatsapp-adapter under load and Event Grid delivery faults', () => {
  it('given 100 customers sending 10 messages each at once, when all 1,000 are delivered, then each is answered exactly once and in order per customer', async () => {
    const load = await runConversationLoad({
      webhook: stack.webhook,
      channelRegistrationId: stack.acs.channelRegistrationId,
      customers: 100,
      messagesPerCustomer: 10,
      run: 1,
    });
    expect(load.undelivered).toBe(0);
    await eventually(() => allAnswered(load, stack.replies), 50_000);
    // Settle: a duplicate answer would arrive after the last expected one.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(answerMismatches(load, stack.replies)).toEqual([]);
    const total = [...load.sent.keys()].reduce((sum, phone) => sum + stack.replies(phone).length, 0);
    expect(total).toBe(1_000);
  }, 90_000);

  it('given every Event Grid event delivered twice, when customers write, then each message is answered once', async () => {
    const load = await runConversationLoad({
      webhook: stack.webhook,
      channelRegistrationId: stack.acs.channelRegistrationId,
      customers: 20,
      messagesPerCustomer: 5,
      run: 2,
      duplicate: true,
    });
    await eventually(() => allAnswered(load, stack.replies), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(answerMismatches(load, stack.replies)).toEqual([]);
  }, 60_000);

  it('given a redelivery of the same WhatsApp message under a new Event Grid id, when it arrives, then it is not answered again', async () => {
    const phone = benchPhone(0, 3);
    const event = inboundTextEvent(phone, 'echo once only', {
      channelRegistrationId: stack.acs.channelRegistrationId,
    });
    await deliverEvents(stack.webhook, [event]);
    await eventually(() => stack.replies(phone).length >= 1, 20_000);
    const again = { ...event, id: `${event.id}-redelivered` };
    expect((await deliverEvents(stack.webhook, [again])).status).toBe(200);
    // A second answer would need the same path again: wait for a later message's answer instead of sleeping.
    await deliverEvents(stack.webhook, [
      inboundTextEvent(phone, 'echo after', { channelRegistrationId: stack.acs.channelRegistrationId }),
    ]);
    await eventually(() => stack.replies(phone).length >= 2, 20_000);
    expect(stack.replies(phone)).toEqual(['echo: once only', 'echo: after']);
  }, 60_000);

  it('given deliveries out of order and in duplicate across customers, when all arrive, then every message is answered exactly once in its delivery order', async () => {
    const random = seededRandom(12);
    const phones = Array.from({ length: 10 }, (_, n) => benchPhone(n, 4));
    const events = phones.flatMap((phone, c) =>
      Array.from({ length: 5 }, (_, m) =>
        inboundTextEvent(phone, `echo o${c}-${m}`, {
          channelRegistrationId: stack.acs.channelRegistrationId,
        }),
      ),
    );
    // Shuffled (Event Grid does not keep order) and every third one twice, some batched together.
    const deliveries = shuffled([...events, ...events.filter((_, i) => i % 3 === 0)], random);
    const order = new Map<string, string[]>();
    const answeredFirst = new Set<string>();
    for (const event of deliveries) {
      if (answeredFirst.has(event.id)) continue;
      answeredFirst.add(event.id);
      const list = order.get(event.data.from) ?? [];
      list.push(`echo: ${event.data.content.slice(5)}`);
      order.set(event.data.from, list);
    }
    // One at a time per customer, so the first delivery order per customer is the order the adapter sees.
    const byCustomer = new Map<string, typeof deliveries>();
    for (const event of deliveries)
      byCustomer.set(event.data.from, [...(byCustomer.get(event.data.from) ?? []), event]);
    await inParallel([...byCustomer.values()], 10, async (list) => {
      for (const event of list) expect((await deliverEvents(stack.webhook, [event])).status).toBe(200);
    });
    await eventually(() => phones.every((phone) => stack.replies(phone).length >= 5), 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const phone of phones) expect(stack.replies(phone)).toEqual(order.get(phone.replace(/^\+/, '')));
  }, 60_000);
});
