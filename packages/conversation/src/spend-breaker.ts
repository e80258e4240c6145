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
 * With several replicas each has its own minute: they share one through {@link RedisSpendBreaker}.
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

/** The Redis commands {@link RedisSpendBreaker} uses; an `ioredis` client fits. */
export interface SpendCounterCommands {
  eval(script: string, numKeys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** KEYS the slot counter; ARGV tokens, ttl ms. */
const RECORD = `
redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** KEYS the twelve slot counters of the minute; answers their sum. */
const USED = `
local used = 0
for _, key in ipairs(KEYS) do used = used + (tonumber(redis.call('GET', key) or '0') or 0) end
return used`;

/**
 * The {@link SpendBreaker} of every replica together: the same sliding minute of twelve 5-second slots, each
 * slot a Redis counter that expires after the minute. `MODEL_TOKENS_PER_MINUTE` is then the limit of the
 * deployment, not of each replica. If Redis fails the breaker stays closed (a conversation is worth more than a
 * minute of exact accounting) and the error is reported.
 */
export class RedisSpendBreaker implements SpendBreaker {
  readonly #redis: SpendCounterCommands;
  readonly #limit: number;
  readonly #prefix: string;
  readonly #onError: (error: unknown) => void;

  /** @param tokensPerMinute - tokens allowed per sliding minute across replicas, > 0 */
  constructor(
    redis: SpendCounterCommands,
    tokensPerMinute: number,
    options: { prefix?: string; onError?: (error: unknown) => void } = {},
  ) {
    if (!(tokensPerMinute > 0)) throw new RangeError('tokensPerMinute must be more than 0');
    this.#redis = redis;
    this.#limit = tokensPerMinute;
    this.#prefix = `${options.prefix ?? 'omni:'}spend:`;
    this.#onError = options.onError ?? (() => {});
  }

  async allows(now: number): Promise<boolean> {
    const current = Math.floor(now / (WINDOW_MS / SLOTS));
    const keys = Array.from({ length: SLOTS }, (_, i) => `${this.#prefix}${current - i}`);
    try {
      return Number(await this.#redis.eval(USED, keys.length, ...keys)) < this.#limit;
    } catch (error) {
      this.#onError(error);
      return true;
    }
  }

  async record(tokens: number, now: number): Promise<void> {
    if (!(tokens > 0)) return;
    const slot = Math.floor(now / (WINDOW_MS / SLOTS));
    try {
      await this.#redis.eval(RECORD, 1, `${this.#prefix}${slot}`, Math.round(tokens), WINDOW_MS + 5_000);
    } catch (error) {
      this.#onError(error);
    }
  }
}
