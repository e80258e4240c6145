import type { IdempotencyPort, QueueSnapshot, ToolContext } from '../tools/tool-registry.js';

/** An in-memory idempotency port that really dedupes: one run per key, concurrent callers share it. */
export class InMemoryIdempotency implements IdempotencyPort {
  readonly #results = new Map<string, Promise<unknown>>();
  runs = 0;

  runOnce<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const existing = this.#results.get(key);
    if (existing) return existing as Promise<T>;
    this.runs += 1;
    const run = fn();
    this.#results.set(key, run);
    run.catch(() => this.#results.delete(key));
    return run;
  }
}

/** A tool context for tests (fixed clock, fixed queue). */
export function toolContext(overrides: Partial<ToolContext> = {}): ToolContext {
  const queue: QueueSnapshot = { queue: 'general', depth: 64, estimatedWaitSeconds: 420, level: 'high' };
  return {
    customerId: 'cust-shop-1',
    conversationId: 'conv_1',
    turnId: 'turn-1',
    idempotency: new InMemoryIdempotency(),
    clock: () => Date.parse('2025-06-10T12:00:00Z'),
    queueStatus: async () => queue,
    ...overrides,
  };
}
