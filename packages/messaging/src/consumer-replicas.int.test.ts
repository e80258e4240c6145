import { type ServiceBusTopology, serviceBusTopology } from '@omni/contracts';
import { sampleEvent } from '@omni/contracts/testing';
import { InMemoryDedupeStore } from '@omni/service-kit';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { EventConsumer, type EventHandler, LockLostError } from './consumer.js';
import { useServiceBus } from './test-support/bus-harness.js';

// What several replicas of one consumer do to each other on a session entity, with the broker's limits made
// small: 5 s locks and 3 deliveries before the broker dead-letters (MaxDeliveryCountExceeded).
const LOCK_MS = 5_000;
const topology: ServiceBusTopology = {
  ...serviceBusTopology,
  topics: serviceBusTopology.topics.map((topic) => ({
    ...topic,
    subscriptions: topic.subscriptions.map((s) => ({
      ...s,
      lockDuration: 'PT5S' as const,
      maxDeliveryCount: 3,
    })),
  })),
};
const source = { topic: 'handoff-events', subscription: 'channel-router' } as const;
const path = 'handoff-events/Subscriptions/channel-router';

const bus = useServiceBus(topology);

function consume(handler: EventHandler, dedupe: InMemoryDedupeStore): EventConsumer {
  const consumer = new EventConsumer({
    client: bus.client,
    source,
    topology,
    handler,
    dedupe,
    sessionIdleMs: 20,
    logger: pino({ level: process.env.TEST_LOG ?? 'silent' }),
  });
  bus.consumers.push(consumer);
  consumer.start();
  return consumer;
}

async function deadLettered(): Promise<number> {
  const page = (await (await fetch(`${bus.emulator.httpUrl}/entities`)).json()) as {
    entities: { path: string; deadLetter: number }[];
  };
  return page.entities.find((entity) => entity.path === path)?.deadLetter ?? 0;
}

/** Blocks the event loop: no timer runs, so the SDK cannot renew the session lock (a starved or paused process). */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

describe('EventConsumer replicas on one session entity', () => {
  it('given a replica that claimed an event and died, when its redelivery reaches this replica while the claim still runs, then the message is held until the claim lapses and handled once, not dead-lettered', async () => {
    const event = sampleEvent('handoff.requested');
    // The shared dedupe store (Redis across replicas) holds the dead replica's claim; it lapses with the lock.
    const shared = new InMemoryDedupeStore();
    expect(await shared.claim(`${path}|${event.id}`, LOCK_MS)).toBe('claimed');
    const handled: number[] = [];
    consume(async (_event, context) => {
      handled.push(context.attempt);
    }, shared);
    await bus.publisher.publish(event);

    await vi.waitFor(() => expect(handled).toHaveLength(1), { timeout: 30_000, interval: 50 });
    // Each look at the claim used to abandon the message (a delivery each second): dead-lettered after three.
    expect(await deadLettered()).toBe(0);
    expect(handled).toEqual([1]);
  }, 40_000);

  it('given a handler stalled past its session lock, when it reaches its side effect, then assertLockHeld stops it before acting and the redelivery acts once', async () => {
    const event = sampleEvent('handoff.requested');
    const effects: number[] = [];
    const refused: unknown[] = [];
    consume(async (_event, context) => {
      if (context.attempt === 1) stall(LOCK_MS + 1_000);
      try {
        context.assertLockHeld();
      } catch (error) {
        refused.push(error);
        throw error;
      }
      effects.push(context.attempt);
    }, new InMemoryDedupeStore());
    await bus.publisher.publish(event);

    await vi.waitFor(() => expect(effects).toHaveLength(1), { timeout: 30_000, interval: 50 });
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(LockLostError);
    expect(effects[0]).toBeGreaterThan(1);
    expect(await deadLettered()).toBe(0);
  }, 40_000);

  it('given a handler within its lock, then assertLockHeld lets it act', async () => {
    const effects: string[] = [];
    consume(async (_event, context) => {
      context.assertLockHeld();
      effects.push(context.messageId);
    }, new InMemoryDedupeStore());
    await bus.publisher.publish(sampleEvent('handoff.requested'));
    await vi.waitFor(() => expect(effects).toHaveLength(1), { timeout: 15_000, interval: 20 });
  });
});
