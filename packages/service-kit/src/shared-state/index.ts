export type { SharedStateErrorListener } from './fallback.js';
export { connectSharedRedis, DEFAULT_SHARED_PREFIX, type Redis } from './redis.js';
export { RedisDedupeStore, type RedisDedupeStoreOptions } from './redis-dedupe-store.js';
export { RedisTokenBuckets } from './redis-token-buckets.js';
export { MemorySeenSet, RedisSeenSet, type SeenSet } from './seen-set.js';
export { createSharedState, type SharedState } from './shared-state.js';
