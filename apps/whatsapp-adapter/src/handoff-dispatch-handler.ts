import { createEvent, type EventOfType, type OmniEvent } from '@omni/contracts';
import { classifyFailure, type MessageContext } from '@omni/messaging';
import { AcsSendError, type WhatsAppSender } from './acs.js';
import { type Publisher, SOURCE } from './app.js';
import { type HandoffTemplateConfig, handoffNotice, noticeRequestBody } from './domain/index.js';
import type { DispatchedHandoffs, HandoffMessageStore } from './handoff-messages.js';
import type { AdapterStore } from './inbound-handler.js';
import { sendOnce } from './send-once.js';

/** What {@link HandoffDispatchHandler} needs. */
export interface HandoffDispatchHandlerOptions {
  readonly store: Pick<AdapterStore, 'lastInbound' | 'runOnce'>;
  readonly sender: WhatsAppSender;
  /** Unset while WhatsApp is not registered: every notice then fails over at once. */
  readonly channelRegistrationId: string | undefined;
  readonly template: HandoffTemplateConfig;
  /** The template that carries a web chat link (a handoff to web chat told by WhatsApp). */
  readonly webchatTemplate?: HandoffTemplateConfig;
  /** Publishes `handoff.failed` when no notice can be sent, so the router falls back at once. */
  readonly publisher?: Publisher;
  readonly handoffMessages: HandoffMessageStore;
  readonly dispatched: DispatchedHandoffs;
  /** Epoch milliseconds; default `Date.now`. */
  readonly clock?: () => number;
}

/**
 * The `EventConsumer` handler of `handoff-events` / `whatsapp-adapter` (`handoff.dispatched` with
 * deliveryChannel `whatsapp`): sends the notice (the approved template outside the 24-hour window, text
 * inside), once per handoff, and remembers its message id for delivery tracking.
 */
export class HandoffDispatchHandler {
  readonly #o: HandoffDispatchHandlerOptions;
  readonly #clock: () => number;

  constructor(options: HandoffDispatchHandlerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  readonly handle = async (event: OmniEvent, context: MessageContext): Promise<void> => {
    if (event.type !== 'handoff.dispatched' || event.data.deliveryChannel !== 'whatsapp') return;
    const dispatched = event.data;
    const channelRegistrationId = this.#o.channelRegistrationId;
    if (channelRegistrationId === undefined) {
      context.log.warn(
        { handoffId: dispatched.handoffId },
        'WhatsApp not registered: handoff notice not sent',
      );
      await this.#failed(event, 'WhatsApp not registered (WHATSAPP_CHANNEL_REGISTRATION_ID is not set)');
      return;
    }
    const lastInboundAt = await this.#o.store.lastInbound(dispatched.customerId, 'whatsapp');
    const template =
      dispatched.toChannel === 'webchat' ? (this.#o.webchatTemplate ?? this.#o.template) : this.#o.template;
    const notice = handoffNotice(dispatched, { lastInboundAt, now: new Date(this.#clock()) }, template);
    if (notice.kind === 'none') {
      context.log.warn(
        { handoffId: dispatched.handoffId, reason: notice.reason },
        'no WhatsApp handoff notice sent',
      );
      if (notice.reason !== 'not-whatsapp') {
        // Nothing will ever be delivered: tell the router now rather than let the handoff expire.
        await this.#failed(event, `no WhatsApp notice could be sent (${notice.reason})`);
      }
      return;
    }
    const body = noticeRequestBody(notice, channelRegistrationId);
    const record = {
      handoffId: dispatched.handoffId,
      customerId: dispatched.customerId,
      toChannel: dispatched.toChannel,
      correlationId: event.correlationId,
    };
    // Tracked, so a delivery status racing the send's answer waits until the message id is remembered.
    const sending = this.#o.handoffMessages.track(
      (async () => {
        const key = `whatsapp:handoff-notice:${dispatched.handoffId}`;
        const id = await sendOnce(this.#o.store, context, key, (repeatable) =>
          this.#o.sender.send(body, repeatable),
        );
        await this.#o.handoffMessages.remember(id, record);
        return id;
      })(),
    );
    let messageId: string;
    try {
      messageId = await sending;
    } catch (error) {
      // ACS refused the notice for good (a 4xx that will not change: a bad number, a template it rejects):
      // the router falls back now. Throttling, 5xx and lost connections are thrown, so the consumer retries.
      if (!(error instanceof AcsSendError) || classifyFailure(error) !== 'permanent') throw error;
      context.log.warn(
        { handoffId: dispatched.handoffId, status: error.status, code: error.code },
        'ACS refused the handoff notice',
      );
      await this.#failed(event, `ACS refused the WhatsApp notice: ${error.message}`);
      return;
    }
    if (dispatched.toChannel === 'whatsapp') {
      this.#o.dispatched.add({
        handoffId: dispatched.handoffId,
        customerId: dispatched.customerId,
        dispatchedAt: dispatched.dispatchedAt,
        correlationId: event.correlationId,
      });
    }
    context.log.info(
      { handoffId: dispatched.handoffId, messageId, kind: notice.kind },
      'handoff notice sent',
    );
  };

  async #failed(event: EventOfType<'handoff.dispatched'>, reason: string): Promise<void> {
    await this.#o.publisher?.publish(noticeFailed(event, reason, new Date(this.#clock()), 'whatsapp'));
  }
}

/**
 * `handoff.failed` (not retryable) for a notice that will never be delivered, one per handoff and sending channel,
 * so the router falls back at once instead of waiting for the handoff to expire.
 */
export function noticeFailed(
  event: EventOfType<'handoff.dispatched'>,
  reason: string,
  failedAt: Date,
  channel: 'whatsapp' | 'sms',
): OmniEvent {
  const dispatched = event.data;
  return createEvent(
    'handoff.failed',
    {
      handoffId: dispatched.handoffId,
      customerId: dispatched.customerId,
      toChannel: dispatched.toChannel,
      reason,
      retryable: false,
      failedAt: failedAt.toISOString(),
    },
    {
      source: SOURCE,
      correlationId: event.correlationId,
      id: `${channel}:handoff.failed:${dispatched.handoffId}`,
    },
  );
}
