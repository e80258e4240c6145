import type { OmniEvent } from '@omni/contracts';
import type { MessageContext } from '@omni/messaging';

/** A handoff to web chat the router dispatched, waiting for the customer to open the link and write. */
export interface DispatchedHandoff {
  readonly handoffId: string;
  readonly customerId: string;
  readonly dispatchedAt: string;
  readonly correlationId: string;
}

/**
 * Handoffs to web chat dispatched by the router, by handoff id (in memory, bounded, one instance). Only used
 * to carry the saga's correlation id onto `handoff.completed`; completion itself is decided from the store's
 * handoff records (`redeemed` by this web user), so a restart or another replica loses nothing but that id.
 */
export class DispatchedHandoffs {
  readonly #max: number;
  readonly #byId = new Map<string, DispatchedHandoff>();

  constructor(options: { max?: number } = {}) {
    this.#max = options.max ?? 10_000;
  }

  add(handoff: DispatchedHandoff): void {
    this.#byId.delete(handoff.handoffId);
    this.#byId.set(handoff.handoffId, handoff);
    while (this.#byId.size > this.#max) {
      const oldest = this.#byId.keys().next().value;
      if (oldest === undefined) break;
      this.#byId.delete(oldest);
    }
  }

  get(handoffId: string): DispatchedHandoff | undefined {
    return this.#byId.get(handoffId);
  }

  /** Returns and forgets the handoff. */
  take(handoffId: string): DispatchedHandoff | undefined {
    const handoff = this.#byId.get(handoffId);
    this.#byId.delete(handoffId);
    return handoff;
  }
}

/**
 * The `EventConsumer` handler of `handoff-events` / `webchat-adapter` (`handoff.dispatched` with toChannel
 * `webchat`). The router has built the signed link and the notice travels by WhatsApp or SMS, so nothing is
 * sent here: the handoff is remembered for completion tracking. Idempotent (a redelivery overwrites).
 */
export class HandoffDispatchHandler {
  readonly #dispatched: DispatchedHandoffs;

  constructor(dispatched: DispatchedHandoffs) {
    this.#dispatched = dispatched;
  }

  readonly handle = async (event: OmniEvent, context: MessageContext): Promise<void> => {
    if (event.type !== 'handoff.dispatched' || event.data.toChannel !== 'webchat') return;
    this.#dispatched.add({
      handoffId: event.data.handoffId,
      customerId: event.data.customerId,
      dispatchedAt: event.data.dispatchedAt,
      correlationId: event.correlationId,
    });
    context.log.info({ handoffId: event.data.handoffId }, 'web chat handoff awaiting the customer');
  };
}
