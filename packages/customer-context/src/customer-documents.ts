import { AsyncLocalStorage } from 'node:async_hooks';
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
  'id' | 'type' | '_etag' | 'conversationLease' | 'mergedInto' | 'mergedAt' | 'recentTurns' | 'openHandoffs'
>;

const MAX_MERGE_DEPTH = 8;

/** The cache key of a customer document. */
export const customerKey = (id: string) => `customer:${id}`;

/** A change to a customer document: the next document, or undefined for "nothing to change". */
export type CustomerChange = (current: CustomerDocument) => CustomerDocument | undefined;

/** A customer document held by a turn scope, with the changes deferred to the turn's write. */
interface ScopedCustomer {
  /** The document as last read or written (with its ETag). */
  doc: CustomerDocument;
  /** Idempotent changes not written yet: applied to reads, written with the scope's next write or at its end. */
  deferred: CustomerChange[];
  /** Created by this turn, no turn recorded yet (so no transcript, handoff or conversation of its own). */
  created: boolean;
}

/**
 * The state of one turn: the customer documents it read or wrote (valid while the turn runs: the caller holds
 * the customer's Service Bus session) and the cache writes still in flight.
 */
class TurnScope {
  readonly customers = new Map<string, ScopedCustomer>();
  /** Cache writes, made when the turn ends (nothing in the turn reads the cache): the newest per key. */
  readonly cacheWrites = new Map<string, { version: number; value: unknown }>();
}

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
  readonly #scope = new AsyncLocalStorage<TurnScope>();

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
    if (resource === undefined) {
      this.#scope.getStore()?.customers.delete(customerId);
      return undefined;
    }
    const doc = parseDocument(customerDocumentSchema, 'customers', resource);
    this.#remember(doc);
    await this.cacheSet(customerKey(doc.customerId), doc.version, stripEtag(doc));
    return doc;
  }

  /**
   * Runs `fn` as one turn of a customer's conversation (the caller holds the customer's session, so no other
   * turn of this customer runs meanwhile). Inside, a customer document is read from Cosmos once and then reused
   * with its ETag: reads are served from it, writes are If-Match on it (a 412 re-reads, as always), cache writes
   * wait for the end of the turn, and changes given to {@link deferOrMutate} are written with the turn's next write
   * of that customer, or at the end. Nested calls join the outer turn.
   */
  async inTurn<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#scope.getStore() !== undefined) return fn();
    const scope = new TurnScope();
    let result: T;
    try {
      result = await this.#scope.run(scope, fn);
    } catch (error) {
      await this.#scope
        .run(scope, () => this.#endTurn(scope))
        .catch((flushError: unknown) =>
          this.#logger?.warn({ err: flushError }, 'could not write the deferred changes of a failed turn'),
        );
      throw error;
    }
    await this.#scope.run(scope, () => this.#endTurn(scope));
    return result;
  }

  /** True inside {@link inTurn}. */
  get inTurnScope(): boolean {
    return this.#scope.getStore() !== undefined;
  }

  /**
   * Inside a turn: defers an idempotent change to the turn's next write of the customer (reads of the turn see it
   * at once). Outside: {@link mutate}.
   */
  async deferOrMutate(
    customerId: string,
    operation: string,
    change: CustomerChange,
  ): Promise<CustomerDocument> {
    const scope = this.#scope.getStore();
    if (scope === undefined) return this.mutate(customerId, operation, change);
    const doc = await this.load(customerId);
    const entry = scope.customers.get(doc.customerId);
    if (entry === undefined) return this.mutate(customerId, operation, change);
    if (change(applyAll(entry.doc, entry.deferred)) === undefined) return doc;
    entry.deferred.push(change);
    return applyAll(entry.doc, entry.deferred);
  }

  async #endTurn(scope: TurnScope): Promise<void> {
    for (const [id, entry] of scope.customers) {
      if (entry.deferred.length > 0) await this.mutate(id, 'turn: deferred changes', () => undefined);
    }
    await Promise.all(
      [...scope.cacheWrites].map(([key, { version, value }]) => this.#cacheSetNow(key, version, value)),
    );
  }

  /** Keeps a document read or written inside a turn (its deferred changes stay, minus those it already holds). */
  #remember(doc: CustomerDocument, created = false): void {
    const scope = this.#scope.getStore();
    if (scope === undefined) return;
    const entry = scope.customers.get(doc.customerId);
    const deferred = (entry?.deferred ?? []).filter((change) => change(doc) !== undefined);
    scope.customers.set(doc.customerId, { doc, deferred, created: created || entry?.created === true });
  }

  /** Records a customer document this turn created (outside a turn: nothing). */
  created(doc: CustomerDocument): void {
    this.#remember(doc, true);
  }

  /** From now on the turn treats the customer as any other (it has a transcript now). */
  notNew(customerId: string): void {
    const entry = this.#scope.getStore()?.customers.get(customerId);
    if (entry !== undefined) entry.created = false;
  }

  /** True when the current turn created this customer and wrote nothing of its transcript yet. */
  createdInTurn(customerId: string): boolean {
    return this.#scope.getStore()?.customers.get(customerId)?.created === true;
  }

  /** The turn's view of a customer: the document with its deferred changes applied; undefined outside a turn. */
  #scoped(customerId: string): CustomerDocument | undefined {
    const entry = this.#scope.getStore()?.customers.get(customerId);
    return entry === undefined ? undefined : applyAll(entry.doc, entry.deferred);
  }

  /**
   * The customer document, following merges to the survivor. From the cache unless `fresh` (a fresh read has
   * an ETag for a conditional write).
   */
  async load(customerId: string, options: { fresh?: boolean } = {}): Promise<CustomerDocument> {
    let id = customerId;
    for (let depth = 0; depth < MAX_MERGE_DEPTH; depth += 1) {
      let doc: CustomerDocument | undefined = options.fresh ? undefined : this.#scoped(id);
      // Inside a turn the document is read from Cosmos (once): its ETag serves the turn's write, so a cache
      // read first would only add a round trip.
      const cached =
        options.fresh || doc !== undefined || this.inTurnScope
          ? undefined
          : await this.cacheGet(customerKey(id));
      if (doc !== undefined) {
        // the turn's document
      } else if (cached !== undefined) {
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
      async (attempt) => {
        // Inside a turn the first attempt writes over the turn's document (If-Match on its ETag); a 412 re-reads.
        // It first lets the turn's concurrent work defer its changes (e.g. the turns recorded alongside), so
        // they share this write.
        if (attempt === 1 && this.inTurnScope) await new Promise((resolve) => setImmediate(resolve));
        const scoped = attempt === 1 ? this.#scope.getStore()?.customers.get(customerId) : undefined;
        const stored =
          scoped !== undefined && (options.follow === false || scoped.doc.mergedInto === undefined)
            ? scoped.doc
            : options.follow === false
              ? await this.read(customerId)
              : await this.load(customerId, { fresh: true });
        if (stored === undefined) throw new CustomerNotFoundError(customerId);
        const scope = this.#scope.getStore();
        const own = scope?.customers.get(stored.customerId);
        // Changes the turn deferred for a customer merged away meanwhile go to the survivor with this write.
        const moved = stored.customerId === customerId ? undefined : scope?.customers.get(customerId);
        const deferred = [
          ...(own?.doc.version === stored.version ? own.deferred : []),
          ...(moved?.deferred ?? []),
        ];
        const current = applyAll(stored, deferred);
        const next = change(current);
        if (next === undefined && current === stored) return current;
        const written = await this.replace(stored, {
          ...(next ?? current),
          version: stored.version + 1,
          updatedAt: this.iso(),
        });
        if (moved !== undefined) moved.deferred = [];
        return written;
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
    this.#remember(stored);
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
    const scope = this.#scope.getStore();
    if (scope !== undefined) {
      // Off the turn's critical path (written when the turn ends): versioned, so a later write cannot undo a newer
      // one, and until then other readers see the previous version, as they would during any write.
      const pending = scope.cacheWrites.get(key);
      if (pending === undefined || pending.version < version) scope.cacheWrites.set(key, { version, value });
      return;
    }
    await this.#cacheSetNow(key, version, value);
  }

  async #cacheSetNow(key: string, version: number, value: unknown): Promise<void> {
    try {
      await this.#cache.setIfNewer(key, version, value);
    } catch (error) {
      this.#logger?.warn({ err: error, key }, 'context cache write failed; removing the key');
      await this.cacheDelete(key);
    }
  }

  /** Drops a cache entry. */
  async cacheDelete(key: string): Promise<void> {
    this.#scope.getStore()?.cacheWrites.delete(key);
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

/** The document with each change applied in order (a change returning undefined changes nothing). */
function applyAll(doc: CustomerDocument, changes: readonly CustomerChange[]): CustomerDocument {
  let current = doc;
  for (const change of changes) current = change(current) ?? current;
  return current;
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
    recentTurns: [],
    openHandoffs: [],
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
  const { id, type, _etag, conversationLease, mergedInto, mergedAt, recentTurns, openHandoffs, ...customer } =
    doc;
  return customer;
}
