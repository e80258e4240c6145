import { randomUUID } from 'node:crypto';
import type { Container } from '@azure/cosmos';
import {
  type Channel,
  type CollectedData,
  type CustomerId,
  collectedData as collectedDataSchema,
  MAX_TEXT_LENGTH,
} from '@omni/contracts';
import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import { type Customer, type CustomerDocuments, toCustomer } from './customer-documents.js';
import {
  parseDocument,
  RECENT_TURNS_KEPT,
  type RecentTurn,
  type TurnDocument,
  type TurnRole,
  turnDocumentSchema,
} from './documents.js';
import { ConcurrencyExhaustedError } from './errors.js';
import {
  isConflict,
  isPreconditionFailed,
  type OptimisticRetryOptions,
  type Sleep,
  withThrottleRetry,
} from './retry.js';

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

/** What {@link CustomerConversation} works with. */
export interface CustomerConversationOptions {
  readonly transcripts: Container;
  readonly docs: CustomerDocuments;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly logger: Pick<Logger, 'warn' | 'error'> | undefined;
  readonly retry: OptimisticRetryOptions;
  readonly leaseMs: number;
  readonly waitTimeoutMs: number;
  readonly pollIntervalMs: number;
}

/**
 * The customer's conversation: the one Foundry conversation id (race-safe, under a lease), the transcript and
 * the summary with the collected data.
 */
export class CustomerConversation {
  readonly #transcripts: Container;
  readonly #docs: CustomerDocuments;
  readonly #clock: Clock;
  readonly #sleep: Sleep;
  readonly #logger: Pick<Logger, 'warn' | 'error'> | undefined;
  readonly #retry: OptimisticRetryOptions;
  readonly #leaseMs: number;
  readonly #waitTimeoutMs: number;
  readonly #pollIntervalMs: number;

  constructor(options: CustomerConversationOptions) {
    this.#transcripts = options.transcripts;
    this.#docs = options.docs;
    this.#clock = options.clock;
    this.#sleep = options.sleep;
    this.#logger = options.logger;
    this.#retry = options.retry;
    this.#leaseMs = options.leaseMs;
    this.#waitTimeoutMs = options.waitTimeoutMs;
    this.#pollIntervalMs = options.pollIntervalMs;
  }

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
    if (this.#docs.createdInTurn(cached.customerId)) {
      // Created by this turn: nobody can hold a claim on it yet, so no lease; the If-Match store below still
      // keeps a single id should another channel race this one.
      return this.#storeConversationId(cached.customerId, await create(), undefined, options.discard);
    }
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
    return this.#storeConversationId(id, createdId, holder, options.discard);
  }

  /** Stores a created conversation id unless one is stored already (then `discard` gets the created one). */
  async #storeConversationId(
    customerId: string,
    createdId: string,
    holder: string | undefined,
    discard: ((conversationId: string) => Promise<void>) | undefined,
  ): Promise<string> {
    const stored = await this.#docs.mutate(customerId, 'getOrCreateConversationId: store', (doc) =>
      doc.foundryConversationId === null
        ? {
            ...doc,
            foundryConversationId: createdId,
            conversationLease:
              holder !== undefined && doc.conversationLease?.holder === holder ? null : doc.conversationLease,
          }
        : undefined,
    );
    if (stored.foundryConversationId !== createdId) {
      await discard?.(createdId).catch((error: unknown) =>
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
    this.#docs.notNew(owner);
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
    // Kept in the customer document too, as the next turn's history (inside a turn: with the turn's one write;
    // a turn id it keeps already stays as it is).
    const recent = toRecent(toTurn(doc));
    await this.#docs.deferOrMutate(owner, 'recordTurn: recent turns', (current) => {
      if (current.recentTurns === undefined) return undefined; // not kept yet: history is queried
      const next = withTurns(current.recentTurns, [recent]);
      return sameTurns(next, current.recentTurns) ? undefined : { ...current, recentTurns: next };
    });
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
  async recentTurns(customerId: string, n: number, options: { fresh?: boolean } = {}): Promise<Turn[]> {
    if (!Number.isInteger(n) || n < 1 || n > 1000)
      throw new RangeError('n must be an integer from 1 to 1000');
    // A customer this turn created has no transcript yet (turns recorded by this turn are written after).
    if (this.#docs.createdInTurn(customerId)) return [];
    const doc = await this.#docs.load(customerId, options);
    const owner = doc.customerId;
    const kept = doc.recentTurns;
    // The customer document keeps the newest turns: all of them while fewer than it keeps.
    if (kept !== undefined && (n <= kept.length || kept.length < RECENT_TURNS_KEPT)) {
      return kept.slice(-n).map((turn) => ({ ...turn, customerId: owner as CustomerId }));
    }
    if (this.#docs.createdInTurn(owner)) return [];
    const turns = await this.#queryTurns(owner, n);
    if (kept === undefined && this.#docs.inTurnScope && (n >= RECENT_TURNS_KEPT || turns.length < n)) {
      // A document from before the turns were kept: it keeps them from this turn's write on.
      const seed = turns.slice(-RECENT_TURNS_KEPT).map(toRecent);
      await this.#docs.deferOrMutate(owner, 'recentTurns: keep', (current) =>
        current.recentTurns === undefined ? { ...current, recentTurns: seed } : undefined,
      );
    }
    return turns;
  }

  async #queryTurns(owner: string, n: number): Promise<Turn[]> {
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
}

/** A recorded turn as the customer document keeps it. */
function toRecent(turn: Turn): RecentTurn {
  const { customerId, ...recent } = turn;
  return recent;
}

/** `kept` with `added` (a turn id already kept stays as it is), oldest first, the newest {@link RECENT_TURNS_KEPT}. */
export function withTurns(kept: readonly RecentTurn[], added: readonly RecentTurn[]): RecentTurn[] {
  const known = new Set(kept.map((turn) => turn.turnId));
  const all = [...kept, ...added.filter((turn) => !known.has(turn.turnId))];
  // Stable: turns with the same time keep the order they were recorded in.
  all.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return all.slice(-RECENT_TURNS_KEPT);
}

function sameTurns(a: readonly RecentTurn[], b: readonly RecentTurn[]): boolean {
  return a.length === b.length && a.every((turn, i) => turn.turnId === b[i]?.turnId);
}

function toTurn(doc: TurnDocument): Turn {
  const { id, type, _etag, ...turn } = doc;
  return turn;
}
