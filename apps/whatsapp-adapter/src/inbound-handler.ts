import { type CustomerId, createEvent, MAX_TEXT_LENGTH, type OmniEvent } from '@omni/contracts';
import {
  type ConversationEngine,
  type EngineAction,
  escalationRequestedData,
  type HandoverContext,
  handoffRequestedData,
} from '@omni/conversation';
import type { CustomerContextStore } from '@omni/customer-context';
import type { MessageContext } from '@omni/messaging';
import { MemoryTokenBuckets, type RateLimitConfig, type TokenBuckets } from '@omni/service-kit';
import type { WhatsAppSender } from './acs.js';
import { type Publisher, SOURCE } from './app.js';
import {
  goesToAgent,
  type MessageReceivedData,
  RATE_LIMITED_REPLY,
  replyForInboundKind,
  splitForWhatsApp,
  textRequestBodies,
} from './domain/index.js';
import type { DispatchedHandoffs } from './handoff-messages.js';
import { sendOnce } from './send-once.js';

/** The subset of the customer context store the adapter uses. */
export type AdapterStore = Pick<
  CustomerContextStore,
  'resolveCustomer' | 'openHandoffs' | 'closeHandoff' | 'runOnce' | 'lastInbound' | 'getCustomer'
>;

/** What {@link InboundMessageHandler} needs. */
export interface InboundMessageHandlerOptions {
  readonly publisher: Publisher;
  readonly engine: Pick<ConversationEngine, 'turn' | 'summarize'>;
  readonly store: AdapterStore;
  readonly sender: WhatsAppSender;
  readonly channelRegistrationId: string;
  readonly rateLimit: RateLimitConfig;
  /** Where the per-sender buckets live; default in memory. Shared (Redis) with several replicas: a session moves. */
  readonly buckets?: TokenBuckets;
  readonly dispatched: DispatchedHandoffs;
  /** Epoch milliseconds; default `Date.now`. */
  readonly clock?: () => number;
}

/** A handoff to WhatsApp waiting for the customer's first message. */
interface PendingHandoff {
  handoffId: string;
  since: string;
  correlationId: string | undefined;
}

/**
 * The `EventConsumer` handler of `inbound-messages` / `whatsapp-adapter` (sessions: one sender at a time, in
 * order): rate limit, canned replies, customer resolution, handoff completion, the agent turn, the replies
 * (split at 4096 characters, in order, each sent at most once) and the engine's actions.
 */
export class InboundMessageHandler {
  readonly #o: InboundMessageHandlerOptions;
  readonly #buckets: TokenBuckets;
  readonly #clock: () => number;

  constructor(options: InboundMessageHandlerOptions) {
    this.#o = options;
    this.#buckets = options.buckets ?? new MemoryTokenBuckets();
    this.#clock = options.clock ?? Date.now;
  }

  /** The `EventConsumer` handler. */
  readonly handle = async (event: OmniEvent, context: MessageContext): Promise<void> => {
    if (event.type !== 'message.received' || event.data.channel !== 'whatsapp') return;
    const data = event.data;
    const { phone, whatsappBsuid } = data.sender;
    // Reply to the number when WhatsApp shared it, else to the business-scoped user id (username users).
    const to = phone ?? whatsappBsuid;
    if (to === undefined) {
      context.log.warn(
        { messageId: data.providerMessageId },
        'no phone number or BSUID to reply to; dropped',
      );
      return;
    }
    const inboundAt = new Date(data.receivedAt);
    const now = this.#clock();
    // The sender's bucket (Redis with several replicas) is taken while the customer is read: one wait, not two.
    const [{ customer }, [decision]] = await Promise.all([
      this.#o.store.resolveCustomer(
        phone !== undefined ? { kind: 'phone', value: phone } : { kind: 'whatsapp-bsuid', value: to },
        {
          channel: 'whatsapp',
          inboundAt,
          ...(phone !== undefined && whatsappBsuid !== undefined
            ? { alsoKnownAs: [{ kind: 'whatsapp-bsuid' as const, value: whatsappBsuid }] }
            : {}),
        },
      ),
      this.#buckets.take([{ key: `whatsapp-sender:${data.senderKey}`, config: this.#o.rateLimit }], now),
    ]);
    const customerId = customer.customerId;
    const correlationId = event.correlationId;
    const turnBase = { customerId, channel: 'whatsapp' as const, sessionId: data.senderKey };
    const userTurn = (text: string) =>
      createEvent(
        'conversation.turn.recorded',
        {
          ...turnBase,
          turnId: `${data.providerMessageId}:customer`,
          role: 'user',
          text: clip(text),
          at: data.receivedAt,
        },
        { source: SOURCE, correlationId, causationId: event.id, id: `${event.id}:turn:user` },
      );

    if (decision !== undefined && !decision.allowed) {
      context.log.warn({ messageId: data.providerMessageId }, 'sender rate limited');
      if (decision.firstRejection) await this.#reply(context, data, to, [RATE_LIMITED_REPLY], 'rate-limited');
      await this.#o.publisher.publish(userTurn(data.text ?? `[${data.kind}]`));
      return;
    }

    // Independent of the agent's turn: runs alongside it.
    const handoffCompleted = this.#completePendingHandoff(customerId, now, correlationId);

    if (!goesToAgent(data.kind)) {
      await handoffCompleted;
      const canned = replyForInboundKind(data.kind);
      if (canned !== undefined) await this.#reply(context, data, to, [canned], 'canned');
      context.log.info({ messageId: data.providerMessageId, kind: data.kind }, 'non-text message answered');
      return;
    }

