import type { Redis } from 'ioredis';
import type { ClaimResult, DedupeStore } from '../event-grid/dedupe-store.js';
import { DEFAULT_SHARED_PREFIX } from './redis.js';

/** Options for a {@link RedisDedupeStore}. */
export interface RedisDedupeStoreOptions {
  /** Key prefix (the store adds `dedupe:`). Default `omni:shared:`. */
  prefix?: string;
  /** How long a handled key is remembered, in ms. Default 24 h (Event Grid's default event time-to-live). */
  ttlMs?: number;
  /** How long a claim lasts without `complete` / `release`, in ms, unless `claim` is given one. Default 10 min. */
  leaseMs?: number;
}

/** KEYS key; ARGV lease ms. Claims the key unless it is held or done; answers the winner's view. */
const CLAIM = `
if redis.call('SET', KEYS[1], 'in-progress', 'NX', 'PX', tonumber(ARGV[1])) then return 'claimed' end
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], 'in-progress', 'PX', tonumber(ARGV[1]))
  return 'claimed'
end
return current`;

/** KEYS key. Gives up an in-progress claim, never a done mark. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == 'in-progress' then redis.call('DEL', KEYS[1]) end
return 1`;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A {@link DedupeStore} in Redis, shared by every replica: a redelivery that lands on another replica (after a
 * scale-out, a restart or a kill) is still handled once. `claim` is one atomic script; an in-progress claim
 * expires after its lease, so a replica killed mid-handler blocks its event only that long.
 */
export class RedisDedupeStore implements DedupeStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #leaseMs: number;

  constructor(redis: Redis, options: RedisDedupeStoreOptions = {}) {
    this.#redis = redis;
    this.#prefix = `${options.prefix ?? DEFAULT_SHARED_PREFIX}dedupe:`;
    this.#ttlMs = options.ttlMs ?? DAY_MS;
    this.#leaseMs = options.leaseMs ?? 10 * 60 * 1000;
    for (const [name, value] of [
      ['ttlMs', this.#ttlMs],
      ['leaseMs', this.#leaseMs],
    ] as const) {
      if (!Number.isFinite(value) || value <= 0)
        throw new RangeError(`RedisDedupeStore: ${name} must be positive`);
    }
  }

  /** {@inheritDoc DedupeStore.claim} */
  async claim(key: string, leaseMs?: number): Promise<ClaimResult> {
    const lease = Math.max(1, Math.round(leaseMs ?? this.#leaseMs));
    const result = await this.#redis.eval(CLAIM, 1, this.#prefix + key, lease);
    return result === 'done' ? 'done' : result === 'in-progress' ? 'in-progress' : 'claimed';
  }

  /** {@inheritDoc DedupeStore.complete} */
  async complete(key: string): Promise<void> {
    await this.#redis.set(this.#prefix + key, 'done', 'PX', this.#ttlMs);
  }

  /** {@inheritDoc DedupeStore.release} */
  async release(key: string): Promise<void> {
    await this.#redis.eval(RELEASE, 1, this.#prefix + key);
  }
}
