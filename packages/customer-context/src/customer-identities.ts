import type { Container } from '@azure/cosmos';
import {
  type Channel,
  type CustomerId,
  type Identity,
  type IdentityKey,
  type IdentityKind,
  identityKey,
  newCustomerId,
  normalizePhone,
} from '@omni/contracts';
import { LRUCache } from 'lru-cache';
import type { Clock } from './clock.js';
import type { PhoneRegion } from './config.js';
import {
  type Customer,
  type CustomerDocuments,
  customerKey,
  emptyCustomer,
  stripEtag,
  toCustomer,
} from './customer-documents.js';
import { type CustomerSessions, isAnonymousCustomer } from './customer-sessions.js';
import {
  type CustomerDocument,
  customerDocumentSchema,
  type IdentityDocument,
  identityDocumentSchema,
  parseDocument,
} from './documents.js';
import { ConcurrencyExhaustedError, CustomerNotFoundError, IdentityConflictError } from './errors.js';
import { deleteIgnoringMissing } from './partition-items.js';
import {
  isConflict,
  isNotFound,
  isPreconditionFailed,
  type OptimisticRetryOptions,
  withThrottleRetry,
} from './retry.js';

/**
 * An identity as callers give it: phone values may be in any format (`(425) 555-0123`, `+1 425…`) and are
 * normalised to E.164 (national numbers in the store's default region); other kinds are taken as they are.
 */
export interface IdentityInput {
  readonly kind: IdentityKind;
  readonly value: string;
}

/** What a channel knows about a contact besides the identity it resolves. */
export interface ResolveHints {
  /** Display name for a new customer (or one that has none yet). */
  displayName?: string;
  /** The channel of this contact; with `inboundAt` it records an inbound message (WhatsApp window). */
  channel?: Channel;
  /** When the inbound message arrived; recorded for `channel`. */
  inboundAt?: Date;
  /** A phone number to link as well (e.g. WhatsApp sends both a BSUID and a number). */
  phone?: string;
  /** Other identities to link as well. */
  alsoKnownAs?: readonly IdentityInput[];
  /** Region for national phone numbers, instead of the store's default. */
  region?: PhoneRegion;
}

/** The outcome of {@link CustomerIdentities.resolveCustomer}. */
export interface ResolvedCustomer {
  /** The customer every channel now sees. */
  readonly customer: Customer;
  /** True when this call created the customer. */
  readonly created: boolean;
  /** Identities from the hints that belong to another customer and were not linked (masked keys). */
  readonly conflicts: readonly string[];
}

/** How many merges a read follows to the survivor. */
export const MAX_MERGE_DEPTH = 8;
const MAX_RESOLVE_ATTEMPTS = 6;

/** The cache key of an identity lookup. */
export const identityCacheKey = (key: string) => `identity:${key}`;

/** What {@link CustomerIdentities} works with. */
export interface CustomerIdentitiesOptions {
  readonly customers: Container;
  readonly identities: Container;
  readonly docs: CustomerDocuments;
  readonly sessions: CustomerSessions;
  readonly region: PhoneRegion;
  readonly clock: Clock;
  readonly retry: OptimisticRetryOptions;
  /** Merges two customers (the store's `mergeCustomers`): `linkIdentity` folds an anonymous owner in. */
  readonly merge: (keepId: string, mergeId: string, reason: string) => Promise<Customer>;
}

/**
 * Identities and merges: which customer an identity belongs to (the identity document is the uniqueness guard),
 * linking identities, and merging two customers into one with an audit record.
 */
export class CustomerIdentities {
  readonly #customers: Container;
  readonly #identities: Container;
  readonly #docs: CustomerDocuments;
  readonly #sessions: CustomerSessions;
  readonly #region: PhoneRegion;
  readonly #clock: Clock;
  readonly #retry: OptimisticRetryOptions;
  readonly #merge: (keepId: string, mergeId: string, reason: string) => Promise<Customer>;
  /**
   * Identity key -> customer id, in process: a hint, checked against the customer it leads to (merged: followed;
   * erased or no longer holding the identity: Cosmos is asked), so a returning customer costs no lookup trip.
   */
  readonly #identityHints = new LRUCache<string, string>({ max: 50_000 });

