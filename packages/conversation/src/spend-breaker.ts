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
 *
 * A turn does not wait for Redis: `allows` answers from the minute's sum as last read (plus this replica's own
 * spend since), read again in the background once it is `maxAgeMs` old (default 1 s), and waited for only
 * when it is older than `maxStaleMs` (default 5 s) or was never read. Other replicas' spend of the last second
 * may be missed, and `record` writes this replica's spend every `flushMs` (default 250 ms, one write per slot for
 * all the turns in between; the promise settles when written): a breaker over a minute opens that much later.
 */
export class RedisSpendBreaker implements SpendBreaker {
  readonly #redis: SpendCounterCommands;
  readonly #limit: number;
  readonly #prefix: string;
  readonly #onError: (error: unknown) => void;
  readonly #maxAgeMs: number;
  readonly #maxStaleMs: number;
  /** The minute's sum as read at `at`, plus this replica's spend recorded since. */
  #snapshot: { at: number; used: number } | undefined;
  #refreshing: Promise<void> | undefined;
  readonly #flushMs: number;
  /** Spend recorded and not written yet, by slot counter. */
  readonly #unflushed = new Map<string, number>();
  #flushing: Promise<void> | undefined;

  /** @param tokensPerMinute - tokens allowed per sliding minute across replicas, > 0 */
  constructor(
    redis: SpendCounterCommands,
    tokensPerMinute: number,
    options: {
      prefix?: string;
      onError?: (error: unknown) => void;
      maxAgeMs?: number;
      maxStaleMs?: number;
      flushMs?: number;
    } = {},
  ) {
    if (!(tokensPerMinute > 0)) throw new RangeError('tokensPerMinute must be more than 0');
    this.#redis = redis;
    this.#limit = tokensPerMinute;
    this.#prefix = `${options.prefix ?? 'omni:'}spend:`;
    this.#onError = options.onError ?? (() => {});
    this.#maxAgeMs = options.maxAgeMs ?? 1_000;
    this.#maxStaleMs = Math.max(options.maxStaleMs ?? 5_000, this.#maxAgeMs);
    this.#flushMs = options.flushMs ?? 250;
  }

  async allows(now: number): Promise<boolean> {
    const age = this.#snapshot === undefined ? Number.POSITIVE_INFINITY : Math.abs(now - this.#snapshot.at);
    if (age >= this.#maxStaleMs) {
      await this.#refresh(now);
    } else if (age >= this.#maxAgeMs) {
      void this.#refresh(now);
    }
    // Unread (Redis failed): closed.
    return (this.#snapshot?.used ?? 0) < this.#limit;
  }

  async record(tokens: number, now: number): Promise<void> {
    if (!(tokens > 0)) return;
    const rounded = Math.round(tokens);
    if (this.#snapshot !== undefined) this.#snapshot.used += rounded;
    // Coalesced: one write per slot every `flushMs` (the turns of a busy replica share it), not one per call.
    const key = `${this.#prefix}${Math.floor(now / (WINDOW_MS / SLOTS))}`;
    this.#unflushed.set(key, (this.#unflushed.get(key) ?? 0) + rounded);
    this.#flushing ??= new Promise<void>((resolve) => {
      setTimeout(() => {
        this.#flushing = undefined;
        void this.#flush().then(resolve);
      }, this.#flushMs).unref();
    });
    return this.#flushing;
  }

  /** Writes the spend recorded since the last flush, one counter per slot. */
  async #flush(): Promise<void> {
    const writes = [...this.#unflushed];
    this.#unflushed.clear();
    await Promise.all(
      writes.map(async ([key, tokens]) => {
        try {
          await this.#redis.eval(RECORD, 1, key, tokens, WINDOW_MS + 5_000);
        } catch (error) {
          this.#onError(error);
        }
      }),
    );
  }

  /** Reads the minute's sum (one read at a time); on failure the snapshot is dropped and the error reported. */
  #refresh(now: number): Promise<void> {
    this.#refreshing ??= (async () => {
      const current = Math.floor(now / (WINDOW_MS / SLOTS));
      const keys = Array.from({ length: SLOTS }, (_, i) => `${this.#prefix}${current - i}`);
      try {
        this.#snapshot = { at: now, used: Number(await this.#redis.eval(USED, keys.length, ...keys)) };
      } catch (error) {
        this.#snapshot = undefined;
        this.#onError(error);
      } finally {
        this.#refreshing = undefined;
      }
    })();
    return this.#refreshing;
  }
}
