import type { HandoffMessageRef } from './domain/index.js';

/** What is remembered of a sent handoff notice. */
export interface HandoffMessageRecord extends HandoffMessageRef {
  /** The correlation id of the `handoff.dispatched` the notice answered. */
  readonly correlationId: string;
}

/** Port: messageId -> handoff of the handoff notices this adapter sent (for delivery tracking). */
export interface HandoffMessageStore {
  remember(messageId: string, record: HandoffMessageRecord): Promise<void>;
  lookup(messageId: string): Promise<HandoffMessageRecord | undefined>;
  /** Registers a send in flight, so a status event racing the send's answer can wait for it. */
  track<T>(sending: Promise<T>): Promise<T>;
  /** Resolves once every send in flight when called has settled. */
  settled(): Promise<void>;
}

/** The durable part of a {@link HandoffMessageLog}: the customer-context idempotency ledger. */
export interface HandoffMessageLedger {
  runOnce<T>(key: string, fn: () => Promise<T>, options?: { ttlSeconds?: number }): Promise<T>;
  peek<T>(key: string): Promise<T | undefined>;
}

/** How long a notice's message id stays mapped: WhatsApp reports `read` for days after delivery. */
const NOTICE_TTL_SECONDS = 7 * 24 * 60 * 60;

/**
 * messageId -> handoff, kept in the idempotency ledger (Cosmos) when one is given, so a status event that reaches
 * another replica, or arrives after a restart, still maps to its handoff; a bounded in-memory LRU answers the
 * common case (status back at the instance that sent) without a read. Without a ledger it is memory only.
 */
export class HandoffMessageLog implements HandoffMessageStore {
  readonly #max: number;
  readonly #ledger: HandoffMessageLedger | undefined;
  readonly #records = new Map<string, HandoffMessageRecord>();
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: { max?: number; ledger?: HandoffMessageLedger } = {}) {
    this.#max = options.max ?? 10_000;
    this.#ledger = options.ledger;
  }

  async remember(messageId: string, record: HandoffMessageRecord): Promise<void> {
    this.#cache(messageId, record);
    await this.#ledger?.runOnce(keyOf(messageId), async () => record, { ttlSeconds: NOTICE_TTL_SECONDS });
  }

  async lookup(messageId: string): Promise<HandoffMessageRecord | undefined> {
    const cached = this.#records.get(messageId);
    if (cached !== undefined) {
      this.#cache(messageId, cached);
      return cached;
    }
    const stored = await this.#ledger?.peek<HandoffMessageRecord>(keyOf(messageId));
    if (stored !== undefined) this.#cache(messageId, stored);
    return stored;
  }

  track<T>(sending: Promise<T>): Promise<T> {
    const settled = sending.then(
      () => undefined,
      () => undefined,
    );
    this.#inFlight.add(settled);
    void settled.then(() => this.#inFlight.delete(settled));
    return sending;
  }

  async settled(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }

  #cache(messageId: string, record: HandoffMessageRecord): void {
    this.#records.delete(messageId);
    this.#records.set(messageId, record);
    while (this.#records.size > this.#max) {
      const oldest = this.#records.keys().next().value;
      if (oldest === undefined) break;
      this.#records.delete(oldest);
    }
  }
}

function keyOf(messageId: string): string {
  return `whatsapp:notice-message:${messageId}`;
}

/** A handoff to WhatsApp this adapter announced, waiting for the customer's first message. */
export interface DispatchedHandoff {
  readonly handoffId: string;
  readonly customerId: string;
  readonly dispatchedAt: string;
  readonly correlationId: string;
}

/**
 * Handoffs to WhatsApp announced by this instance, by customer (in memory, bounded). The store's handoff
 * records (`offered`, toChannel `whatsapp`) cover handoffs announced elsewhere or before a restart.
 */
export class DispatchedHandoffs {
  readonly #max: number;
  readonly #byCustomer = new Map<string, DispatchedHandoff[]>();

  constructor(options: { max?: number } = {}) {
    this.#max = options.max ?? 10_000;
  }

  add(handoff: DispatchedHandoff): void {
    const list = (this.#byCustomer.get(handoff.customerId) ?? []).filter(
      (h) => h.handoffId !== handoff.handoffId,
    );
    this.#byCustomer.delete(handoff.customerId);
    this.#byCustomer.set(handoff.customerId, [...list, handoff]);
    while (this.#byCustomer.size > this.#max) {
      const oldest = this.#byCustomer.keys().next().value;
      if (oldest === undefined) break;
      this.#byCustomer.delete(oldest);
    }
  }

  of(customerId: string): readonly DispatchedHandoff[] {
    return this.#byCustomer.get(customerId) ?? [];
  }

  remove(customerId: string, handoffId: string): void {
    const list = this.of(customerId).filter((h) => h.handoffId !== handoffId);
    if (list.length === 0) this.#byCustomer.delete(customerId);
    else this.#byCustomer.set(customerId, list);
  }
}
