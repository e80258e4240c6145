import { ServiceBusClient as SdkClient, type ServiceBusClient } from '@azure/service-bus';
import { type OmniEvent, REDRIVE_PROPERTY } from '@omni/contracts';
import { SAMPLE_CUSTOMER_ID, sampleEvent } from '@omni/contracts/testing';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import Long from 'long';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventConsumer, type EventHandler } from './consumer.js';
import { DeadLetterQueues } from './dead-letters.js';
import { PermanentError } from './failure-policy.js';
import { EventPublisher } from './publisher.js';

// The broker runs on a clock the test moves: a redrive is only sent once the topic's 10-minute duplicate-detection
// window has passed (inside it, the broker would drop the same message id silently).
let offset = 0;
const clock = { now: () => Date.now() + offset };
const WINDOW_PASSED_MS = 11 * 60_000;

let emulator: Awaited<ReturnType<typeof startServiceBusEmulator>>;
let client: ServiceBusClient;
let publisher: EventPublisher;
let queues: DeadLetterQueues;
const consumers: EventConsumer[] = [];

const VOICE = { topic: 'queue-events', subscription: 'voice-adapter' } as const;
const ROUTER_QUEUE_EVENTS = { topic: 'queue-events', subscription: 'channel-router' } as const;
const ROUTER_HANDOFFS = 'handoff-events/Subscriptions/channel-router';

beforeAll(async () => {
  emulator = await startServiceBusEmulator({ clock });
  client = new SdkClient(emulator.connectionString);
  publisher = new EventPublisher({ client });
  queues = new DeadLetterQueues({ client, clock: clock.now });
});
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
  await fetch(`${emulator.httpUrl}/reset`, { method: 'POST' });
});
afterAll(async () => {
  await publisher?.close();
  await client?.close();
  await emulator?.stop();
});

function consume(source: typeof VOICE | typeof ROUTER_QUEUE_EVENTS, handler: EventHandler): EventConsumer {
  const consumer = new EventConsumer({
    client,
    source,
    handler,
    retry: { maxAttempts: 3, backoffMs: () => 10 },
  });
  consumers.push(consumer);
  consumer.start();
  return consumer;
}

async function activeCount(source: typeof VOICE | typeof ROUTER_QUEUE_EVENTS): Promise<number> {
  const receiver = client.createReceiver(source.topic, source.subscription);
  try {
    return (await receiver.peekMessages(50, { fromSequenceNumber: Long.ZERO })).length;
  } finally {
    await receiver.close();
  }
}

/** Dead-letters the next message of the channel-router's handoff subscription (a session entity) with a reason. */
async function deadLetterNextHandoff(reason: string): Promise<void> {
  const receiver = await client.acceptNextSession('handoff-events', 'channel-router');
  const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5_000 });
  if (message === undefined) throw new Error('nothing to dead-letter');
  await receiver.deadLetterMessage(message, { deadLetterReason: reason, deadLetterErrorDescription: 'test' });
  await receiver.close();
}

describe('dead-letter redrive over the Service Bus emulator', () => {
  it('given a message dead-lettered on one subscription, when redriven, then only that subscription handles it again, once, with its id', async () => {
    const event = sampleEvent('call.assigned');
    const voiceCalls: { id: string; messageId: string; attempt: number }[] = [];
    let voiceFails = true;
    const routerCalls: string[] = [];
    consume(VOICE, async (handled: OmniEvent, context) => {
      voiceCalls.push({ id: handled.id, messageId: context.messageId, attempt: context.attempt });
      if (voiceFails) throw new PermanentError('UnknownAgentDesk', 'agent desk unknown');
    });
    const router = consume(ROUTER_QUEUE_EVENTS, async (handled) => {
      routerCalls.push(handled.id);
    });

    await publisher.publish(event);
    await vi.waitFor(
      async () => expect((await queues.list('queue-events/Subscriptions/voice-adapter')).length).toBe(1),
      {
        timeout: 15_000,
      },
    );
    await vi.waitFor(() => expect(routerCalls).toEqual([event.id]), { timeout: 15_000 });
    await router.stop();
    voiceFails = false;

    offset += WINDOW_PASSED_MS;
    const [dead] = await queues.list('queue-events/Subscriptions/voice-adapter');
    const result = await queues.redrive('queue-events/Subscriptions/voice-adapter', {
      messageIds: [dead?.messageId ?? ''],
    });

    expect(result).toMatchObject({ redriven: 1, tooRecent: 0 });
    await vi.waitFor(() => expect(voiceCalls).toHaveLength(2), { timeout: 15_000 });
    expect(voiceCalls[1]).toMatchObject({ id: event.id, messageId: event.id });
    expect(await queues.list('queue-events/Subscriptions/voice-adapter')).toEqual([]);
    // The channel-router's subscription of the same topic did not get the redrive.
    expect(await activeCount(ROUTER_QUEUE_EVENTS)).toBe(0);
    expect(routerCalls).toEqual([event.id]);
  });

  it('given dead letters with two reasons, when redriven by one reason, then only those go back, with session id, id and body', async () => {
    const kept = sampleEvent('handoff.requested', { handoffId: 'ho-kept' });
    const back = sampleEvent('handoff.requested', { handoffId: 'ho-back' });
    await publisher.publish(kept);
    await deadLetterNextHandoff('CustomerNotFound');
    await publisher.publish(back);
    await deadLetterNextHandoff('MaxAttemptsExceeded');

    offset += WINDOW_PASSED_MS;
    const result = await queues.redrive(ROUTER_HANDOFFS, { reason: 'MaxAttemptsExceeded' });

    expect(result).toEqual({ entity: ROUTER_HANDOFFS, redriven: 1, tooRecent: 0, retryAfterSeconds: null });
    const remaining = await queues.list(ROUTER_HANDOFFS);
    expect(remaining.map((summary) => [summary.messageId, summary.reason])).toEqual([
      [kept.id, 'CustomerNotFound'],
    ]);
    const receiver = await client.acceptNextSession('handoff-events', 'channel-router');
    const messages = await receiver.receiveMessages(5, { maxWaitTimeInMs: 2_000 });
    await receiver.close();
    expect(messages).toHaveLength(1);
    expect(messages[0]?.messageId).toBe(back.id);
    expect(messages[0]?.sessionId).toBe(SAMPLE_CUSTOMER_ID);
    expect(messages[0]?.body).toEqual(JSON.parse(JSON.stringify(back)));
    expect(messages[0]?.applicationProperties?.[REDRIVE_PROPERTY]).toBe('channel-router');
    expect(messages[0]?.applicationProperties?.DeadLetterReason).toBeUndefined();
  });

  it('given a dead letter inside the duplicate-detection window, when redriven, then it stays and the wait is reported', async () => {
    const event = sampleEvent('handoff.requested', { handoffId: 'ho-recent' });
    await publisher.publish(event);
    await deadLetterNextHandoff('MaxAttemptsExceeded');

    const result = await queues.redrive(ROUTER_HANDOFFS, { all: true });

    expect(result).toMatchObject({ redriven: 0, tooRecent: 1 });
    expect(result.retryAfterSeconds).toBeGreaterThan(0);
    expect(result.retryAfterSeconds).toBeLessThanOrEqual(600);
    expect((await queues.list(ROUTER_HANDOFFS)).map((summary) => summary.messageId)).toEqual([event.id]);
  });
});
