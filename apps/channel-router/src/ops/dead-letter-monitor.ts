import type { DeadLetterQueues } from '@omni/messaging';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';

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
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(options: DeadLetterMonitorOptions) {
    this.#o = options;
    this.#gauge =
      (options.registry.getSingleMetric('messaging_dead_letters') as Gauge<'entity'> | undefined) ??
      new Gauge({
        name: 'messaging_dead_letters',
        help: 'Messages in the dead-letter queue of each queue and subscription (counted up to 1000).',
        labelNames: ['entity'] as const,
        registers: [options.registry],
      });
  }

  start(): void {
    if (this.#timer !== undefined) return;
    const tick = () => {
      this.check().catch((error: unknown) =>
        this.#o.logger.warn({ err: error }, 'dead-letter check failed; trying again on the next one'),
      );
    };
    this.#timer = setInterval(tick, this.#o.intervalMs);
    this.#timer.unref();
    tick();
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One check: purge past the retention, then count. Returns the counts per entity. */
  check(): Promise<void> {
    this.#running ??= this.#check().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
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