    const text = data.text ?? '';
    // WhatsApp verified the number the message comes from: the session is channel-verified.
    let delivered = false;
    const [, result] = await Promise.all([
      handoffCompleted,
      this.#o.engine.turn({
        ...turnBase,
        text,
        turnId: data.providerMessageId,
        assurance: 'channel-verified',
        // Sent while the engine writes the turn; each part still at most once (idempotency key per part).
        deliver: async (turn) => {
          delivered = true;
          await this.#reply(context, data, to, turn.replies, 'turn');
        },
      }),
    ]);
    // A replayed turn (its result was stored) is not delivered by the engine: send its replies (at most once).
    if (!delivered) await this.#reply(context, data, to, result.replies, 'turn');
    const at = new Date(this.#clock()).toISOString();
    const events: OmniEvent[] = [userTurn(text)];
    const replyText = result.replies.join('\n\n');
    if (replyText.length > 0) {
      events.push(
        createEvent(
          'conversation.turn.recorded',
          {
            ...turnBase,
            turnId: `${data.providerMessageId}:assistant`,
            role: 'assistant',
            text: clip(replyText),
            agentId: result.agentId,
            at: at > data.receivedAt ? at : new Date(inboundAt.getTime() + 1).toISOString(),
          },
          { source: SOURCE, correlationId, causationId: event.id, id: `${event.id}:turn:assistant` },
        ),
      );
    }
    for (const action of result.actions) {
      const actionEvent = await this.#actionEvent(action, customerId, data, correlationId, event.id);
      if (actionEvent !== undefined) events.push(actionEvent);
    }
    await this.#o.publisher.publishAll(events);
  };

  /**
   * Sends the replies split at 4096 characters, in order; each part at most once per inbound message, and only
   * while this replica still holds the customer's session (another one may have taken it over, and with it the
   * customer's next messages: sending now could answer out of order).
   */
  async #reply(
    context: MessageContext,
    data: MessageReceivedData,
    to: string,
    replies: readonly string[],
    purpose: string,
  ): Promise<void> {
    const parts = replies.flatMap((reply) => splitForWhatsApp(reply));
    const bodies = textRequestBodies(parts, to, this.#o.channelRegistrationId);
    for (const [index, body] of bodies.entries()) {
      const key = `whatsapp:reply:${data.providerMessageId}:${purpose}:${index}`;
      await sendOnce(this.#o.store, context, key, (repeatable) => this.#o.sender.send(body, repeatable));
    }
  }

  async #completePendingHandoff(customerId: string, now: number, correlationId: string): Promise<void> {
    const pending = new Map<string, PendingHandoff>();
    // Kept with the customer (read once per turn): no query.
    for (const record of await this.#o.store.openHandoffs(customerId)) {
      if (record.toChannel !== 'whatsapp' || record.status !== 'offered') continue;
      if (Date.parse(record.expiresAt) <= now) continue;
      pending.set(record.id, { handoffId: record.id, since: record.offeredAt, correlationId: undefined });
    }
    for (const dispatched of this.#o.dispatched.of(customerId)) {
      pending.set(dispatched.handoffId, {
        handoffId: dispatched.handoffId,
        since: dispatched.dispatchedAt,
        correlationId: dispatched.correlationId,
      });
    }
    for (const handoff of pending.values()) {
      await this.#o.store.runOnce(`whatsapp:handoff-completed:${handoff.handoffId}`, async () => {
        const completedAt = new Date(now).toISOString();
        await this.#o.publisher.publish(
          createEvent(
            'handoff.completed',
            {
              handoffId: handoff.handoffId,
              customerId,
              toChannel: 'whatsapp',
              completedAt,
              switchLatencyMs: Math.max(0, now - Date.parse(handoff.since)),
            },
            {
              source: SOURCE,
              correlationId: handoff.correlationId ?? correlationId,
              id: `whatsapp:handoff-completed:${handoff.handoffId}`,
            },
          ),
        );
        return completedAt;
      });
      this.#o.dispatched.remove(customerId, handoff.handoffId);
      // Completed: off the customer's open handoffs, with the turn's write.
      await this.#o.store.closeHandoff(customerId, handoff.handoffId);
    }
  }

  /** The handover context after the engine summarised the conversation (stored, and posted for the next agent). */
  async #handover(customerId: CustomerId, data: MessageReceivedData): Promise<HandoverContext> {
    await this.#o.engine.summarize(customerId);
    const customer = await this.#o.store.getCustomer(customerId);
    return {
      customerId,
      channel: 'whatsapp',
      turnKey: data.providerMessageId,
      customer,
      requestedAt: new Date(this.#clock()).toISOString(),
    };
  }

  async #actionEvent(
    action: EngineAction,
    customerId: CustomerId,
    data: MessageReceivedData,
    correlationId: string,
    causationId: string,
  ): Promise<OmniEvent | undefined> {
    // Ids derived from the inbound message: a redelivered message re-publishes the same events, which the
    // broker's duplicate detection and every consumer's dedupe drop.
    const options = { source: SOURCE, correlationId, causationId, id: `${causationId}:${action.action}` };
    if (action.action === 'escalate_to_human') {
      const context = await this.#handover(customerId, data);
      return createEvent('escalation.requested', escalationRequestedData(action, context), options);
    }
    if (action.action === 'execute_channel_handoff' && action.toChannel === 'webchat') {
      const context = await this.#handover(customerId, data);
      const address = {
        ...(data.sender.phone !== undefined ? { phone: data.sender.phone } : {}),
        ...(data.sender.whatsappBsuid !== undefined ? { whatsappBsuid: data.sender.whatsappBsuid } : {}),
      };
      return createEvent(
        'handoff.requested',
        handoffRequestedData(action, context, address, 'customer asked to continue in web chat'),
        options,
      );
    }
    return undefined;
  }
}

function clip(text: string): string {
  return text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH) : text;
}
