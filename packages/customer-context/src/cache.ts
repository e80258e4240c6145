import { Redis, type RedisOptions } from 'ioredis';
import { LRUCache } from 'lru-cache';

/** A cached value with the version of the document it came from; `value: null` marks an erased record. */
export interface CachedEntry {
  /** The document's `version` when the value was cached. */
  readonly version: number;
  /** The cached JSON value, or null for a tombstone (the record was erased). */
  readonly value: unknown;
}

/**
 * The hot cache in front of Cosmos for customers and identity lookups. Keys are given without namespace
 * (`customer:<id>`); implementations prefix them (`omni:ctx:customer:<id>`).
 *
 * Versioned, not invalidated: {@link ContextCache.setIfNewer} only moves an entry forward, so a reader that
 * read an old document before a writer stored a newer one cannot put the old one back afterwards.
 */
export interface ContextCache {
  /** The entry under `key`, or undefined on a miss. */
  get(key: string): Promise<CachedEntry | undefined>;
  /**
   * Stores `value` under `key` unless the entry there already has a version `>= version`.
   *
   * @returns true when stored
   */
  setIfNewer(key: string, version: number, value: unknown): Promise<boolean>;
  /** Removes `key`. */
  delete(key: string): Promise<void>;
  /** Removes every key of this cache's namespace (tests, and ops after a restore). */
  clear(): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

/** The default namespace of cache keys. */
export const DEFAULT_CACHE_PREFIX = 'omni:ctx:';
/** The default (and upper) bound of an entry's life, in seconds. */
export const DEFAULT_CACHE_TTL_SECONDS = 300;

/** Options of {@link MemoryContextCache}. */
export interface MemoryContextCacheOptions {
  /** Most entries kept. Default 10 000. */
  maxEntries?: number;
  /** Entry life in seconds. Default {@link DEFAULT_CACHE_TTL_SECONDS}. */
  ttlSeconds?: number;
}

/**
 * An in-process LRU {@link ContextCache}: for one process (local mode, tests). Several service instances
 * without Redis would each hold their own copy, so a write in one is not seen by the others' caches.
 */
export class MemoryContextCache implements ContextCache {
  readonly #entries: LRUCache<string, { version: number; json: string }>;

  constructor(options: MemoryContextCacheOptions = {}) {
    this.#entries = new LRUCache({
      max: options.maxEntries ?? 10_000,
      ttl: (options.ttlSeconds ?? DEFAULT_CACHE_TTL_SECONDS) * 1000,
    });
  }

  async get(key: string): Promise<CachedEntry | undefined> {
    const entry = this.#entries.get(key);
    return entry === undefined ? undefined : { version: entry.version, value: JSON.parse(entry.json) };
  }

  async setIfNewer(key: string, version: number, value: unknown): Promise<boolean> {
    const current = this.#entries.peek(key);
    if (current !== undefined && current.version >= version) return false;
    // Stored as JSON so callers never share (and mutate) one object.
    this.#entries.set(key, { version, json: JSON.stringify(value ?? null) });
    return true;
  }

  async delete(key: string): Promise<void> {
    this.#entries.delete(key);
  }

  async clear(): Promise<void> {
    this.#entries.clear();
  }

  async close(): Promise<void> {}
}

/**
 * Compare-and-set in one round trip: the stored value is `<version>|<json>`; a write only lands when it is newer.
 * KEYS[1] key; ARGV[1] version; ARGV[2] json; ARGV[3] ttl in ms.
 */
const SET_IF_NEWER_LUA = `
local current = redis.call('GET', KEYS[1])
if current then
  local stored = tonumber(string.match(current, '^(%d+)|'))
  if stored and stored >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
return 1
`;

interface RedisWithSetIfNewer {
  omniCtxSetIfNewer(key: string, version: string, json: string, ttlMs: string): Promise<number>;
}

/** Options of {@link RedisContextCache}. */
export interface RedisContextCacheOptions {
  /** Key namespace. Default {@link DEFAULT_CACHE_PREFIX}. */
  prefix?: string;
  /** Entry life in seconds. Default {@link DEFAULT_CACHE_TTL_SECONDS}. */
  ttlSeconds?: number;
}

/**
 * A Redis (`ioredis`) {@link ContextCache} shared by every instance of every service: versioned entries with a
 * Lua compare-and-set, keys under a prefix, each with a bounded TTL.
 */
export class RedisContextCache implements ContextCache {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #ttlMs: number;
  readonly #ownsClient: boolean;

  /**
   * @param redis - a connected client, or a `redis://` URL to create one from (closed by {@link close})
   */
  constructor(redis: Redis | string, options: RedisContextCacheOptions = {}) {
    this.#ownsClient = typeof redis === 'string';
    this.#redis = typeof redis === 'string' ? new Redis(redis, defaultRedisOptions) : redis;
    if (this.#ownsClient) {
      // Commands queue only until the first connection: once connected, a lost connection fails commands at
      // once (the store then reads Cosmos) instead of each waiting up to `commandTimeout` while ioredis
      // reconnects, which made every turn seconds slower while Redis was down.
      this.#redis.once('ready', () => {
        this.#redis.options.enableOfflineQueue = false;
      });
      // Connection errors reach the callers through the failed commands (logged by the store); without a
      // listener ioredis prints every reconnect failure to the console.
      this.#redis.on('error', () => {});
    }
    this.#prefix = options.prefix ?? DEFAULT_CACHE_PREFIX;
    this.#ttlMs = (options.ttlSeconds ?? DEFAULT_CACHE_TTL_SECONDS) * 1000;
    this.#redis.defineCommand('omniCtxSetIfNewer', { numberOfKeys: 1, lua: SET_IF_NEWER_LUA });
  }

  /** The key namespace. */
  get prefix(): string {
    return this.#prefix;
  }

  /** Resolves once Redis answers a PING; rejects with the connection error otherwise. */
  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  async get(key: string): Promise<CachedEntry | undefined> {
    const raw = await this.#redis.get(this.#prefix + key);
    if (raw === null) return undefined;
    const separator = raw.indexOf('|');
    const version = Number(raw.slice(0, separator));
    if (separator < 0 || !Number.isSafeInteger(version)) return undefined;
    return { version, value: JSON.parse(raw.slice(separator + 1)) };
  }

  async setIfNewer(key: string, version: number, value: unknown): Promise<boolean> {
    const stored = await (this.#redis as unknown as RedisWithSetIfNewer).omniCtxSetIfNewer(
      this.#prefix + key,
      String(version),
      JSON.stringify(value ?? null),
      String(this.#ttlMs),
    );
    return stored === 1;
  }

  async delete(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key);
  }

  async clear(): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.#redis.scan(
        cursor,
        'MATCH',
        `${escapeGlob(this.#prefix)}*`,
        'COUNT',
        500,
      );
      cursor = next;
      if (keys.length > 0) await this.#redis.unlink(...keys);
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    if (this.#ownsClient) await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

/** Client defaults: fail a command fast while Redis is down (the store then reads Cosmos) instead of queueing it. */
const defaultRedisOptions: RedisOptions = {
  maxRetriesPerRequest: 1,
  commandTimeout: 1_000,
  connectTimeout: 2_000,
};

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** The cache for a configuration: Redis when `redisUrl` is set, otherwise an in-memory LRU. */
export function createContextCache(
  redisUrl: string | undefined,
  options: RedisContextCacheOptions & MemoryContextCacheOptions = {},
): ContextCache {
  return redisUrl === undefined ? new MemoryContextCache(options) : new RedisContextCache(redisUrl, options);
}
