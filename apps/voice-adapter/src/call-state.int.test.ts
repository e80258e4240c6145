import { randomUUID } from 'node:crypto';
import { createCustomerContextStore, parseCustomerContextConfig } from '@omni/customer-context';
import { startCosmosEmulator } from '@omni/emulators/cosmos';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CallSession,
  CallStateConflictError,
  CosmosCallStateStore,
  RedisCallStateStore,
} from './call-state.js';

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
    version: 0,
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

  it('given two writers of one call, when both write over the same version, then the second gets a conflict', async () => {
    await states.put(session('r2'));
    const first = await states.get('r2');
    const second = await states.get('r2');
    if (first === undefined || second === undefined) throw new Error('not stored');
    await states.put({ ...first, phase: 'talking' });
    await expect(states.put({ ...second, phase: 'queued' })).rejects.toBeInstanceOf(CallStateConflictError);
    expect((await states.get('r2'))?.phase).toBe('talking');
  });

  it('given nothing stored, then get and refOfConnection find nothing', async () => {
    expect(await states.get('missing')).toBeUndefined();
    expect(await states.refOfConnection('missing')).toBeUndefined();
  });
});

describe('CosmosCallStateStore (the calls container)', () => {
  it('given two writers of one call, then the second is refused (ETag) and a new store reads the first', async () => {
    const cosmos = await startCosmosEmulator({ port: 0 });
    const context = createCustomerContextStore(
      parseCustomerContextConfig({
        COSMOS_ENDPOINT: cosmos.endpoint,
        COSMOS_KEY: cosmos.key,
        HANDOFF_TOKEN_KEY: 'k'.repeat(48),
      }),
    );
    try {
      const container = context.containers.client.database('omnichannel').container('calls');
      const a = new CosmosCallStateStore(container, 60);
      const b = new CosmosCallStateStore(container, 60);
      await a.put({ ...session('c1'), callConnectionId: 'conn-c1' });
      const readByA = await a.get('c1');
      const readByB = await b.get('c1');
      if (readByA === undefined || readByB === undefined) throw new Error('not stored');
      await a.put({ ...readByA, phase: 'talking' });
      await expect(b.put({ ...readByB, phase: 'queued' })).rejects.toBeInstanceOf(CallStateConflictError);
      await expect(b.put(session('c1'))).rejects.toBeInstanceOf(CallStateConflictError);
      const fresh = new CosmosCallStateStore(container, 60);
      expect(await fresh.get('c1')).toMatchObject({ phase: 'talking', version: 2 });
      expect(await fresh.refOfConnection('conn-c1')).toBe('c1');
    } finally {
      await context.close();
      await cosmos.stop();
    }
  }, 30_000);
});
