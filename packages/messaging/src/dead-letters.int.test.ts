import { ServiceBusClient as SdkClient, type ServiceBusClient } from '@azure/service-bus';
import { newCustomerId } from '@omni/contracts';
import { sampleEvent } from '@omni/contracts/testing';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterQueues } from './dead-letters.js';
import { PendingSessions } from './pending-sessions.js';
import { EventPublisher } from './publisher.js';

const DAY_MS = 24 * 60 * 60_000;
const ENTITY = 'handoff-events/Subscriptions/channel-router';
let emulator: Awaited<ReturnType<typeof startServiceBusEmulator>>;
let client: ServiceBusClient;
let publisher: EventPublisher;

beforeAll(async () => {
  emulator = await startServiceBusEmulator({});
  client = new SdkClient(emulator.connectionString);
  publisher = new EventPublisher({ client });
});
afterAll(async () => {
  await publisher?.close();
  await client?.close();
  await emulator?.stop();
});

/** Dead-letters the next `count` messages of the channel-router's handoff subscription with a reason. */
async function deadLetter(count: number, reason: string): Promise<void> {
  for (let n = 0; n < count; n++) {
    const receiver = await client.acceptNextSession('handoff-events', 'channel-router');
    const [message] = await receiver.receiveMessages(1, { maxWaitTimeInMs: 5_000 });
    if (message === undefined) throw new Error('nothing to dead-letter');
    await receiver.deadLetterMessage(message, {
      deadLetterReason: reason,
      deadLetterErrorDescription: 'customer +447911123456 not found',
    });
    await receiver.close();
  }
}

describe('DeadLetterQueues over the Service Bus emulator', () => {
  it('given dead letters, then they are listed with reason, event type and age, and without their bodies', async () => {
    await publisher.publish(sampleEvent('handoff.requested'));
    await deadLetter(1, 'CustomerNotFound');
    const queues = new DeadLetterQueues({ client });
    expect(queues.entities).toContain(ENTITY);
    expect(queues.entities).toContain('escalations');
    const [dead] = await queues.list(ENTITY);
    expect(dead).toMatchObject({
      entity: ENTITY,
      eventType: 'handoff.requested',
      reason: 'CustomerNotFound',
    });
    expect(dead?.ageSeconds).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(dead)).not.toContain('"body"');
    expect(dead?.description).not.toContain('7911123456');
    expect((await queues.counts())[ENTITY]).toBe(1);
  });

  it('given dead letters younger than the retention, then purge leaves them; older, then it removes them', async () => {
    const now = new DeadLetterQueues({ client });
    const before = (await now.list(ENTITY)).length;
    await publisher.publish(sampleEvent('handoff.requested', { handoffId: 'ho-purge' }));
    await deadLetter(1, 'MaxAttemptsExceeded');
    expect(await now.purge(ENTITY, 7 * DAY_MS)).toBe(0);
    expect(await now.list(ENTITY)).toHaveLength(before + 1);
    const eightDaysOn = new DeadLetterQueues({ client, clock: () => Date.now() + 8 * DAY_MS });
    expect(await eightDaysOn.purge(ENTITY, 7 * DAY_MS)).toBe(before + 1);
    expect(await now.list(ENTITY)).toEqual([]);
  });
});

describe('erasing one customer from Service Bus', () => {
  it('given dead letters of two customers, when purged about one, then only that customer’s are removed', async () => {
    const erased = newCustomerId();
    const kept = newCustomerId();
    const queues = new DeadLetterQueues({ client });
    await queues.purge(ENTITY, -DAY_MS);
    await publisher.publish(sampleEvent('handoff.requested', { customerId: erased, handoffId: 'ho-e1' }));
    await publisher.publish(sampleEvent('handoff.requested', { customerId: kept, handoffId: 'ho-k1' }));
    await deadLetter(2, 'MaxAttemptsExceeded');
    expect(await queues.list(ENTITY)).toHaveLength(2);

    expect(await queues.purgeAbout([erased])).toEqual({ [ENTITY]: 1 });

    expect(await queues.list(ENTITY)).toHaveLength(1);
    expect(await queues.purgeAbout([erased])).toEqual({});
    expect(await queues.purgeAbout([kept])).toEqual({ [ENTITY]: 1 });
  });

  it('given pending messages of two customers, when the sessions of one are purged, then only that customer’s go', async () => {
    const gone = newCustomerId();
    const stays = newCustomerId();
    await publisher.publish(sampleEvent('handoff.requested', { customerId: gone, handoffId: 'ho-p1' }));
    await publisher.publish(sampleEvent('handoff.requested', { customerId: stays, handoffId: 'ho-p2' }));
    const pending = new PendingSessions({ client });

    const outcome = await pending.purge([gone]);

    expect(outcome.removed[ENTITY]).toBe(1);
    const goneSession = await client.acceptSession('handoff-events', 'channel-router', gone);
    expect(await goneSession.peekMessages(10)).toEqual([]);
    await goneSession.close();
    const keptSession = await client.acceptSession('handoff-events', 'channel-router', stays);
    const [message] = await keptSession.receiveMessages(1, { maxWaitTimeInMs: 5_000 });
    expect(message?.sessionId).toBe(stays);
    if (message !== undefined) await keptSession.completeMessage(message);
    await keptSession.close();
  });
});
