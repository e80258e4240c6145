import { randomUUID } from 'node:crypto';
import { createEvent, type EventOfType } from '@omni/contracts';

/** A handoff as the router's ops API (`GET /api/handoffs`) lists it: the fields the suites check. */
export interface HandoffView {
  handoffId: string;
  status: string;
  transitions: { status: string }[];
}

/** A voice -> WhatsApp `handoff.requested` for a known customer, with a fresh handoff id. */
export function whatsappHandoffRequested(
  customerId: string,
  phone: string,
): EventOfType<'handoff.requested'> {
  const handoffId = `ho_${randomUUID()}`;
  return createEvent(
    'handoff.requested',
    {
      handoffId,
      customerId,
      fromChannel: 'voice',
      toChannel: 'whatsapp',
      reason: 'queue is long',
      summary: 'Caller reports a power outage at home.',
      collectedData: { postcode: 'EC2A 1AA' },
      address: { phone },
      customerName: 'Ada',
      topic: 'power outage',
      requestedAt: new Date().toISOString(),
    },
    { source: '/apps/voice-adapter', correlationId: handoffId },
  );
}
