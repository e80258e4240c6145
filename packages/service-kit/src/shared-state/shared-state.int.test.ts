import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryTokenBuckets, type RequestLimit, RequestRateLimiter } from '../rate-limit.js';
import { RedisDedupeStore } from './redis-dedupe-store.js';
import { RedisTokenBuckets } from './redis-token-buckets.js';
import { RedisSeenSet } from './seen-set.js';
import { createSharedState } from './shared-state.js';

// Two connections stand for two replicas of a service sharing one Redis (a real one: REDIS_URL or the local default).
const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const prefix = `test:shared-state:${randomUUID()}:`;
let a: Redis;
let b: Redis;

beforeAll(async () => {
  a = new Redis(url, { maxRetriesPerRequest: 1 });
  b = new Redis(url, { maxRetriesPerRequest: 1 });
  await a.ping();
});

afterAll(async () => {
  const keys = await a.keys(`${prefix}*`);
  if (keys.length > 0) await a.del(...keys);
  await a.quit();
  await b.quit();
});

describe('RedisDedupeStore across replicas', () => {
  it('given two replicas claiming one event at once, then exactly one claims it and the other sees it in progress, then done', async () => {
    const one = new RedisDedupeStore(a, { prefix });
    const two = new RedisDedupeStore(b, { prefix });
    const claims = await Promise.all([one.claim('evt-1'), two.claim('evt-1')]);
    expect(claims.sort()).toEqual(['claimed', 'in-progress']);
    await one.complete('evt-1');
    expect(await two.claim('evt-1')).toBe('done');
  });

  it('given a replica killed holding a claim, when the lease passes, then another replica claims the event', async () => {
    const killed = new RedisDedupeStore(a, { prefix });
    const survivor = new RedisDedupeStore(b, { prefix });
    expect(await killed.claim('evt-2', 50)).toBe('claimed');
    expect(await survivor.claim('evt-2', 50)).toBe('in-progress');
    await expect.poll(() => survivor.claim('evt-2', 50), { timeout: 5_000, interval: 20 }).toBe('claimed');
  });

  it('given a released claim, then the next claim takes it, and release never undoes a done mark', async () => {
    const store = new RedisDedupeStore(a, { prefix });
    expect(await store.claim('evt-3')).toBe('claimed');
    await store.release('evt-3');
    expect(await store.claim('evt-3')).toBe('claimed');
    await store.complete('evt-3');
    await store.release('evt-3');
    expect(await store.claim('evt-3')).toBe('done');
  });
});

describe('RedisTokenBuckets across replicas', () => {
  const config = { burst: 3, perMinute: 6 };

  it('given the same sequence of takes, then the Redis buckets decide exactly as the in-memory ones', async () => {
    const memory = new MemoryTokenBuckets();
    const redis = new RedisTokenBuckets(a, prefix);
    const limits: RequestLimit[] = [{ key: `sender:${randomUUID()}`, config }];
    const times = [0, 1, 2, 3, 4, 9_000, 10_004, 10_005, 10_006, 40_000, 41_000];
    for (const at of times) {
      const now = 1_700_000_000_000 + at;
      expect(await redis.take(limits, now)).toEqual(await memory.take(limits, now));
    }
  });

  it('given two replicas taking from one sender, then the sender gets the configured burst in total, not per replica', async () => {
    const key = `sender:${randomUUID()}`;
    const replicas = [new RedisTokenBuckets(a, prefix), new RedisTokenBuckets(b, prefix)];
    const now = Date.now();
    const decisions = [];
    for (let i = 0; i < 6; i++) {
      const [decision] = await (replicas[i % 2] as RedisTokenBuckets).take([{ key, config }], now);
      decisions.push(decision);
    }
    expect(decisions.filter((d) => d?.allowed).length).toBe(3);
    expect(decisions.filter((d) => d && !d.allowed && d.firstRejection).length).toBe(1);
  });

  it('given the request limiter on shared buckets, then the fourth request on the other replica is answered 429', async () => {
    const key = `ip:${randomUUID()}`;
    const one = new RequestRateLimiter(new RedisTokenBuckets(a, prefix));
    const two = new RequestRateLimiter(new RedisTokenBuckets(b, prefix));
    const now = Date.now();
    await one.enforce([{ key, config }], now);
    await two.enforce([{ key, config }], now);
    await one.enforce([{ key, config }], now);
    await expect(two.enforce([{ key, config }], now)).rejects.toMatchObject({ status: 429 });
  });
});

describe('RedisSeenSet', () => {
  it('given a key one replica added, then the other replica has it', async () => {
    const name = randomUUID();
    await new RedisSeenSet(a, name, { prefix }).add('+14255550123|bsuid-1');
    expect(await new RedisSeenSet(b, name, { prefix }).has('+14255550123|bsuid-1')).toBe(true);
    expect(await new RedisSeenSet(b, name, { prefix }).has('+14255550123|bsuid-2')).toBe(false);
  });
});

describe('createSharedState', () => {
  it('given no REDIS_URL, then every store is in process memory and works', async () => {
    const shared = createSharedState('');
    expect(shared.redis).toBeUndefined();
    expect(await shared.dedupe().claim('k')).toBe('claimed');
    const [decision] = await shared.buckets.take([{ key: 'k', config: { burst: 1, perMinute: 1 } }], 0);
    expect(decision?.allowed).toBe(true);
    await shared.close();
  });

  it('given Redis unreachable, then the stores answer from process memory and the failure is reported', async () => {
    const failures: string[] = [];
    const shared = createSharedState('redis://127.0.0.1:1', { onError: (_e, store) => failures.push(store) });
    const dedupe = shared.dedupe();
    expect(await dedupe.claim('evt')).toBe('claimed');
    await dedupe.complete('evt');
    expect(await dedupe.claim('evt')).toBe('done');
    const config = { burst: 1, perMinute: 1 };
    const first = await shared.buckets.take([{ key: 'ip:1', config }], 0);
    const second = await shared.buckets.take([{ key: 'ip:1', config }], 0);
    expect([first[0]?.allowed, second[0]?.allowed]).toEqual([true, false]);
    const seen = shared.seen('linked');
    await seen.add('pair');
    expect(await seen.has('pair')).toBe(true);
    expect(new Set(failures)).toEqual(new Set(['dedupe', 'rate-limit', 'seen']));
    await shared.close();
  }, 30_000);
});
