import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySpendBreaker, RedisSpendBreaker } from './spend-breaker.js';

// Two connections stand for two replicas of the adapters sharing one Redis.
const url = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const prefix = `test:spend:${randomUUID()}:`;
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

describe('RedisSpendBreaker', () => {
  it('given two replicas each spending under the limit, then together they open the breaker for both (in memory each would stay closed)', async () => {
    const now = 1_700_000_000_000;
    const one = new RedisSpendBreaker(a, 100, { prefix });
    const two = new RedisSpendBreaker(b, 100, { prefix });
    const memoryOne = new MemorySpendBreaker(100);
    await one.record(60, now);
    await memoryOne.record(60, now);
    expect(await two.allows(now + 1)).toBe(true);
    await two.record(60, now + 1_000);
    expect(await one.allows(now + 2_000)).toBe(false);
    expect(await two.allows(now + 2_000)).toBe(false);
    expect(await memoryOne.allows(now + 2_000)).toBe(true);
  });

  it('given spending a minute ago, then it no longer counts', async () => {
    const now = 1_700_000_100_000;
    const breaker = new RedisSpendBreaker(a, 100, { prefix });
    await breaker.record(150, now);
    expect(await breaker.allows(now)).toBe(false);
    expect(await breaker.allows(now + 61_000)).toBe(true);
  });

  it('given Redis unreachable, then the breaker stays closed and reports the error', async () => {
    const errors: unknown[] = [];
    const broken = { eval: async () => Promise.reject(new Error('ECONNREFUSED')) };
    const breaker = new RedisSpendBreaker(broken, 100, { prefix, onError: (e) => errors.push(e) });
    await breaker.record(500, Date.now());
    expect(await breaker.allows(Date.now())).toBe(true);
    expect(errors).toHaveLength(2);
  });
});
