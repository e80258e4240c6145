import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CallSession, RedisCallStateStore } from './call-state.js';

const prefix = `voice-test:${randomUUID()}:`;
let redis: Redis;
let states: RedisCallStateStore;

function session(ref: string): CallSession {
  return {
    ref,
    secret: 's3cret',
    serverCallId: `server-${ref}`,
    correlationId: `corr-${ref}`,
    customerId: 'cust_01HZY3K7Q8M2N4P6R8T0V2W4X6',
    phase: 'connecting',
    seq: 0,
    reprompts: 0,
    turns: 0,
    handled: [],
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
  };
}

beforeAll(() => {
  redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  states = new RedisCallStateStore(redis, { prefix, ttlSeconds: 120, ownsClient: false });
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('RedisCallStateStore', () => {
  it('given a stored call, when read by a new store (a restart), then the same state comes back with a TTL', async () => {
    const stored = {
      ...session('r1'),
      callConnectionId: 'conn-1',
      phase: 'queued' as const,
      handled: ['e1'],
    };
    await states.put(stored);
    const restarted = new RedisCallStateStore(redis, { prefix, ttlSeconds: 120, ownsClient: false });
    expect(await restarted.get('r1')).toEqual(stored);
    expect(await restarted.refOfConnection('conn-1')).toBe('r1');
    const ttl = await redis.ttl(`${prefix}call:r1`);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(120);
  });

  it('given nothing stored, then get and refOfConnection find nothing', async () => {
    expect(await states.get('missing')).toBeUndefined();
    expect(await states.refOfConnection('missing')).toBeUndefined();
  });
});
