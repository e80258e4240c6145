import { randomUUID } from 'node:crypto';
import { createEvent, type EventDataInput, type EventOfType, type EventType } from '../catalog.js';
import type { CreateEventOptions } from '../envelope.js';

/** A fixed customer id for samples. */
export const SAMPLE_CUSTOMER_ID = 'cust_01JH5ZK3Q4V6W8X9Y0Z1A2B3C4';

/** A valid US number in E.164 (libphonenumber accepts 425-555-0123). */
export const SAMPLE_PHONE = '+14255550123';

/** Envelope options for samples. */
export const SAMPLE_OPTIONS: CreateEventOptions = {
  source: '/apps/test',
  correlationId: 'corr-1',
  causationId: 'evt-0',
  time: '2025-01-31T09:30:00.000Z',
};

const at = '2025-01-31T09:30:00.000Z';

/** One valid data sample per event type; typed so a new event type without a sample fails to compile. */
export const SAMPLE_DATA: { readonly [T in EventType]: EventDataInput<T> } = {
  'conversation.turn.recorded': {
    customerId: SAMPLE_CUSTOMER_ID,
    channel: 'voice',
    sessionId: 'call-123',
    turnId: 'turn-7',
    role: 'assistant',
    text: 'Your order ships tomorrow.',
    agentId: 'order-tracking',
    at,
  },
  'conversation.session.started': {
    customerId: SAMPLE_CUSTOMER_ID,
    channel: 'whatsapp',
    sessionId: 's-1',
    startedAt: at,
  },
  'conversation.session.ended': {
    customerId: SAMPLE_CUSTOMER_ID,
    channel: 'voice',
    sessionId: 'call-123',
    endedAt: at,
    status: 'handed_off',
  },
  'call.queued': {
    callId: 'call-123',
    customerId: SAMPLE_CUSTOMER_ID,
    queue: 'billing',
    priority: 5,
    enqueuedAt: at,
  },
  'call.assigned': {
    callId: 'call-123',
    customerId: SAMPLE_CUSTOMER_ID,
    queue: 'billing',
    agentId: 'agent-42',
    assignedAt: at,
    waitSeconds: 95.5,
  },
  'call.abandoned': {
    callId: 'call-123',
    customerId: SAMPLE_CUSTOMER_ID,
    queue: 'billing',
    abandonedAt: at,
    waitSeconds: 300,
  },
  'agent.availability.changed': {
    agentId: 'agent-42',
    queues: ['billing', 'outage'],
    status: 'available',
    at,
  },
  'queue.status.changed': {
    queue: 'billing',
    depth: 57,
    longestWaitSeconds: 240,
    estimatedWaitSeconds: 180,
    availableAgents: 3,
    level: 'high',
    massEvent: false,
    at,
  },
  'handoff.requested': {
    handoffId: 'ho-1',
    customerId: SAMPLE_CUSTOMER_ID,
    fromChannel: 'voice',
    toChannel: 'whatsapp',
    reason: 'queue above threshold; caller accepted WhatsApp',
    summary: 'Caller asks about a double charge on the January bill.',
    collectedData: { accountNumber: 'A-1001', amount: 42.5, verified: true, note: null },
    address: { phone: SAMPLE_PHONE },
    customerName: 'Ana',
    topic: 'billing',
    requestedAt: at,
  },
  'handoff.dispatched': {
    handoffId: 'ho-1',
    customerId: SAMPLE_CUSTOMER_ID,
    fromChannel: 'voice',
    toChannel: 'webchat',
    deliveryChannel: 'whatsapp',
    address: { phone: SAMPLE_PHONE },
    link: 'https://chat.example.com/c?token=abc',
    tokenExpiresAt: '2025-01-31T09:45:00.000Z',
    customerName: 'Ana',
    topic: 'billing',
    dispatchedAt: at,
  },
  'handoff.delivered': {
    handoffId: 'ho-1',
    customerId: SAMPLE_CUSTOMER_ID,
    toChannel: 'whatsapp',
    providerMessageId: 'wamid.123',
    deliveredAt: at,
  },
  'handoff.completed': {
    handoffId: 'ho-1',
    customerId: SAMPLE_CUSTOMER_ID,
    toChannel: 'whatsapp',
    completedAt: at,
    switchLatencyMs: 12_345,
  },
  'handoff.expired': {
    handoffId: 'ho-1',
    customerId: SAMPLE_CUSTOMER_ID,
    toChannel: 'webchat',
    expiredAt: at,
  },
  'handoff.failed': {
    handoffId: 'ho-1',
    customerId: SAMPLE_CUSTOMER_ID,
    toChannel: 'whatsapp',
    reason: 'template rejected',
    retryable: false,
    failedAt: at,
  },
  'handoff.timer.elapsed': {
    handoffId: 'ho-1',
    customerId: SAMPLE_CUSTOMER_ID,
    toChannel: 'webchat',
    timer: 'expiry',
    dueAt: at,
  },
  'escalation.requested': {
    escalationId: 'esc-1',
    customerId: SAMPLE_CUSTOMER_ID,
    channel: 'webchat',
    reason: 'customer asked for a person',
    summary: 'Refund over the automatic limit.',
    collectedData: { orderId: 'O-77' },
    priority: 7,
    requestedAt: at,
  },
  'message.received': {
    channel: 'whatsapp',
    providerMessageId: 'wamid.456',
    sender: { phone: SAMPLE_PHONE, whatsappBsuid: 'US.1234567890' },
    senderKey: `phone:${SAMPLE_PHONE}`,
    kind: 'button',
    text: 'Yes',
    payload: { id: 'switch-yes', title: 'Yes' },
    receivedAt: at,
  },
};

