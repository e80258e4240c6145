import {
  ServiceBusClient as SdkClient,
  type ServiceBusClient,
  type ServiceBusMessage,
  type ServiceBusMessageBatch,
  type ServiceBusSender,
} from '@azure/service-bus';
import type { OmniEvent } from '@omni/contracts';
import { sampleEvent } from '@omni/contracts/testing';
import { startServiceBusEmulator } from '@omni/emulators/servicebus';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EventPublisher } from './publisher.js';

type Emulator = Awaited<ReturnType<typeof startServiceBusEmulator>>;
let emulator: Emulator;
let client: ServiceBusClient;

/** What went over the wire: one entry per `sendMessages` call, with the session ids it carried. */
let sends: { entity: string; sessionIds: (string | undefined)[] }[] = [];

/** The client with every sender's sends recorded (the SDK's own senders, wrapped). */
function recordingClient(inner: ServiceBusClient): ServiceBusClient {
  const createSender = inner.createSender.bind(inner);
  inner.createSender = ((entity: string) => {
    const sender = createSender(entity) as ServiceBusSender;
    const contents = new WeakMap<ServiceBusMessageBatch, (string | undefined)[]>();
    const createMessageBatch = sender.createMessageBatch.bind(sender);
    sender.createMessageBatch = async (options) => {
      const batch = await createMessageBatch(options);
      const sessionIds: (string | undefined)[] = [];
      contents.set(batch, sessionIds);
      const tryAdd = batch.tryAddMessage.bind(batch);
      batch.tryAddMessage = (message, addOptions) => {
        const added = tryAdd(message, addOptions);
        if (added) sessionIds.push((message as ServiceBusMessage).sessionId);
        return added;
      };
      return batch;
    };
    const sendMessages = sender.sendMessages.bind(sender);
    sender.sendMessages = async (messages, options) => {
      const sessionIds = Array.isArray(messages)
        ? messages.map((m) => (m as ServiceBusMessage).sessionId)
        : (contents.get(messages as ServiceBusMessageBatch) ?? [(messages as ServiceBusMessage).sessionId]);
      sends.push({ entity, sessionIds });
      return sendMessages(messages, options);
    };
    return sender;
  }) as ServiceBusClient['createSender'];
  return inner;
}

beforeAll(async () => {
  emulator = await startServiceBusEmulator({});
  client = recordingClient(new SdkClient(emulator.connectionString));
});
afterEach(async () => {
  sends = [];
  await fetch(`${emulator.httpUrl}/reset`, { method: 'POST' });
});
afterAll(async () => {
  await client?.close();
  await emulator?.stop();
});

/** Receives `count` messages from the escalations queue (no sessions), in delivery order. */
async function receiveEscalations(count: number): Promise<string[]> {
  const receiver = client.createReceiver('escalations');
  const ids: string[] = [];
  try {
    while (ids.length < count) {
      const messages = await receiver.receiveMessages(count - ids.length, { maxWaitTimeInMs: 2_000 });
      if (messages.length === 0) break;
      for (const message of messages) {
        ids.push(String(message.messageId));
        await receiver.completeMessage(message);
      }
    }
  } finally {
    await receiver.close();
  }
  return ids;
}

describe('EventPublisher.publish', () => {
  it('given concurrent publishes to one entity, then they go out in fewer sends, in order, each once', async () => {
    const publisher = new EventPublisher({ client });
    const events: OmniEvent[] = Array.from({ length: 20 }, (_, n) =>
      sampleEvent('escalation.requested', { escalationId: `esc-${n}` }),
    );
    await Promise.all(events.map((event) => publisher.publish(event)));
    await publisher.close();

    const escalationSends = sends.filter((send) => send.entity === 'escalations');
    expect(escalationSends.reduce((total, send) => total + send.sessionIds.length, 0)).toBe(20);
    expect(escalationSends.length).toBeLessThan(20);
    expect(await receiveEscalations(20)).toEqual(events.map((event) => event.id));
  });

  it('given a lone publish, then it is sent at once, on its own', async () => {
    const publisher = new EventPublisher({ client });
    await publisher.publish(sampleEvent('escalation.requested'));
    await publisher.close();
    expect(sends).toEqual([{ entity: 'escalations', sessionIds: [undefined] }]);
  });

  it('given concurrent publishes for several customers on a session entity, then no send mixes sessions', async () => {
    const publisher = new EventPublisher({ client });
    const customers = ['cust_01JH5ZK3Q4V6W8X9Y0Z1A2B3D1', 'cust_01JH5ZK3Q4V6W8X9Y0Z1A2B3D2'];
    const events = Array.from({ length: 12 }, (_, n) =>
      sampleEvent('handoff.requested', { customerId: customers[n % 2] as string, handoffId: `ho-${n}` }),
    );
    await Promise.all(events.map((event) => publisher.publish(event)));
    await publisher.close();

    const handoffSends = sends.filter((send) => send.entity === 'handoff-events');
    expect(handoffSends.reduce((total, send) => total + send.sessionIds.length, 0)).toBe(12);
    expect(handoffSends.length).toBeLessThan(12);
    for (const send of handoffSends) expect(new Set(send.sessionIds).size).toBe(1);
  });
});
