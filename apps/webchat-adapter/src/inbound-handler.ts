import { type CustomerId, createEvent, MAX_TEXT_LENGTH, type OmniEvent } from '@omni/contracts';
import {
  type ConversationEngine,
  type EngineAction,
  escalationRequestedData,
  handoffRequestedData,
  type TurnResult,
} from '@omni/conversation';
import { REDEEMED_HANDOFF_OPEN_MS } from '@omni/customer-context';
import { type MessageContext, PermanentError } from '@omni/messaging';
import type { MessageReceivedData } from './domain/index.js';
import type { DispatchedHandoffs } from './handoff-dispatch-handler.js';
import {
  type AdapterStore,
  type OutgoingMessage,
  type Publisher,
  type ReplySender,
  type ReplyStream,
  type ReplyTo,
  SOURCE,
} from './ports.js';

/** Answer to a message the agent cannot read (attachments, empty cards). */
export const UNSUPPORTED_REPLY = 'Sorry, I can only read text messages here. Could you type your question?';

/** A redeemed handoff completes with the web user's first message within a day (while it stays open). */
const COMPLETION_WINDOW_MS = REDEEMED_HANDOFF_OPEN_MS;

/** What {@link InboundMessageHandler} needs. */
export interface InboundMessageHandlerOptions {
  readonly publisher: Publisher;
  readonly engine: Pick<ConversationEngine, 'turn' | 'summarize'>;
  readonly store: Pick<
    AdapterStore,
    'resolveCustomer' | 'openHandoffs' | 'closeHandoff' | 'runOnce' | 'getCustomer'
  >;
  readonly replies: ReplySender;
  readonly dispatched: DispatchedHandoffs;
  /** Epoch milliseconds; default `Date.now`. */
  readonly clock?: () => number;
}

/**
 * The `EventConsumer` handler of `inbound-messages` / `webchat-adapter` (sessions: one web user at a time, in
 * order): resolves the customer (`webchat:<userId>`), completes a redeemed handoff on the first message, runs
 * the agent turn, replies through the Bot Connector (each reply at most once per activity) and publishes the
 * turns and the engine's actions.
 */
export class InboundMessageHandler {
  readonly #o: InboundMessageHandlerOptions;
  readonly #clock: () => number;

