import { createEvent, type OmniEvent } from '@omni/contracts';
import { SAMPLE_CUSTOMER_ID } from '@omni/contracts/testing';
import { LockLostError, type MessageContext } from '@omni/messaging';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { HandoffMessageLog } from './handoff-messages.js';
import { SmsHandoffHandler } from './sms-handoff-handler.js';
import type { SmsSender } from './sms-sender.js';

const context = {
  messageId: 'm',
  attempt: 1,
  sessionId: undefined,
  log: pino({ level: 'silent' }),
  assertLockHeld: () => {},
} as MessageContext;

function smsHandoff() {
  return createEvent(
    'handoff.dispatched',
    {
      handoffId: 'ho_sms_1',
      customerId: SAMPLE_CUSTOMER_ID,
      fromChannel: 'voice',
      toChannel: 'webchat',
      deliveryChannel: 'sms',
      address: { phone: '+14255550123' },
      link: 'https://chat.example.test/?handoff=abc',
      tokenExpiresAt: new Date(Date.now() + 900_000).toISOString(),
      dispatchedAt: new Date().toISOString(),
    },
    { source: '/apps/channel-router', correlationId: 'ho_sms_1' },
  );
}

function fixture(sender: SmsSender | undefined) {
  const published: OmniEvent[] = [];
  const done = new Map<string, unknown>();
  const handler = new SmsHandoffHandler({
    store: {
      // The ledger: runs a key once; a run that throws releases it.
      runOnce: (async (key: string, fn: (claim: { firstClaimedAt: number }) => Promise<unknown>) => {
        if (!done.has(key)) done.set(key, await fn({ firstClaimedAt: 1_700_000_000_000 }));
        return done.get(key);
      }) as never,
    },
    sender,
    publisher: {
      publish: async (event) => void published.push(event),
      publishAll: async (events) => void published.push(...events),
    },
    handoffMessages: new HandoffMessageLog(),
  });
  return { handler, published };
}

describe('SmsHandoffHandler', () => {
  it('given a replica that lost the message (another one took it over), when the SMS is due, then it sends nothing; the holder sends it as a repeatable request keyed by the handoff', async () => {
    const sent: { message: string; repeatable: unknown }[] = [];
    const f = fixture({
      send: async (_to, message, _tag, repeatable) => `sms-${sent.push({ message, repeatable })}`,
    });
    const lost = {
      ...context,
      assertLockHeld: () => {
        throw new LockLostError(new Date(0));
      },
    };
    await expect(f.handler.handle(smsHandoff(), lost)).rejects.toBeInstanceOf(LockLostError);
    expect(sent).toEqual([]);
    await f.handler.handle(smsHandoff(), context);
    expect(sent).toEqual([
      {
        message: expect.stringContaining('https://chat.example.test/?handoff=abc'),
        repeatable: { key: 'sms:handoff-notice:ho_sms_1', firstSentAt: 1_700_000_000_000 },
      },
    ]);
  });

  it('given an SMS handoff, when handled twice, then one SMS with the link goes out', async () => {
    const sent: string[] = [];
    const f = fixture({ send: async (_to, message) => `sms-${sent.push(message)}` });
    await f.handler.handle(smsHandoff(), context);
    await f.handler.handle(smsHandoff(), context);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toContain('https://chat.example.test/?handoff=abc');
    expect(f.published).toEqual([]);
  });

  it('given no SMS number configured, when handled, then handoff.failed tells the router at once', async () => {
    const f = fixture(undefined);
    await f.handler.handle(smsHandoff(), context);
    expect(f.published).toEqual([
      expect.objectContaining({
        type: 'handoff.failed',
        data: expect.objectContaining({ handoffId: 'ho_sms_1', retryable: false }),
      }),
    ]);
  });

  it('given ACS refuses with 400, then handoff.failed; given 503, then it throws for a retry', async () => {
    const refused = fixture({
      send: async () => {
        throw Object.assign(new Error('Invalid number'), { statusCode: 400 });
      },
    });
    await refused.handler.handle(smsHandoff(), context);
    expect(refused.published.map((e) => e.type)).toEqual(['handoff.failed']);
    const down = fixture({
      send: async () => {
        throw Object.assign(new Error('Service unavailable'), { statusCode: 503 });
      },
    });
    await expect(down.handler.handle(smsHandoff(), context)).rejects.toThrow('Service unavailable');
    expect(down.published).toEqual([]);
  });

  it('given a WhatsApp notice, then it is not this handler’s', async () => {
    const f = fixture(undefined);
    const event = smsHandoff();
    await f.handler.handle({ ...event, data: { ...event.data, deliveryChannel: 'whatsapp' } }, context);
    expect(f.published).toEqual([]);
  });
});
