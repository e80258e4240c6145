import type { ServiceBusError, ServiceBusReceivedMessage } from '@azure/service-bus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntitySummary } from './broker.js';
import { queuesConfig, sdk, startTestBus, type TestBus, waitUntil } from './test-support/fixture.js';

let bus: TestBus;

beforeAll(async () => {
  bus = await startTestBus({
    config: queuesConfig({
      'send-receive': {},
      'receive-and-delete': {},
      complete: {},
      abandon: {},
      'lock-expiry': {},
      'renew-lock': {},
      'max-delivery': { MaxDeliveryCount: 10 },
      'dead-letter': {},
      defer: {},
      'settle-after-close': {},
      scheduled: {},
      ttl: { DeadLetteringOnMessageExpiration: true },
      'ttl-no-dlq': { DeadLetteringOnMessageExpiration: false },
      peek: {},
      inspection: {},
      duplicates: { RequiresDuplicateDetection: true, DuplicateDetectionHistoryTimeWindow: 'PT10M' },
    }),
  });
});

afterAll(async () => {
  await bus?.close();
});

function bodies(messages: readonly ServiceBusReceivedMessage[]): unknown[] {
  return messages.map((message) => message.body);
}

/** Receives until `count` messages arrived (or the time is up). */
async function receiveAll(
  receiver: ReturnType<TestBus['client']['createReceiver']>,
  count: number,
  timeoutMs = 3000,
): Promise<ServiceBusReceivedMessage[]> {
  const received: ServiceBusReceivedMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (received.length < count && Date.now() < deadline) {
    received.push(...(await receiver.receiveMessages(count - received.length, { maxWaitTimeInMs: 500 })));
  }
  return received;
}

describe('connection and authorization', () => {
  it('connects with the right key (the connection string the emulator hands out)', async () => {
    expect(bus.emulator.connectionString).toMatch(
      /^Endpoint=sb:\/\/127\.0\.0\.1:\d+;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;$/,
    );
    const sender = bus.client.createSender('send-receive');
    await sender.sendMessages({ body: 'authorized' });
    await sender.close();
    const receiver = bus.client.createReceiver('send-receive', { receiveMode: 'receiveAndDelete' });
    expect(bodies(await receiveAll(receiver, 1))).toEqual(['authorized']);
    await receiver.close();
  });

  it('refuses a wrong SAS key with UnauthorizedAccess instead of hanging', async () => {
    const wrong = bus.emulator.connectionString.replace(
      'SharedAccessKey=SAS_KEY_VALUE',
      'SharedAccessKey=not-the-key',
    );
    const client = new sdk.ServiceBusClient(wrong, { retryOptions: { maxRetries: 0, timeoutInMs: 5000 } });
    try {
      const error = await client
        .createSender('send-receive')
        .sendMessages({ body: 'intruder' })
        .then(
          () => undefined,
          (caught: unknown) => caught as ServiceBusError,
        );
      expect(error?.code).toBe('UnauthorizedAccess');
      const counts = (await (await fetch(`${bus.emulator.httpUrl}/entities`)).json()) as {
        entities: unknown;
      };
      const row = (counts.entities as EntitySummary[]).find((entity) => entity.path === 'send-receive');
      expect(row?.active).toBe(0);
    } finally {
      await client.close();
    }
  }, 10_000);

  it('answers an unknown entity with MessagingEntityNotFound', async () => {
    const error = await bus.client
      .createSender('no-such-queue')
      .sendMessages({ body: 'lost' })
      .then(
        () => undefined,
        (caught: unknown) => caught as ServiceBusError,
      );
    expect(error?.code).toBe('MessagingEntityNotFound');
  });
});

