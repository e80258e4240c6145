import type { EventOfType, OmniEvent } from '@omni/contracts';
import { classifyFailure, type MessageContext } from '@omni/messaging';
import { AcsSendError } from './acs.js';
import type { Publisher } from './app.js';
import { smsHandoffText } from './domain/index.js';
import { noticeFailed } from './handoff-dispatch-handler.js';
import type { HandoffMessageStore } from './handoff-messages.js';
import type { AdapterStore } from './inbound-handler.js';
import { sendOnce } from './send-once.js';
import type { SmsSender } from './sms-sender.js';

/** What {@link SmsHandoffHandler} needs. */
export interface SmsHandoffHandlerOptions {
  readonly store: Pick<AdapterStore, 'runOnce'>;
  /** Undefined when no SMS number is configured: every SMS handoff then fails at once. */
  readonly sender: SmsSender | undefined;
  readonly publisher: Publisher;
  readonly handoffMessages: HandoffMessageStore;
  /** Epoch milliseconds; default `Date.now`. */
  readonly clock?: () => number;
}

/**
 * The `EventConsumer` handler of `handoff-events` / `whatsapp-adapter` for `handoff.dispatched` with
 * deliveryChannel `sms` (the router's SMS-link fallback): sends the web chat link by SMS once per handoff and
 * remembers the message id, so the delivery report becomes `handoff.delivered` / `handoff.failed`. When no
 * SMS can be sent (no number configured, no phone, a refusal that will not change) it publishes
 * `handoff.failed` at once, so the router takes its last fallback (a human) instead of waiting for the expiry.
 */
export class SmsHandoffHandler {
  readonly #o: SmsHandoffHandlerOptions;
  readonly #clock: () => number;

  constructor(options: SmsHandoffHandlerOptions) {
    this.#o = options;
    this.#clock = options.clock ?? Date.now;
  }

  readonly handle = async (event: OmniEvent, context: MessageContext): Promise<void> => {
    if (event.type !== 'handoff.dispatched' || event.data.deliveryChannel !== 'sms') return;
    const dispatched = event.data;
    const phone = dispatched.address.phone;
    const sender = this.#o.sender;
    if (sender === undefined || phone === undefined || dispatched.link === undefined) {
      const why =
        sender === undefined
          ? 'no SMS number configured'
          : phone === undefined
            ? 'no phone number'
            : 'no link';
      context.log.warn({ handoffId: dispatched.handoffId, reason: why }, 'no handoff SMS sent');
      await this.#failed(event, `no SMS could be sent (${why})`);
      return;
    }
    const record = {
      handoffId: dispatched.handoffId,
      customerId: dispatched.customerId,
      toChannel: dispatched.toChannel,
      correlationId: event.correlationId,
    };
    const sending = this.#o.handoffMessages.track(
      (async () => {
        const id = await sendOnce(
          this.#o.store,
          context,
          `sms:handoff-notice:${dispatched.handoffId}`,
          (repeatable) =>
            sender.send(phone, smsHandoffText(dispatched), `handoff:${dispatched.handoffId}`, repeatable),
        );
        await this.#o.handoffMessages.remember(id, record);
        return id;
      })(),
    );
    try {
      const messageId = await sending;
      context.log.info({ handoffId: dispatched.handoffId, messageId }, 'handoff SMS sent');
    } catch (error) {
      if (classifyFailure(error) !== 'permanent') throw error;
      const detail = error instanceof AcsSendError || error instanceof Error ? error.message : String(error);
      context.log.warn({ handoffId: dispatched.handoffId }, 'ACS refused the handoff SMS');
      await this.#failed(event, `ACS refused the SMS: ${detail}`.slice(0, 1024));
    }
  };

  async #failed(event: EventOfType<'handoff.dispatched'>, reason: string): Promise<void> {
    await this.#o.publisher.publish(noticeFailed(event, reason, new Date(this.#clock()), 'sms'));
  }
}
