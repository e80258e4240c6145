import type { Logger } from 'pino';

/**
 * A job the router runs on start and then every `intervalMs`, never twice at once: a run asked for while one is
 * in progress joins it. A failed run is logged and tried again on the next tick. (The outbox sweeper and the
 * dead-letter monitor.)
 */
export class PeriodicJob<T> {
  readonly #run: () => Promise<T>;
  readonly #intervalMs: number;
  readonly #logger: Pick<Logger, 'warn'>;
  readonly #name: string;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<T> | undefined;

  constructor(options: {
    readonly name: string;
    readonly run: () => Promise<T>;
    readonly intervalMs: number;
    readonly logger: Pick<Logger, 'warn'>;
  }) {
    this.#run = options.run;
    this.#intervalMs = options.intervalMs;
    this.#logger = options.logger;
    this.#name = options.name;
  }

  /** Runs now, then every `intervalMs` (the timer does not keep the process alive). */
  start(): void {
    if (this.#timer !== undefined) return;
    const tick = () => {
      this.runNow().catch((error: unknown) =>
        this.#logger.warn({ err: error }, `${this.#name} failed; trying again on the next one`),
      );
    };
    this.#timer = setInterval(tick, this.#intervalMs);
    this.#timer.unref();
    tick();
  }

  /** Stops the timer and waits for a run in progress. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  /** One run (a run already in progress is joined, not doubled). */
  runNow(): Promise<T> {
    this.#running ??= this.#run().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }
}