  constructor(options: InboundMessageHandlerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  /** The `EventConsumer` handler. */
  readonly handle = async (event: OmniEvent, context: MessageContext): Promise<void> => {
    if (event.type !== 'message.received' || event.data.channel !== 'webchat') return;
    const data = event.data;
    const userId = data.sender.webchatUserId;
    const replyTo = data.replyTo;
    if (userId === undefined || replyTo === undefined) {
      throw new PermanentError(
        'no-reply-address',
        'web chat message without user id or conversation reference',
      );
    }
    const inboundAt = new Date(data.receivedAt);
    const { customer } = await this.#o.store.resolveCustomer(
      { kind: 'webchat', value: userId },
      { channel: 'webchat', inboundAt },
    );
    const customerId = customer.customerId;
    const correlationId = event.correlationId;
    const now = this.#clock();
    await this.#completeRedeemedHandoffs(customerId, `webchat:${userId}`, now, correlationId);

    const turnBase = {
      customerId,
      channel: 'webchat' as const,
      sessionId: replyTo.conversationId.slice(0, 256),
    };
    if (data.kind !== 'text' || data.text === undefined) {
      await this.#reply(context, data, replyTo, userId, [UNSUPPORTED_REPLY], 'unsupported');
      context.log.info({ messageId: data.providerMessageId, kind: data.kind }, 'non-text message answered');
      return;
    }
    const text = data.text;
    // The reply is shown as the model writes it; the stream ends with the turn's replies (what the transcript
    // keeps). A turn that streamed nothing (a replay, a fixed answer) is sent as before. A retried delivery
    // does not stream: its first attempt already told the user the answer was interrupted.
    let streamed = false;
    const result = await this.#turn(context.attempt > 1, replyTo, userId, async (stream) => {
      const turn = await this.#o.engine.turn({
        ...turnBase,
        text,
        turnId: data.providerMessageId,
        onTextDelta: (delta) => stream.delta(delta),
      });
      streamed = stream.started();
      return { result: turn, final: streamed ? turn.replies.join('\n\n') : undefined };
    });
    if (streamed) await this.#markSent(data, replyTo, result.replies.length, 'turn');
    else await this.#reply(context, data, replyTo, userId, result.replies, 'turn');
    const options = { source: SOURCE, correlationId, causationId: event.id };
    const events: OmniEvent[] = [
      createEvent(
        'conversation.turn.recorded',
        {
          ...turnBase,
          turnId: `${data.providerMessageId}:customer`,
          role: 'user',
          text: clip(text),
          at: data.receivedAt,
        },
        options,
      ),
    ];
    const replyText = result.replies.join('\n\n');
    if (replyText.length > 0) {
      const at = new Date(this.#clock()).toISOString();
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
          options,
        ),
      );
    }
    for (const action of result.actions) {
      const actionEvent = await this.#actionEvent(action, customerId, userId, data, options);
      if (actionEvent !== undefined) events.push(actionEvent);
    }
    await this.#o.publisher.publishAll(events);
    context.log.info(
      { messageId: data.providerMessageId, customerId, agentId: result.agentId },
      'web chat turn answered',
    );
  };

  /**
   * Sends each reply once per inbound activity, in order, and only while this replica still holds the customer's
   * session (another one may have taken it over with the customer's next messages: sending now could answer out
   * of order or twice). Direct Line has no repeatable requests, so a replica that crashes between the send and
   * its ledger record can still send a reply twice (ADR 0091).
   */
  async #reply(
    context: Pick<MessageContext, 'assertLockHeld'>,
    data: MessageReceivedData,
    replyTo: ReplyTo,
    userId: string,
    replies: readonly string[],
    purpose: string,
  ): Promise<void> {
    for (const [index, text] of replies.entries()) {
      if (text.trim() === '') continue;
      const message: OutgoingMessage = { type: 'message', text, textFormat: 'markdown' };
      await this.#o.store.runOnce(
        `webchat:reply:${replyTo.conversationId}:${data.providerMessageId}:${purpose}:${index}`,
        () => {
          context.assertLockHeld();
          return this.#o.replies.send(replyTo, userId, message);
        },
      );
    }
  }

  /** Runs the turn, streamed unless `plain`. */
  #turn(
    plain: boolean,
    replyTo: ReplyTo,
    userId: string,
    produce: (stream: ReplyStream) => Promise<{ result: TurnResult; final: string | undefined }>,
  ): Promise<TurnResult> {
    if (!plain) return this.#o.replies.stream(replyTo, userId, produce);
    const silent: ReplyStream = { inform: () => {}, delta: () => {}, started: () => false };
    return produce(silent).then((outcome) => outcome.result);
  }

  /** Records streamed replies as sent, so a redelivered message does not send them again. */
  async #markSent(
    data: MessageReceivedData,
    replyTo: ReplyTo,
    count: number,
    purpose: string,
  ): Promise<void> {
    for (let index = 0; index < count; index += 1) {
      await this.#o.store.runOnce(
        `webchat:reply:${replyTo.conversationId}:${data.providerMessageId}:${purpose}:${index}`,
        async () => 'streamed',
      );
    }
  }

  /** The first message after a handoff link was redeemed by this web user completes the handoff. */
  async #completeRedeemedHandoffs(
    customerId: string,
    identityKey: string,
    now: number,
    correlationId: string,
  ): Promise<void> {
    for (const record of await this.#o.store.openHandoffs(customerId)) {
      if (record.toChannel !== 'webchat' || record.status !== 'redeemed' || record.redeemedBy !== identityKey)
        continue;
      if (record.redeemedAt === null || now - Date.parse(record.redeemedAt) > COMPLETION_WINDOW_MS) continue;
      const dispatched = this.#o.dispatched.take(record.id);
      await this.#o.store.runOnce(`webchat:handoff-completed:${record.id}`, async () => {
        const completedAt = new Date(now).toISOString();
        await this.#o.publisher.publish(
          createEvent(
            'handoff.completed',
            {
              handoffId: record.id,
              customerId,
              toChannel: 'webchat',
              completedAt,
              switchLatencyMs: Math.max(0, now - Date.parse(record.offeredAt)),
            },
            { source: SOURCE, correlationId: dispatched?.correlationId ?? correlationId },
          ),
        );
        return completedAt;
      });
      // Completed: off the customer's open handoffs, with the turn's write.
      await this.#o.store.closeHandoff(customerId, record.id);
    }
  }

  async #actionEvent(
    action: EngineAction,
    customerId: CustomerId,
    userId: string,
    data: MessageReceivedData,
    options: { source: string; correlationId: string; causationId: string },
  ): Promise<OmniEvent | undefined> {
    // Ids derived from the activity: a retried activity re-publishes the same events, dropped as duplicates.
    const withId = { ...options, id: `${options.causationId}:${action.action}` };
    if (action.action === 'escalate_to_human') {
      const context = await this.#handover(customerId, data);
      return createEvent('escalation.requested', escalationRequestedData(action, context), withId);
    }
    if (action.action === 'execute_channel_handoff' && action.toChannel === 'whatsapp') {
      const context = await this.#handover(customerId, data);
      const phoneKey = context.customer.identities.find((key) => key.startsWith('phone:'));
      const address = phoneKey
        ? { phone: phoneKey.slice('phone:'.length), webchatUserId: userId }
        : { webchatUserId: userId };
      return createEvent(
        'handoff.requested',
        handoffRequestedData(action, context, address, 'customer asked to continue on WhatsApp'),
        withId,
      );
    }
    return undefined;
  }

  /** The handover context after the engine summarised the conversation (stored, and posted for the next agent). */
  async #handover(customerId: CustomerId, data: MessageReceivedData) {
    await this.#o.engine.summarize(customerId);
    const customer = await this.#o.store.getCustomer(customerId);
    return {
      customerId,
      channel: 'webchat' as const,
      turnKey: data.providerMessageId,
      customer,
      requestedAt: new Date(this.#clock()).toISOString(),
    };
  }
}

function clip(text: string): string {
  return text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH) : text;
}
