import { describe, expect, it } from 'vitest';
import { MemoryContextCache } from './cache.js';

describe('MemoryContextCache', () => {
  it('given version 2 cached, when a reader puts back version 1, then version 2 stays', async () => {
    const cache = new MemoryContextCache();
    expect(await cache.setIfNewer('customer:a', 2, { name: 'new' })).toBe(true);
    expect(await cache.setIfNewer('customer:a', 1, { name: 'old' })).toBe(false);
    expect(await cache.get('customer:a')).toEqual({ version: 2, value: { name: 'new' } });
  });

  it('given a cached object, when the caller mutates what it got, then the cache is unchanged', async () => {
    const cache = new MemoryContextCache();
    await cache.setIfNewer('k', 1, { list: [1] });
    const first = (await cache.get('k'))?.value as { list: number[] };
    first.list.push(2);
    expect((await cache.get('k'))?.value).toEqual({ list: [1] });
  });

  it('given a tombstone (null), when read, then the entry is a hit with a null value', async () => {
    const cache = new MemoryContextCache();
    await cache.setIfNewer('customer:gone', 5, null);
    expect(await cache.get('customer:gone')).toEqual({ version: 5, value: null });
  });

  it('given more entries than maxEntries, when filled, then the least recently used is evicted', async () => {
    const cache = new MemoryContextCache({ maxEntries: 2 });
    await cache.setIfNewer('a', 1, 'a');
    await cache.setIfNewer('b', 1, 'b');
    await cache.setIfNewer('c', 1, 'c');
    expect(await cache.get('a')).toBeUndefined();
    expect((await cache.get('c'))?.value).toBe('c');
  });
});
