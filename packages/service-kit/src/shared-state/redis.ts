import { Redis } from 'ioredis';

/** Default key prefix of the state replicas share (`omni:shared:`); tests pass their own. */
export const DEFAULT_SHARED_PREFIX = 'omni:shared:';

/**
 * Opens the Redis connection a service's shared state uses (dedupe, rate limits, memos). One per process; the
 * caller closes it (`quit()`) when the service closes. As the context cache's: commands queue only until the
 * first connection, then a lost connection fails them at once (the stores fall back to process memory)
 * instead of every request waiting while ioredis reconnects.
 */
export function connectSharedRedis(url: string): Redis {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 1_000, connectTimeout: 2_000 });
  redis.once('ready', () => {
    redis.options.enableOfflineQueue = false;
  });
  // Connection errors reach the callers through the failed commands; without a listener ioredis prints each.
  redis.on('error', () => {});
  return redis;
}

export type { Redis };
