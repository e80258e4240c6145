import type { Container } from '@azure/cosmos';
import type { AssuranceLevel, Channel, CollectedData, IdentityKey } from '@omni/contracts';
import type { Logger } from 'pino';
import { type ContextCache, MemoryContextCache } from './cache.js';
import { type Clock, systemClock } from './clock.js';
import type { PhoneRegion } from './config.js';
import type { CustomerContextContainers } from './cosmos.js';
import { CustomerConversation, type Turn, type TurnInput } from './customer-conversation.js';
import { type Customer, CustomerDocuments, toCustomer } from './customer-documents.js';
import { CustomerErasure, type CustomerRecords, type ErasedCustomer } from './customer-erasure.js';
import {
  CustomerIdentities,
  type IdentityInput,
  type ResolvedCustomer,
  type ResolveHints,
} from './customer-identities.js';
import { CustomerMerges } from './customer-merges.js';
import {
  type AssuranceMethod,
  CustomerSessions,
  type StartSessionOptions,
  type VerificationFailure,
  type VerificationLimits,
} from './customer-sessions.js';
import type { HandoffDocument, MergeAuditDocument, OpenHandoff, SessionStatus } from './documents.js';
import { HandoffRecords, type IssuedHandoffToken, type RedeemedHandoff } from './handoff-records.js';
import { HandoffTokens } from './handoff-tokens.js';
import { IdempotencyLedger, type RunOnceClaim, type RunOnceOptions } from './idempotency-ledger.js';
import { type OptimisticRetryOptions, realSleep, type Sleep } from './retry.js';

export type { Turn, TurnInput } from './customer-conversation.js';
export type { IdentityInput, ResolvedCustomer, ResolveHints } from './customer-identities.js';
export type { IssuedHandoffToken, RedeemedHandoff } from './handoff-records.js';

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

/**
 * The customer context every channel shares: one customer per person across voice, WhatsApp and web chat,
 * with one Foundry conversation, one summary and one set of collected data. Stored in Cosmos DB; every
 * read-modify-write is an If-Match write with bounded retries; customers and identity lookups are cached in a
 * versioned {@link ContextCache}. See the package README for the concurrency design.
 *
 * The work is split by responsibility: {@link CustomerIdentities} (identities), {@link CustomerMerges} (merges),
 * {@link CustomerSessions} (sessions, assurance, inbound window, consent), {@link CustomerConversation}
 * (conversation id, transcript, summary) and {@link HandoffRecords} (handoff tokens); this class is their one
 * entry point, and erases a customer.
 */
