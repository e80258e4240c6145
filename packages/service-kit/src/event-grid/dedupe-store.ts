import { LRUCache } from 'lru-cache';

/**
 * The outcome of {@link DedupeStore.claim}:
 * - `claimed`: nobody has handled the key; the caller now owns it and must `complete` or `release` it;
 * - `done`: the key was handled already; skip it;
 * - `in-progress`: another attempt owns the key right now; try again later.
 */
export type ClaimResult = 'claimed' | 'done' | 'in-progress';

/**
 * Remembers which events were handled so that Event Grid's at-least-once redeliveries run a handler once.
 * Implementations must make `claim` atomic: of concurrent claims for one key, exactly one gets `claimed`.
 */
export interface DedupeStore {
  /**
   * Takes ownership of `key` unless it is done or owned by another attempt. The claim lapses after `leaseMs`
   * (default the store's lease) if it is neither completed nor released: a consumer passes its message lock
   * duration, so a replica killed mid-handler does not hold the redelivery back for longer than the broker does.
   */
  claim(key: string, leaseMs?: number): Promise<ClaimResult>;
  /** Marks a claimed `key` as handled, so later claims answer `done`. */
  complete(key: string): Promise<void>;
  /** Gives up a claimed `key` without marking it handled, so the next claim can take it. */
  release(key: string): Promise<void>;
}

/** Options for an {@link InMemoryDedupeStore}. */
export interface InMemoryDedupeStoreOptions {
  /** How many keys to remember; the least recently used are forgotten first. Default 10 000. */
  max?: number;
  /** How long a handled key is remembered, in ms. Default 24 h, Event Grid's default event time-to-live. */
  ttlMs?: number;
  /**
   * How long a claim lasts without `complete` / `release`, in ms; after that another attempt may claim the
   * key (a handler that hangs must not block its event for ever). Default 10 minutes.
   */
  leaseMs?: number;
}

type Entry = 'in-progress' | 'done';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * A {@link DedupeStore} in process memory (an LRU cache with TTLs). It deduplicates only within one process:
 * with several replicas, or across restarts, use the shared `RedisDedupeStore` (`REDIS_URL`).
 */
export class InMemoryDedupeStore implements DedupeStore {
  readonly #entries: LRUCache<string, Entry>;
  readonly #ttlMs: number;
  readonly #leaseMs: number;

  constructor(options: InMemoryDedupeStoreOptions = {}) {
    const max = options.max ?? 10_000;
    this.#ttlMs = options.ttlMs ?? DAY_MS;
    this.#leaseMs = options.leaseMs ?? 10 * 60 * 1000;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError('InMemoryDedupeStore: max must be a positive integer');
    }
    for (const [name, value] of [
      ['ttlMs', this.#ttlMs],
      ['leaseMs', this.#leaseMs],
    ] as const) {
      if (!Number.isFinite(value) || value <= 0) {
        throw new RangeError(`InMemoryDedupeStore: ${name} must be positive`);
      }
    }
    this.#entries = new LRUCache<string, Entry>({ max, ttl: this.#ttlMs });
  }

  /** {@inheritDoc DedupeStore.claim} */
  async claim(key: string, leaseMs?: number): Promise<ClaimResult> {
    const entry = this.#entries.get(key);
    if (entry !== undefined) return entry;
    this.#entries.set(key, 'in-progress', { ttl: Math.max(1, leaseMs ?? this.#leaseMs) });
    return 'claimed';
  }

  /** {@inheritDoc DedupeStore.complete} */
  async complete(key: string): Promise<void> {
    this.#entries.set(key, 'done', { ttl: this.#ttlMs });
  }

  /** {@inheritDoc DedupeStore.release} */
  async release(key: string): Promise<void> {
    if (this.#entries.get(key) === 'in-progress') this.#entries.delete(key);
  }
}
