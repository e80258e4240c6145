import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryQueueState, type QueueItem, type QueueState } from './queue-state.js';
import { RedisQueueState } from './redis-queue-state.js';

// Erasure of one customer from the queue state, in memory and in Redis: waiting items (with their summaries),
// agents' assignment history and assignments not yet announced.

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ERASED = 'cust_01JZ00000000000000000000E1';
const KEPT = 'cust_01JZ00000000000000000000K1';
const admin = new Redis(REDIS_URL);
const prefix = `test:router:erasure:${Date.now().toString(36)}-${process.pid}:`;

afterAll(async () => {
  const keys = await admin.keys(`${prefix}*`);
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
});

function item(id: string, customerId: string, at: number): QueueItem {
  return {
    id,
    queue: 'billing',
    kind: 'messaging',
    customerId,
    channel: 'whatsapp',
    priority: 1,
    enqueuedAt: at,
    summary: `summary of ${customerId}`,
    correlationId: id,
  };
}

const variants: [string, () => QueueState][] = [
  ['memory', () => new MemoryQueueState()],
  ['redis', () => new RedisQueueState({ url: REDIS_URL, prefix: `${prefix}${Math.random()}:` })],
];

describe.each(variants)('QueueState.eraseCustomer (%s)', (_name, create) => {
  it('given an assigned and a waiting item of a customer, when erased, then both are gone and the other customer stays', async () => {
    const state = create();
    try {
      await state.updateAgent({ agentId: 'ada', status: 'available', queues: ['billing'], at: 1 });
      await state.enqueue(item('escalation:e1', ERASED, 10));
      expect(await state.assignNext('billing', 20)).toMatchObject({ item: { customerId: ERASED } });
      await state.enqueue(item('escalation:e2', ERASED, 30));
      await state.enqueue(item('escalation:k1', KEPT, 40));

      // Waiting item, the agent's assignment history, the unannounced assignment.
      expect(await state.eraseCustomer(ERASED)).toBe(3);

      expect((await state.snapshot('billing')).items.map((i) => i.customerId)).toEqual([KEPT]);
      expect(await state.assignmentsOf('ada')).toEqual([]);
      expect(await state.unannounced()).toEqual([]);
      expect(await state.eraseCustomer(ERASED)).toBe(0);
    } finally {
      await state.close();
    }
  });
});
