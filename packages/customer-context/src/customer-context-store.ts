import { randomUUID } from 'node:crypto';
import type { Container, ItemDefinition } from '@azure/cosmos';
import {
  type AssuranceLevel,
  type Channel,
  type CollectedData,
  type CustomerId,
  collectedData as collectedDataSchema,
  type Identity,
  type IdentityKey,
  type IdentityKind,
  identityKey,
  MAX_TEXT_LENGTH,
  newCustomerId,
  normalizePhone,
} from '@omni/contracts';
import type { Logger } from 'pino';
import { type ContextCache, MemoryContextCache } from './cache.js';
import { type Clock, systemClock } from './clock.js';
import type { PhoneRegion } from './config.js';
import type { CustomerContextContainers } from './cosmos.js';
import {
  type Customer,
  CustomerDocuments,
  capSessions,
  customerKey,
  emptyCustomer,
  stripEtag,
  toCustomer,
} from './customer-documents.js';
import {
  CustomerErasure,
  type CustomerRecords,
  type ErasedCustomer,
  identityCacheKey,
} from './customer-erasure.js';
import {
  type AssuranceMethod,
  CustomerSessions,
  isAnonymousCustomer,
  type StartSessionOptions,
  type VerificationFailure,
  type VerificationLimits,
} from './customer-sessions.js';
import {
  type CustomerDocument,
  customerDocumentSchema,
  type HandoffDocument,
  handoffDocumentSchema,
  type IdentityDocument,
  identityDocumentSchema,
  type MergeAuditDocument,
  parseDocument,
  type SessionStatus,
  type TurnDocument,
  type TurnRole,
  turnDocumentSchema,
} from './documents.js';
import {
  ConcurrencyExhaustedError,
  CustomerNotFoundError,
  IdentityConflictError,
  InvalidMergeError,
  TokenExpiredError,
  TokenInvalidError,
  TokenUsedError,
} from './errors.js';
import { HandoffTokens, hashToken, sameDigest } from './handoff-tokens.js';
import { IdempotencyLedger, type RunOnceOptions } from './idempotency-ledger.js';
import {
  isConflict,
  isNotFound,
  isPreconditionFailed,
  type OptimisticRetryOptions,
  realSleep,
  type Sleep,
  withOptimisticRetry,
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

/** The outcome of {@link CustomerContextStore.resolveCustomer}. */
export interface ResolvedCustomer {
  /** The customer every channel now sees. */
  readonly customer: Customer;
  /** True when this call created the customer. */
  readonly created: boolean;
  /** Identities from the hints that belong to another customer and were not linked (masked keys). */
  readonly conflicts: readonly string[];
}

/** A turn to record. */
export interface TurnInput {
  channel: Channel;
  sessionId: string;
  role: TurnRole;
  text: string;
  agentId?: string;
  at: Date;
  /** Makes the call idempotent: a repeated `turnId` records nothing new. */
  turnId?: string;
}

/** A recorded turn. */
export type Turn = Omit<TurnDocument, 'id' | 'type' | '_etag'>;

/** The outcome of {@link CustomerContextStore.issueHandoffToken}. */
export interface IssuedHandoffToken {
  /** The URL-safe token to put in the link. Only its SHA-256 hash is stored. */
  readonly token: string;
  /** The handoff document id. */
  readonly handoffId: string;
  /** When the token stops working. */
  readonly expiresAt: Date;
}

/** A redeemed handoff link: the customer, and the assurance level the redeeming session inherits. */
export type RedeemedHandoff = Customer & {
  readonly handoff: { readonly handoffId: string; readonly assurance: AssuranceLevel };
};

/** Dependencies and tuning of a {@link CustomerContextStore}. */
export interface CustomerContextStoreOptions {
  /** The Cosmos containers (see `createCosmosContainers`). */
  containers: Omit<CustomerContextContainers, 'client'>;
  /**
   * HMAC key of handoff tokens (at least 32 bytes), or a ready {@link HandoffTokens}. Absent in services that
   * never issue or redeem a token: there, doing so throws.
   */
  handoffTokenKey?: string | Buffer | HandoffTokens;
  /** Hot cache. Default: an in-memory LRU. */
  cache?: ContextCache;
  /** Region national phone numbers are read in. Default `US`. */
  defaultPhoneRegion?: PhoneRegion;
  /** Clock for timestamps, token expiry and leases. Default the system clock. */
  clock?: Clock;
  /** Sleep for polling and backoff. Default real time. */
  sleep?: Sleep;
  /** Logger for swallowed cache and cleanup failures. */
  logger?: Pick<Logger, 'warn' | 'error'>;
  /** Retry policy for 412/429. */
  retry?: OptimisticRetryOptions;
  /** How long a claim on creating the Foundry conversation lasts (clock time, ms). Default 30 s. */
  conversationLeaseMs?: number;
  /** How long a caller waits for another's claim (conversation, idempotency key), real time, ms. Default 20 s. */
  waitTimeoutMs?: number;
  /** Poll interval while waiting for another's claim, ms. Default 20. */
  pollIntervalMs?: number;
  /** Sessions kept per customer (oldest ended ones are dropped). Default 50. */
  maxSessions?: number;
}

const MAX_MERGE_DEPTH = 8;
const MAX_RESOLVE_ATTEMPTS = 6;

/**
 * The customer context every channel shares: one customer per person across voice, WhatsApp and web chat,
 * with one Foundry conversation, one summary and one set of collected data. Stored in Cosmos DB; every
 * read-modify-write is an If-Match write with bounded retries; customers and identity lookups are cached in a
 * versioned {@link ContextCache}. See the package README for the concurrency design.
 */
export class CustomerContextStore {
  readonly #customers: Container;
  readonly #identities: Container;
  readonly #handoffs: Container;
  readonly #transcripts: Container;
  readonly #docs: CustomerDocuments;
  readonly #sessions: CustomerSessions;
  readonly #tokens: HandoffTokens | undefined;
  readonly #region: PhoneRegion;
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  readonly #logger: Pick<Logger, 'warn' | 'error'> | undefined;
  readonly #retry: OptimisticRetryOptions;
  readonly #leaseMs: number;
  readonly #waitTimeoutMs: number;
  readonly #pollIntervalMs: number;
  readonly #maxSessions: number;
  readonly #erasure: CustomerErasure;
  /** At-most-once side effects (also reachable as {@link CustomerContextStore.runOnce}). */
  readonly idempotency: IdempotencyLedger;

  constructor(options: CustomerContextStoreOptions) {
    const { containers } = options;
    this.#customers = containers.customers;
    this.#identities = containers.identities;
    this.#handoffs = containers.handoffs;
    this.#transcripts = containers.transcripts;
    const clock = options.clock ?? systemClock;
    this.#docs = new CustomerDocuments({
      container: containers.customers,
      cache: options.cache ?? new MemoryContextCache(),
      clock,
      retry: options.retry ?? {},
      logger: options.logger,
    });
    this.#sessions = new CustomerSessions(this.#docs, clock, options.maxSessions ?? 50);
    this.#tokens =
      options.handoffTokenKey === undefined || options.handoffTokenKey instanceof HandoffTokens
        ? options.handoffTokenKey
        : new HandoffTokens(options.handoffTokenKey);
    this.#region = options.defaultPhoneRegion ?? ('US' as PhoneRegion);
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? realSleep;
    this.#logger = options.logger;
    this.#retry = options.retry ?? {};
    this.#leaseMs = options.conversationLeaseMs ?? 30_000;
    this.#waitTimeoutMs = options.waitTimeoutMs ?? 20_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 20;
    this.#maxSessions = options.maxSessions ?? 50;
    this.#erasure = new CustomerErasure({ containers, docs: this.#docs, retry: this.#retry });
    this.idempotency = new IdempotencyLedger({
      container: containers.idempotency,
      clock: this.#clock,
      sleep: this.#sleep,
      pollIntervalMs: this.#pollIntervalMs,
      retry: this.#retry,
      logger: this.#logger,
    });
  }

  // -------------------------------------------------------------------------------------------
  // Identities and customers
  // -------------------------------------------------------------------------------------------

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
   * The customer with this id. A merged customer's id gives the survivor.
   *
   * @throws {@link CustomerNotFoundError}
   */
  async getCustomer(customerId: string): Promise<Customer> {
    return toCustomer(await this.#docs.load(customerId));
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
      return this.mergeCustomers(target, outcome.owner, options.reason ?? 'identity-link');
    }
    return toCustomer(await this.#docs.load(target));
  }

  /**
   * Merges customer `mergeId` into `keepId` and writes an audit record. Identities are re-pointed to the
   * survivor; its Foundry conversation id is kept and the other's noted in `mergedConversationIds`; sessions,
   * transcripts and handoffs move to it; collected data, consent and summary are merged (survivor wins); the
   * merged customer becomes a tombstone (`mergedInto`), so its id and identities resolve to the survivor.
   * Every step is idempotent: repeating a merge that was interrupted finishes it.
   *
   * @throws {@link InvalidMergeError} for a self-merge or a survivor that was itself merged away
   * @throws {@link CustomerNotFoundError}
   */
  async mergeCustomers(keepId: string, mergeId: string, reason: string): Promise<Customer> {
    if (keepId === mergeId) throw new InvalidMergeError('cannot merge a customer into itself');
    const keep = await this.#docs.read(keepId);
    if (keep === undefined) throw new CustomerNotFoundError(keepId);
    if (keep.mergedInto !== undefined) {
      throw new InvalidMergeError(
        `customer ${keepId} was merged into ${keep.mergedInto}; merge into that one`,
      );
    }
    const survivor = keep.customerId;
    // 1. Fold the merged customer's data into the survivor, then tombstone it with If-Match: if it changed in
    //    between, fold again (folding is idempotent), so no write to the merged customer is lost.
    const merged = await withOptimisticRetry(
      'mergeCustomers',
      async () => {
        const doc = await this.#docs.read(mergeId);
        if (doc === undefined) throw new CustomerNotFoundError(mergeId);
        if (doc.mergedInto !== undefined) {
          if (doc.mergedInto === survivor) return doc;
          throw new InvalidMergeError(`customer ${mergeId} was already merged into ${doc.mergedInto}`);
        }
        await this.#docs.mutate(
          survivor,
          'mergeCustomers',
          (target) => foldInto(target, doc, this.#maxSessions),
          {
            follow: false,
          },
        );
        const now = this.#docs.iso();
        const tombstone: CustomerDocument = {
          ...emptyCustomer(doc.customerId, now),
          createdAt: doc.createdAt,
          foundryConversationId: null,
          mergedInto: survivor as CustomerId,
          mergedAt: now,
          version: doc.version + 1,
        };
        await this.#docs.replace(doc, tombstone);
        return doc;
      },
      this.#retry,
    );
    // 2. Re-point the identities.
    const movedIdentities = await this.#repointIdentities(mergeId, survivor, merged.identities);
    // 3. Move transcripts and handoffs (create in the survivor's partition, then delete the original).
    const movedTurns = await this.#movePartition(this.#transcripts, mergeId, survivor, 'turn');
    const movedHandoffs = await this.#movePartition(this.#handoffs, mergeId, survivor, 'handoff');
    // 4. Audit.
    const audit: MergeAuditDocument = {
      id: `merge-audit:${mergeId}`,
      type: 'merge-audit',
      customerId: survivor as CustomerId,
      mergedCustomerId: mergeId as CustomerId,
      reason,
      at: this.#docs.iso(),
      movedIdentities,
      movedTurns,
      movedHandoffs,
      mergedConversationId: merged.foundryConversationId,
    };
    await withThrottleRetry('mergeCustomers', () => this.#transcripts.items.upsert(audit), this.#retry);
    return toCustomer(await this.#docs.load(survivor, { fresh: true }));
  }

  /** The merge audit records of a customer (as survivor), oldest first. */
  async mergeAudit(customerId: string): Promise<Omit<MergeAuditDocument, '_etag'>[]> {
    const { resources } = await this.#transcripts.items
      .query({
        query: "SELECT * FROM c WHERE c.customerId = @id AND c.type = 'merge-audit' ORDER BY c.at ASC",
        parameters: [{ name: '@id', value: customerId }],
      })
      .fetchAll();
    return resources.map((raw) => {
      const { _etag, ...audit } = raw as MergeAuditDocument;
      return audit;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Sessions, inbound window, consent
  // -------------------------------------------------------------------------------------------

  /** See {@link CustomerSessions.startSession}; `at` may be given as the fourth argument, as before. */
  startSession(
    customerId: string,
    channel: Channel,
    sessionId: string,
    options: StartSessionOptions | Date = {},
  ): Promise<Customer> {
    return this.#sessions.startSession(
      customerId,
      channel,
      sessionId,
      options instanceof Date ? { at: options } : options,
    );
  }

  /** See {@link CustomerSessions.raiseAssurance}. */
  raiseAssurance(
    customerId: string,
    channel: Channel,
    sessionId: string,
    level: AssuranceLevel,
    method: AssuranceMethod,
  ): Promise<Customer> {
    return this.#sessions.raiseAssurance(customerId, channel, sessionId, level, method);
  }

  /** See {@link CustomerSessions.endSession}. */
  endSession(
    customerId: string,
    channel: Channel,
    sessionId: string,
    status: Exclude<SessionStatus, 'active'>,
    at?: Date,
  ): Promise<Customer> {
    return this.#sessions.endSession(customerId, channel, sessionId, status, at);
  }

  /** See {@link CustomerSessions.linkVerifiedAccount}. */
  linkVerifiedAccount(customerId: string, ref: string, method: AssuranceMethod): Promise<Customer> {
    return this.#sessions.linkVerifiedAccount(customerId, ref, method);
  }

  /** See {@link CustomerSessions.recordVerificationFailure}. */
  recordVerificationFailure(customerId: string, limits?: VerificationLimits): Promise<VerificationFailure> {
    return this.#sessions.recordVerificationFailure(customerId, limits);
  }

  /** Records an inbound message on a channel (keeps the latest time; an older one changes nothing). */
  async recordInbound(customerId: string, channel: Channel, at: Date): Promise<Customer> {
    return toCustomer(await this.#sessions.recordInbound(customerId, channel, at));
  }

  /** See {@link CustomerSessions.lastInbound}. */
  lastInbound(customerId: string, channel: Channel): Promise<Date | undefined> {
    return this.#sessions.lastInbound(customerId, channel);
  }

  /** See {@link CustomerSessions.isWithinWindow}. */
  isWithinWindow(customerId: string, channel: Channel, now?: Date, windowMs?: number): Promise<boolean> {
    return this.#sessions.isWithinWindow(customerId, channel, now, windowMs);
  }

  /** See {@link CustomerSessions.setConsent}. */
  setConsent(
    customerId: string,
    channel: Channel,
    granted: boolean,
    options: { at?: Date; source?: string } = {},
  ): Promise<Customer> {
    return this.#sessions.setConsent(customerId, channel, granted, options);
  }

  // -------------------------------------------------------------------------------------------
  // Foundry conversation, transcript, summary
  // -------------------------------------------------------------------------------------------

  /**
   * The customer's Foundry conversation id, created on first use. Race-safe: a caller claims a lease on the
   * customer document (If-Match) before calling `create`; concurrent callers poll until the holder stores the
   * id; an expired lease (a crashed holder) is taken over. Never two stored ids: a caller that created an id
   * but finds another stored returns the stored one and hands its own to `discard`.
   *
   * @throws whatever `create` throws (the lease is released); {@link ConcurrencyExhaustedError} when the wait
   *   for another holder runs out
   */
  async getOrCreateConversationId(
    customerId: string,
    create: () => Promise<string>,
    options: { discard?: (conversationId: string) => Promise<void> } = {},
  ): Promise<string> {
    const cached = await this.#docs.load(customerId);
    if (cached.foundryConversationId !== null) return cached.foundryConversationId;
    const holder = randomUUID();
    const deadline = performance.now() + this.#waitTimeoutMs;
    let id = cached.customerId;
    for (;;) {
      const doc = await this.#docs.load(id, { fresh: true });
      id = doc.customerId;
      if (doc.foundryConversationId !== null) return doc.foundryConversationId;
      const now = this.#clock();
      const lease = doc.conversationLease;
      if (lease !== null && lease.expiresAt > now && lease.holder !== holder) {
        if (performance.now() > deadline) {
          throw new ConcurrencyExhaustedError('getOrCreateConversationId: waiting for the lease holder', 1);
        }
        await this.#sleep(this.#pollIntervalMs);
        continue;
      }
      try {
        await this.#docs.replace(doc, {
          ...doc,
          conversationLease: { holder, expiresAt: now + this.#leaseMs },
          version: doc.version + 1,
          updatedAt: this.#docs.iso(),
        });
        break;
      } catch (error) {
        if (isPreconditionFailed(error)) continue;
        throw error;
      }
    }
    let createdId: string;
    try {
      createdId = await create();
    } catch (error) {
      await this.#docs
        .mutate(id, 'getOrCreateConversationId: release', (doc) =>
          doc.conversationLease?.holder === holder ? { ...doc, conversationLease: null } : undefined,
        )
        .catch((releaseError: unknown) =>
          this.#logger?.warn({ err: releaseError }, 'could not release a conversation lease'),
        );
      throw error;
    }
    const stored = await this.#docs.mutate(id, 'getOrCreateConversationId: store', (doc) =>
      doc.foundryConversationId === null
        ? {
            ...doc,
            foundryConversationId: createdId,
            conversationLease: doc.conversationLease?.holder === holder ? null : doc.conversationLease,
          }
        : undefined,
    );
    if (stored.foundryConversationId !== createdId) {
      await options
        .discard?.(createdId)
        .catch((error: unknown) =>
          this.#logger?.warn({ err: error }, 'could not discard an unused conversation'),
        );
    }
    return stored.foundryConversationId ?? createdId;
  }

  /**
   * Records one turn of the transcript. Idempotent per `turnId`: a repeat returns the stored turn.
   *
   * @throws {@link CustomerNotFoundError}
   */
  async recordTurn(customerId: string, turn: TurnInput): Promise<Turn> {
    if (turn.text.length > MAX_TEXT_LENGTH)
      throw new RangeError(`turn text exceeds ${MAX_TEXT_LENGTH} characters`);
    const owner = (await this.#docs.load(customerId)).customerId;
    const turnId = turn.turnId ?? randomUUID();
    const doc: TurnDocument = {
      id: `turn:${turnId}`,
      type: 'turn',
      customerId: owner as CustomerId,
      turnId,
      channel: turn.channel,
      sessionId: turn.sessionId,
      role: turn.role,
      text: turn.text,
      agentId: turn.agentId ?? null,
      at: turn.at.toISOString(),
    };
    try {
      await withThrottleRetry('recordTurn', () => this.#transcripts.items.create(doc), this.#retry);
      return toTurn(doc);
    } catch (error) {
      if (!isConflict(error)) throw error;
      const { resource } = await this.#transcripts.item(doc.id, owner).read();
      return toTurn(parseDocument(turnDocumentSchema, 'transcripts', resource));
    }
  }

  /** The newest `n` turns (1 to 1000) of a customer, oldest first. Turns with the same `at` have no set order. */
  async recentTurns(customerId: string, n: number): Promise<Turn[]> {
    if (!Number.isInteger(n) || n < 1 || n > 1000)
      throw new RangeError('n must be an integer from 1 to 1000');
    const owner = (await this.#docs.load(customerId)).customerId;
    // The partitionKey option alone is not enough locally (the emulator ignores it): filter in WHERE too.
    const { resources } = await withThrottleRetry(
      'recentTurns',
      () =>
        this.#transcripts.items
          .query(
            {
              query: "SELECT TOP @n * FROM c WHERE c.customerId = @id AND c.type = 'turn' ORDER BY c.at DESC",
              parameters: [
                { name: '@n', value: n },
                { name: '@id', value: owner },
              ],
            },
            { partitionKey: owner },
          )
          .fetchAll(),
      this.#retry,
    );
    return resources.map((raw) => toTurn(parseDocument(turnDocumentSchema, 'transcripts', raw))).reverse();
  }

  /**
   * Replaces the summary and merges `collectedDataPatch` into the collected data (the patch wins; keys not in
   * it stay). `summary: undefined` keeps the current summary.
   */
  async updateSummary(
    customerId: string,
    summary: string | undefined,
    collectedDataPatch: CollectedData = {},
  ): Promise<Customer> {
    if (summary !== undefined && summary.length > MAX_TEXT_LENGTH) {
      throw new RangeError(`summary exceeds ${MAX_TEXT_LENGTH} characters`);
    }
    const patch = collectedDataSchema.parse(collectedDataPatch);
    const doc = await this.#docs.mutate(customerId, 'updateSummary', (current) => {
      const next = {
        ...current,
        summary: summary ?? current.summary,
        collectedData: { ...current.collectedData, ...patch },
      };
      const unchanged =
        next.summary === current.summary &&
        JSON.stringify(next.collectedData) === JSON.stringify(current.collectedData);
      return unchanged ? undefined : next;
    });
    return toCustomer(doc);
  }

  // -------------------------------------------------------------------------------------------
  // Handoff tokens
  // -------------------------------------------------------------------------------------------

  /**
   * Issues a one-time handoff token bound to the customer and the target channel, valid for `ttlSeconds`
   * (default 15 minutes), and records the handoff with the token's SHA-256 hash (never the token).
   *
   * With `handoffId` and `expiresAt` (a saga replaying its step), the call is idempotent: the same inputs sign
   * the same token, and a handoff already recorded with that token's hash is returned instead of a conflict.
   */
  async issueHandoffToken(
    customerId: string,
    toChannel: Channel,
    ttlSeconds = 900,
    options: {
      fromChannel?: Channel;
      reason?: string;
      handoffId?: string;
      expiresAt?: Date;
      /** The level the redeeming session inherits; default: the newest session on `fromChannel`. */
      issuerAssurance?: AssuranceLevel;
    } = {},
  ): Promise<IssuedHandoffToken> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 86_400) {
      throw new RangeError('ttlSeconds must be an integer from 1 to 86400');
    }
    const ownerDoc = await this.#docs.load(customerId);
    const owner = ownerDoc.customerId;
    const now = this.#clock();
    const handoffId = options.handoffId ?? `ho_${randomUUID()}`;
    const expiresAt = options.expiresAt?.getTime() ?? now + ttlSeconds * 1000;
    const token = this.#handoffTokens().sign({ handoffId, customerId: owner, toChannel, expiresAt });
    const doc: HandoffDocument = {
      id: handoffId,
      type: 'handoff',
      customerId: owner as CustomerId,
      fromChannel: options.fromChannel ?? null,
      toChannel,
      status: 'offered',
      tokenHash: hashToken(token),
      reason: options.reason ?? null,
      offeredAt: new Date(now).toISOString(),
      expiresAt: new Date(expiresAt).toISOString(),
      redeemedAt: null,
      redeemedBy: null,
      issuerAssurance: options.issuerAssurance ?? issuingAssurance(ownerDoc, options.fromChannel),
    };
    try {
      await withThrottleRetry('issueHandoffToken', () => this.#handoffs.items.create(doc), this.#retry);
    } catch (error) {
      if (options.handoffId === undefined || !isConflict(error)) throw error;
      const existing = await this.#findHandoff(handoffId, owner);
      if (existing === undefined || existing.tokenHash !== doc.tokenHash) throw error;
    }
    return { token, handoffId, expiresAt: new Date(expiresAt) };
  }

  /**
   * Redeems a handoff token: single use (of concurrent redeems exactly one succeeds, by If-Match on the
   * handoff document), then links `identity` to the customer and returns the customer. With `channel`, the
   * token must have been issued for that channel.
   *
   * @throws {@link TokenInvalidError} tampered, foreign, unknown or wrong-channel token
   * @throws {@link TokenExpiredError} genuine but expired
   * @throws {@link TokenUsedError} already redeemed
   * @throws {@link IdentityConflictError} the identity belongs to another customer (with `'merge-anonymous'`: to
   *   a customer who is not anonymous;
   *   the token stays redeemable)
   */
  async redeemHandoffToken(
    token: string,
    identity: IdentityInput,
    options: { channel?: Channel; onConflict?: 'fail' | 'merge-anonymous' } = {},
  ): Promise<RedeemedHandoff> {
    const claims = this.#handoffTokens().verify(token, this.#clock());
    if (options.channel !== undefined && options.channel !== claims.toChannel) {
      throw new TokenInvalidError('issued for another channel');
    }
    const key = this.identityKeyOf(identity);
    const tokenHash = hashToken(token);
    const redeemed = await withOptimisticRetry(
      'redeemHandoffToken',
      async () => {
        const handoff = await this.#findHandoff(claims.handoffId, claims.customerId);
        if (handoff === undefined || !sameDigest(tokenHash, handoff.tokenHash)) {
          throw new TokenInvalidError('unknown handoff');
        }
        if (handoff.status === 'redeemed') throw new TokenUsedError(handoff.id);
        if (this.#clock() >= Date.parse(handoff.expiresAt))
          throw new TokenExpiredError(new Date(handoff.expiresAt));
        const next: HandoffDocument = {
          ...stripEtag(handoff),
          status: 'redeemed',
          redeemedAt: this.#docs.iso(),
          redeemedBy: key,
        };
        const { resource } = await this.#handoffs
          .item(handoff.id, handoff.customerId)
          .replace(next, { accessCondition: { type: 'IfMatch', condition: handoff._etag ?? '' } });
        return parseDocument(handoffDocumentSchema, 'handoffs', resource);
      },
      this.#retry,
    );
    try {
      const customer = await this.linkIdentity(redeemed.customerId, identity, {
        onConflict: options.onConflict ?? 'fail',
        reason: `handoff ${redeemed.id}`,
      });
      return { ...customer, handoff: { handoffId: redeemed.id, assurance: redeemed.issuerAssurance } };
    } catch (error) {
      // Give the token back, so the customer can try again once the conflict is sorted out.
      await this.#handoffs
        .item(redeemed.id, redeemed.customerId)
        .replace(
          { ...stripEtag(redeemed), status: 'offered', redeemedAt: null, redeemedBy: null },
          { accessCondition: { type: 'IfMatch', condition: redeemed._etag ?? '' } },
        )
        .catch((releaseError: unknown) =>
          this.#logger?.warn({ err: releaseError }, 'could not release a handoff token'),
        );
      throw error;
    }
  }

  /** The handoff records of a customer (token hashes, statuses). */
  async handoffs(customerId: string): Promise<Omit<HandoffDocument, '_etag'>[]> {
    const owner = (await this.#docs.load(customerId)).customerId;
    const { resources } = await this.#handoffs.items
      .query({
        query: "SELECT * FROM c WHERE c.customerId = @id AND c.type = 'handoff'",
        parameters: [{ name: '@id', value: owner }],
      })
      .fetchAll();
    return resources.map((raw) => stripEtag(parseDocument(handoffDocumentSchema, 'handoffs', raw)));
  }

  // -------------------------------------------------------------------------------------------
  // Idempotency and erasure
  // -------------------------------------------------------------------------------------------

  /** Runs `fn` once per `key` (see {@link IdempotencyLedger.runOnce}). */
  runOnce<T>(key: string, fn: () => Promise<T>, options: RunOnceOptions = {}): Promise<T> {
    return this.idempotency.runOnce(key, fn, { waitTimeoutMs: this.#waitTimeoutMs, ...options });
  }

  /**
   * Erases a customer from every container (see {@link CustomerErasure.erase}); returns the Foundry conversation
   * ids for the caller to delete. Idempotent.
   */
  eraseCustomer(customerId: string): Promise<ErasedCustomer> {
    return this.#erasure.erase(customerId);
  }

  /** Every record the containers hold about a customer (see {@link CustomerErasure.export}). Reads only. */
  exportCustomer(customerId: string): Promise<CustomerRecords> {
    return this.#erasure.export(customerId);
  }

  // -------------------------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------------------------

  #handoffTokens(): HandoffTokens {
    if (this.#tokens === undefined) {
      throw new Error('this service has no HANDOFF_TOKEN_KEY: it cannot issue or redeem handoff tokens');
    }
    return this.#tokens;
  }

  /** The customer an identity resolves to (the survivor, after merges), or undefined. Heals dangling identities. */
  async #customerOfIdentity(key: string): Promise<CustomerDocument | undefined> {
    const cached = await this.#docs.cacheGet(identityCacheKey(key));
    if (typeof cached?.value === 'string') {
      try {
        return await this.#docs.load(cached.value);
      } catch (error) {
        if (!(error instanceof CustomerNotFoundError)) throw error;
        // A stale mapping to an erased customer: ask Cosmos.
      }
    }
    const identity = await this.#readIdentity(key);
    if (identity === undefined) return undefined;
    try {
      return await this.#docs.load(identity.customerId);
    } catch (error) {
      if (!(error instanceof CustomerNotFoundError)) throw error;
      // The identity points at a customer that no longer exists (an erase in progress or interrupted):
      // remove it, so the caller can create a fresh customer.
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

  async #readIdentity(key: string): Promise<IdentityDocument | undefined> {
    const { resource } = await withThrottleRetry(
      'read identity',
      () => this.#identities.item(key, key).read(),
      this.#retry,
    );
    if (resource === undefined) return undefined;
    const doc = parseDocument(identityDocumentSchema, 'identities', resource);
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
    await this.#docs.cacheSet(customerKey(id), stored.version, stripEtag(stored));
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
      const identity = await this.#readIdentity(key);
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
        if (identity.customerId !== customerId) await this.#repointIdentity(identity, customerId);
        return changed ? { kind: 'linked' } : { kind: 'unchanged' };
      }
      if (owner !== undefined) return { kind: 'conflict', owner };
      // Dangling (its customer is gone): take it over.
      try {
        await this.#repointIdentity(identity, customerId);
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
  async #repointIdentity(identity: IdentityDocument, customerId: string): Promise<void> {
    const next: IdentityDocument = {
      ...stripEtag(identity),
      customerId: customerId as CustomerId,
      version: identity.version + 1,
    };
    await this.#identities
      .item(identity.id, identity.id)
      .replace(next, { accessCondition: { type: 'IfMatch', condition: identity._etag ?? '' } });
    await this.#docs.cacheSet(identityCacheKey(identity.id), next.version, customerId);
  }

  async #repointIdentities(fromId: string, toId: string, known: readonly string[]): Promise<string[]> {
    const keys = new Set<string>(known);
    for (const raw of await this.#queryByCustomer(this.#identities, fromId)) keys.add(raw.id);
    const moved: string[] = [];
    for (const key of keys) {
      await withOptimisticRetry(
        'mergeCustomers: re-point identity',
        async () => {
          const identity = await this.#readIdentity(key);
          if (identity === undefined || identity.customerId !== fromId) return;
          await this.#repointIdentity(identity, toId);
          moved.push(key);
        },
        this.#retry,
      );
    }
    return moved;
  }

  /** Moves every document of `type` from one customer's partition to another's: create (409 ok), then delete. */
  async #movePartition(container: Container, fromId: string, toId: string, type: string): Promise<number> {
    let moved = 0;
    for (const raw of await this.#queryByCustomer(container, fromId)) {
      if (raw.type !== type) continue;
      const { _etag, _rid, _self, _ts, _attachments, ...body } = raw as ItemDefinition &
        Record<string, unknown>;
      try {
        await withThrottleRetry(
          'mergeCustomers: move',
          () => container.items.create({ ...body, customerId: toId }),
          this.#retry,
        );
      } catch (error) {
        if (!isConflict(error)) throw error; // 409: moved by an earlier, interrupted merge
      }
      await this.#deleteIgnoringMissing(container, raw.id, fromId);
      moved += 1;
    }
    return moved;
  }

  async #queryByCustomer(
    container: Container,
    customerId: string,
  ): Promise<(ItemDefinition & { id: string })[]> {
    const { resources } = await withThrottleRetry(
      'query by customer',
      () =>
        container.items
          .query<ItemDefinition & { id: string }>({
            query: 'SELECT * FROM c WHERE c.customerId = @id',
            parameters: [{ name: '@id', value: customerId }],
          })
          .fetchAll(),
      this.#retry,
    );
    return resources;
  }

  async #findHandoff(handoffId: string, customerId: string): Promise<HandoffDocument | undefined> {
    let owner: string | undefined = customerId;
    for (let depth = 0; owner !== undefined && depth < MAX_MERGE_DEPTH; depth += 1) {
      const id: string = owner;
      const { resource } = await this.#handoffs.item(handoffId, id).read();
      if (resource !== undefined) return parseDocument(handoffDocumentSchema, 'handoffs', resource);
      // Moved by a merge? Follow the customer's tombstone.
      const customer = await this.#customers.item(id, id).read();
      owner = (customer.resource as { mergedInto?: string } | undefined)?.mergedInto;
    }
    return undefined;
  }

  async #deleteIgnoringMissing(container: Container, id: string, partitionKey: string): Promise<void> {
    try {
      await withThrottleRetry('delete', () => container.item(id, partitionKey).delete(), this.#retry);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }
}

/** Folds a merged customer's data into the survivor (survivor wins); undefined when nothing changes. */
function foldInto(
  keep: CustomerDocument,
  merge: CustomerDocument,
  maxSessions: number,
): CustomerDocument | undefined {
  const identities = [...new Set([...keep.identities, ...merge.identities])] as IdentityKey[];
  const conversations = [merge.foundryConversationId, ...merge.mergedConversationIds].filter(
    (id): id is string => id !== null,
  );
  const foundryConversationId = keep.foundryConversationId ?? conversations[0] ?? null;
  const mergedConversationIds = [
    ...new Set([
      ...keep.mergedConversationIds,
      ...conversations.filter((id) => id !== foundryConversationId),
    ]),
  ];
  const sessions = capSessions(
    [
      ...keep.sessions,
      ...merge.sessions.filter(
        (s) => !keep.sessions.some((k) => k.channel === s.channel && k.sessionId === s.sessionId),
      ),
    ].sort((a, b) => Date.parse(a.startedAt) - Date.parse(b.startedAt)),
    maxSessions,
  );
  const lastInboundAt = { ...merge.lastInboundAt };
  for (const [channel, at] of Object.entries(keep.lastInboundAt) as [Channel, string][]) {
    const other = lastInboundAt[channel];
    if (other === undefined || Date.parse(at) > Date.parse(other)) lastInboundAt[channel] = at;
  }
  const next: CustomerDocument = {
    ...keep,
    displayName: keep.displayName ?? merge.displayName,
    identities,
    foundryConversationId,
    mergedConversationIds,
    summary: keep.summary ?? merge.summary,
    collectedData: { ...merge.collectedData, ...keep.collectedData },
    sessions,
    consent: { ...merge.consent, ...keep.consent },
    lastInboundAt,
  };
  return JSON.stringify(next) === JSON.stringify(keep) ? undefined : next;
}

function toTurn(doc: TurnDocument): Turn {
  const { id, type, _etag, ...turn } = doc;
  return turn;
}

/**
 * The assurance a handoff link carries: that of the customer's newest session on the channel the handoff
 * leaves (a caller-ID call: `asserted`; a WhatsApp chat: `channel-verified`; a verified session: `verified`).
 * WhatsApp vouches for the number even when no session was recorded.
 */
function issuingAssurance(customer: CustomerDocument, fromChannel: Channel | undefined): AssuranceLevel {
  if (fromChannel === undefined) return 'none';
  const sessions = customer.sessions.filter((s) => s.channel === fromChannel);
  const newest = sessions.sort((a, b) => Date.parse(b.startedAt) - Date.parse(a.startedAt))[0];
  if (newest !== undefined) return newest.assurance;
  return fromChannel === 'whatsapp' ? 'channel-verified' : 'none';
}
