/**
 * The global spend breaker: one limit on model tokens per minute across every conversation and channel, so a
 * flood (an outage, a bot, an attack) degrades to "we're busy" instead of a storm of 429s from the model and a
 * bill nobody planned. Per-conversation budgets cap one customer; this caps everyone together.
 */
export interface SpendBreaker {
  /** Whether a new model call may start at `now` (epoch ms). */
  allows(now: number): Promise<boolean>;
  /** Records the tokens a model call used. */
  record(tokens: number, now: number): Promise<void>;
}

const WINDOW_MS = 60_000;
const SLOTS = 12;

/**
 * A {@link SpendBreaker} over a sliding minute (twelve 5-second slots), in memory: the limit holds per process.
 * With several replicas each has its own minute (a shared Redis counter is the scale-out step).
 */
export class MemorySpendBreaker implements SpendBreaker {
  readonly #limit: number;
  readonly #slots = new Map<number, number>();

  /** @param tokensPerMinute - tokens allowed per sliding minute, > 0 */
  constructor(tokensPerMinute: number) {
    if (!(tokensPerMinute > 0)) throw new RangeError('tokensPerMinute must be more than 0');
    this.#limit = tokensPerMinute;
  }

  async allows(now: number): Promise<boolean> {
    return this.#used(now) < this.#limit;
  }

  async record(tokens: number, now: number): Promise<void> {
    if (!(tokens > 0)) return;
    const slot = Math.floor(now / (WINDOW_MS / SLOTS));
    this.#slots.set(slot, (this.#slots.get(slot) ?? 0) + tokens);
  }

  #used(now: number): number {
    const current = Math.floor(now / (WINDOW_MS / SLOTS));
    let used = 0;
    for (const [slot, tokens] of this.#slots) {
      if (slot <= current - SLOTS) this.#slots.delete(slot);
      else used += tokens;
    }
    return used;
  }
}

/** What the customer hears while the breaker is open. */
export const BUSY_REPLY =
  "We're very busy right now and can't answer straight away. Please try again in a few minutes, or ask to speak to a member of our team.";
