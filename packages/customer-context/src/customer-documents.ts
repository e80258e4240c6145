import type { Container } from '@azure/cosmos';
import type { CustomerId } from '@omni/contracts';
import type { Logger } from 'pino';
import type { ContextCache } from './cache.js';
import type { Clock } from './clock.js';
import { type CustomerDocument, customerDocumentSchema, parseDocument, type Session } from './documents.js';
import { CustomerNotFoundError } from './errors.js';
import { type OptimisticRetryOptions, withOptimisticRetry, withThrottleRetry } from './retry.js';

/** A customer as the store returns it: the `customers` document without Cosmos and concurrency internals. */
export type Customer = Omit<
  CustomerDocument,
  'id' | 'type' | '_etag' | 'conversationLease' | 'mergedInto' | 'mergedAt'
>;

const MAX_MERGE_DEPTH = 8;

/** The cache key of a customer document. */
export const customerKey = (id: string) => `customer:${id}`;

/** What {@link CustomerDocuments} works with. */
export interface CustomerDocumentsOptions {
  readonly container: Container;
  readonly cache: ContextCache;
  readonly clock: Clock;
  readonly retry: OptimisticRetryOptions;
  readonly logger: Pick<Logger, 'warn' | 'error'> | undefined;
}

/**
 * The `customers` container and its cache: reads that follow merges to the survivor, and read-modify-writes
 * with If-Match and bounded retries. Every part of the store that changes a customer goes through here, so the
 * cache only ever moves forward.
 */
export class CustomerDocuments {
  readonly #container: Container;
  readonly #cache: ContextCache;
  readonly #clock: Clock;
  readonly #retry: OptimisticRetryOptions;
  readonly #logger: Pick<Logger, 'warn' | 'error'> | undefined;

  constructor(options: CustomerDocumentsOptions) {
    this.#container = options.container;
    this.#cache = options.cache;
    this.#clock = options.clock;
    this.#retry = options.retry;
    this.#logger = options.logger;
  }

  /** The clock's time as an ISO string. */
  iso(): string {
    return new Date(this.#clock()).toISOString();
  }

  /** The customer document as stored (no merge following), or undefined; refreshes the cache. */
  async read(customerId: string): Promise<CustomerDocument | undefined> {
    const { resource } = await withThrottleRetry(
      'read customer',
      () => this.#container.item(customerId, customerId).read(),
      this.#retry,
    );
    if (resource === undefined) return undefined;
    const doc = parseDocument(customerDocumentSchema, 'customers', resource);
    await this.cacheSet(customerKey(doc.customerId), doc.version, stripEtag(doc));
    return doc;
  }

  /**
   * The customer document, following merges to the survivor. From the cache unless `fresh` (a fresh read has
   * an ETag for a conditional write).
   */
  async load(customerId: string, options: { fresh?: boolean } = {}): Promise<CustomerDocument> {
    let id = customerId;
    for (let depth = 0; depth < MAX_MERGE_DEPTH; depth += 1) {
      let doc: CustomerDocument | undefined;
      const cached = options.fresh ? undefined : await this.cacheGet(customerKey(id));
      if (cached !== undefined) {
        if (cached.value === null) throw new CustomerNotFoundError(customerId);
        doc = parseDocument(customerDocumentSchema, 'customers (cache)', cached.value);
      } else {
        doc = await this.read(id);
      }
      if (doc === undefined) throw new CustomerNotFoundError(customerId);
      if (doc.mergedInto === undefined) return doc;
      id = doc.mergedInto;
    }
    throw new CustomerNotFoundError(customerId);
  }

  /**
   * Read-modify-write of a customer with If-Match and bounded retries on 412. `change` returns the next
   * document (version and `updatedAt` are set here) or undefined for "nothing to change". Follows merges
   * unless `follow: false`.
   */
  async mutate(
    customerId: string,
    operation: string,
    change: (current: CustomerDocument) => CustomerDocument | undefined,
    options: { follow?: boolean } = {},
  ): Promise<CustomerDocument> {
    return withOptimisticRetry(
      operation,
      async () => {
        const current =
          options.follow === false
            ? await this.read(customerId)
            : await this.load(customerId, { fresh: true });
        if (current === undefined) throw new CustomerNotFoundError(customerId);
        const next = change(current);
        if (next === undefined) return current;
        return this.replace(current, {
          ...next,
          version: current.version + 1,
          updatedAt: this.iso(),
        });
      },
      this.#retry,
    );
  }

  /** If-Match replace of a customer document, then the cache moves forward to it. Throws 412 as is. */
  async replace(current: CustomerDocument, next: CustomerDocument): Promise<CustomerDocument> {
    const { resource } = await this.#container
      .item(current.customerId, current.customerId)
      .replace(stripEtag(next), { accessCondition: { type: 'IfMatch', condition: current._etag ?? '' } });
    const stored = parseDocument(customerDocumentSchema, 'customers', resource);
    await this.cacheSet(customerKey(stored.customerId), stored.version, stripEtag(stored));
    return stored;
  }

  // The cache is an optimisation: its failures are logged, never fatal. A failed forward move deletes the key.
  /** A cache entry, or undefined when absent or when the cache fails. */
  async cacheGet(key: string) {
    try {
      return await this.#cache.get(key);
    } catch (error) {
      this.#logger?.warn({ err: error, key }, 'context cache read failed; reading Cosmos');
      return undefined;
    }
  }

  /** Moves a cache entry forward to `version` (never back). */
  async cacheSet(key: string, version: number, value: unknown): Promise<void> {
    try {
      await this.#cache.setIfNewer(key, version, value);
    } catch (error) {
      this.#logger?.warn({ err: error, key }, 'context cache write failed; removing the key');
      await this.cacheDelete(key);
    }
  }

  /** Drops a cache entry. */
  async cacheDelete(key: string): Promise<void> {
    try {
      await this.#cache.delete(key);
    } catch (error) {
      this.#logger?.error(
        { err: error, key },
        'context cache delete failed; the entry may be stale until its TTL',
      );
    }
  }
}

/** A customer document with no data. */
export function emptyCustomer(id: string, now: string): CustomerDocument {
  return {
    id: id as CustomerId,
    type: 'customer',
    customerId: id as CustomerId,
    displayName: null,
    identities: [],
    foundryConversationId: null,
    mergedConversationIds: [],
    conversationLease: null,
    summary: null,
    collectedData: {},
    sessions: [],
    consent: {},
    lastInboundAt: {},
    verifiedAccounts: [],
    verificationFailures: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
}

/** Keeps at most `max` sessions, dropping the oldest ended ones first. */
export function capSessions(sessions: Session[], max: number): Session[] {
  let result = sessions;
  while (result.length > max) {
    const index = result.findIndex((s) => s.endedAt !== null);
    result = result.filter((_, i) => i !== Math.max(index, 0));
  }
  return result;
}

/** A document without its ETag (and Cosmos system properties). */
export function stripEtag<T extends { _etag?: string }>(doc: T): Omit<T, '_etag'> {
  const { _etag, ...rest } = doc as T & {
    _rid?: unknown;
    _self?: unknown;
    _ts?: unknown;
    _attachments?: unknown;
  };
  return rest;
}

/** The customer as callers see it. */
export function toCustomer(doc: CustomerDocument): Customer {
  const { id, type, _etag, conversationLease, mergedInto, mergedAt, ...customer } = doc;
  return customer;
}