  constructor(options: CustomerIdentitiesOptions) {
    this.#customers = options.customers;
    this.#identities = options.identities;
    this.#docs = options.docs;
    this.#sessions = options.sessions;
    this.#region = options.region;
    this.#clock = options.clock;
    this.#retry = options.retry;
    this.#merge = options.merge;
  }

  /**
   * The identity key of an identity, with phone numbers normalised to E.164.
   *
   * @throws `InvalidPhoneError` (from contracts; its message omits the number) for an invalid phone number
   * @throws `InvalidIdentityError` for another invalid identity
   */
  identityKeyOf(identity: IdentityInput, region: PhoneRegion = this.#region): IdentityKey {
    if (identity.kind === 'phone') {
      return identityKey({ kind: 'phone', value: normalizePhone(identity.value, region) });
    }
    return identityKey(identity as Identity);
  }

  /**
   * Finds the customer an identity belongs to, or creates one. Creating the identity document is the
   * uniqueness guard: of concurrent first contacts (from any channels) exactly one creates the customer; the
   * others delete the customer document they created and return the winner's. Identities in the hints are
   * linked when free; ones owned by another customer are reported in `conflicts`, never merged implicitly.
   */
  async resolveCustomer(identity: IdentityInput, hints: ResolveHints = {}): Promise<ResolvedCustomer> {
    const region = hints.region ?? this.#region;
    const key = this.identityKeyOf(identity, region);
    const aliases = [
      ...(hints.phone === undefined
        ? []
        : [this.identityKeyOf({ kind: 'phone', value: hints.phone }, region)]),
      ...(hints.alsoKnownAs ?? []).map((alias) => this.identityKeyOf(alias, region)),
    ].filter((alias) => alias !== key);
    for (let attempt = 1; attempt <= MAX_RESOLVE_ATTEMPTS; attempt += 1) {
      let found: CustomerDocument | undefined;
      for (const candidate of [key, ...aliases]) {
        found = await this.#customerOfIdentity(candidate);
        if (found !== undefined) break;
      }
      if (found !== undefined) {
        let customer = found;
        const unlinked = [key, ...aliases].filter((k) => !found.identities.includes(k));
        const conflicts = await this.#linkAll(customer.customerId, unlinked);
        if (hints.displayName !== undefined && customer.displayName === null) {
          customer = await this.#docs.mutate(customer.customerId, 'resolveCustomer', (doc) =>
            doc.displayName === null ? { ...doc, displayName: hints.displayName ?? null } : undefined,
          );
        }
        if (hints.channel !== undefined && hints.inboundAt !== undefined) {
          customer = await this.#sessions.recordInbound(customer.customerId, hints.channel, hints.inboundAt);
        } else if (conflicts.linked) {
          customer = await this.#docs.load(customer.customerId);
        }
        return { customer: toCustomer(customer), created: false, conflicts: conflicts.conflicts };
      }
      const created = await this.#createCustomer(key, hints);
      if (created !== undefined) {
        const conflicts = await this.#linkAll(created.customerId, aliases);
        const customer = conflicts.linked ? await this.#docs.load(created.customerId) : created;
        return { customer: toCustomer(customer), created: true, conflicts: conflicts.conflicts };
      }
      // Lost the race for the identity: the winner's documents exist now; look again.
    }
    throw new ConcurrencyExhaustedError('resolveCustomer', MAX_RESOLVE_ATTEMPTS);
  }

  /**
   * Links an identity to a customer. Linking an identity the customer already has is a no-op. When the
   * identity belongs to another customer: `onConflict: 'fail'` (default) throws {@link IdentityConflictError};
   * `'merge-anonymous'` merges that customer into this one only when it is anonymous (known by web chat ids
   * alone, no session above `none`, no verified account) and throws {@link IdentityConflictError} otherwise.
   * Two known customers are never merged here: that needs proof, and an explicit {@link mergeCustomers}.
   */
  async linkIdentity(
    customerId: string,
    identity: IdentityInput,
    options: { onConflict?: 'fail' | 'merge-anonymous'; reason?: string } = {},
  ): Promise<Customer> {
    const key = this.identityKeyOf(identity);
    const target = (await this.#docs.load(customerId, { fresh: true })).customerId;
    const outcome = await this.#linkKey(target, key);
    if (outcome.kind === 'conflict') {
      if (options.onConflict !== 'merge-anonymous') {
        throw new IdentityConflictError(key, target, outcome.owner);
      }
      const owner = await this.#docs.load(outcome.owner, { fresh: true });
      if (!isAnonymousCustomer(owner)) throw new IdentityConflictError(key, target, outcome.owner);
      return this.#merge(target, outcome.owner, options.reason ?? 'identity-link');
    }
    return toCustomer(await this.#docs.load(target));
  }

  /** The customer an identity resolves to (the survivor, after merges), or undefined. Heals dangling identities. */
  async #customerOfIdentity(key: string): Promise<CustomerDocument | undefined> {
    // In process first; then (outside a turn, where a miss costs a trip less than Cosmos) the shared cache.
    const hint =
      this.#identityHints.get(key) ??
      (this.#docs.inTurnScope ? undefined : (await this.#docs.cacheGet(identityCacheKey(key)))?.value);
    if (typeof hint === 'string') {
      try {
        const doc = await this.#docs.load(hint);
        // A customer that no longer holds the identity (an erase and a new owner): ask Cosmos.
        if (doc.identities.includes(key as IdentityKey)) return doc;
      } catch (error) {
        if (!(error instanceof CustomerNotFoundError)) throw error;
        // A stale mapping to an erased customer: ask Cosmos.
      }
      this.#identityHints.delete(key);
    }
    const identity = await this.readIdentity(key);
    if (identity === undefined) return undefined;
    try {
      return await this.#docs.load(identity.customerId);
    } catch (error) {
      if (!(error instanceof CustomerNotFoundError)) throw error;
      // The identity points at a customer that no longer exists (an erase in progress or interrupted):
      // remove it, so the caller can create a fresh customer.
      this.#identityHints.delete(key);
      await this.#identities
        .item(key, key)
        .delete({ accessCondition: { type: 'IfMatch', condition: identity._etag ?? '' } })
        .catch((deleteError: unknown) => {
          if (!isPreconditionFailed(deleteError) && !isNotFound(deleteError)) throw deleteError;
        });
      await this.#docs.cacheDelete(identityCacheKey(key));
      return undefined;
    }
  }

  /** The identity document (and the hint it gives), or undefined. */
  async readIdentity(key: string): Promise<IdentityDocument | undefined> {
    const { resource } = await withThrottleRetry(
      'read identity',
      () => this.#identities.item(key, key).read(),
      this.#retry,
    );
    if (resource === undefined) return undefined;
    const doc = parseDocument(identityDocumentSchema, 'identities', resource);
    this.#identityHints.set(key, doc.customerId);
    await this.#docs.cacheSet(identityCacheKey(key), doc.version, doc.customerId);
    return doc;
  }

  /** Creates a customer and then its identity; undefined when another caller's identity won the race. */
  async #createCustomer(key: IdentityKey, hints: ResolveHints): Promise<CustomerDocument | undefined> {
    const now = this.#docs.iso();
    const id = newCustomerId(this.#clock());
    const doc: CustomerDocument = {
      ...emptyCustomer(id, now),
      displayName: hints.displayName ?? null,
      identities: [key],
      lastInboundAt:
        hints.channel !== undefined && hints.inboundAt !== undefined
          ? { [hints.channel]: hints.inboundAt.toISOString() }
          : {},
    };
    const { resource } = await withThrottleRetry(
      'resolveCustomer',
      () => this.#customers.items.create(doc),
      this.#retry,
    );
    const identity: IdentityDocument = {
      id: key,
      type: 'identity',
      customerId: id,
      version: 1,
      createdAt: now,
    };
    try {
      await withThrottleRetry('resolveCustomer', () => this.#identities.items.create(identity), this.#retry);
    } catch (error) {
      if (!isConflict(error)) throw error;
      // Lost: delete the customer document this call created (and only that one).
      await this.#deleteIgnoringMissing(this.#customers, id, id);
      return undefined;
    }
    const stored = parseDocument(customerDocumentSchema, 'customers', resource);
    this.#docs.created(stored);
    await this.#docs.cacheSet(customerKey(id), stored.version, stripEtag(stored));
    this.#identityHints.set(key, id);
    await this.#docs.cacheSet(identityCacheKey(key), identity.version, id);
    return stored;
  }

  /** Links every free key to the customer; keys owned by others are reported (masked). */
  async #linkAll(
    customerId: string,
    keys: readonly IdentityKey[],
  ): Promise<{ conflicts: string[]; linked: boolean }> {
    const conflicts: string[] = [];
    let linked = false;
    for (const key of keys) {
      const outcome = await this.#linkKey(customerId, key);
      if (outcome.kind === 'conflict')
        conflicts.push(new IdentityConflictError(key, customerId, outcome.owner).maskedIdentity);
      if (outcome.kind === 'linked') linked = true;
    }
    return { conflicts, linked };
  }

  /** Points `key` at `customerId` unless another live customer owns it. */
  async #linkKey(
    customerId: string,
    key: IdentityKey,
  ): Promise<{ kind: 'linked' } | { kind: 'unchanged' } | { kind: 'conflict'; owner: string }> {
    for (let attempt = 1; attempt <= MAX_RESOLVE_ATTEMPTS; attempt += 1) {
      const identity = await this.readIdentity(key);
      if (identity === undefined) {
        const doc: IdentityDocument = {
          id: key,
          type: 'identity',
          customerId: customerId as CustomerId,
          version: 1,
          createdAt: this.#docs.iso(),
        };
        try {
          await withThrottleRetry('linkIdentity', () => this.#identities.items.create(doc), this.#retry);
        } catch (error) {
          if (isConflict(error)) continue;
          throw error;
        }
        this.#identityHints.set(key, customerId);
        await this.#docs.cacheSet(identityCacheKey(key), doc.version, customerId);
        await this.#addIdentityToCustomer(customerId, key);
        return { kind: 'linked' };
      }
      let owner: string | undefined;
      try {
        owner = (await this.#docs.load(identity.customerId, { fresh: true })).customerId;
      } catch (error) {
        if (!(error instanceof CustomerNotFoundError)) throw error;
      }
      if (owner === customerId) {
        const changed = await this.#addIdentityToCustomer(customerId, key);
        if (identity.customerId !== customerId) await this.repointIdentity(identity, customerId);
        return changed ? { kind: 'linked' } : { kind: 'unchanged' };
      }
      if (owner !== undefined) return { kind: 'conflict', owner };
      // Dangling (its customer is gone): take it over.
      try {
        await this.repointIdentity(identity, customerId);
      } catch (error) {
        if (isPreconditionFailed(error) || isNotFound(error)) continue;
        throw error;
      }
      await this.#addIdentityToCustomer(customerId, key);
      return { kind: 'linked' };
    }
    throw new ConcurrencyExhaustedError('linkIdentity', MAX_RESOLVE_ATTEMPTS);
  }

  async #addIdentityToCustomer(customerId: string, key: IdentityKey): Promise<boolean> {
    let changed = false;
    await this.#docs.mutate(customerId, 'linkIdentity', (doc) => {
      if (doc.identities.includes(key)) return undefined;
      changed = true;
      return { ...doc, identities: [...doc.identities, key] };
    });
    return changed;
  }

  /** If-Match re-point of one identity document; throws 412/404 as is. */
  async repointIdentity(identity: IdentityDocument, customerId: string): Promise<void> {
    const next: IdentityDocument = {
      ...stripEtag(identity),
      customerId: customerId as CustomerId,
      version: identity.version + 1,
    };
    await this.#identities
      .item(identity.id, identity.id)
      .replace(next, { accessCondition: { type: 'IfMatch', condition: identity._etag ?? '' } });
    this.#identityHints.set(identity.id, customerId);
    await this.#docs.cacheSet(identityCacheKey(identity.id), next.version, customerId);
  }

  async #deleteIgnoringMissing(container: Container, id: string, partitionKey: string): Promise<void> {
    await deleteIgnoringMissing(container, id, partitionKey, this.#retry);
  }
}
