import {
  type Channel,
  type CustomerId,
  type EventDataOf,
  handoffDelivered,
  handoffFailed,
} from '@omni/contracts';
import { BSUID_PATTERN, type PhoneRegion, senderPhoneFrom } from './inbound.js';

/** The Event Grid event type of a delivery status update of a sent Advanced Messaging message. */
export const ADVANCED_MESSAGE_DELIVERY_STATUS_UPDATED =
  'Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated';

/** What the adapter recorded when it sent a handoff notice: messageId -> this. */
export interface HandoffMessageRef {
  readonly handoffId: string;
  readonly customerId: CustomerId | string;
  readonly toChannel: Channel;
}

/** Port: the handoff a sent message id belongs to, if any. */
export type HandoffMessageLookup = (messageId: string) => HandoffMessageRef | undefined;

/** The parts of a received delivery-status event this mapping reads. */
export interface DeliveryStatusEventLike {
  /** The payload as delivered (see service-kit `AdvancedMessageDeliveryStatusUpdatedEventData`). */
  readonly data: unknown;
  /** The event time, used when the payload carries no `receivedTimestamp`. */
  readonly time?: Date | undefined;
}

/** The event to publish for a delivery status update of a handoff notice. */
export type DeliveryOutcome =
  | { readonly type: 'handoff.delivered'; readonly data: EventDataOf<'handoff.delivered'> }
  | { readonly type: 'handoff.failed'; readonly data: EventDataOf<'handoff.failed'> };

/**
 * WhatsApp (Meta) error codes worth retrying: 1, 2 (API unknown / service unavailable), 4 and 80007, 130429,
 * 131048, 131056 (rate and spam limits), 131000 (something went wrong), 131016 (service unavailable),
 * 133004 (server temporarily unavailable). Anything else (e.g. 131026 undeliverable, 131047 outside the
 * 24-hour window, 132xxx template errors) needs a different message or number, not another try.
 */
export const RETRYABLE_CHANNEL_CODES: ReadonlySet<string> = new Set([
  '1',
  '2',
  '4',
  '80007',
  '130429',
  '131000',
  '131016',
  '131048',
  '131056',
  '133004',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function timestampOf(data: Record<string, unknown>, time: Date | undefined): string | undefined {
  const stamp = data.receivedTimestamp;
  if (typeof stamp === 'string') {
    const parsed = new Date(stamp);
    if (!Number.isNaN(parsed.getTime())) return parsed.toISOString();
  }
  return time !== undefined && !Number.isNaN(time.getTime()) ? time.toISOString() : undefined;
}

function failureOf(data: Record<string, unknown>): { reason: string; retryable: boolean } {
  const error = isRecord(data.error) ? data.error : undefined;
  const code = typeof error?.channelCode === 'string' ? error.channelCode.trim() : '';
  const detail =
    typeof error?.channelMessage === 'string' ? error.channelMessage.replace(/\s+/g, ' ').trim() : '';
  const head = code.length > 0 ? `WhatsApp delivery failed (code ${code})` : 'WhatsApp delivery failed';
  const reason = (detail.length > 0 ? `${head}: ${detail}` : head).slice(0, 1024);
  return { reason, retryable: RETRYABLE_CHANNEL_CODES.has(code) };
}

/**
 * Maps a `Microsoft.Communication.AdvancedMessageDeliveryStatusUpdated` payload (`messageId`, `status`,
 * `receivedTimestamp`, `error: { channelCode, channelMessage }`) to `handoff.delivered` (status `delivered`
 * or `read`, case-insensitive: a read receipt may arrive without a delivered one) or `handoff.failed` (status
 * `failed`, with the channel error as the reason and `retryable` from {@link RETRYABLE_CHANNEL_CODES}) when
 * `lookup` says the message is a handoff notice. Returns `undefined` for any other message, for `sent`,
 * `warning` and unknown statuses, and for a payload without `messageId` or a time. Both `delivered` and
 * `read` map to `handoff.delivered`, so consumers must treat it idempotently (per `handoffId`).
 *
 * @throws ZodError when `lookup` returns a record that is not a valid handoff reference (a bad customer id).
 */
export function deliveryOutcome(
  statusEvent: DeliveryStatusEventLike,
  lookup: HandoffMessageLookup,
): DeliveryOutcome | undefined {
  const data = statusEvent.data;
  if (!isRecord(data)) return undefined;
  const messageId = typeof data.messageId === 'string' ? data.messageId : '';
  const status = typeof data.status === 'string' ? data.status.toLowerCase() : '';
  if (messageId.length === 0 || !['delivered', 'read', 'failed'].includes(status)) return undefined;
  const ref = lookup(messageId);
  if (ref === undefined) return undefined;
  const at = timestampOf(data, statusEvent.time);
  if (at === undefined) return undefined;
  const base = { handoffId: ref.handoffId, customerId: ref.customerId, toChannel: ref.toChannel };
  if (status === 'failed') {
    const { reason, retryable } = failureOf(data);
    return {
      type: 'handoff.failed',
      data: handoffFailed.data.parse({ ...base, reason, retryable, failedAt: at }),
    };
  }
  return {
    type: 'handoff.delivered',
    data: handoffDelivered.data.parse({ ...base, providerMessageId: messageId, deliveredAt: at }),
  };
}

/** The message id of a delivery status payload, if it has one. */
export function deliveryMessageId(data: unknown): string | undefined {
  if (!isRecord(data)) return undefined;
  return typeof data.messageId === 'string' && data.messageId.length > 0 ? data.messageId : undefined;
}

/**
 * The recipient of a status update when it names both the number (`to`) and the business-scoped user id
 * (`toBSUID`) — the moment the two can be linked. `undefined` when either is missing or unusable.
 */
export function deliveryRecipient(
  data: unknown,
  defaultRegion?: PhoneRegion,
): { readonly phone: string; readonly whatsappBsuid: string } | undefined {
  if (!isRecord(data)) return undefined;
  const to = typeof data.to === 'string' ? data.to : '';
  const bsuid = typeof data.toBSUID === 'string' ? data.toBSUID.trim() : '';
  if (to.trim().length === 0 || !BSUID_PATTERN.test(bsuid)) return undefined;
  const phone = senderPhoneFrom(to, defaultRegion);
  return phone === undefined ? undefined : { phone, whatsappBsuid: bsuid };
}
