import { randomUUID } from 'node:crypto';
import type { OmniEvent } from '@omni/contracts';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { harness, queued } from '../test-support/queue-harness.js';
import type { QueueItem } from './queue-state.js';
import { RedisQueueState } from './redis-queue-state.js';

// Two router replicas = two RedisQueueState instances on their own connections, one Redis, one key prefix.

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const T0 = Date.parse('2026-11-23T10:00:00.000Z');
const admin = new Redis(REDIS_URL);
let prefix: string;
let a: RedisQueueState;
let b: RedisQueueState;

function item(id: string, at: number, priority = 1): QueueItem {
  return {
    id,
    queue: 'billing',
    kind: 'voice',
    customerId: 'cust_01JZ0000000000000000000001',
    channel: 'voice',
    priority,
    enqueuedAt: at,
    callId: id,
    correlationId: id,
  };
}

beforeEach(() => {
  prefix = `test:router:${randomUUID()}:`;
  a = new RedisQueueState({ url: REDIS_URL, prefix });
  b = new RedisQueueState({ url: REDIS_URL, prefix });
});

afterEach(async () => {
  await Promise.all([a.close(), b.close()]);
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
});

afterAll(async () => {
  await admin.quit();
});

describe('queue state in Redis shared by two replicas', () => {
  it('given calls queued through both replicas (one twice), when each reads, then both see the same depth, order and waits', async () => {
    const published: OmniEvent[] = [];
    const one = harness(a, { start: T0 + 60_000, published, waitThresholdSeconds: 1e6 });
    const two = harness(b, { start: T0 + 60_000, published, waitThresholdSeconds: 1e6 });
    await one.monitor.handle(queued('c1', T0));
    await two.monitor.handle(queued('c2', T0 + 20_000, 5));
    await two.monitor.handle(queued('c1', T0));
    const [fromA, fromB] = await Promise.all([one.monitor.status('billing'), two.monitor.status('billing')]);
    expect(fromA).toEqual(fromB);
    expect(fromA).toMatchObject({ depth: 2, longestWaitSeconds: 60 });
    expect(fromA.waiting.map((w) => w.itemId)).toEqual(['call:c2', 'call:c1']);
  });

  it('given both replicas assigning at once, when items and free agents race, then every item goes to one agent and no agent gets two', async () => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).enqueue(item(`c${i}`, T0 + i))));
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        (i % 2 ? b : a).updateAgent({
          agentId: `agent-${i}`,
          status: 'available',
          queues: ['billing'],
          at: T0 - 1000 + i,
        }),
      ),
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).assignNext('billing', T0 + 100_000)),
    );
    const made = results.filter((result) => result !== undefined);
    expect(made).toHaveLength(5);
    expect(new Set(made.map((m) => m.agentId)).size).toBe(5);
    expect(new Set(made.map((m) => m.item.id)).size).toBe(5);
    // The five oldest calls went first.
    expect(made.map((m) => m.item.id).sort()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect((await b.snapshot('billing')).items).toHaveLength(7);
    const agents = await a.agents();
    expect(agents.every((agent) => agent.status === 'busy' && agent.current !== undefined)).toBe(true);
  });

  it('given both replicas refreshing the same level change, when they race, then queue.status.changed is published once', async () => {
    const published: OmniEvent[] = [];
    const one = harness(a, { published, waitThresholdSeconds: 1e6 });
    const two = harness(b, { published, waitThresholdSeconds: 1e6 });
    await a.enqueue(item('c1', T0));
    await Promise.all([one.monitor.tick(), two.monitor.tick(), one.monitor.tick(), two.monitor.tick()]);
    expect(published.filter((event) => event.type === 'queue.status.changed')).toHaveLength(1);
    for (let i = 2; i <= 3; i++) await b.enqueue(item(`c${i}`, T0));
    await Promise.all([one.monitor.tick(), two.monitor.tick()]);
    const levels = published.flatMap((event) =>
      event.type === 'queue.status.changed' ? [event.data.level] : [],
    );
    expect(levels).toEqual(['normal', 'high']);
  });

  it('given agent updates racing on both replicas, when applied, then the newest wins and a finished contact is reported once', async () => {
    await a.updateAgent({ agentId: 'agent-1', status: 'available', queues: ['billing'], at: T0 });
    await a.enqueue(item('c1', T0));
    await b.assignNext('billing', T0 + 1000);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? a : b).updateAgent({
          agentId: 'agent-1',
          status: 'available',
          queues: ['billing'],
          at: T0 + 61_000 + i,
        }),
      ),
    );
    expect(results.filter((result) => result.handled !== undefined)).toEqual([
      expect.objectContaining({ handled: { queue: 'billing', seconds: expect.closeTo(60, 0) } }),
    ]);
    expect((await b.agents())[0]).toMatchObject({ status: 'available', updatedAt: T0 + 61_009 });
    expect((await a.agents())[0]?.current).toBeUndefined();
  });

  it('given an assignment made on one replica, when not yet announced, then the other sees it pending until marked', async () => {
    await a.enqueue(item('c1', T0));
    await a.updateAgent({ agentId: 'agent-1', status: 'available', queues: ['billing'], at: T0 });
    await a.assignNext('billing', T0 + 1000);
    expect((await b.unannounced()).map((x) => x.item.id)).toEqual(['c1']);
    await b.markAnnounced('c1');
    expect(await a.unannounced()).toEqual([]);
  });

  it('given service-level outcomes counted on both replicas, when read, then they add up', async () => {
    await Promise.all([
      a.countServiceLevel('billing', 'within-target'),
      b.countServiceLevel('billing', 'late'),
      b.countServiceLevel('billing', 'abandoned'),
      a.countServiceLevel('billing', 'within-target'),
    ]);
    expect(await b.serviceLevel('billing')).toEqual({ answered: 3, answeredWithinTarget: 2, abandoned: 1 });
  });

  it('given an abandoned call, when queued again late on the other replica, then it stays out', async () => {
    await a.enqueue(item('c1', T0));
    expect(await b.remove('billing', 'c1')).toMatchObject({ id: 'c1' });
    expect(await b.enqueue(item('c1', T0))).toBe(false);
    expect((await a.snapshot('billing')).items).toEqual([]);
  });

  it('given a capped set of handoffs per number, when two replicas admit them concurrently, then exactly the limit is admitted and a repeat of an admitted one still is', async () => {
    const key = 'destination:+14255550100:2026-11-23';
    const results = await Promise.all(
      ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].map((id, i) =>
        (i % 2 === 0 ? a : b).admitCapped(key, id, 3, 60_000, T0),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(3);
    const admitted = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'].filter((_, i) => results[i]);
    expect(await b.admitCapped(key, admitted[0] ?? 'h1', 3, 60_000, T0)).toBe(true);
    expect(await a.admitCapped(key, 'h7', 3, 60_000, T0)).toBe(false);
  });
});
