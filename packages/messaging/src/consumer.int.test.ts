import { ServiceBusClient as SdkClient, type ServiceBusClient } from '@azure/service-bus';
import { SAMPLE_CUSTOMER_ID, sampleEvent } from '@omni/contracts/testing';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import Long from 'long';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventConsumer, type EventHandler } from './consumer.js';
import { PermanentError } from './failure-policy.js';
import { toServiceBusMessage } from './message.js';
import { EventPublisher } from './publisher.js';

type Emulator = Awaited<ReturnType<typeof startServiceBusEmulator>>;
let emulator: Emulator;
let client: ServiceBusClient;
let publisher: EventPublisher;
const consumers: EventConsumer[] = [];
const fastRetry = { maxAttempts: 5, backoffMs: () => 10 };
const routerSource = { topic: 'handoff-events', subscription: 'channel-router' } as const;

beforeAll(async () => {
  emulator = await startServiceBusEmulator({});
  client = new SdkClient(emulator.connectionString);
  publisher = new EventPublisher({ client });
});
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.stop()));
  await fetch(`${emulator.httpUrl}/reset`, { method: 'POST' });
});
afterAll(async () => {
  await publisher?.close();
  await client?.close();
  await emulator?.stop();
});

function consume(
  handler: EventHandler,
  options: Partial<ConstructorParameters<typeof EventConsumer>[0]> = {},
) {
  const consumer = new EventConsumer({ client, source: routerSource, handler, retry: fastRetry, ...options });
  consumers.push(consumer);
  consumer.start();
  return consumer;
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function deadLetters(source = routerSource) {
  const receiver = client.createReceiver(source.topic, source.subscription, { subQueueType: 'deadLetter' });
  try {
    // Peek continues from the last peeked message unless told where to start.
    return await receiver.peekMessages(50, { fromSequenceNumber: Long.ZERO });
  } finally {
    await receiver.close();
  }
}

describe('EventPublisher -> EventConsumer over the Service Bus emulator', () => {
  it('given a published event, when consumed, then the handler gets the same event', async () => {
    const event = sampleEvent('handoff.requested');
    const received: unknown[] = [];
    consume(async (e) => {
      received.push(e);
    });
    await publisher.publish(event);
    await until(() => received.length === 1);
    expect(received[0]).toEqual(event);
  });

  it('given an invalid payload on the topic, then it is dead-lettered with the reason and the failing field', async () => {
    const handled: unknown[] = [];
    const consumer = consume(async (e) => {
      handled.push(e);
    });
    const bad = toServiceBusMessage(sampleEvent('handoff.requested'));
    (bad.body as { data: Record<string, unknown> }).data.toChannel = 'carrier-pigeon';
    const sender = client.createSender('handoff-events');
    await sender.sendMessages(bad);
    await sender.close();
    await until(async () => (await deadLetters()).length === 1);
    const [dead] = await deadLetters();
    expect(dead?.deadLetterReason).toBe('InvalidEvent');
    expect(dead?.deadLetterErrorDescription).toContain('data.toChannel');
    expect(handled).toEqual([]);
    // A poison message is the message's problem, not the consumer's: it stays ready.
    await expect(consumer.readinessCheck()).resolves.toBeUndefined();
  });

  it('given a handler that throws three times then succeeds, then its effect happens once', async () => {
    const attempts: number[] = [];
    let effects = 0;
    consume(async (_e, ctx) => {
      attempts.push(ctx.attempt);
      if (attempts.length <= 3) throw new Error('cosmos briefly unavailable');
      effects++;
    });
    await publisher.publish(sampleEvent('handoff.requested'));
    await until(() => effects === 1);
    await new Promise((r) => setTimeout(r, 300));
    expect(effects).toBe(1);
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(await deadLetters()).toHaveLength(0);
  });

  it('given a handler that always fails, then after maxAttempts the message is dead-lettered with the last error', async () => {
    consume(async () => {
      throw new Error('downstream is down');
    });
    await publisher.publish(sampleEvent('handoff.requested'));
    await until(async () => (await deadLetters()).length === 1);
    const [dead] = await deadLetters();
    expect(dead?.deadLetterReason).toBe('MaxAttemptsExceeded');
    expect(dead?.deadLetterErrorDescription).toContain('downstream is down');
  });

  it('given a PermanentError, then the message is dead-lettered on the first attempt with its reason', async () => {
    const attempts: number[] = [];
    consume(async (_e, ctx) => {
      attempts.push(ctx.attempt);
      throw new PermanentError('CustomerNotFound', 'no such customer');
    });
    await publisher.publish(sampleEvent('handoff.requested'));
    await until(async () => (await deadLetters()).length === 1);
    expect((await deadLetters())[0]?.deadLetterReason).toBe('CustomerNotFound');
    expect(attempts).toEqual([1]);
  });

  it('given the same event delivered twice, then the handler runs once', async () => {
    const event = sampleEvent('handoff.requested');
    let effects = 0;
    consume(async () => {
      effects++;
    });
    // Two deliveries of one event that the broker's duplicate detection cannot catch (different message ids,
    // as when a producer re-publishes after its window).
    const sender = client.createSender('handoff-events');
    await sender.sendMessages([
      { ...toServiceBusMessage(event), messageId: 'm-1' },
      { ...toServiceBusMessage(event), messageId: 'm-2' },
    ]);
    await sender.close();
    await until(async () => {
      const receiver = client.createReceiver('handoff-events', 'channel-router');
      const left = await receiver.peekMessages(10, { fromSequenceNumber: Long.ZERO });
      await receiver.close();
      return left.length === 0 && effects >= 1;
    });
    expect(effects).toBe(1);
  });

  it('given a message in flight, when the consumer stops, then it finishes and settles; nothing is lost', async () => {
    const first = sampleEvent('handoff.requested', { handoffId: 'ho-first' });
    const second = sampleEvent('handoff.requested', {
      handoffId: 'ho-second',
      customerId: 'cust_01JH5ZK3Q4V6W8X9Y0Z1A2B3C5',
    });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const done: string[] = [];
    let started = false;
    const consumer = consume(
      async (e) => {
        started = true;
        if ('handoffId' in e.data && e.data.handoffId === 'ho-first') await gate;
        done.push(String('handoffId' in e.data ? e.data.handoffId : ''));
      },
      { maxConcurrency: 1 },
    );
    await publisher.publish(first);
    await until(() => consumer.running && started);
    const stopped = consumer.stop();
    await publisher.publish(second);
    release();
    await stopped;
    expect(done).toEqual(['ho-first']);
    await expect(consumer.readinessCheck()).rejects.toThrow(/not running/);

    // The first was completed; the second waits for the next consumer.
    const next: string[] = [];
    consume(async (e) => {
      next.push(String('handoffId' in e.data ? e.data.handoffId : ''));
    });
    await until(() => next.length === 1);
    expect(next).toEqual(['ho-second']);
    expect(await deadLetters()).toHaveLength(0);
  });

  it('given events for several customers, then each customer’s events are handled in the order sent', async () => {
    const customers = [
      'cust_01JH5ZK3Q4V6W8X9Y0Z1A2B3D1',
      'cust_01JH5ZK3Q4V6W8X9Y0Z1A2B3D2',
      SAMPLE_CUSTOMER_ID,
    ];
    const seen = new Map<string, number[]>();
    consume(
      async (e) => {
        const customerId = 'customerId' in e.data ? String(e.data.customerId) : '';
        const n = Number(String('handoffId' in e.data ? e.data.handoffId : '').split('-')[1]);
        seen.set(customerId, [...(seen.get(customerId) ?? []), n]);
        await new Promise((r) => setTimeout(r, Math.random() * 5));
      },
      { maxConcurrency: 2 },
    );
    const events = [];
    for (let n = 0; n < 10; n++) {
      for (const customerId of customers)
        events.push(sampleEvent('handoff.requested', { customerId, handoffId: `ho-${n}` }));
    }
    await publisher.publishAll(events);
    await until(() => [...seen.values()].reduce((sum, list) => sum + list.length, 0) === 30, 30_000);
    for (const customerId of customers) expect(seen.get(customerId)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('readiness', () => {
  it('given a subscription that does not exist, then the consumer reports not ready with the reason', async () => {
    const consumer = new EventConsumer({
      client,
      source: { topic: 'handoff-events', subscription: 'no-such-service' },
      sessions: false,
      handler: async () => {},
    });
    consumers.push(consumer);
    consumer.start();
    await until(async () => {
      try {
        await consumer.readinessCheck();
        return false;
      } catch {
        return true;
      }
    });
    await expect(consumer.readinessCheck()).rejects.toThrow(
      /cannot receive from handoff-events\/Subscriptions\/no-such-service/,
    );
  });
});
