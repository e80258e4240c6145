import {
  ServiceBusClient as SdkClient,
  type ServiceBusClient,
  type ServiceBusSessionReceiver,
} from '@azure/service-bus';
import { sampleEvent } from '@omni/contracts/testing';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { serviceBusConfig } from './config.js';
import { EventConsumer, type EventConsumerOptions } from './consumer.js';
import { consumerSettingsOf } from './consumer-settings.js';
import { useServiceBus } from './test-support/bus-harness.js';

const bus = useServiceBus();
const source = { topic: 'handoff-events', subscription: 'channel-router' } as const;
const customers = Array.from({ length: 6 }, (_, n) => `cust_01JH5ZK3Q4V6W8X9Y0Z1A2B3E${n}`);

/** Waits for a state of the consumer (polled), never for a fixed time. */
function until(condition: () => boolean, timeout = 15_000): Promise<void> {
  return vi.waitFor(() => expect(condition()).toBe(true), { timeout, interval: 10 });
}

/** Runs a consumer whose handler holds each event until released (oldest first); reports how many ran at once. */
function gatedConsumer(options: Partial<EventConsumerOptions>) {
  const held: (() => void)[] = [];
  const state = {
    active: 0,
    most: 0,
    done: 0,
    releaseOne: () => held.shift()?.(),
    releaseAll: () => {
      for (const release of held.splice(0)) release();
    },
  };
  const consumer = new EventConsumer({
    client: bus.client,
    source,
    handler: async () => {
      state.active += 1;
      state.most = Math.max(state.most, state.active);
      await new Promise<void>((r) => held.push(r));
      state.active -= 1;
      state.done += 1;
    },
    ...options,
  });
  bus.consumers.push(consumer);
  consumer.start();
  return state;
}

describe('EventConsumer on a session entity, sized by configuration', () => {
  it('given SERVICEBUS_MAX_SESSIONS=3 and six customers waiting, then three sessions are held at once', async () => {
    const config = z.object(serviceBusConfig).parse({ SERVICEBUS_MAX_SESSIONS: '3' });
    await bus.publisher.publishAll(
      customers.map((customerId, n) =>
        sampleEvent('handoff.requested', { customerId, handoffId: `ho-${n}` }),
      ),
    );
    // Session receivers asked for or held at once (accepts pending at the broker included).
    const spied = new SdkClient(bus.emulator.connectionString);
    const receivers = { open: 0, most: 0 };
    const accept = spied.acceptNextSession.bind(spied) as (
      ...args: unknown[]
    ) => Promise<ServiceBusSessionReceiver>;
    spied.acceptNextSession = (async (...args: unknown[]) => {
      receivers.open += 1;
      receivers.most = Math.max(receivers.most, receivers.open);
      try {
        const receiver = await accept(...args);
        const close = receiver.close.bind(receiver);
        receiver.close = async () => {
          receivers.open -= 1;
          await close();
        };
        return receiver;
      } catch (error) {
        receivers.open -= 1;
        throw error;
      }
    }) as ServiceBusClient['acceptNextSession'];
    const state = gatedConsumer({ ...consumerSettingsOf(config), client: spied });
    // One customer finishes at a time, each once three are held (or all that are left).
    while (state.done < customers.length) {
      await until(() => state.active === Math.min(3, customers.length - state.done));
      const before = state.done;
      state.releaseOne();
      await until(() => state.done > before);
    }
    await Promise.all(bus.consumers.splice(0).map((c) => c.stop()));
    await spied.close();
    expect(state.most).toBe(3);
    expect(receivers.most).toBe(3);
  });

  it('given no setting, then more sessions than the old fixed 8 are held at once', async () => {
    const many = Array.from(
      { length: 12 },
      (_, n) => `cust_01JH5ZK3Q4V6W8X9Y0Z1A2B3F${n.toString(16).toUpperCase()}`,
    );
    await bus.publisher.publishAll(
      many.map((customerId, n) => sampleEvent('handoff.requested', { customerId, handoffId: `ho-${n}` })),
    );
    const state = gatedConsumer(consumerSettingsOf({}));
    await until(() => state.active === many.length);
    state.releaseAll();
    await until(() => state.done === many.length);
    expect(state.most).toBe(many.length);
  });

  it('given a customer whose events keep coming, then they are handled in order on the session held', async () => {
    const seen: string[] = [];
    const consumer = new EventConsumer({
      client: bus.client,
      source,
      handler: async (event) => {
        seen.push('handoffId' in event.data ? String(event.data.handoffId) : '');
      },
      ...consumerSettingsOf({}),
    });
    bus.consumers.push(consumer);
    consumer.start();
    const [customerId] = customers as [string];
    for (let n = 0; n < 5; n++) {
      await bus.publisher.publish(sampleEvent('handoff.requested', { customerId, handoffId: `ho-${n}` }));
    }
    await until(() => seen.length === 5);
    expect(seen).toEqual(['ho-0', 'ho-1', 'ho-2', 'ho-3', 'ho-4']);
  });
});
