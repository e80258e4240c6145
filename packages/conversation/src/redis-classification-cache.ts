import type { Classification } from './classification.js';
import { ClassificationResultSchema } from './classification.js';
import { type ClassificationCache, classificationCacheKey } from './classification-cache.js';

/** The few Redis commands the cache uses; an `ioredis` client fits. */
export interface RedisCommands {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: 'PX', ttlMs: number): Promise<unknown>;
}

/** Options of {@link RedisClassificationCache}. */
export interface RedisClassificationCacheOptions {
  /** Prefix of every key, so several deployments or tests can share one Redis. Default `omni:`. */
  readonly prefix?: string;
  /** How long an entry lives. Default 24 h: scenarios change with deployments, not by the minute. */
  readonly ttlMs?: number;
  /** Told about Redis errors; the cache then behaves as a miss, so classification never fails because of it. */
  readonly onError?: (error: unknown) => void;
}

/**
 * A {@link ClassificationCache} in Redis, shared by every replica of every channel adapter: an utterance
 * classified once is not classified again anywhere. Entries are validated when read, so a corrupt or
 * outdated entry is a miss rather than a wrong route.
 */
export class RedisClassificationCache implements ClassificationCache {
  readonly #redis: RedisCommands;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #onError: (error: unknown) => void;

  constructor(redis: RedisCommands, options: RedisClassificationCacheOptions = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? 'omni:';
    this.#ttlMs = options.ttlMs ?? 24 * 60 * 60 * 1000;
    this.#onError = options.onError ?? (() => {});
  }

  async get(key: string): Promise<Classification | undefined> {
    let raw: string | null;
    try {
      raw = await this.#redis.get(this.#prefix + key);
    } catch (error) {
      this.#onError(error);
      return undefined;
    }
    if (raw === null) return undefined;
    try {
      const parsed = ClassificationResultSchema.safeParse(JSON.parse(raw));
      return parsed.success ? (parsed.data as Classification) : undefined;
    } catch {
      return undefined;
    }
  }

  async set(key: string, value: Classification): Promise<void> {
    try {
      await this.#redis.set(this.#prefix + key, JSON.stringify(value), 'PX', this.#ttlMs);
    } catch (error) {
      this.#onError(error);
    }
  }
}

/** The Redis commands {@link forgetClassifications} uses; an `ioredis` client fits. */
export interface RedisKeyScan {
  scan(
    cursor: string,
    match: 'MATCH',
    pattern: string,
    count: 'COUNT',
    n: number,
  ): Promise<[string, string[]]>;
  del(...keys: string[]): Promise<number>;
}

/**
 * Erasure: removes the cached classifications of a customer's utterances, whatever the scenario (the cache key
 * holds the normalised text, see {@link classificationCacheKey}). An utterance others said as well ("yes") is
 * only a cache miss for them afterwards. Returns how many entries were removed.
 */
export async function forgetClassifications(
  redis: RedisKeyScan,
  texts: readonly string[],
  prefix = 'omni:',
): Promise<number> {
  const wanted = new Set(
    texts.map((text) => classificationCacheKey('', text).slice('classification::'.length)),
  );
  if (wanted.size === 0) return 0;
  const head = `${prefix}classification:`;
  let cursor = '0';
  let removed = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${head}*`, 'COUNT', 500);
    cursor = next;
    const doomed = keys.filter((key) => {
      const rest = key.slice(head.length);
      return wanted.has(rest.slice(rest.indexOf(':') + 1));
    });
    if (doomed.length > 0) removed += await redis.del(...doomed);
  } while (cursor !== '0');
  return removed;
}
