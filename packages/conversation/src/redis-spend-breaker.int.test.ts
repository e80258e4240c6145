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

  it('given a sum read less than a second ago, when turns ask, then they get the answer without a Redis round trip, and this replica counts its own spend at once', async () => {
    const now = 1_700_000_200_000;
    let reads = 0;
    let writes = 0;
    const counting = {
      eval: (script: string, numKeys: number, ...args: (string | number)[]) => {
        if (numKeys > 1) reads += 1;
        else writes += 1;
        return a.eval(script, numKeys, ...args);
      },
    };
    const breaker = new RedisSpendBreaker(counting, 100, { prefix: `${prefix}snap:` });
    expect(await breaker.allows(now)).toBe(true);
    expect(reads).toBe(1);
    for (let i = 1; i <= 10; i++) expect(await breaker.allows(now + i * 50)).toBe(true);
    expect(reads).toBe(1);
    // Not awaited, as the engine records: the next turn already sees it.
    const recorded = [
      breaker.record(100, now + 600),
      breaker.record(30, now + 610),
      breaker.record(20, now + 620),
    ];
    expect(await breaker.allows(now + 700)).toBe(false);
    expect(reads).toBe(1);
    // The three calls of one slot went out as one write, and the other replicas see their sum.
    await Promise.all(recorded);
    expect(writes).toBe(1);
    expect(await new RedisSpendBreaker(b, 151, { prefix: `${prefix}snap:` }).allows(now + 700)).toBe(true);
    expect(await new RedisSpendBreaker(b, 150, { prefix: `${prefix}snap:` }).allows(now + 700)).toBe(false);
  });

  it("given another replica's spend, when the sum is a second old, then it is read again in the background, and when it is older than five seconds, before answering", async () => {
    const now = 1_700_000_300_000;
    const snapPrefix = `${prefix}stale:`;
    const mine = new RedisSpendBreaker(a, 100, { prefix: snapPrefix });
    const other = new RedisSpendBreaker(b, 100, { prefix: snapPrefix });
    expect(await mine.allows(now)).toBe(true);
    await other.record(150, now + 100);
    // Within a second: the sum as read.
    expect(await mine.allows(now + 500)).toBe(true);
    // Past a second: answered from the sum as read while it is read again...
    expect(await mine.allows(now + 1_500)).toBe(true);
    // ...which the next turn sees.
    await expect.poll(() => mine.allows(now + 1_600)).toBe(false);

    const late = new RedisSpendBreaker(a, 100, { prefix: `${prefix}late:` });
    expect(await late.allows(now)).toBe(true);
    await new RedisSpendBreaker(b, 100, { prefix: `${prefix}late:` }).record(150, now + 5_000);
    // Five seconds old: read before answering.
    expect(await late.allows(now + 5_000)).toBe(false);
  });
});
