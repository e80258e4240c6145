import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { InMemoryDedupeStore } from './dedupe-store.js';

describe('InMemoryDedupeStore', () => {
  it('given a new key, when claimed twice, then the first claim wins and the second sees it in progress', async () => {
    const store = new InMemoryDedupeStore();

    expect(await store.claim('topic|1')).toBe('claimed');
    expect(await store.claim('topic|1')).toBe('in-progress');
  });

  it('given a claimed key, when completed, then later claims answer done', async () => {
    const store = new InMemoryDedupeStore();
    await store.claim('topic|1');

    await store.complete('topic|1');

    expect(await store.claim('topic|1')).toBe('done');
  });

  it('given a claimed key, when released, then the next claim takes it again', async () => {
    const store = new InMemoryDedupeStore();
    await store.claim('topic|1');

    await store.release('topic|1');

    expect(await store.claim('topic|1')).toBe('claimed');
  });

  it('given a completed key, when released by a late attempt, then it stays done', async () => {
    const store = new InMemoryDedupeStore();
    await store.claim('topic|1');
    await store.complete('topic|1');

    await store.release('topic|1');

    expect(await store.claim('topic|1')).toBe('done');
  });

  it('given a claim older than its lease, when claimed again, then the new attempt takes it over', async () => {
    const store = new InMemoryDedupeStore({ leaseMs: 20 });
    await store.claim('topic|1');

    await sleep(60);

    expect(await store.claim('topic|1')).toBe('claimed');
  });

  it('given a completed key older than ttlMs, when claimed again, then it is handled again', async () => {
    const store = new InMemoryDedupeStore({ ttlMs: 20 });
    await store.claim('topic|1');
    await store.complete('topic|1');

    await sleep(60);

    expect(await store.claim('topic|1')).toBe('claimed');
  });

  it('given max keys, when more are completed, then the least recently used is forgotten', async () => {
    const store = new InMemoryDedupeStore({ max: 2 });
    for (const key of ['a', 'b', 'c']) {
      await store.claim(key);
      await store.complete(key);
    }

    expect(await store.claim('c')).toBe('done');
    expect(await store.claim('a')).toBe('claimed');
  });

  it('given invalid options, when constructed, then it throws', () => {
    expect(() => new InMemoryDedupeStore({ max: 0 })).toThrow(RangeError);
    expect(() => new InMemoryDedupeStore({ ttlMs: -1 })).toThrow(RangeError);
    expect(() => new InMemoryDedupeStore({ leaseMs: Number.NaN })).toThrow(RangeError);
  });
});
