import type { RecordedSms } from './store.js';

/** The Event Grid event type of an SMS delivery report. */
export const SMS_DELIVERY_REPORT_RECEIVED = 'Microsoft.Communication.SMSDeliveryReportReceived';

/** One delivery attempt of an SMS (`deliveryAttempts[]`). */
export interface SmsDeliveryAttempt {
  timestamp: string;
  segmentsSucceeded: number;
  segmentsFailed: number;
}

/**
 * The documented `data` of a `Microsoft.Communication.SMSDeliveryReportReceived` event ("Azure Communication
 * Services - SMS events"; `deliveryStatus` is `Delivered` or `Failed`).
 */
export interface SmsDeliveryReportReceivedData {
  messageId: string;
  from: string;
  to: string;
  deliveryStatus: 'Delivered' | 'Failed';
  deliveryStatusDetails: string;
  receivedTimestamp: string;
  deliveryAttempts: SmsDeliveryAttempt[];
  tag?: string;
}

/** How a simulated SMS delivery failure looks. */
export interface SmsFailureOptions {
  /** Default `'Message undeliverable.'`. */
  details?: string;
}

/** The delivery report of an SMS the emulator accepted: delivered, or failed as asked. */
export function smsDeliveryReport(
  sms: RecordedSms,
  failure: SmsFailureOptions | undefined,
  now: Date = new Date(),
): SmsDeliveryReportReceivedData {
  const failed = failure !== undefined;
  const tag = sms.body.smsSendOptions?.tag;
  return {
    messageId: sms.messageId,
    // The sender number as Event Grid shows it: digits without '+'.
    from: sms.from.replace(/^\+/, ''),
    to: sms.to,
    deliveryStatus: failed ? 'Failed' : 'Delivered',
    deliveryStatusDetails: failed ? (failure.details ?? 'Message undeliverable.') : 'No error.',
    receivedTimestamp: now.toISOString(),
    deliveryAttempts: [
      { timestamp: now.toISOString(), segmentsSucceeded: failed ? 0 : 1, segmentsFailed: failed ? 1 : 0 },
    ],
    ...(tag === undefined ? {} : { tag }),
  };
}

/** Whether the sender asked for a delivery report (`smsSendOptions.enableDeliveryReport`). */
export function wantsDeliveryReport(sms: RecordedSms): boolean {
  return sms.body.smsSendOptions?.enableDeliveryReport === true;
}
