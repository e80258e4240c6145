import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Classification, Classifier } from './classification.js';
import { classificationCacheKey, classifyCached } from './classification-cache.js';
import { forgetClassifications, RedisClassificationCache } from './redis-classification-cache.js';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `omni:test:${randomUUID()}:`;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
  } catch (error) {
    throw new Error(
      `Redis is not reachable at ${url}: start redis-server or set REDIS_URL (${String(error)})`,
    );
  }
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

const billing: Classification = {
  agent_id: 'Billing',
  confidence: 0.92,
  ambiguous: false,
  intent_summary: 'question about a bill',
  entities: { account: '1234567890' },
};

function countingClassifier(result: Classification) {
  let calls = 0;
  const classifier: Classifier = {
    classify: async () => {
      calls++;
      return result;
    },
  };
  return { classifier, calls: () => calls };
}

describe('RedisClassificationCache (a real Redis)', () => {
  it('given two caches on one Redis (two replicas), when the same utterance arrives at both, then it is classified once', async () => {
    const { classifier, calls } = countingClassifier(billing);
    const replicaA = new RedisClassificationCache(redis, { prefix });
    const replicaB = new RedisClassificationCache(redis, { prefix });
    const first = await classifyCached(classifier, replicaA, 'utilities', 'Why is my BILL so high?');
    const second = await classifyCached(classifier, replicaB, 'utilities', '  why is my bill so high ');
    expect(first).toEqual(billing);
    expect(second).toEqual(billing);
    expect(calls()).toBe(1);
  });

  it('given a corrupt entry, then it is a miss and the message is classified again', async () => {
    const cache = new RedisClassificationCache(redis, { prefix });
    await redis.set(`${prefix}classification:utilities:corrupt`, '{"agent_id": 42}');
    expect(await cache.get('classification:utilities:corrupt')).toBeUndefined();
  });

  it('given a TTL, then the entry expires in Redis', async () => {
    const cache = new RedisClassificationCache(redis, { prefix, ttlMs: 60_000 });
    await cache.set('classification:utilities:ttl', billing);
    const ttl = await redis.pttl(`${prefix}classification:utilities:ttl`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('given Redis failing, then the cache reports the error and behaves as a miss', async () => {
    const errors: unknown[] = [];
    const broken = {
      get: async () => {
        throw new Error('connection reset');
      },
      set: async () => {
        throw new Error('connection reset');
      },
    };
    const cache = new RedisClassificationCache(broken, { onError: (e) => errors.push(e) });
    const { classifier, calls } = countingClassifier(billing);
    expect(await classifyCached(classifier, cache, 'utilities', 'my bill')).toEqual(billing);
    expect(calls()).toBe(1);
    expect(errors).toHaveLength(2);
  });
});

describe('forgetClassifications', () => {
  it('given cached classifications of several utterances, when a customer’s are forgotten, then only theirs go', async () => {
    const cache = new RedisClassificationCache(redis, { prefix });
    await cache.set(classificationCacheKey('utilities', 'My power is out at 14 Cardigan Road!'), billing);
    await cache.set(classificationCacheKey('ecommerce', 'my power is out at 14 cardigan road'), billing);
    await cache.set(classificationCacheKey('utilities', 'Where is my order?'), billing);

    const removed = await forgetClassifications(redis, ['My power is out at 14 Cardigan Road.'], prefix);

    expect(removed).toBe(2);
    expect(
      await cache.get(classificationCacheKey('utilities', 'my power is out at 14 cardigan road')),
    ).toBeUndefined();
    expect(await cache.get(classificationCacheKey('utilities', 'Where is my order?'))).toEqual(billing);
  });
});
