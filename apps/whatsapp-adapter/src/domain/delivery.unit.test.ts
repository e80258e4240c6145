import { handoffDelivered, handoffFailed } from '@omni/contracts';
import { describe, expect, it } from 'vitest';
import { deliveryOutcome, deliveryRecipient, type HandoffMessageRef } from './delivery.js';

const REF: HandoffMessageRef = {
  handoffId: 'hnd_1',
  customerId: 'cust_01JH5ZK3Q4V6W8X9Y0Z1A2B3C4',
  toChannel: 'whatsapp',
};
const lookup = (messageId: string) => (messageId === 'msg-handoff' ? REF : undefined);

/** A documented-shape AdvancedMessageDeliveryStatusUpdated payload. */
function statusEvent(status: string, extra: Record<string, unknown> = {}) {
  return {
    time: new Date('2025-03-02T12:00:09Z'),
    data: {
      messageId: 'msg-handoff',
      status,
      channelType: 'whatsapp',
      from: 'c2f8c0a8-5f0e-4d2a-9a53-3f7e3d2a1b11',
      to: '14255550123',
      receivedTimestamp: '2025-03-02T12:00:05+00:00',
      ...extra,
    },
  };
}

describe('deliveryOutcome', () => {
  it('given a delivered status for a handoff message, then handoff.delivered with the provider message id', () => {
    const outcome = deliveryOutcome(statusEvent('delivered'), lookup);
    expect(outcome).toEqual({
      type: 'handoff.delivered',
      data: {
        handoffId: 'hnd_1',
        customerId: REF.customerId,
        toChannel: 'whatsapp',
        providerMessageId: 'msg-handoff',
        deliveredAt: '2025-03-02T12:00:05.000Z',
      },
    });
    expect(handoffDelivered.data.safeParse(outcome?.data).success).toBe(true);
  });

  it('given status casing as in the docs ("Delivered") or a read receipt, then it still counts as delivered', () => {
    expect(deliveryOutcome(statusEvent('Delivered'), lookup)?.type).toBe('handoff.delivered');
    expect(deliveryOutcome(statusEvent('read'), lookup)?.type).toBe('handoff.delivered');
  });

  it('given a sent or unknown status, then nothing is published yet', () => {
    expect(deliveryOutcome(statusEvent('sent'), lookup)).toBeUndefined();
    expect(deliveryOutcome(statusEvent('warning'), lookup)).toBeUndefined();
  });

  it('given a status for a message that is not a handoff notice, then nothing is published', () => {
    expect(deliveryOutcome(statusEvent('failed', { messageId: 'msg-reply' }), lookup)).toBeUndefined();
  });

  it('given a failed status with a permanent channel error, then handoff.failed with the reason, not retryable', () => {
    const outcome = deliveryOutcome(
      statusEvent('failed', { error: { channelCode: '131026', channelMessage: 'Message undeliverable.' } }),
      lookup,
    );
    expect(outcome?.type).toBe('handoff.failed');
    expect(handoffFailed.data.safeParse(outcome?.data).success).toBe(true);
    expect(outcome?.data).toMatchObject({
      handoffId: 'hnd_1',
      retryable: false,
      failedAt: '2025-03-02T12:00:05.000Z',
    });
    if (outcome?.type === 'handoff.failed') {
      expect(outcome.data.reason).toContain('131026');
      expect(outcome.data.reason).toContain('Message undeliverable.');
    }
  });

  it('given a failed status with a rate-limit channel error, then handoff.failed is retryable', () => {
    const outcome = deliveryOutcome(
      statusEvent('failed', { error: { channelCode: '130429', channelMessage: 'Rate limit hit' } }),
      lookup,
    );
    expect(outcome).toMatchObject({ type: 'handoff.failed', data: { retryable: true } });
  });

  it('given a failed status without error details, then a non-empty reason and not retryable', () => {
    const outcome = deliveryOutcome(statusEvent('failed'), lookup);
    expect(outcome).toMatchObject({
      type: 'handoff.failed',
      data: { reason: 'WhatsApp delivery failed', retryable: false },
    });
  });

  it('given a huge channel message, then the reason is cut to the contract limit', () => {
    const outcome = deliveryOutcome(
      statusEvent('failed', { error: { channelCode: '131000', channelMessage: 'x'.repeat(5_000) } }),
      lookup,
    );
    expect(outcome?.type === 'handoff.failed' && outcome.data.reason.length).toBe(1024);
  });

  it('given a malformed payload, then nothing (and no throw)', () => {
    expect(deliveryOutcome({ data: null }, lookup)).toBeUndefined();
    expect(deliveryOutcome({ data: { status: 'delivered' } }, lookup)).toBeUndefined();
  });
});

describe('deliveryOutcome reason text', () => {
  it('given only a channel message, then the reason reads "WhatsApp delivery failed: <message>"', () => {
    const outcome = deliveryOutcome(
      statusEvent('failed', { error: { channelCode: '', channelMessage: 'Nope' } }),
      lookup,
    );
    expect(outcome?.type === 'handoff.failed' && outcome.data.reason).toBe('WhatsApp delivery failed: Nope');
  });

  it('given code and message, then the reason carries both', () => {
    const outcome = deliveryOutcome(
      statusEvent('failed', { error: { channelCode: '131047', channelMessage: 'Re-engagement message' } }),
      lookup,
    );
    expect(outcome?.type === 'handoff.failed' && outcome.data.reason).toBe(
      'WhatsApp delivery failed (code 131047): Re-engagement message',
    );
  });
});

describe('deliveryRecipient', () => {
  const BSUID = 'US.13491208655302741918';

  it('given a status naming the number and the BSUID, when read, then both come back with the number in E.164', () => {
    expect(deliveryRecipient({ to: '14255550123', toBSUID: BSUID })).toEqual({
      phone: '+14255550123',
      whatsappBsuid: BSUID,
    });
  });

  it('given a status without a BSUID, or with an empty number, when read, then there is nothing to link', () => {
    expect(deliveryRecipient({ to: '14255550123' })).toBeUndefined();
    expect(deliveryRecipient({ to: '', toBSUID: BSUID })).toBeUndefined();
    expect(deliveryRecipient({ to: '14255550123', toBSUID: 'garbage' })).toBeUndefined();
    expect(deliveryRecipient('not an object')).toBeUndefined();
  });
});
