import type { ClaimResult, DedupeStore } from '../event-grid/dedupe-store.js';
import type { RateLimitDecision, RequestLimit, TokenBuckets } from '../rate-limit.js';
import type { SeenSet } from './seen-set.js';

/** Told when Redis failed and process memory answered instead. */
export type SharedStateErrorListener = (error: unknown, store: string) => void;

async function either<T>(
  shared: () => Promise<T>,
  local: () => Promise<T>,
  store: string,
  onError: SharedStateErrorListener,
): Promise<T> {
  try {
    return await shared();
  } catch (error) {
    onError(error, store);
    return local();
  }
}

/**
 * A dedupe store in Redis that degrades to process memory while Redis fails: Redis is an optional dependency
 * (ADR 0080), so an outage costs cross-replica dedupe (the side effects stay behind the Cosmos idempotency
 * ledger), never a message.
 */
export class DegradingDedupeStore implements DedupeStore {
  constructor(
    readonly shared: DedupeStore,
    readonly local: DedupeStore,
    readonly onError: SharedStateErrorListener,
  ) {}

  claim(key: string, leaseMs?: number): Promise<ClaimResult> {
    return either(
      () => this.shared.claim(key, leaseMs),
      () => this.local.claim(key, leaseMs),
      'dedupe',
      this.onError,
    );
  }

  complete(key: string): Promise<void> {
    return either(
      () => this.shared.complete(key),
      () => this.local.complete(key),
      'dedupe',
      this.onError,
    );
  }

  release(key: string): Promise<void> {
    return either(
      () => this.shared.release(key),
      () => this.local.release(key),
      'dedupe',
      this.onError,
    );
  }
}

/** Token buckets in Redis that degrade to process memory (per-replica limits) while Redis fails. */
export class DegradingTokenBuckets implements TokenBuckets {
  constructor(
    readonly shared: TokenBuckets,
    readonly local: TokenBuckets,
    readonly onError: SharedStateErrorListener,
  ) {}

  take(limits: readonly RequestLimit[], now: number): Promise<RateLimitDecision[]> {
    return either(
      () => this.shared.take(limits, now),
      () => this.local.take(limits, now),
      'rate-limit',
      this.onError,
    );
  }
}

/** A seen-set in Redis that degrades to process memory while Redis fails. */
export class DegradingSeenSet implements SeenSet {
  constructor(
    readonly shared: SeenSet,
    readonly local: SeenSet,
    readonly onError: SharedStateErrorListener,
  ) {}

  has(key: string): Promise<boolean> {
    return either(
      () => this.shared.has(key),
      () => this.local.has(key),
      'seen',
      this.onError,
    );
  }

  add(key: string): Promise<void> {
    return either(
      () => this.shared.add(key),
      () => this.local.add(key),
      'seen',
      this.onError,
    );
  }
}
