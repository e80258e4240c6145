import { createEvent, type EventOfType, type OmniEvent } from '@omni/contracts';
import { DEFAULT_MASS_EVENT_RULE } from '../domain/queue-levels.js';
import { QueueMonitor } from '../queue/queue-monitor.js';
import type { QueueState } from '../queue/queue-state.js';

/** The tests' epoch. */
export const T0 = Date.parse('2026-11-23T10:00:00.000Z');
export const CUSTOMER = 'cust_01JZ0000000000000000000001';

/** A monitor under test with its clock and what it published. */
export interface Harness {
  monitor: QueueMonitor;
  published: OmniEvent[];
  advance(ms: number): void;
  now(): number;
}

/** A monitor on `state` with a clock the test moves and a publisher that records. */
export function harness(
  state: QueueState,
  options: {
    start?: number;
    published?: OmniEvent[];
    waitThresholdSeconds?: number;
    massEventMinArrivals?: number;
  } = {},
): Harness {
  let now = options.start ?? T0;
  const published = options.published ?? [];
  const monitor = new QueueMonitor({
    state,
    publisher: { publish: async (event) => void published.push(event) },
    thresholds: { waitSeconds: options.waitThresholdSeconds ?? 120, depth: 3, massEventFactor: 0.5 },
    massEvent: { ...DEFAULT_MASS_EVENT_RULE, minRecentArrivals: options.massEventMinArrivals ?? 1000 },
    statusIntervalMs: 10_000,
    defaultHandleSeconds: 300,
    messagingQueue: 'support',
    clock: () => now,
  });
  const advance = (ms: number) => {
    now += ms;
  };
  return { monitor, published, advance, now: () => now };
}

/** A `call.queued` event. */
export function queued(
  callId: string,
  at: number,
  priority = 1,
  queue = 'billing',
): EventOfType<'call.queued'> {
  return createEvent(
    'call.queued',
    { callId, customerId: CUSTOMER, queue, priority, enqueuedAt: new Date(at).toISOString() },
    { source: '/apps/voice-adapter', correlationId: callId },
  );
}
