import { SAMPLE_CUSTOMER_ID } from '@omni/contracts/testing';
import { describe, expect, it } from 'vitest';
import { MAX_SMS_LENGTH, smsDeliveryOutcome, smsHandoffText } from './sms.js';

const LINK = 'https://chat.example.test/?handoff=abcdefghijklmnopqrstuvwxyz0123456789';
const ref = { handoffId: 'ho_1', customerId: SAMPLE_CUSTOMER_ID, toChannel: 'webchat' as const };

describe('smsHandoffText', () => {
  it('given a topic and a link, then both are in the text', () => {
    const text = smsHandoffText({ topic: 'power outage', link: LINK });
    expect(text).toContain('power outage');
    expect(text.endsWith(LINK)).toBe(true);
  });
  it('given a very long topic, then the topic is shortened and the link kept whole within the limit', () => {
    const text = smsHandoffText({ topic: 'x'.repeat(1_000), link: LINK });
    expect(text.length).toBeLessThanOrEqual(MAX_SMS_LENGTH);
    expect(text.endsWith(LINK)).toBe(true);
  });
});

describe('smsDeliveryOutcome', () => {
  const report = (data: Record<string, unknown>) => ({ data, time: new Date('2026-12-02T10:00:00Z') });
  it('given Delivered for a handoff SMS, then handoff.delivered with the SMS message id', () => {
    const outcome = smsDeliveryOutcome(
      report({ messageId: 'm1', deliveryStatus: 'Delivered', receivedTimestamp: '2026-12-02T10:00:01Z' }),
      () => ref,
    );
    expect(outcome).toMatchObject({
      type: 'handoff.delivered',
      data: { handoffId: 'ho_1', providerMessageId: 'm1', deliveredAt: '2026-12-02T10:00:01.000Z' },
    });
  });
  it('given Failed (older PascalCase payload), then handoff.failed, not retryable, with the details', () => {
    const outcome = smsDeliveryOutcome(
      report({ MessageId: 'm1', DeliveryStatus: 'Failed', DeliveryStatusDetails: 'Number not reachable.' }),
      () => ref,
    );
    expect(outcome).toMatchObject({
      type: 'handoff.failed',
      data: { handoffId: 'ho_1', retryable: false, reason: 'SMS delivery failed: Number not reachable.' },
    });
  });
  it('given an SMS that is no handoff notice, or another status, then nothing', () => {
    expect(
      smsDeliveryOutcome(report({ messageId: 'm1', deliveryStatus: 'Delivered' }), () => undefined),
    ).toBe(undefined);
    expect(smsDeliveryOutcome(report({ messageId: 'm1', deliveryStatus: 'Queued' }), () => ref)).toBe(
      undefined,
    );
  });
});
