import { randomUUID } from 'node:crypto';
import { type AssuranceLevel, type CollectedData, maxAssurance } from '@omni/contracts';
import type { ConversationChannel } from '../scenario.js';
import type { IdempotencyPort } from '../tools/tool-registry.js';

/** Who spoke a recorded turn (the customer-context roles). */
export type StoredTurnRole = 'customer' | 'assistant' | 'agent' | 'system';

/** A turn to record. */
export interface StoredTurnInput {
  channel: ConversationChannel;
  sessionId: string;
  role: StoredTurnRole;
  text: string;
  agentId?: string;
  at: Date;
  /** Makes recording idempotent: a repeated id records nothing new. */
  turnId?: string;
}

/** A recorded turn, as the store returns it. */
export interface StoredTurn {
  readonly turnId: string;
  readonly channel: string;
  readonly sessionId: string;
  readonly role: StoredTurnRole;
  readonly text: string;
  readonly agentId: string | null;
  readonly at: string;
}

/** The customer fields the engine reads. */
export interface StoredCustomer {
  readonly summary: string | null;
  readonly collectedData: CollectedData;
  /** The customer's sessions with their assurance levels. */
  readonly sessions?: readonly {
    readonly channel: string;
    readonly sessionId: string;
    readonly assurance: AssuranceLevel;
  }[];
  /** Accounts linked to the customer after a verification. */
  readonly verifiedAccounts?: readonly { readonly ref: string }[];
  /** Failed verifications in a row and the lock-out they caused. */
  readonly verificationFailures?: { readonly count: number; readonly lockedUntil: string | null } | null;
}

/**
 * The port the {@link ConversationEngine} keeps conversations in: the subset of `CustomerContextStore`
 * (`@omni/customer-context`) it needs, so production passes the Cosmos-backed store unchanged and unit tests
 * pass an {@link InMemoryConversationStore}. `runOnce` is also the tools' idempotency port.
 */
export interface ConversationStore extends IdempotencyPort {
  getOrCreateConversationId(customerId: string, create: () => Promise<string>): Promise<string>;
  recordTurn(customerId: string, turn: StoredTurnInput): Promise<unknown>;
  /** The newest `n` turns, oldest first. */
  recentTurns(customerId: string, n: number): Promise<readonly StoredTurn[]>;
  /** Replaces the summary (`undefined` keeps it) and merges the patch into the collected data. */
  updateSummary(
    customerId: string,
    summary: string | undefined,
    collectedDataPatch?: CollectedData,
  ): Promise<unknown>;
  getCustomer(customerId: string): Promise<StoredCustomer>;
  /** Raises a session's assurance level (never lowers it). */
  raiseAssurance(
    customerId: string,
    channel: ConversationChannel,
    sessionId: string,
    level: AssuranceLevel,
    method: string,
  ): Promise<unknown>;
  /** Links an account to the customer after a verification. */
  linkVerifiedAccount(customerId: string, ref: string, method: string): Promise<unknown>;
  /** Counts a failed verification; locks verification at the limit. */
  recordVerificationFailure(customerId: string): Promise<{ readonly lockedUntil: Date | undefined }>;
}

/**
 * The prefix of the collected-data keys the engine reserves for its own per-customer state (the agent that
 * holds the conversation, budget spend, clarifications in a row, the last turn's result). They are never
 * shown to agents, summaries or transfer notes.
 */
export const ENGINE_STATE_PREFIX = '_engine.';

/** The reserved collected-data keys of the engine's state (see {@link ENGINE_STATE_PREFIX}). */
export const ENGINE_STATE_KEYS = {
  /** The agent that holds the conversation. */
  agentId: `${ENGINE_STATE_PREFIX}agentId`,
  /** Spend of the conversation in USD. */
  spentUsd: `${ENGINE_STATE_PREFIX}spentUsd`,
  inputTokens: `${ENGINE_STATE_PREFIX}inputTokens`,
  outputTokens: `${ENGINE_STATE_PREFIX}outputTokens`,
  /** Clarifying questions asked in a row (lazy routing). */
  clarifications: `${ENGINE_STATE_PREFIX}clarifications`,
  /** JSON of the last completed turn `{ turnId, result }`, so a replayed turn returns it unchanged. */
  lastTurn: `${ENGINE_STATE_PREFIX}lastTurn`,
  /** What the stored spend covers (`session:<channel>:<id>` or `day:<date>`); another scope starts afresh. */
  budgetScope: `${ENGINE_STATE_PREFIX}budgetScope`,
  /** JSON of a verification the engine asked for and the customer has not answered yet. */
  verification: `${ENGINE_STATE_PREFIX}verification`,
} as const;

/** The collected data without the engine's reserved keys (what agents and summaries may see). */
export function publicCollectedData(data: CollectedData): CollectedData {
  return Object.fromEntries(Object.entries(data).filter(([k]) => !k.startsWith(ENGINE_STATE_PREFIX)));
}

/**
 * An in-memory {@link ConversationStore} with the same semantics as `CustomerContextStore` (idempotent turns
 * by turn id, patch-merged collected data, one conversation id per customer, `runOnce` per key). Customers
 * are created on first use. For unit tests and the sandbox; not shared between processes.
 */
