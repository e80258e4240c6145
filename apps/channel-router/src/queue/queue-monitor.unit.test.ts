import { createEvent, type EventOfType, type OmniEvent } from '@omni/contracts';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MASS_EVENT_RULE } from '../domain/queue-levels.js';
import { CUSTOMER, harness, queued, T0 } from '../test-support/queue-harness.js';
import { QueueMonitor } from './queue-monitor.js';
import { MemoryQueueState } from './queue-state.js';
import { routerMetrics } from './router-metrics.js';

function abandoned(callId: string, at: number, queue = 'billing'): EventOfType<'call.abandoned'> {
  return createEvent(
    'call.abandoned',
    { callId, customerId: CUSTOMER, queue, abandonedAt: new Date(at).toISOString(), waitSeconds: 1 },
    { source: '/apps/voice-adapter', correlationId: callId },
  );
}

function statuses(published: OmniEvent[]) {
  return published.flatMap((event) => (event.type === 'queue.status.changed' ? [event.data] : []));
}

describe('queue monitor', () => {
  it('given calls queued at different times, when read, then depth and longest wait are the waiting calls and their oldest', async () => {
    const h = harness(new MemoryQueueState());
    await h.monitor.handle(queued('c1', T0));
    h.advance(30_000);
    await h.monitor.handle(queued('c2', T0 + 30_000));
    h.advance(15_000);
    const status = await h.monitor.status('billing');
    expect(status).toMatchObject({ depth: 2, longestWaitSeconds: 45 });
    expect(status.waiting.map((w) => [w.itemId, w.position, w.waitingSeconds])).toEqual([
      ['call:c1', 1, 45],
      ['call:c2', 2, 15],
    ]);
  });

  it('given a higher-priority call, when queued later, then it is first in line', async () => {
    const h = harness(new MemoryQueueState());
    await h.monitor.handle(queued('low', T0, 1));
    await h.monitor.handle(queued('high', T0 + 1000, 8));
    const status = await h.monitor.status('billing');
    expect(status.waiting.map((w) => w.itemId)).toEqual(['call:high', 'call:low']);
  });

  it('given a queued call, when it is abandoned (or queued again), then it leaves the queue for good', async () => {
    const h = harness(new MemoryQueueState());
    await h.monitor.handle(queued('c1', T0));
    await h.monitor.handle(abandoned('c1', T0 + 5000));
    await h.monitor.handle(queued('c1', T0));
    expect((await h.monitor.status('billing')).depth).toBe(0);
  });

  it('given a growing queue, when it crosses the depth threshold and twice it, then the level changes are published at once', async () => {
    const h = harness(new MemoryQueueState(), { waitThresholdSeconds: 1e6 });
    for (let i = 1; i <= 6; i++) await h.monitor.handle(queued(`c${i}`, T0));
    expect(statuses(h.published).map((s) => [s.depth, s.level])).toEqual([
      [1, 'normal'],
      [3, 'high'],
      [6, 'critical'],
    ]);
  });

  it('given an unchanged level, when the interval passes, then the snapshot is published again, and not before', async () => {
    const h = harness(new MemoryQueueState(), { waitThresholdSeconds: 1e6 });
    await h.monitor.handle(queued('c1', T0));
    await h.monitor.tick();
    h.advance(9_000);
    await h.monitor.tick();
    expect(statuses(h.published)).toHaveLength(1);
    h.advance(1_000);
    await h.monitor.tick();
    expect(statuses(h.published)).toHaveLength(2);
    expect(statuses(h.published)[1]).toMatchObject({ depth: 1, longestWaitSeconds: 10, level: 'normal' });
  });

  it('given an arrival spike, when measured, then it is a mass event and the lower bar makes the queue high sooner', async () => {
    const h = harness(new MemoryQueueState(), {
      start: T0 + 3_000_000,
      waitThresholdSeconds: 1e6,
      massEventMinArrivals: 5,
    });
    // A quiet hour: one call; then six in the last minute (the bar halves: depth 3 -> 1.5).
    await h.monitor.handle(queued('quiet', T0));
    await h.monitor.handle(abandoned('quiet', T0 + 1000));
    for (let i = 1; i <= 6; i++) await h.monitor.handle(queued(`spike${i}`, T0 + 3_000_000 - i * 1000));
    await h.monitor.handle(abandoned('spike1', T0 + 3_000_000));
    await h.monitor.handle(abandoned('spike2', T0 + 3_000_000));
    await h.monitor.handle(abandoned('spike3', T0 + 3_000_000));
    await h.monitor.handle(abandoned('spike4', T0 + 3_000_000));
    const status = await h.monitor.status('billing');
    expect(status).toMatchObject({ depth: 2, massEvent: true, level: 'high' });
  });

  it('given nobody staffed, when a call waits, then its estimated wait (300 s) is over twice the wait threshold: critical', async () => {
    const h = harness(new MemoryQueueState());
    await h.monitor.handle(queued('c1', T0));
    expect(await h.monitor.status('billing')).toMatchObject({
      depth: 1,
      estimatedWaitSeconds: 600,
      level: 'critical',
    });
  });

  it('given a free agent, when a call is queued, then it is assigned at once with call.assigned and its wait', async () => {
    const h = harness(new MemoryQueueState());
    await h.monitor.applyAgent('agent-1', 'available', ['billing'], T0 - 60_000);
    h.advance(5_000);
    await h.monitor.handle(queued('c1', T0));
    const assigned = h.published.find((event) => event.type === 'call.assigned');
    expect(assigned?.data).toMatchObject({
      callId: 'c1',
      agentId: 'agent-1',
      queue: 'billing',
      waitSeconds: 5,
    });
    expect((await h.monitor.status('billing')).depth).toBe(0);
  });

  it('given call.assigned fails to publish, when the event is retried, then the assignment is announced then and only once', async () => {
    const state = new MemoryQueueState();
    const published: OmniEvent[] = [];
    let failNext = true;
    const monitor = new QueueMonitor({
      state,
      publisher: {
        publish: async (event) => {
          if (event.type === 'call.assigned' && failNext) {
            failNext = false;
            throw new Error('broker unavailable');
          }
          published.push(event);
        },
      },
      thresholds: { waitSeconds: 120, depth: 3, massEventFactor: 0.5 },
      massEvent: DEFAULT_MASS_EVENT_RULE,
      statusIntervalMs: 10_000,
      defaultHandleSeconds: 300,
      messagingQueue: 'support',
      clock: () => T0,
    });
    await monitor.applyAgent('agent-1', 'available', ['billing'], T0 - 1000);
    const event = queued('c1', T0);
    await expect(monitor.handle(event)).rejects.toThrow('broker unavailable');
    await monitor.handle(event);
    await monitor.handle(event);
    expect(published.filter((e) => e.type === 'call.assigned').map((e) => e.data)).toEqual([
      expect.objectContaining({ callId: 'c1', agentId: 'agent-1' }),
    ]);
  });

  it('given two free agents, when calls wait, then the longest-free agent takes the highest-priority longest-waiting call', async () => {
    const h = harness(new MemoryQueueState());
    await h.monitor.handle(queued('old', T0 - 50_000, 1));
    await h.monitor.handle(queued('urgent', T0 - 10_000, 9));
    await h.monitor.applyAgent('agent-b', 'available', ['billing'], T0 - 1000);
    const assignments = h.published
      .filter((event) => event.type === 'call.assigned')
      .map((event) => event.data);
    expect(assignments).toEqual([expect.objectContaining({ callId: 'urgent', agentId: 'agent-b' })]);
    await h.monitor.applyAgent('agent-a', 'available', ['billing'], T0 - 500);
    const second = h.published.filter((event) => event.type === 'call.assigned').map((event) => event.data);
    expect(second[1]).toMatchObject({ callId: 'old', agentId: 'agent-a' });
  });

  it('given a busy agent, when they come free, then their handle time feeds the estimate and they take the next item', async () => {
    const state = new MemoryQueueState();
    const h = harness(state);
    await h.monitor.applyAgent('agent-1', 'available', ['billing'], T0 - 1000);
    await h.monitor.handle(queued('c1', T0));
    await h.monitor.handle(queued('c2', T0));
    h.advance(240_000);
    await h.monitor.applyAgent('agent-1', 'available', ['billing'], h.now());
    const status = await h.monitor.status('billing');
    expect(status).toMatchObject({ depth: 0, averageHandleSeconds: 240 });
    expect((await state.assignmentsOf('agent-1')).map((a) => a.item.id)).toEqual(['call:c2', 'call:c1']);
  });

  it('given answered and abandoned calls, when read, then the service level counts them against the 20 s target and reports to Prometheus', async () => {
    const registry = new Registry();
    const h = harness(new MemoryQueueState());
    h.monitor.attachMetrics(routerMetrics(registry));
    await h.monitor.handle(queued('fast', T0));
    await h.monitor.handle(queued('slow', T0 + 1));
    await h.monitor.handle(queued('gone', T0 + 2));
    h.advance(10_000);
    await h.monitor.applyAgent('agent-1', 'available', ['billing'], h.now());
    h.advance(50_000);
    await h.monitor.applyAgent('agent-2', 'available', ['billing'], h.now());
    await h.monitor.handle(abandoned('gone', h.now()));
    await h.monitor.handle(abandoned('gone', h.now()));
    expect((await h.monitor.status('billing')).serviceLevel).toEqual({
      targetSeconds: 20,
      answered: 2,
      answeredWithinTarget: 1,
      abandoned: 1,
      ratio: 0.333,
    });
    const text = await registry.metrics();
    expect(text).toContain('router_queue_wait_seconds_count{queue="billing",kind="voice"} 2');
    expect(text).toContain('router_queue_abandoned_total{queue="billing"} 1');
  });

  it('given an agent update older than the known state, when applied, then it is ignored', async () => {
    const state = new MemoryQueueState();
    const h = harness(state);
    await h.monitor.applyAgent('agent-1', 'offline', ['billing'], T0);
    await h.monitor.applyAgent('agent-1', 'available', ['billing'], T0 - 1);
    expect((await state.agents())[0]).toMatchObject({ status: 'offline' });
  });

  it('given an escalation, when queued and an agent is free, then the desk assignment carries the summary and collected data', async () => {
    const state = new MemoryQueueState();
    const h = harness(state);
    await h.monitor.applyAgent('desk-1', 'available', ['support'], T0 - 1000);
    await h.monitor.handle(
      createEvent(
        'escalation.requested',
        {
          escalationId: 'esc-1',
          customerId: CUSTOMER,
          channel: 'webchat',
          reason: 'asked for a person',
          summary: 'Refund for order A-1 not received.',
          collectedData: { orderId: 'A-1' },
          priority: 4,
          requestedAt: new Date(T0).toISOString(),
        },
        { source: '/apps/webchat-adapter', correlationId: 'esc-1' },
      ),
    );
    const [assignment] = await state.assignmentsOf('desk-1');
    expect(assignment?.item).toMatchObject({
      kind: 'messaging',
      queue: 'support',
      summary: 'Refund for order A-1 not received.',
      collectedData: { orderId: 'A-1' },
    });
    expect(h.published.some((event) => event.type === 'call.assigned')).toBe(false);
  });

  it('given a customer already waiting for a person, when they escalate again (another id), then the human queue still holds one item for them', async () => {
    const state = new MemoryQueueState();
    const h = harness(state);
    const escalate = (id: string) =>
      h.monitor.handle(
        createEvent(
          'escalation.requested',
          {
            escalationId: id,
            customerId: CUSTOMER,
            channel: 'whatsapp',
            reason: 'asked for a person',
            summary: 'Wants a person.',
            collectedData: {},
            priority: 4,
            requestedAt: new Date(T0).toISOString(),
          },
          { source: '/apps/whatsapp-adapter', correlationId: id },
        ),
      );
    await escalate('esc-a');
    await escalate('esc-b');
    await escalate('esc-c');
    const snapshot = await state.snapshot('support');
    expect(snapshot.items.filter((item) => item.customerId === CUSTOMER)).toHaveLength(1);
  });
});
