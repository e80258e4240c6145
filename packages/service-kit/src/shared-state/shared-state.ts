import type { Logger } from 'pino';
import { type DedupeStore, InMemoryDedupeStore } from '../event-grid/dedupe-store.js';
import { MemoryTokenBuckets, type TokenBuckets } from '../rate-limit.js';
import {
  DegradingDedupeStore,
  DegradingSeenSet,
  DegradingTokenBuckets,
  type SharedStateErrorListener,
} from './fallback.js';
import { connectSharedRedis, type Redis } from './redis.js';
import { RedisDedupeStore } from './redis-dedupe-store.js';
import { RedisTokenBuckets } from './redis-token-buckets.js';
import { MemorySeenSet, RedisSeenSet, type SeenSet } from './seen-set.js';

/**
 * The state a service's replicas share: in Redis when `REDIS_URL` is set (several replicas, Azure), else in
 * process memory (the single-process sandbox). Wired once per service; see ADR 0080 for what lives here.
 */
export interface SharedState {
  /** The connection, when Redis is configured (for stores of other packages, e.g. the spend breaker). */
  readonly redis: Redis | undefined;
  /** A dedupe store: Event Grid webhooks and each consumer (their keys do not collide). */
  dedupe(): DedupeStore;
  /** Token buckets for rate limits. */
  readonly buckets: TokenBuckets;
  /** A memo of idempotent work done, e.g. `whatsapp-linked`. */
  seen(name: string): SeenSet;
  /** Closes the connection (after the consumers stopped). */
  close(): Promise<void>;
}

/**
 * Shared state on Redis at `redisUrl`, or in memory when it is undefined or empty. While Redis fails, each
 * store answers from process memory (and `onError` hears of it): Redis is optional, an outage degrades the
 * sharing, never the service.
 */
export function createSharedState(
  redisUrl: string | undefined,
  options: { prefix?: string; onError?: SharedStateErrorListener; logger?: Logger } = {},
): SharedState {
  if (redisUrl === undefined || redisUrl === '') {
    const buckets = new MemoryTokenBuckets();
    return {
      redis: undefined,
      dedupe: () => new InMemoryDedupeStore(),
      buckets,
      seen: () => new MemorySeenSet(),
      close: async () => {},
    };
  }
  const redis = connectSharedRedis(redisUrl);
  const prefix = options.prefix;
  const onError = options.onError ?? warnAtMostEveryMinute(options.logger);
  return {
    redis,
    dedupe: () =>
      new DegradingDedupeStore(
        new RedisDedupeStore(redis, prefix === undefined ? {} : { prefix }),
        new InMemoryDedupeStore(),
        onError,
      ),
    buckets: new DegradingTokenBuckets(
      new RedisTokenBuckets(redis, prefix),
      new MemoryTokenBuckets(),
      onError,
    ),
    seen: (name) =>
      new DegradingSeenSet(
        new RedisSeenSet(redis, name, prefix === undefined ? {} : { prefix }),
        new MemorySeenSet(),
        onError,
      ),
    close: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** One warning per store and minute while Redis fails (each failed command would be one line otherwise). */
function warnAtMostEveryMinute(logger: Logger | undefined): SharedStateErrorListener {
  const warnedAt = new Map<string, number>();
  return (error, store) => {
    const now = Date.now();
    if (logger === undefined || now - (warnedAt.get(store) ?? 0) < 60_000) return;
    warnedAt.set(store, now);
    logger.warn({ err: error, store }, 'shared state unavailable: answering from process memory');
  };
}
