import { createEvent, type OmniEvent } from '@omni/contracts';
import { SAMPLE_CUSTOMER_ID } from '@omni/contracts/testing';
import type { MessageContext } from '@omni/messaging';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { AcsSendError, type NotificationBody } from './acs.js';
import type { HandoffTemplateConfig } from './domain/index.js';
import { HandoffDispatchHandler } from './handoff-dispatch-handler.js';
import { DispatchedHandoffs, HandoffMessageLog } from './handoff-messages.js';

const context = {
  messageId: 'm',
  attempt: 1,
  sessionId: undefined,
  log: pino({ level: 'silent' }),
  assertLockHeld: () => {},
} as MessageContext;
const CONTINUE: HandoffTemplateConfig = {
  name: 'continue_conversation',
  language: 'en_US',
  bodyParameters: ['customerName', 'topic'],
};
const WEBCHAT: HandoffTemplateConfig = {
  name: 'continue_in_webchat',
  language: 'en_US',
  bodyParameters: ['customerName', 'topic', 'link'],
};

function fixture(
  webchatTemplate: HandoffTemplateConfig,
  {
    registered = true,
    send,
  }: { registered?: boolean; send?: (body: NotificationBody) => Promise<string> } = {},
) {
  const sent: NotificationBody[] = [];
  const published: OmniEvent[] = [];
  const done = new Map<string, unknown>();
  const handler = new HandoffDispatchHandler({
    store: {
      lastInbound: async () => undefined,
      runOnce: (async (key: string, fn: (claim: { firstClaimedAt: number }) => Promise<unknown>) => {
        if (!done.has(key)) done.set(key, await fn({ firstClaimedAt: 0 }));
        return done.get(key);
      }) as never,
    },
    sender: {
      send: async (body) => {
        sent.push(body);
        return send ? send(body) : `msg-${sent.length}`;
      },
    },
    channelRegistrationId: registered ? 'channel-1' : undefined,
    template: CONTINUE,
    webchatTemplate,
    publisher: {
      publish: async (event) => void published.push(event),
      publishAll: async (events) => void published.push(...events),
    },
    handoffMessages: new HandoffMessageLog(),
    dispatched: new DispatchedHandoffs(),
  });
  return { handler, sent, published };
}

function webchatHandoff() {
  return createEvent(
    'handoff.dispatched',
    {
      handoffId: 'ho_web_1',
      customerId: SAMPLE_CUSTOMER_ID,
      fromChannel: 'voice',
      toChannel: 'webchat',
      deliveryChannel: 'whatsapp',
      address: { phone: '+14255550123' },
      link: 'http://127.0.0.1:7073/?handoff=abc',
      tokenExpiresAt: new Date(Date.now() + 900_000).toISOString(),
      dispatchedAt: new Date().toISOString(),
    },
    { source: '/apps/channel-router', correlationId: 'ho_web_1' },
  );
}

describe('HandoffDispatchHandler', () => {
  it('given a web chat handoff outside the window, when handled, then the link template goes out with the link', async () => {
    const f = fixture(WEBCHAT);
    await f.handler.handle(webchatHandoff(), context);
    expect(f.sent).toHaveLength(1);
    const body = f.sent[0];
    expect(body?.kind).toBe('template');
    if (body?.kind !== 'template') return;
    expect(body.template.name).toBe('continue_in_webchat');
    expect(body.template.values).toContainEqual(
      expect.objectContaining({ name: 'link', text: 'http://127.0.0.1:7073/?handoff=abc' }),
    );
    expect(f.published).toEqual([]);
  });

  it('given no template able to carry the link, when handled, then nothing is sent and handoff.failed tells the router', async () => {
    const f = fixture(CONTINUE);
    await f.handler.handle(webchatHandoff(), context);
    expect(f.sent).toEqual([]);
    expect(f.published).toHaveLength(1);
    expect(f.published[0]).toMatchObject({
      type: 'handoff.failed',
      data: { handoffId: 'ho_web_1', toChannel: 'webchat', retryable: false },
    });
  });

  it('given WhatsApp not registered yet (no channel registration id), when a handoff is dispatched, then nothing is sent and handoff.failed lets the router fall back', async () => {
    const f = fixture(WEBCHAT, { registered: false });
    await f.handler.handle(webchatHandoff(), context);
    expect(f.sent).toEqual([]);
    expect(f.published).toHaveLength(1);
    expect(f.published[0]).toMatchObject({
      type: 'handoff.failed',
      id: 'whatsapp:handoff.failed:ho_web_1',
      data: { handoffId: 'ho_web_1', retryable: false },
    });
    const failed = f.published[0];
    expect(failed?.type === 'handoff.failed' ? failed.data.reason : '').toContain('WhatsApp not registered');
  });

  it('given ACS refuses the notice with a 4xx, when handled, then handoff.failed tells the router at once (not retried)', async () => {
    const f = fixture(WEBCHAT, {
      send: async () => {
        throw new AcsSendError('400', 'InvalidParameter');
      },
    });
    await f.handler.handle(webchatHandoff(), context);
    expect(f.published).toHaveLength(1);
    expect(f.published[0]).toMatchObject({
      type: 'handoff.failed',
      id: 'whatsapp:handoff.failed:ho_web_1',
      data: { handoffId: 'ho_web_1', toChannel: 'webchat', retryable: false },
    });
    expect(f.published[0]).toMatchObject({ data: { reason: expect.stringContaining('HTTP 400') } });
  });

  it('given ACS is throttling or down (429, 5xx), when handled, then it throws for the consumer to retry', async () => {
    for (const status of ['429', '503']) {
      const f = fixture(WEBCHAT, {
        send: async () => {
          throw new AcsSendError(status, undefined);
        },
      });
      await expect(f.handler.handle(webchatHandoff(), context)).rejects.toThrow(`HTTP ${status}`);
      expect(f.published).toEqual([]);
    }
  });
});
