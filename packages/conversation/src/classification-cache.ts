import {
  type Classification,
  type ClassificationFailure,
  type Classifier,
  isClassificationFailure,
} from './classification.js';
import { normaliseText } from './text-normalisation.js';

/**
 * Remembers classifications by scenario and normalised text, so a repeated utterance ("yes", "my power is
 * out") is not classified twice: in memory here, shared across replicas with {@link RedisClassificationCache}.
 */
export interface ClassificationCache {
  get(key: string): Promise<Classification | undefined>;
  set(key: string, value: Classification): Promise<void>;
}

/** The cache key of a message: the scenario id and the normalised text (case, spacing, quotes folded). */
export function classificationCacheKey(scenarioId: string, text: string): string {
  return `classification:${scenarioId}:${normaliseText(text).replace(/[.!?]+$/, '')}`;
}

/** Options of {@link InMemoryClassificationCache}. */
export interface InMemoryClassificationCacheOptions {
  /** Entries kept; the least recently used goes first. Default 1000. */
  readonly maxEntries?: number;
  /** How long an entry lives in milliseconds; default no expiry. */
  readonly ttlMs?: number;
  /** The current time in epoch milliseconds. */
  readonly clock?: () => number;
}

/** An in-memory LRU {@link ClassificationCache}. */
export class InMemoryClassificationCache implements ClassificationCache {
  readonly #entries = new Map<string, { value: Classification; expiresAt: number }>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #clock: () => number;

  constructor(options: InMemoryClassificationCacheOptions = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? 1000);
    this.#ttlMs = options.ttlMs ?? Number.POSITIVE_INFINITY;
    this.#clock = options.clock ?? Date.now;
  }

  /** The number of entries held. */
  get size(): number {
    return this.#entries.size;
  }

  async get(key: string): Promise<Classification | undefined> {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#clock()) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  async set(key: string, value: Classification): Promise<void> {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#clock() + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
  }
}

/**
 * Classifies through the cache: a hit returns the stored classification; a miss classifies and stores the
 * result. Failures are not stored (an error or timeout may pass).
 */
export async function classifyCached(
  classifier: Classifier,
  cache: ClassificationCache,
  scenarioId: string,
  text: string,
): Promise<Classification | ClassificationFailure> {
  const key = classificationCacheKey(scenarioId, text);
  const hit = await cache.get(key);
  if (hit) return hit;
  const result = await classifier.classify(text);
  // Off the turn's critical path: a lost write only costs a later classification.
  if (!isClassificationFailure(result)) cache.set(key, result).catch(() => undefined);
  return result;
}
