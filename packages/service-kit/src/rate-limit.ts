import { HttpProblem } from './problem.js';

/** Settings of a per-sender token bucket. */
export interface RateLimitConfig {
  /** Messages a sender may send back to back (bucket size), at least 1. */
  readonly burst: number;
  /** Sustained messages per minute (refill rate), greater than 0. */
  readonly perMinute: number;
}

/** One sender's bucket. */
export interface BucketState {
  /** Tokens left (fractional while refilling). */
  readonly tokens: number;
  /** When `tokens` was last brought up to date, in epoch milliseconds. */
  readonly updatedAt: number;
  /** Whether this sender was already told to slow down in the current throttled burst. */
  readonly notified: boolean;
}

/** The answer of a rate-limit check. */
export type RateLimitDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** True for the first rejected message of a throttled burst: send ONE polite reply for it, not for the rest. */
      readonly firstRejection: boolean;
      /** How long until the next message would be allowed, in milliseconds. */
      readonly retryAfterMs: number;
    };

/** Checks a rate-limit config, throwing a RangeError for an unusable one. */
export function assertRateLimitConfig(config: RateLimitConfig): void {
  if (!Number.isFinite(config.burst) || config.burst < 1) {
    throw new RangeError('rate limit: burst must be a number of at least 1');
  }
  if (!Number.isFinite(config.perMinute) || config.perMinute <= 0) {
    throw new RangeError('rate limit: perMinute must be a number greater than 0');
  }
}

/**
 * One token-bucket step, pure: refills `state` for the time elapsed up to `now` (a clock going backwards
 * refills nothing), then takes a token if there is one. A new sender (`state` undefined) starts full.
 * The first rejection of a throttled burst sets `notified`; the next allowed message clears it, so each
 * throttled burst gets exactly one `firstRejection`.
 */
export function takeToken(
  state: BucketState | undefined,
  now: number,
  config: RateLimitConfig,
): { decision: RateLimitDecision; state: BucketState } {
  const perMs = config.perMinute / 60_000;
  const elapsed = state === undefined ? 0 : Math.max(0, now - state.updatedAt);
  const tokens = state === undefined ? config.burst : Math.min(config.burst, state.tokens + elapsed * perMs);
  const updatedAt = state === undefined ? now : Math.max(now, state.updatedAt);
  if (tokens >= 1) {
    return { decision: { allowed: true }, state: { tokens: tokens - 1, updatedAt, notified: false } };
  }
  const notified = state?.notified ?? false;
  return {
    decision: { allowed: false, firstRejection: !notified, retryAfterMs: Math.ceil((1 - tokens) / perMs) },
    state: { tokens, updatedAt, notified: true },
  };
}

/**
 * Per-sender token buckets (in memory, one adapter instance). Time is passed in, so it is deterministic.
 *
 * @example
 * const limiter = new SenderRateLimiter({ burst: 5, perMinute: 20 });
 * const decision = limiter.check('phone:+14255550123', Date.now());
 * if (!decision.allowed && decision.firstRejection) reply(RATE_LIMITED_REPLY);
 */
export class SenderRateLimiter {
  readonly #config: RateLimitConfig;
  readonly #buckets = new Map<string, BucketState>();

  /** @throws {RangeError} for a burst below 1 or a non-positive rate. */
  constructor(config: RateLimitConfig) {
    assertRateLimitConfig(config);
    this.#config = { burst: config.burst, perMinute: config.perMinute };
  }

  /** Records a message from `sender` at `now` (epoch ms) and says whether it may go to the agent. */
  check(sender: string, now: number): RateLimitDecision {
    const { decision, state } = takeToken(this.#buckets.get(sender), now, this.#config);
    this.#buckets.set(sender, state);
    return decision;
  }

  /** Forgets senders whose bucket has refilled completely by `now` (they would start full anyway). */
  prune(now: number): void {
    const perMs = this.#config.perMinute / 60_000;
    for (const [sender, state] of this.#buckets) {
      const refilled = state.tokens + Math.max(0, now - state.updatedAt) * perMs;
      if (refilled >= this.#config.burst) this.#buckets.delete(sender);
    }
  }

  /** How many senders are tracked (for metrics and tests). */
  get size(): number {
    return this.#buckets.size;
  }
}

/** One limit a request is checked against: a key (`ip:...`, `webuser:...`) and its bucket. */
export interface RequestLimit {
  readonly key: string;
  readonly config: RateLimitConfig;
}

/**
 * Where token buckets live: one process ({@link MemoryTokenBuckets}) or Redis, shared by every replica
 * (`RedisTokenBuckets`). `take` takes a token from each limit's bucket at `now` and answers in order.
 */
export interface TokenBuckets {
  take(limits: readonly RequestLimit[], now: number): Promise<RateLimitDecision[]>;
}

/**
 * {@link TokenBuckets} in process memory: each replica keeps its own, so the effective limit is the configured
 * one times the replicas. The single-process fallback when no Redis is configured.
 */
export class MemoryTokenBuckets implements TokenBuckets {
  readonly #buckets = new Map<string, BucketState>();
  readonly #maxKeys: number;

  /** @param maxKeys - buckets kept at most; the oldest are dropped first (a flood of new keys cannot exhaust memory). */
  constructor(maxKeys = 100_000) {
    this.#maxKeys = maxKeys;
  }

  async take(limits: readonly RequestLimit[], now: number): Promise<RateLimitDecision[]> {
    const decisions: RateLimitDecision[] = [];
    for (const limit of limits) {
      assertRateLimitConfig(limit.config);
      const { decision, state } = takeToken(this.#buckets.get(limit.key), now, limit.config);
      this.#buckets.delete(limit.key);
      this.#buckets.set(limit.key, state);
      decisions.push(decision);
    }
    while (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next().value;
      if (oldest === undefined) break;
      this.#buckets.delete(oldest);
    }
    return decisions;
  }

  /** How many keys are tracked (for tests and metrics). */
  get size(): number {
    return this.#buckets.size;
  }
}

/**
 * Token buckets for several kinds of key at once (per IP, per web user). Keys of different limits must differ
 * (prefix them with the kind). In memory by default; give it `RedisTokenBuckets` and every replica enforces the
 * same buckets, so the configured limit is the limit however many replicas run.
 */
export class RequestRateLimiter {
  readonly #buckets: TokenBuckets;

  /** @param buckets - where the buckets live; default {@link MemoryTokenBuckets} of 100 000 keys. */
  constructor(buckets: TokenBuckets = new MemoryTokenBuckets()) {
    this.#buckets = buckets;
  }

  /**
   * Takes a token from every limit's bucket at `now`.
   *
   * @throws {@link HttpProblem} 429 with `Retry-After` (seconds) when any bucket is empty
   */
  async enforce(limits: readonly RequestLimit[], now: number): Promise<void> {
    let retryAfterMs = 0;
    for (const decision of await this.#buckets.take(limits, now)) {
      if (!decision.allowed) retryAfterMs = Math.max(retryAfterMs, decision.retryAfterMs);
    }
    if (retryAfterMs > 0) {
      const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
      throw new HttpProblem(429, 'Too Many Requests', {
        detail: `Too many requests; please wait ${seconds} s and try again.`,
        headers: { 'retry-after': String(seconds) },
      });
    }
  }
}
