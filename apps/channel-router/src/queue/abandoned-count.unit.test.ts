import { createEvent } from '@omni/contracts';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CUSTOMER, harness, queued, T0 } from '../test-support/queue-harness.js';
import { MemoryQueueState } from './queue-state.js';
import { routerMetrics } from './router-metrics.js';

const abandoned = (callId: string, at: number) =>
  createEvent(
    'call.abandoned',
    {
      callId,
      customerId: CUSTOMER,
      queue: 'billing',
      abandonedAt: new Date(at).toISOString(),
      waitSeconds: 5,
    },
    { source: '/apps/voice-adapter', correlationId: callId },
  );

/**
 * Issue #18 finding 7 ("hanging up 10 waiting callers counted 2 abandoned"): every waiting caller who hangs up is
 * one abandon, in the status the ops console reads and in the Prometheus counter, whatever the order of delivery;
 * a redelivered hang-up counts once, and a caller already given to an agent is answered, not abandoned.
 */
describe('abandoned callers are counted one each', () => {
  it('given 10 callers waiting with nobody free, when all 10 hang up (one redelivered), then 10 are abandoned', async () => {
    const h = harness(new MemoryQueueState());
    const registry = new Registry();
    const metrics = routerMetrics(registry);
    h.monitor.attachMetrics(metrics);
    for (let i = 0; i < 10; i++) await h.monitor.handle(queued(`c${i}`, T0 + i));
    for (let i = 0; i < 10; i++) await h.monitor.handle(abandoned(`c${i}`, T0 + 5000));
    await h.monitor.handle(abandoned('c3', T0 + 5000));
    const status = await h.monitor.status('billing');
    expect(status.depth).toBe(0);
    expect(status.serviceLevel).toMatchObject({ answered: 0, abandoned: 10 });
    const counter = (await registry.getMetricsAsJSON()).find(
      (m) => m.name === 'router_queue_abandoned_total',
    );
    expect(counter?.values.reduce((sum, v) => sum + v.value, 0)).toBe(10);
  });

  it('given 10 callers waiting, when all 10 hang up at once (handled concurrently, as the consumer does), then 10 are abandoned', async () => {
    // Reproduced end to end in the sandbox: the ops console's load control hung up 10 waiting callers, the queue
    // emptied, and 3 were counted. The router's consumer handles up to 8 messages at a time.
    const h = harness(new MemoryQueueState());
    for (let i = 0; i < 10; i++) await h.monitor.handle(queued(`c${i}`, T0 + i));
    await Promise.all(Array.from({ length: 10 }, (_, i) => h.monitor.handle(abandoned(`c${i}`, T0 + 5000))));
    const status = await h.monitor.status('billing');
    expect(status.depth).toBe(0);
    expect(status.serviceLevel).toMatchObject({ answered: 0, abandoned: 10 });
  });

  it('given the in-memory state, when service-level outcomes are counted concurrently, then none is lost', async () => {
    const state = new MemoryQueueState();
    await Promise.all([
      ...Array.from({ length: 5 }, () => state.countServiceLevel('billing', 'abandoned')),
      ...Array.from({ length: 3 }, () => state.countServiceLevel('billing', 'within-target')),
      ...Array.from({ length: 2 }, () => state.countServiceLevel('billing', 'late')),
    ]);
    expect(await state.serviceLevel('billing')).toEqual({
      answered: 5,
      answeredWithinTarget: 3,
      abandoned: 5,
    });
  });

  it('given 2 agents free, when 10 callers queue and then all hang up, then 2 are answered and 8 abandoned', async () => {
    const h = harness(new MemoryQueueState());
    await h.monitor.applyAgent('a1', 'available', ['billing'], T0);
    await h.monitor.applyAgent('a2', 'available', ['billing'], T0);
    for (let i = 0; i < 10; i++) await h.monitor.handle(queued(`c${i}`, T0 + i));
    for (let i = 0; i < 10; i++) await h.monitor.handle(abandoned(`c${i}`, T0 + 5000));
    expect((await h.monitor.status('billing')).serviceLevel).toMatchObject({ answered: 2, abandoned: 8 });
  });
});