export class CustomerContextStore {
  readonly #customers: Container;
  readonly #identities: Container;
  readonly #handoffs: Container;
  readonly #transcripts: Container;
  readonly #docs: CustomerDocuments;
  readonly #sessions: CustomerSessions;
  readonly #people: CustomerIdentities;
  readonly #merges: CustomerMerges;
  readonly #conversation: CustomerConversation;
  readonly #handoffRecords: HandoffRecords;
  readonly #retry: OptimisticRetryOptions;
  readonly #waitTimeoutMs: number;
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
    const sleep = options.sleep ?? realSleep;
    const logger = options.logger;
    const retry = options.retry ?? {};
    const pollIntervalMs = options.pollIntervalMs ?? 20;
    const maxSessions = options.maxSessions ?? 50;
    this.#retry = retry;
    this.#waitTimeoutMs = options.waitTimeoutMs ?? 20_000;
    this.#docs = new CustomerDocuments({
      container: containers.customers,
      cache: options.cache ?? new MemoryContextCache(),
      clock,
      retry,
      logger,
    });
    this.#sessions = new CustomerSessions(this.#docs, clock, maxSessions);
    this.#people = new CustomerIdentities({
      customers: containers.customers,
      identities: containers.identities,
      docs: this.#docs,
      sessions: this.#sessions,
      region: options.defaultPhoneRegion ?? ('US' as PhoneRegion),
      clock,
      retry,
      merge: (keepId, mergeId, reason) => this.mergeCustomers(keepId, mergeId, reason),
    });
    this.#merges = new CustomerMerges({
      identities: containers.identities,
      handoffs: containers.handoffs,
      transcripts: containers.transcripts,
      docs: this.#docs,
      people: this.#people,
      retry,
      maxSessions,
    });
    this.#conversation = new CustomerConversation({
      transcripts: containers.transcripts,
      docs: this.#docs,
      clock,
      sleep,
      logger,
      retry,
      leaseMs: options.conversationLeaseMs ?? 30_000,
      waitTimeoutMs: this.#waitTimeoutMs,
      pollIntervalMs,
    });
    this.#handoffRecords = new HandoffRecords({
      handoffs: containers.handoffs,
      customers: containers.customers,
      docs: this.#docs,
      identities: this.#people,
      tokens:
        options.handoffTokenKey === undefined || options.handoffTokenKey instanceof HandoffTokens
          ? options.handoffTokenKey
          : new HandoffTokens(options.handoffTokenKey),
      clock,
      logger,
      retry,
    });
    this.#erasure = new CustomerErasure({ containers, docs: this.#docs, retry });
    this.idempotency = new IdempotencyLedger({
      container: containers.idempotency,
      clock,
      sleep,
      pollIntervalMs,
      retry,
      logger,
    });
  }

  /**
   * Runs `fn` as one turn of a customer's conversation, for a caller that holds the customer's session (the
   * Service Bus session of the customer's messages, a call's callback lock): every customer document is read
   * once and reused with its ETag (writes stay If-Match; a concurrent writer makes them re-read), cache writes
   * leave the critical path, and the inbound time is written with the turn's own write. Nested calls join.
   */
  inTurn<T>(fn: () => Promise<T>): Promise<T> {
    return this.#docs.inTurn(fn);
  }

  // -------------------------------------------------------------------------------------------
  // Identities and customers
  // -------------------------------------------------------------------------------------------

  // -------------------------------------------------------------------------------------------
  // Identities and customers (CustomerIdentities)
  // -------------------------------------------------------------------------------------------

  /** See {@link CustomerIdentities.identityKeyOf}. */
  identityKeyOf(identity: IdentityInput, region?: PhoneRegion): IdentityKey {
    return this.#people.identityKeyOf(identity, region);
  }

  /** See {@link CustomerIdentities.resolveCustomer}. */
  resolveCustomer(identity: IdentityInput, hints?: ResolveHints): Promise<ResolvedCustomer> {
    return this.#people.resolveCustomer(identity, hints);
  }

  /**
   * The customer with this id. A merged customer's id gives the survivor.
   *
   * @throws {@link CustomerNotFoundError}
   */
  /**
   * The customer (a merged id yields the survivor). `fresh`: read from Cosmos, not the cache (views that must
   * show what is stored now, like the ops timeline: a cache in memory does not see other processes' writes).
   */
  async getCustomer(customerId: string, options: { fresh?: boolean } = {}): Promise<Customer> {
    return toCustomer(await this.#docs.load(customerId, options));
  }

  /** See {@link CustomerIdentities.linkIdentity}. */
  linkIdentity(
    customerId: string,
    identity: IdentityInput,
    options?: { onConflict?: 'fail' | 'merge-anonymous'; reason?: string },
  ): Promise<Customer> {
    return this.#people.linkIdentity(customerId, identity, options);
  }

  /** See {@link CustomerMerges.mergeCustomers}. */
  mergeCustomers(keepId: string, mergeId: string, reason: string): Promise<Customer> {
    return this.#merges.mergeCustomers(keepId, mergeId, reason);
  }

  /** See {@link CustomerMerges.mergeAudit}. */
  mergeAudit(customerId: string): Promise<Omit<MergeAuditDocument, '_etag'>[]> {
    return this.#merges.mergeAudit(customerId);
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

  // -------------------------------------------------------------------------------------------
  // Foundry conversation, transcript, summary (CustomerConversation)
  // -------------------------------------------------------------------------------------------

  /** See {@link CustomerConversation.getOrCreateConversationId}. */
  getOrCreateConversationId(
    customerId: string,
    create: () => Promise<string>,
    options?: { discard?: (conversationId: string) => Promise<void> },
  ): Promise<string> {
    return this.#conversation.getOrCreateConversationId(customerId, create, options);
  }

  /** See {@link CustomerConversation.recordTurn}. */
  recordTurn(customerId: string, turn: TurnInput): Promise<Turn> {
    return this.#conversation.recordTurn(customerId, turn);
  }

  /** See {@link CustomerConversation.recentTurns}. */
  recentTurns(customerId: string, n: number, options: { fresh?: boolean } = {}): Promise<Turn[]> {
    return this.#conversation.recentTurns(customerId, n, options);
  }

  /** See {@link CustomerConversation.updateSummary}. */
  updateSummary(
    customerId: string,
    summary: string | undefined,
    collectedDataPatch?: CollectedData,
  ): Promise<Customer> {
    return this.#conversation.updateSummary(customerId, summary, collectedDataPatch);
  }

  // -------------------------------------------------------------------------------------------
  // Handoff tokens (HandoffRecords)
  // -------------------------------------------------------------------------------------------

  /** See {@link HandoffRecords.issueHandoffToken}. */
  issueHandoffToken(
    customerId: string,
    toChannel: Channel,
    ttlSeconds?: number,
    options?: Parameters<HandoffRecords['issueHandoffToken']>[3],
  ): Promise<IssuedHandoffToken> {
    return this.#handoffRecords.issueHandoffToken(customerId, toChannel, ttlSeconds, options);
  }

  /** See {@link HandoffRecords.redeemHandoffToken}. */
  redeemHandoffToken(
    token: string,
    identity: IdentityInput,
    options?: { channel?: Channel; onConflict?: 'fail' | 'merge-anonymous' },
  ): Promise<RedeemedHandoff> {
    return this.#handoffRecords.redeemHandoffToken(token, identity, options);
  }

  /** See {@link HandoffRecords.openHandoffs}. */
  openHandoffs(customerId: string): Promise<OpenHandoff[]> {
    return this.#handoffRecords.openHandoffs(customerId);
  }

  /** See {@link HandoffRecords.closeHandoff}. */
  closeHandoff(customerId: string, handoffId: string): Promise<void> {
    return this.#handoffRecords.closeHandoff(customerId, handoffId);
  }

  /** See {@link HandoffRecords.handoffs}. */
  handoffs(customerId: string): Promise<Omit<HandoffDocument, '_etag'>[]> {
    return this.#handoffRecords.handoffs(customerId);
  }

  // -------------------------------------------------------------------------------------------
  // Idempotency and erasure
  // -------------------------------------------------------------------------------------------

  /** Runs `fn` once per `key` (see {@link IdempotencyLedger.runOnce}). */
  runOnce<T>(key: string, fn: (claim: RunOnceClaim) => Promise<T>, options: RunOnceOptions = {}): Promise<T> {
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
}
