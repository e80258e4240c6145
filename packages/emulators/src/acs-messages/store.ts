import type { NotificationContent, SmsSendRequest } from './schemas.js';

/** A delivery status as the AdvancedMessageDeliveryStatusUpdated event spells it. */
export type DeliveryStatus = 'Sent' | 'Delivered' | 'Read' | 'Failed';

/** One outbound WhatsApp message: one per recipient of a send request (each has its own receipt). */
export interface RecordedAdvancedMessage {
  readonly channel: 'whatsapp';
  readonly messageId: string;
  readonly to: string;
  readonly kind: NotificationContent['kind'];
  /** The validated request body, as sent (all recipients). */
  readonly body: NotificationContent;
  readonly apiVersion: string;
  readonly receivedAt: string;
  /** `Repeatability-Request-ID` when the client sent one. */
  readonly repeatabilityRequestId?: string;
  /** Statuses emitted for this message so far, oldest first. */
  readonly statuses: DeliveryStatus[];
}

/** One outbound SMS: one per recipient of a `POST /sms`. */
export interface RecordedSms {
  readonly channel: 'sms';
  readonly messageId: string;
  readonly to: string;
  readonly from: string;
  readonly message: string;
  readonly body: SmsSendRequest;
  readonly apiVersion: string;
  readonly receivedAt: string;
}

export type RecordedMessage = RecordedAdvancedMessage | RecordedSms;

/** Every message the emulator accepted, in arrival order. */
export class MessageStore {
  readonly #messages: RecordedMessage[] = [];

  add(message: RecordedMessage): void {
    this.#messages.push(message);
  }

  /** All messages, oldest first (copies of the list, not of the records). */
  list(): RecordedMessage[] {
    return [...this.#messages];
  }

  /** WhatsApp messages only, oldest first; to one recipient when `to` is given. */
  whatsapp(to?: string): RecordedAdvancedMessage[] {
    return this.#messages.filter(
      (m): m is RecordedAdvancedMessage => m.channel === 'whatsapp' && (to === undefined || m.to === to),
    );
  }

  /** SMS only, oldest first; to one recipient when `to` is given. */
  sms(to?: string): RecordedSms[] {
    return this.#messages.filter(
      (m): m is RecordedSms => m.channel === 'sms' && (to === undefined || m.to === to),
    );
  }

  /** A message by id, or undefined. */
  get(messageId: string): RecordedMessage | undefined {
    return this.#messages.find((m) => m.messageId === messageId);
  }

  clear(): void {
    this.#messages.length = 0;
  }
}