/**
 * One broken data field per event type: the field (as it appears in the error path) and a data sample
 * with only that field broken.
 */
export const BROKEN_DATA: { readonly [T in EventType]: { readonly path: string; readonly data: unknown } } = {
  'conversation.turn.recorded': {
    path: 'data.text',
    data: { ...SAMPLE_DATA['conversation.turn.recorded'], text: 'x'.repeat(16_001) },
  },
  'conversation.session.started': {
    path: 'data.startedAt',
    data: { ...SAMPLE_DATA['conversation.session.started'], startedAt: '31/01/2025' },
  },
  'conversation.session.ended': {
    path: 'data.status',
    data: { ...SAMPLE_DATA['conversation.session.ended'], status: 'finished' },
  },
  'call.queued': { path: 'data.priority', data: { ...SAMPLE_DATA['call.queued'], priority: 10 } },
  'call.assigned': { path: 'data.waitSeconds', data: { ...SAMPLE_DATA['call.assigned'], waitSeconds: -1 } },
  'call.abandoned': { path: 'data.queue', data: { ...SAMPLE_DATA['call.abandoned'], queue: '' } },
  'agent.availability.changed': {
    path: 'data.queues',
    data: { ...SAMPLE_DATA['agent.availability.changed'], queues: [] },
  },
  'queue.status.changed': {
    path: 'data.level',
    data: { ...SAMPLE_DATA['queue.status.changed'], level: 'severe' },
  },
  'handoff.requested': {
    path: 'data.toChannel',
    data: { ...SAMPLE_DATA['handoff.requested'], toChannel: 'fax' },
  },
  'handoff.dispatched': {
    path: 'data.deliveryChannel',
    data: { ...SAMPLE_DATA['handoff.dispatched'], deliveryChannel: 'webchat' },
  },
  'handoff.delivered': {
    path: 'data.providerMessageId',
    data: { ...SAMPLE_DATA['handoff.delivered'], providerMessageId: '' },
  },
  'handoff.completed': {
    path: 'data.switchLatencyMs',
    data: { ...SAMPLE_DATA['handoff.completed'], switchLatencyMs: 'fast' },
  },
  'handoff.expired': {
    path: 'data.customerId',
    data: { ...SAMPLE_DATA['handoff.expired'], customerId: 'cust_123' },
  },
  'handoff.failed': { path: 'data.retryable', data: { ...SAMPLE_DATA['handoff.failed'], retryable: 'no' } },
  'handoff.timer.elapsed': {
    path: 'data.timer',
    data: { ...SAMPLE_DATA['handoff.timer.elapsed'], timer: 'reminder' },
  },
  'escalation.requested': {
    path: 'data.collectedData.orderId',
    data: { ...SAMPLE_DATA['escalation.requested'], collectedData: { orderId: { nested: true } } },
  },
  'message.received': {
    path: 'data.sender.phone',
    data: {
      ...SAMPLE_DATA['message.received'],
      sender: { phone: '4255550123' },
      senderKey: 'phone:4255550123',
    },
  },
};

/**
 * A valid event of `type` built from {@link SAMPLE_DATA}, with a fresh id and `data` fields overridden.
 * For other packages' tests: `import { sampleEvent } from '@omni/contracts/testing'`.
 */
export function sampleEvent<T extends EventType>(
  type: T,
  data: Partial<EventDataInput<T>> = {},
  options: Partial<CreateEventOptions> = {},
): EventOfType<T> {
  return createEvent(type, { ...SAMPLE_DATA[type], ...data } as EventDataInput<T>, {
    ...SAMPLE_OPTIONS,
    time: new Date().toISOString(),
    id: randomUUID(),
    ...options,
  });
}
