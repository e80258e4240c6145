import type { DeadLetterQueues } from '@omni/messaging';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import { PeriodicJob } from '../periodic-job.js';

/** What {@link DeadLetterMonitor} needs. */
export interface DeadLetterMonitorOptions {
  readonly queues: Pick<DeadLetterQueues, 'entities' | 'list' | 'purge'>;
  /** Dead letters older than this are removed (they hold customer messages). */
  readonly retentionMs: number;
  readonly intervalMs: number;
  readonly registry: Registry;
  readonly logger: Logger;
}

/**
 * Watches every dead-letter queue: `messaging_dead_letters{entity}` (the count, for dashboards and the local
 * sandbox; Azure Monitor alerts on the namespace's own `DeadletteredMessages`, infra/alerts.tf) and removes dead
 * letters past the retention. Checks on start and every `intervalMs`.
 */
export class DeadLetterMonitor {
  readonly #o: DeadLetterMonitorOptions;
  readonly #gauge: Gauge<'entity'>;
  readonly #job: PeriodicJob<void>;

  constructor(options: DeadLetterMonitorOptions) {
    this.#o = options;
    this.#job = new PeriodicJob({
      name: 'dead-letter check',
      run: () => this.#check(),
      intervalMs: options.intervalMs,
      logger: options.logger,
    });
    this.#gauge =
      (options.registry.getSingleMetric('messaging_dead_letters') as Gauge<'entity'> | undefined) ??
      new Gauge({
        name: 'messaging_dead_letters',
        help: 'Messages in the dead-letter queue of each queue and subscription (counted up to 1000).',
        labelNames: ['entity'] as const,
        registers: [options.registry],
      });
  }

  /** Checks now, then every `intervalMs`. */
  start(): void {
    this.#job.start();
  }

  stop(): Promise<void> {
    return this.#job.stop();
  }

  /** One check: purge past the retention, then count (a check in progress is joined). */
  check(): Promise<void> {
    return this.#job.runNow();
  }

  async #check(): Promise<void> {
    for (const entity of this.#o.queues.entities) {
      // One peek per entity and check; the purge (a receive) only when something is past the retention.
      const listed = await this.#o.queues.list(entity, 1_000);
      const cutoff = Date.now() - this.#o.retentionMs;
      const old = listed.filter((m) => m.enqueuedAt !== null && Date.parse(m.enqueuedAt) <= cutoff).length;
      let count = listed.length;
      if (old > 0) {
        const purged = await this.#o.queues.purge(entity, this.#o.retentionMs);
        if (purged > 0) this.#o.logger.info({ entity, purged }, 'dead letters past the retention removed');
        count -= purged;
      }
      this.#gauge.set({ entity }, count);
      if (count > 0) this.#o.logger.warn({ entity, count }, 'messages are dead-lettered');
    }
  }
}