describe('sending and receiving', () => {
  it('delivers single, array and batch sends in order with sequence numbers and enqueued times', async () => {
    const sender = bus.client.createSender('send-receive');
    const before = Date.now();
    await sender.sendMessages({ body: { n: 1 }, messageId: 'm1', applicationProperties: { kind: 'single' } });
    await sender.sendMessages([{ body: { n: 2 } }, { body: { n: 3 } }]);
    const batch = await sender.createMessageBatch();
    expect(batch.tryAddMessage({ body: { n: 4 }, subject: 'batched' })).toBe(true);
    expect(batch.tryAddMessage({ body: { n: 5 }, correlationId: 'c-5' })).toBe(true);
    await sender.sendMessages(batch);
    await sender.close();

    const receiver = bus.client.createReceiver('send-receive');
    const received = await receiveAll(receiver, 5);
    expect(bodies(received)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }, { n: 5 }]);
    const sequenceNumbers = received.map((message) => message.sequenceNumber?.toNumber() ?? 0);
    expect([...sequenceNumbers].sort((a, b) => a - b)).toEqual(sequenceNumbers);
    expect(new Set(sequenceNumbers).size).toBe(5);
    expect(received[0]?.messageId).toBe('m1');
    expect(received[0]?.applicationProperties).toEqual({ kind: 'single' });
    expect(received[3]?.subject).toBe('batched');
    expect(received[4]?.correlationId).toBe('c-5');
    expect(received[1]?.messageId).toMatch(/^[0-9a-f]{32}$/);
    for (const message of received) {
      expect(message.deliveryCount).toBe(0);
      expect(message.enqueuedTimeUtc?.getTime()).toBeGreaterThanOrEqual(before - 5);
      expect(message.lockedUntilUtc?.getTime()).toBeGreaterThan(Date.now());
      expect(message.lockToken).toMatch(/^[0-9a-f-]{36}$/);
      await receiver.completeMessage(message);
    }
    await receiver.close();
  });

  it('receive-and-delete removes messages as they are delivered', async () => {
    const sender = bus.client.createSender('receive-and-delete');
    await sender.sendMessages([{ body: 'a' }, { body: 'b' }]);
    const receiver = bus.client.createReceiver('receive-and-delete', { receiveMode: 'receiveAndDelete' });
    expect(bodies(await receiveAll(receiver, 2))).toEqual(['a', 'b']);
    expect(await receiver.peekMessages(10)).toHaveLength(0);
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toHaveLength(0);
    await receiver.close();
    await sender.close();
  });

  it('complete removes the message for good', async () => {
    const sender = bus.client.createSender('complete');
    await sender.sendMessages({ body: 'done' });
    const receiver = bus.client.createReceiver('complete');
    const [message] = await receiveAll(receiver, 1);
    if (message === undefined) throw new Error('no message');
    await receiver.completeMessage(message);
    expect(await receiver.peekMessages(10)).toHaveLength(0);
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toHaveLength(0);
    await receiver.close();
    await sender.close();
  });

  it('abandon redelivers the message with deliveryCount + 1 and the modified properties', async () => {
    const sender = bus.client.createSender('abandon');
    await sender.sendMessages({ body: 'retry me' });
    const receiver = bus.client.createReceiver('abandon');
    const [first] = await receiveAll(receiver, 1);
    if (first === undefined) throw new Error('no message');
    expect(first.deliveryCount).toBe(0);
    await receiver.abandonMessage(first, { attempt: 'one' });
    const [second] = await receiveAll(receiver, 1);
    expect(second?.body).toBe('retry me');
    expect(second?.deliveryCount).toBe(1);
    expect(second?.sequenceNumber?.toNumber()).toBe(first.sequenceNumber?.toNumber());
    expect(second?.applicationProperties?.attempt).toBe('one');
    if (second !== undefined) await receiver.completeMessage(second);
    await receiver.close();
    await sender.close();
  });

  it('an expired lock makes the message available again with deliveryCount + 1', async () => {
    const sender = bus.client.createSender('lock-expiry');
    await sender.sendMessages({ body: 'slow consumer' });
    const receiver = bus.client.createReceiver('lock-expiry', { maxAutoLockRenewalDurationInMs: 0 });
    const [first] = await receiveAll(receiver, 1);
    if (first === undefined) throw new Error('no message');
    const lockedUntil = first.lockedUntilUtc?.getTime() ?? 0;
    expect(lockedUntil - Date.now()).toBeGreaterThan(1000);
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 500 })).toHaveLength(0);
    const [again] = await receiveAll(receiver, 1, 4000);
    expect(again?.body).toBe('slow consumer');
    expect(again?.deliveryCount).toBe(1);
    expect(Date.now()).toBeGreaterThanOrEqual(lockedUntil - 50);
    const lost = await receiver.completeMessage(first).then(
      () => undefined,
      (caught: unknown) => caught as ServiceBusError,
    );
    expect(lost?.code).toBe('MessageLockLost');
    if (again !== undefined) await receiver.completeMessage(again);
    await receiver.close();
    await sender.close();
  });

  it('renewing the lock keeps the message from being redelivered', async () => {
    const sender = bus.client.createSender('renew-lock');
    await sender.sendMessages({ body: 'long job' });
    const receiver = bus.client.createReceiver('renew-lock', { maxAutoLockRenewalDurationInMs: 0 });
    const [message] = await receiveAll(receiver, 1);
    if (message === undefined) throw new Error('no message');
    const firstLock = message.lockedUntilUtc?.getTime() ?? 0;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const renewed = await receiver.renewMessageLock(message);
    expect(renewed.getTime()).toBeGreaterThan(firstLock + 500);
    expect(message.lockedUntilUtc?.getTime()).toBe(renewed.getTime());
    // Past the first lock's expiry, the message is still locked by us.
    const other = bus.client.createReceiver('renew-lock');
    expect(
      await other.receiveMessages(1, { maxWaitTimeInMs: Math.max(300, firstLock - Date.now() + 500) }),
    ).toHaveLength(0);
    await receiver.completeMessage(message);
    await other.close();
    await receiver.close();
    await sender.close();
  });

  it('ten abandons move the message to the dead-letter queue with MaxDeliveryCountExceeded', async () => {
    const sender = bus.client.createSender('max-delivery');
    await sender.sendMessages({ body: 'poison', messageId: 'poison-1' });
    const receiver = bus.client.createReceiver('max-delivery');
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const [message] = await receiveAll(receiver, 1);
      expect(message?.deliveryCount).toBe(attempt);
      if (message === undefined) throw new Error(`no message on attempt ${attempt}`);
      await receiver.abandonMessage(message);
    }
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toHaveLength(0);
    const deadLetters = bus.client.createReceiver('max-delivery', { subQueueType: 'deadLetter' });
    const [dead] = await receiveAll(deadLetters, 1);
    expect(dead?.messageId).toBe('poison-1');
    expect(dead?.deadLetterReason).toBe('MaxDeliveryCountExceeded');
    expect(dead?.deadLetterErrorDescription).toContain('10 delivery attempts');
    expect(dead?.deliveryCount).toBe(10);
    if (dead !== undefined) await deadLetters.completeMessage(dead);
    await deadLetters.close();
    await receiver.close();
    await sender.close();
  });

  it('dead-lettering carries the reason and description to the dead-letter queue', async () => {
    const sender = bus.client.createSender('dead-letter');
    await sender.sendMessages({ body: { invalid: true }, messageId: 'bad-1' });
    const receiver = bus.client.createReceiver('dead-letter');
    const [message] = await receiveAll(receiver, 1);
    if (message === undefined) throw new Error('no message');
    await receiver.deadLetterMessage(message, {
      deadLetterReason: 'SchemaValidationFailed',
      deadLetterErrorDescription: 'data.customerId is required',
    });
    expect(await receiver.peekMessages(10)).toHaveLength(0);
    const deadLetters = bus.client.createReceiver('dead-letter', { subQueueType: 'deadLetter' });
    const [dead] = await receiveAll(deadLetters, 1);
    expect(dead?.messageId).toBe('bad-1');
    expect(dead?.body).toEqual({ invalid: true });
    expect(dead?.deadLetterReason).toBe('SchemaValidationFailed');
    expect(dead?.deadLetterErrorDescription).toBe('data.customerId is required');
    await deadLetters.close();
    await receiver.close();
    await sender.close();
  });

  it('a deferred message comes back through receiveDeferredMessages and completes', async () => {
    const sender = bus.client.createSender('defer');
    await sender.sendMessages([{ body: 'later' }, { body: 'now' }]);
    const receiver = bus.client.createReceiver('defer');
    const [later] = await receiveAll(receiver, 1);
    if (later?.sequenceNumber === undefined) throw new Error('no message');
    await receiver.deferMessage(later);
    const [now] = await receiveAll(receiver, 1);
    expect(now?.body).toBe('now');
    if (now !== undefined) await receiver.completeMessage(now);
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toHaveLength(0);

    const [deferred] = await receiver.receiveDeferredMessages([later.sequenceNumber]);
    expect(deferred?.body).toBe('later');
    expect(deferred?.state).toBe('deferred');
    if (deferred === undefined) throw new Error('no deferred message');
    await receiver.completeMessage(deferred);
    expect(await receiver.peekMessages(10)).toHaveLength(0);
    const gone = await receiver.receiveDeferredMessages([later.sequenceNumber]).then(
      () => undefined,
      (caught: unknown) => caught as ServiceBusError,
    );
    expect(gone?.code).toBe('MessageNotFound');
    await receiver.close();
    await sender.close();
  });

  it('settles through $management once the receive link is gone', async () => {
    const sender = bus.client.createSender('settle-after-close');
    await sender.sendMessages({ body: 'orphan' });
    const receiver = bus.client.createReceiver('settle-after-close', { maxAutoLockRenewalDurationInMs: 0 });
    const [message] = await receiveAll(receiver, 1);
    if (message === undefined) throw new Error('no message');
    await receiver.close();
    const again = bus.client.createReceiver('settle-after-close');
    await again.completeMessage(message);
    expect(await again.peekMessages(10)).toHaveLength(0);
    await again.close();
    await sender.close();
  });
});