export class InMemoryConversationStore implements ConversationStore {
  readonly #customers = new Map<
    string,
    {
      summary: string | null;
      collectedData: CollectedData;
      conversationId?: string;
      sessions: { channel: string; sessionId: string; assurance: AssuranceLevel }[];
      verifiedAccounts: { ref: string }[];
      verificationFailures: { count: number; lockedUntil: string | null } | null;
    }
  >();
  /** Failed verifications that lock verification (as `CustomerContextStore`'s default). */
  readonly maxVerificationFailures = 3;
  readonly #turns = new Map<string, StoredTurn[]>();
  readonly #once = new Map<string, Promise<unknown>>();
  /** How many side effects ran (one per distinct `runOnce` key). */
  runs = 0;

  #customer(customerId: string) {
    let customer = this.#customers.get(customerId);
    if (!customer) {
      customer = {
        summary: null,
        collectedData: {},
        sessions: [],
        verifiedAccounts: [],
        verificationFailures: null,
      };
      this.#customers.set(customerId, customer);
    }
    return customer;
  }

  async getOrCreateConversationId(customerId: string, create: () => Promise<string>): Promise<string> {
    const customer = this.#customer(customerId);
    customer.conversationId ??= await create();
    return customer.conversationId;
  }

  async recordTurn(customerId: string, turn: StoredTurnInput): Promise<StoredTurn> {
    const turns = this.#turns.get(customerId) ?? [];
    this.#turns.set(customerId, turns);
    const turnId = turn.turnId ?? randomUUID();
    const existing = turns.find((t) => t.turnId === turnId);
    if (existing) return existing;
    const stored: StoredTurn = {
      turnId,
      channel: turn.channel,
      sessionId: turn.sessionId,
      role: turn.role,
      text: turn.text,
      agentId: turn.agentId ?? null,
      at: turn.at.toISOString(),
    };
    turns.push(stored);
    return stored;
  }

  async recentTurns(customerId: string, n: number): Promise<StoredTurn[]> {
    return (this.#turns.get(customerId) ?? []).slice(-n);
  }

  async updateSummary(
    customerId: string,
    summary: string | undefined,
    collectedDataPatch: CollectedData = {},
  ): Promise<StoredCustomer> {
    const customer = this.#customer(customerId);
    if (summary !== undefined) customer.summary = summary;
    customer.collectedData = { ...customer.collectedData, ...collectedDataPatch };
    return { summary: customer.summary, collectedData: { ...customer.collectedData } };
  }

  async getCustomer(customerId: string): Promise<StoredCustomer> {
    const customer = this.#customer(customerId);
    return {
      summary: customer.summary,
      collectedData: { ...customer.collectedData },
      sessions: customer.sessions.map((s) => ({ ...s })),
      verifiedAccounts: customer.verifiedAccounts.map((a) => ({ ...a })),
      verificationFailures: customer.verificationFailures,
    };
  }

  async raiseAssurance(
    customerId: string,
    channel: ConversationChannel,
    sessionId: string,
    level: AssuranceLevel,
  ): Promise<void> {
    const customer = this.#customer(customerId);
    const session = customer.sessions.find((s) => s.channel === channel && s.sessionId === sessionId);
    if (session === undefined) customer.sessions.push({ channel, sessionId, assurance: level });
    else session.assurance = maxAssurance(session.assurance, level);
  }

  async linkVerifiedAccount(customerId: string, ref: string): Promise<void> {
    const customer = this.#customer(customerId);
    if (!customer.verifiedAccounts.some((a) => a.ref === ref)) customer.verifiedAccounts.push({ ref });
    customer.verificationFailures = null;
  }

  async recordVerificationFailure(customerId: string): Promise<{ lockedUntil: Date | undefined }> {
    const customer = this.#customer(customerId);
    const count = (customer.verificationFailures?.count ?? 0) + 1;
    const lockedUntil =
      count >= this.maxVerificationFailures ? new Date(Date.now() + 15 * 60_000) : undefined;
    customer.verificationFailures = { count, lockedUntil: lockedUntil?.toISOString() ?? null };
    return { lockedUntil };
  }

  /** Sets a session's level as a channel adapter would (for tests). */
  setSession(
    customerId: string,
    channel: ConversationChannel,
    sessionId: string,
    level: AssuranceLevel,
  ): void {
    const customer = this.#customer(customerId);
    customer.sessions = customer.sessions.filter(
      (s) => !(s.channel === channel && s.sessionId === sessionId),
    );
    customer.sessions.push({ channel, sessionId, assurance: level });
  }

  runOnce<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const existing = this.#once.get(key);
    if (existing) return existing as Promise<T>;
    this.runs += 1;
    const run = fn();
    this.#once.set(key, run);
    run.catch(() => this.#once.delete(key));
    return run;
  }

  /** Every recorded turn of a customer, oldest first (for tests). */
  allTurns(customerId: string): readonly StoredTurn[] {
    return [...(this.#turns.get(customerId) ?? [])];
  }
}
