import { randomUUID } from 'node:crypto';
import { type CosmosEmulator, startCosmosEmulator } from '@omni/emulators/cosmos';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { type ContextCache, MemoryContextCache, RedisContextCache } from '../cache.js';
import { type CustomerContextContainers, createCosmosContainers } from '../cosmos.js';
import { CustomerContextStore, type CustomerContextStoreOptions } from '../customer-context-store.js';

/** The two cache variants every integration suite runs with. */
export const cacheVariants = ['redis', 'memory'] as const;
/** A cache variant. */
export type CacheVariant = (typeof cacheVariants)[number];

/** The Redis the Redis variant uses: REDIS_URL, else the local default. */
export const testRedisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The handoff token key of the tests (not a secret). */
export const TEST_TOKEN_KEY = 'test-handoff-token-key-0123456789abcdef';

/** A clock tests move by hand. */
export interface ManualClock {
  (): number;
  advance(ms: number): void;
  set(ms: number): void;
}

/** A {@link ManualClock} starting at `start`. */
export function manualClock(start = Date.parse('2025-06-01T09:00:00.000Z')): ManualClock {
  let now = start;
  const clock = (() => now) as ManualClock;
  clock.advance = (ms) => {
    now += ms;
  };
  clock.set = (ms) => {
    now = ms;
  };
  return clock;
}

/** An emulator with the containers. */
export async function startCosmos(): Promise<{
  emulator: CosmosEmulator;
  containers: CustomerContextContainers;
}> {
  const emulator = await startCosmosEmulator({ port: 0 });
  const containers = createCosmosContainers({ endpoint: emulator.endpoint, key: emulator.key });
  return { emulator, containers };
}

/**
 * A cache of the given variant, namespaced by a fresh prefix. The Redis variant fails (never skips) when Redis
 * does not answer.
 */
export async function openCache(
  variant: CacheVariant,
): Promise<{ cache: ContextCache; redis?: Redis; prefix: string }> {
  const prefix = `omni:ctx:test:${randomUUID()}:`;
  if (variant === 'memory') return { cache: new MemoryContextCache(), prefix };
  const redis = new Redis(testRedisUrl, {
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    retryStrategy: () => null,
    lazyConnect: true,
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new Error(
      `Redis is not reachable at ${testRedisUrl} (${(error as Error).message}). The Redis variant of the ` +
        'customer-context integration tests needs a real Redis: start redis-server or set REDIS_URL.',
    );
  }
  return { cache: new RedisContextCache(redis, { prefix, ttlSeconds: 60 }), redis, prefix };
}

/** A store over the containers and cache, with a manual clock and fast polling. */
export function storeFor(
  containers: CustomerContextContainers,
  cache: ContextCache,
  overrides: Partial<CustomerContextStoreOptions> = {},
): CustomerContextStore {
  return new CustomerContextStore({
    containers,
    cache,
    handoffTokenKey: TEST_TOKEN_KEY,
    pollIntervalMs: 5,
    waitTimeoutMs: 10_000,
    ...overrides,
  });
}

const usedNumbers = new Set<string>();

/** A fresh, valid US number as its 10 national digits (e.g. `4252345678`). */
export function freshUsNumber(): string {
  for (;;) {
    const exchange = 200 + Math.floor(Math.random() * 800);
    const line = String(Math.floor(Math.random() * 10_000)).padStart(4, '0');
    const digits = `425${exchange}${line}`;
    if (!usedNumbers.has(digits)) {
      usedNumbers.add(digits);
      return digits;
    }
  }
}

/** A deferred promise, for pausing an operation at a chosen point. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** The emulator and its containers for the tests of one file (started before them, stopped after). */
export function useCosmos(): { readonly containers: CustomerContextContainers } {
  let started: { emulator: CosmosEmulator; containers: CustomerContextContainers } | undefined;
  beforeAll(async () => {
    started = await startCosmos();
  });
  afterAll(async () => {
    started?.containers.client.dispose();
    await started?.emulator.stop();
  });
  return {
    get containers() {
      if (started === undefined)
        throw new Error('the Cosmos emulator is not started yet (use it inside a test)');
      return started.containers;
    },
  };
}

/** A cache of `variant` for the tests of one suite (opened before them, cleared and closed after). */
export function useCache(variant: CacheVariant): { readonly cache: ContextCache } {
  let opened: { cache: ContextCache; redis?: Redis } | undefined;
  beforeAll(async () => {
    opened = await openCache(variant);
  });
  afterAll(async () => {
    await opened?.cache.clear();
    await opened?.redis?.quit();
  });
  return {
    get cache() {
      if (opened === undefined) throw new Error('the cache is not open yet (use it inside a test)');
      return opened.cache;
    },
  };
}