describe('scheduling, time to live, duplicates', () => {
  it('a scheduled message arrives no earlier than its time, and a cancelled one never', async () => {
    const sender = bus.client.createSender('scheduled');
    const at = new Date(Date.now() + 1200);
    const [kept, cancelled] = await sender.scheduleMessages([{ body: 'kept' }, { body: 'cancelled' }], at);
    if (kept === undefined || cancelled === undefined) throw new Error('no sequence numbers');
    expect(cancelled.toNumber()).toBeGreaterThan(kept.toNumber());
    await sender.cancelScheduledMessages(cancelled);
    const receiver = bus.client.createReceiver('scheduled');
    const peeked = await receiver.peekMessages(10);
    expect(peeked.map((message) => [message.body, message.state])).toEqual([['kept', 'scheduled']]);
    const received = await receiveAll(receiver, 1, 4000);
    expect(Date.now()).toBeGreaterThanOrEqual(at.getTime() - 20);
    expect(bodies(received)).toEqual(['kept']);
    expect(received[0]?.scheduledEnqueueTimeUtc?.getTime()).toBe(at.getTime());
    if (received[0] !== undefined) await receiver.completeMessage(received[0]);
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toHaveLength(0);
    await receiver.close();
    await sender.close();
  });

  it('an expired message is dead-lettered with TTLExpiredException where enabled, dropped elsewhere', async () => {
    const sender = bus.client.createSender('ttl');
    await sender.sendMessages({ body: 'stale', timeToLive: 200 });
    const dropping = bus.client.createSender('ttl-no-dlq');
    await dropping.sendMessages({ body: 'stale', timeToLive: 200 });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const receiver = bus.client.createReceiver('ttl');
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toHaveLength(0);
    const deadLetters = bus.client.createReceiver('ttl', { subQueueType: 'deadLetter' });
    const [dead] = await receiveAll(deadLetters, 1);
    expect(dead?.body).toBe('stale');
    expect(dead?.deadLetterReason).toBe('TTLExpiredException');
    const noDlq = bus.client.createReceiver('ttl-no-dlq', { subQueueType: 'deadLetter' });
    expect(await noDlq.peekMessages(10)).toHaveLength(0);
    expect(await bus.client.createReceiver('ttl-no-dlq').peekMessages(10)).toHaveLength(0);
    await Promise.all([
      noDlq.close(),
      deadLetters.close(),
      receiver.close(),
      sender.close(),
      dropping.close(),
    ]);
  });

  it('drops a duplicate messageId inside the window and keeps distinct ids', async () => {
    const sender = bus.client.createSender('duplicates');
    await sender.sendMessages({ body: 'first', messageId: 'order-42' });
    await sender.sendMessages({ body: 'retry', messageId: 'order-42' });
    await sender.sendMessages({ body: 'other', messageId: 'order-43' });
    const receiver = bus.client.createReceiver('duplicates', { receiveMode: 'receiveAndDelete' });
    expect(bodies(await receiveAll(receiver, 2))).toEqual(['first', 'other']);
    expect(await receiver.receiveMessages(1, { maxWaitTimeInMs: 300 })).toHaveLength(0);
    await receiver.close();
    await sender.close();
  });
});

