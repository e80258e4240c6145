import type { Redis } from 'ioredis';
import { DEFAULT_SHARED_PREFIX } from './redis.js';

/**
 * Remembers that an idempotent piece of work was done for a key (e.g. a number/BSUID pair linked), so it is
 * not done again: a saving, never a guard (forgetting only repeats idempotent work).
 */
export interface SeenSet {
  has(key: string): Promise<boolean>;
  add(key: string): Promise<void>;
}

/** A {@link SeenSet} of one process, bounded: it starts over when full. */
export class MemorySeenSet implements SeenSet {
  readonly #keys = new Set<string>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  async has(key: string): Promise<boolean> {
    return this.#keys.has(key);
  }

  async add(key: string): Promise<void> {
    if (this.#keys.size >= this.#max) this.#keys.clear();
    this.#keys.add(key);
  }
}

/** A {@link SeenSet} in Redis, shared by the replicas; each key expires after `ttlSeconds` (default a day). */
export class RedisSeenSet implements SeenSet {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlSeconds: number;

  /** @param name - what is remembered (part of the key), e.g. `whatsapp-linked` */
  constructor(redis: Redis, name: string, options: { prefix?: string; ttlSeconds?: number } = {}) {
    this.#redis = redis;
    this.#prefix = `${options.prefix ?? DEFAULT_SHARED_PREFIX}seen:${name}:`;
    this.#ttlSeconds = options.ttlSeconds ?? 86_400;
  }

  async has(key: string): Promise<boolean> {
    return (await this.#redis.exists(this.#prefix + key)) === 1;
  }

  async add(key: string): Promise<void> {
    await this.#redis.set(this.#prefix + key, '1', 'EX', this.#ttlSeconds);
  }
}
