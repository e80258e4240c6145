import { afterAll, beforeAll, expect, it } from 'vitest';
import { queuesConfig, startTestBus, type TestBus } from './test-support/fixture.js';

// A broker on a clock the test moves: duplicate detection windows of minutes pass at once.
let offset = 0;
const clock = { now: () => Date.now() + offset };
let bus: TestBus;

beforeAll(async () => {
  bus = await startTestBus({
    clock,
    config: queuesConfig({
      orders: {
        RequiresDuplicateDetection: true,
        DuplicateDetectionHistoryTimeWindow: 'PT10M',
        LockDuration: 'PT1M',
      },
    }),
  });
});

afterAll(async () => {
  await bus?.close();
});

it('accepts a repeated messageId again once the duplicate detection window has passed', async () => {
  const sender = bus.client.createSender('orders');
  const receiver = bus.client.createReceiver('orders', { receiveMode: 'receiveAndDelete' });
  await sender.sendMessages({ body: 'original', messageId: 'order-7' });
  offset += 9 * 60_000;
  await sender.sendMessages({ body: 'inside the window', messageId: 'order-7' });
  const inside = await receiver.receiveMessages(5, { maxWaitTimeInMs: 500 });
  expect(inside.map((message) => message.body)).toEqual(['original']);
  offset += 2 * 60_000;
  await sender.sendMessages({ body: 'outside the window', messageId: 'order-7' });
  const outside = await receiver.receiveMessages(5, { maxWaitTimeInMs: 500 });
  expect(outside.map((message) => message.body)).toEqual(['outside the window']);
  await receiver.close();
  await sender.close();
});