describe('peek and inspection', () => {
  it('peekMessages returns messages without locking them', async () => {
    const sender = bus.client.createSender('peek');
    await sender.sendMessages([{ body: 'p1' }, { body: 'p2' }]);
    const receiver = bus.client.createReceiver('peek');
    const peeked = await receiver.peekMessages(10);
    expect(bodies(peeked)).toEqual(['p1', 'p2']);
    expect(peeked[0]?.lockToken).toBeUndefined();
    const received = await receiveAll(receiver, 2);
    expect(bodies(received)).toEqual(['p1', 'p2']);
    expect(received.map((message) => message.deliveryCount)).toEqual([0, 0]);
    const fromSecond = await receiver.peekMessages(10, { fromSequenceNumber: peeked[1]?.sequenceNumber });
    expect(bodies(fromSecond)).toEqual(['p2']);
    for (const message of received) await receiver.completeMessage(message);
    await receiver.close();
    await sender.close();
  });

  it('the inspection API counts match what the SDK sees', async () => {
    const sender = bus.client.createSender('inspection');
    await sender.sendMessages([1, 2, 3, 4].map((n) => ({ body: { n } })));
    await sender.scheduleMessages({ body: { n: 5 } }, new Date(Date.now() + 60_000));
    const receiver = bus.client.createReceiver('inspection');
    const [toDeadLetter, toDefer, toHold] = await receiveAll(receiver, 3);
    if (toDeadLetter === undefined || toDefer === undefined || toHold === undefined)
      throw new Error('no messages');
    await receiver.deadLetterMessage(toDeadLetter, {
      deadLetterReason: 'Inspected',
      deadLetterErrorDescription: 'counted',
    });
    await receiver.deferMessage(toDefer);

    const response = await fetch(`${bus.emulator.httpUrl}/entities`);
    expect(response.status).toBe(200);
    const { entities } = (await response.json()) as { entities: EntitySummary[] };
    const row = entities.find((entity) => entity.path === 'inspection');
    const peeked = await receiver.peekMessages(50);
    const byState = (state: string) => peeked.filter((message) => message.state === state).length;
    const deadLetters = await bus.client
      .createReceiver('inspection', { subQueueType: 'deadLetter' })
      .peekMessages(50);
    expect(row).toMatchObject({
      kind: 'queue',
      active: byState('active'),
      deferred: byState('deferred'),
      scheduled: byState('scheduled'),
      deadLetter: deadLetters.length,
      locked: 1,
    });
    expect(row).toMatchObject({ active: 2, deferred: 1, scheduled: 1, deadLetter: 1 });

    const listed = await fetch(`${bus.emulator.httpUrl}/entities/inspection/messages?state=deadletter`);
    const body = (await listed.json()) as {
      messages: { body: unknown; applicationProperties: Record<string, unknown> }[];
    };
    expect(body.messages).toHaveLength(1);
    expect(body.messages[0]?.body).toEqual({ n: 1 });
    expect(body.messages[0]?.applicationProperties.DeadLetterReason).toBe('Inspected');
    const scheduled = (await (
      await fetch(`${bus.emulator.httpUrl}/entities/inspection/messages?state=scheduled`)
    ).json()) as {
      messages: { body: unknown }[];
    };
    expect(scheduled.messages.map((message) => message.body)).toEqual([{ n: 5 }]);

    const reset = await fetch(`${bus.emulator.httpUrl}/reset`, { method: 'POST' });
    expect(reset.status).toBe(204);
    expect(await receiver.peekMessages(50)).toHaveLength(0);
    await waitUntil(async () => {
      const after = (await (await fetch(`${bus.emulator.httpUrl}/entities`)).json()) as {
        entities: EntitySummary[];
      };
      const cleared = after.entities.find((entity) => entity.path === 'inspection');
      return cleared?.active === 0 && cleared.deadLetter === 0 && cleared.scheduled === 0;
    });
    await receiver.close();
    await sender.close();
  });
});
