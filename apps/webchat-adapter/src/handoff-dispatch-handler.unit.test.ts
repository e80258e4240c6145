import { createEvent, newCustomerId } from '@omni/contracts';
import type { MessageContext } from '@omni/messaging';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DispatchedHandoffs, HandoffDispatchHandler } from './handoff-dispatch-handler.js';

const CONTEXT: MessageContext = {
  messageId: 'm',
  attempt: 1,
  sessionId: undefined,
  log: pino({ level: 'silent' }),
  assertLockHeld: () => {},
};

function dispatched(handoffId: string, toChannel: 'webchat' | 'whatsapp') {
  return createEvent(
    'handoff.dispatched',
    {
      handoffId,
      customerId: newCustomerId(),
      fromChannel: 'voice',
      toChannel,
      deliveryChannel: 'whatsapp',
      address: { phone: '+14255550123' },
      ...(toChannel === 'webchat' ? { link: 'https://chat.example.com/?handoff=abc' } : {}),
      tokenExpiresAt: '2026-11-23T12:15:00.000Z',
      dispatchedAt: '2026-11-23T12:00:00.000Z',
    },
    { source: '/apps/channel-router', correlationId: `saga-${handoffId}` },
  );
}

describe('HandoffDispatchHandler', () => {
  it('given a handoff dispatched to web chat, when handled twice, then it is remembered once with its correlation id', async () => {
    const memory = new DispatchedHandoffs();
    const handler = new HandoffDispatchHandler(memory);
    await handler.handle(dispatched('ho_1', 'webchat'), CONTEXT);
    await handler.handle(dispatched('ho_1', 'webchat'), CONTEXT);
    expect(memory.take('ho_1')).toMatchObject({ handoffId: 'ho_1', correlationId: 'saga-ho_1' });
    expect(memory.take('ho_1')).toBeUndefined();
  });

  it('given a handoff to WhatsApp, when handled, then it is not this adapter’s', async () => {
    const memory = new DispatchedHandoffs();
    await new HandoffDispatchHandler(memory).handle(dispatched('ho_2', 'whatsapp'), CONTEXT);
    expect(memory.get('ho_2')).toBeUndefined();
  });

  it('given more handoffs than the bound, when added, then the oldest are forgotten', () => {
    const memory = new DispatchedHandoffs({ max: 2 });
    for (const id of ['a', 'b', 'c'])
      memory.add({ handoffId: id, customerId: 'x', dispatchedAt: '', correlationId: id });
    expect([memory.get('a'), memory.get('b')?.handoffId, memory.get('c')?.handoffId]).toEqual([
      undefined,
      'b',
      'c',
    ]);
  });
});
