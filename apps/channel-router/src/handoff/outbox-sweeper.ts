import type { Logger } from 'pino';
import { PeriodicJob } from '../periodic-job.js';
import type { SagaRepository } from './saga-repository.js';

/** What {@link OutboxSweeper} needs. */
export interface OutboxSweeperOptions {
  /** Finds the sagas with a pending outbox. */
  readonly repository: Pick<SagaRepository, 'withPendingOutbox'>;
  /** Publishes one saga's pending outbox (`HandoffSagaHandler.flushOutbox`); returns the events published. */
  readonly flush: (customerId: string, handoffId: string) => Promise<number>;
  /** How often to sweep after the first sweep on start, ms. */
  readonly intervalMs: number;
  readonly logger: Logger;
}

/** The result of one sweep. */
export interface SweepResult {
  /** Sagas whose outbox was published. */
  readonly sagas: number;
  /** Events published. */
  readonly events: number;
  /** Sagas whose outbox could not be published this time (left for the next sweep). */
  readonly failed: number;
}

/**
 * Re-publishes saga outboxes that were saved but never sent: on start and every `intervalMs`. The saga
 * writes its events to its document before publishing them; when every publish attempt fails (the broker was
 * down for longer than the message's retries) nothing else would ever send them, including the expiry timer,
 * and the customer would wait for a handoff that never comes. Events have stable ids, so sending one the
 * saga's own handler sends too is harmless (duplicate detection and the consumers' dedupe drop it).
 */
export class OutboxSweeper {
  readonly #o: OutboxSweeperOptions;
  readonly #job: PeriodicJob<SweepResult>;

  constructor(options: OutboxSweeperOptions) {
    this.#o = options;
    this.#job = new PeriodicJob({
      name: 'outbox sweep',
      run: () => this.#sweep(),
      intervalMs: options.intervalMs,
      logger: options.logger,
    });
  }

  /** Sweeps now, then every `intervalMs` (never two sweeps at once). */
  start(): void {
    this.#job.start();
  }

  /** Stops sweeping and waits for a sweep in progress. */
  stop(): Promise<void> {
    return this.#job.stop();
  }

  /** One sweep (a sweep already running is joined, not doubled). */
  sweep(): Promise<SweepResult> {
    return this.#job.runNow();
  }

  async #sweep(): Promise<SweepResult> {
    const pending = await this.#o.repository.withPendingOutbox();
    let sagas = 0;
    let events = 0;
    let failed = 0;
    for (const { customerId, handoffId } of pending) {
      try {
        const published = await this.#o.flush(customerId, handoffId);
        if (published > 0) sagas++;
        events += published;
      } catch (error) {
        failed++;
        this.#o.logger.warn({ err: error, handoffId }, 'could not publish a saga outbox; will sweep again');
      }
    }
    if (sagas > 0 || failed > 0) {
      this.#o.logger.info({ sagas, events, failed }, 'outbox sweep re-published pending saga events');
    } else {
      this.#o.logger.debug('outbox sweep: nothing pending');
    }
    return { sagas, events, failed };
  }
}
