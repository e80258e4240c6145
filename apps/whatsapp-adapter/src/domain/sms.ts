import { type EventDataOf, handoffDelivered, handoffFailed } from '@omni/contracts';
import type { DeliveryOutcome, HandoffMessageLookup } from './delivery.js';

/** The Event Grid event type of an SMS delivery report. */
export const SMS_DELIVERY_REPORT_RECEIVED = 'Microsoft.Communication.SMSDeliveryReportReceived';

/** An SMS is sent in segments; a handoff link message stays within two. */
export const MAX_SMS_LENGTH = 306;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field in either case: the documented payloads show `messageId`, older examples `MessageId`. */
function field(data: Record<string, unknown>, name: string): unknown {
  return data[name] ?? data[name.charAt(0).toUpperCase() + name.slice(1)];
}

function text(data: Record<string, unknown>, name: string): string {
  const value = field(data, name);
  return typeof value === 'string' ? value.trim() : '';
}

/**
 * The SMS that carries a web chat handoff link: who it is from, what it is about and the link, within
 * {@link MAX_SMS_LENGTH} characters (the topic is shortened, never the link). No customer name or summary: an
 * SMS can be read by anyone holding the phone.
 */
export function smsHandoffText(
  dispatched: Pick<EventDataOf<'handoff.dispatched'>, 'link' | 'topic'>,
): string {
  const link = dispatched.link ?? '';
  const head = 'Contoso support: continue your conversation';
  const tail = ` in web chat, nothing to repeat: ${link}`;
  const topic = dispatched.topic?.replace(/\s+/g, ' ').trim();
  if (topic === undefined || topic.length === 0) return `${head}${tail}`;
  const room = MAX_SMS_LENGTH - head.length - tail.length - ' about '.length;
  if (room < 8) return `${head}${tail}`;
  const shortTopic = topic.length > room ? `${topic.slice(0, room - 1)}…` : topic;
  return `${head} about ${shortTopic}${tail}`;
}

/** The message id of an SMS delivery report, if it has one. */
export function smsReportMessageId(data: unknown): string | undefined {
  if (!isRecord(data)) return undefined;
  const id = text(data, 'messageId');
  return id.length > 0 ? id : undefined;
}

/**
 * Maps a `Microsoft.Communication.SMSDeliveryReportReceived` payload (`messageId`, `deliveryStatus`
 * `Delivered` | `Failed`, `deliveryStatusDetails`, `receivedTimestamp`) of a handoff SMS to `handoff.delivered` /
 * `handoff.failed` (not retryable: another try of the same SMS to the same number rarely fares better, and the
 * router's next fallback is a human). `undefined` for any other message, another status, or no time.
 */
export function smsDeliveryOutcome(
  report: { readonly data: unknown; readonly time?: Date | undefined },
  lookup: HandoffMessageLookup,
): DeliveryOutcome | undefined {
  const data = report.data;
  if (!isRecord(data)) return undefined;
  const messageId = smsReportMessageId(data);
  const status = text(data, 'deliveryStatus').toLowerCase();
  if (messageId === undefined || !['delivered', 'failed'].includes(status)) return undefined;
  const ref = lookup(messageId);
  if (ref === undefined) return undefined;
  const stamp = new Date(text(data, 'receivedTimestamp'));
  const at = !Number.isNaN(stamp.getTime()) ? stamp : report.time;
  if (at === undefined || Number.isNaN(at.getTime())) return undefined;
  const base = { handoffId: ref.handoffId, customerId: ref.customerId, toChannel: ref.toChannel };
  if (status === 'failed') {
    const details = text(data, 'deliveryStatusDetails').replace(/\s+/g, ' ');
    const reason = (details.length > 0 ? `SMS delivery failed: ${details}` : 'SMS delivery failed').slice(
      0,
      1024,
    );
    return {
      type: 'handoff.failed',
      data: handoffFailed.data.parse({ ...base, reason, retryable: false, failedAt: at.toISOString() }),
    };
  }
  return {
    type: 'handoff.delivered',
    data: handoffDelivered.data.parse({
      ...base,
      providerMessageId: messageId,
      deliveredAt: at.toISOString(),
    }),
  };
}
