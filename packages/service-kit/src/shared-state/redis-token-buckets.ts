import type { Redis } from 'ioredis';
import {
  assertRateLimitConfig,
  type RateLimitDecision,
  type RequestLimit,
  type TokenBuckets,
} from '../rate-limit.js';
import { DEFAULT_SHARED_PREFIX } from './redis.js';

/**
 * `takeToken` (rate-limit.ts) as one atomic script over every key: KEYS the buckets; ARGV now, then burst and
 * per-minute of each key. A bucket is a hash {t tokens, u updated at, n notified}; it expires once it would
 * have refilled completely (a new bucket starts full, so forgetting it changes nothing). Answers one
 * {allowed, firstRejection, retryAfterMs} per key. Numbers cross as strings: Redis truncates Lua numbers.
 */
const TAKE = `
local now = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local burst = tonumber(ARGV[2 * i])
  local perMs = tonumber(ARGV[2 * i + 1]) / 60000
  local s = redis.call('HMGET', key, 't', 'u', 'n')
  local tokens = burst
  local updated = now
  local notified = '0'
  if s[1] then
    local t = tonumber(s[1])
    local u = tonumber(s[2])
    tokens = math.min(burst, t + math.max(0, now - u) * perMs)
    updated = math.max(now, u)
    notified = s[3] or '0'
  end
  if tokens >= 1 then
    redis.call('HSET', key, 't', tostring(tokens - 1), 'u', tostring(updated), 'n', '0')
    out[i] = {1, 0, 0}
  else
    redis.call('HSET', key, 't', tostring(tokens), 'u', tostring(updated), 'n', '1')
    local first = 1
    if notified == '1' then first = 0 end
    out[i] = {0, first, math.ceil((1 - tokens) / perMs)}
  end
  redis.call('PEXPIRE', key, math.ceil(burst / perMs) + 1000)
end
return out`;

/**
 * {@link TokenBuckets} in Redis: every replica takes from the same buckets, so a sender or IP gets the
 * configured limit whichever replica (or session owner) handles it. Keys need one Redis node (not Cluster):
 * the limits of one request are taken in one script.
 */
export class RedisTokenBuckets implements TokenBuckets {
  readonly #redis: Redis;
  readonly #prefix: string;

  /** @param prefix - key prefix (the buckets add `bucket:`); default `omni:shared:` */
  constructor(redis: Redis, prefix = DEFAULT_SHARED_PREFIX) {
    this.#redis = redis;
    this.#prefix = `${prefix}bucket:`;
  }

  async take(limits: readonly RequestLimit[], now: number): Promise<RateLimitDecision[]> {
    if (limits.length === 0) return [];
    const args: (string | number)[] = [String(now)];
    for (const limit of limits) {
      assertRateLimitConfig(limit.config);
      args.push(String(limit.config.burst), String(limit.config.perMinute));
    }
    const keys = limits.map((limit) => this.#prefix + limit.key);
    const rows = (await this.#redis.eval(TAKE, keys.length, ...keys, ...args)) as [number, number, number][];
    return rows.map(([allowed, first, retryAfterMs]) =>
      allowed === 1
        ? { allowed: true }
        : { allowed: false, firstRejection: first === 1, retryAfterMs: Number(retryAfterMs) },
    );
  }
}
