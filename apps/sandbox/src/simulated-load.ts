import { randomUUID } from 'node:crypto';
import { createEvent, newCustomerId, type OmniEvent } from '@omni/contracts';

/** Port: publishes platform events (the messaging `EventPublisher`). */
export interface LoadPublisher {
  publishAll(events: readonly OmniEvent[]): Promise<void>;
}

/** A caller the sandbox put in a queue to create load. */
interface WaitingCaller {
  readonly callId: string;
  readonly customerId: string;
  readonly queue: string;
  readonly enqueuedAt: number;
}

const SOURCE = '/apps/sandbox';

/**
 * Simulated callers waiting for a human, to push a queue over its threshold from the ops console. They are
 * `call.queued` events with no real call behind them (the voice adapter ignores `call.assigned` for a call it
 * does not hold); {@link clear} hangs them up (`call.abandoned`). Real calls from the phone simulator queue
 * alongside them.
 */
export class SimulatedLoad {
  readonly #publisher: LoadPublisher;
  readonly #clock: () => number;
  readonly #waiting: WaitingCaller[] = [];

  constructor(publisher: LoadPublisher, clock: () => number = Date.now) {
    this.#publisher = publisher;
    this.#clock = clock;
  }

  /** How many simulated callers are waiting. */
  get size(): number {
    return this.#waiting.length;
  }

  /** Puts `count` simulated callers in `queue`. */
  async add(count: number, queue: string): Promise<number> {
    const now = this.#clock();
    const callers = Array.from(
      { length: count },
      (): WaitingCaller => ({
        callId: `sim-${randomUUID()}`,
        customerId: newCustomerId(now),
        queue,
        enqueuedAt: now,
      }),
    );
    await this.#publisher.publishAll(
      callers.map((caller) =>
        createEvent(
          'call.queued',
          {
            callId: caller.callId,
            customerId: caller.customerId,
            queue: caller.queue,
            priority: 5,
            enqueuedAt: new Date(caller.enqueuedAt).toISOString(),
          },
          { source: SOURCE, correlationId: caller.callId },
        ),
      ),
    );
    this.#waiting.push(...callers);
    return this.#waiting.length;
  }

  /** Hangs up every simulated caller still waiting. */
  async clear(): Promise<number> {
    const callers = this.#waiting.splice(0);
    const now = this.#clock();
    await this.#publisher.publishAll(
      callers.map((caller) =>
        createEvent(
          'call.abandoned',
          {
            callId: caller.callId,
            customerId: caller.customerId,
            queue: caller.queue,
            abandonedAt: new Date(now).toISOString(),
            waitSeconds: Math.max(0, (now - caller.enqueuedAt) / 1000),
          },
          { source: SOURCE, correlationId: caller.callId },
        ),
      ),
    );
    return callers.length;
  }
}
