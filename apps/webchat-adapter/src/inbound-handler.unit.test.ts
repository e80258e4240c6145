import { createEvent, newCustomerId, type OmniEvent } from '@omni/contracts';
import type { EngineAction, TurnResult } from '@omni/conversation';
import type { Customer, OpenHandoff } from '@omni/customer-context';
import { LockLostError, type MessageContext } from '@omni/messaging';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { DispatchedHandoffs } from './handoff-dispatch-handler.js';
import { InboundMessageHandler, UNSUPPORTED_REPLY } from './inbound-handler.js';
import type { OutgoingMessage, ReplyTo } from './ports.js';

const CUSTOMER_ID = newCustomerId();
const NOW = Date.parse('2026-11-23T12:00:10.000Z');
const CONTEXT: MessageContext = {
  messageId: 'm1',
  attempt: 1,
  sessionId: 'webchat:dl_user1',
  log: pino({ level: 'silent' }),
  assertLockHeld: () => {},
};

let published: OmniEvent[];
let sent: { replyTo: ReplyTo; userId: string; message: OutgoingMessage }[];
let ran: Set<string>;
/** The engine's model text, streamed word by word when set. */
let streamText: string | undefined;
let streams: { deltas: string[]; final: string | undefined }[];
let actions: EngineAction[];
let handoffs: OpenHandoff[];
let closed: string[];
let dispatched: DispatchedHandoffs;
const summaries = { count: 0 };

function handler(): InboundMessageHandler {
  return new InboundMessageHandler({
    publisher: {
      publish: async (event) => {
        published.push(event);
      },
      publishAll: async (events) => {
        published.push(...events);
      },
    },
    engine: {
      summarize: async () => {
        summaries.count += 1;
        return { summary: 'Power outage at LS6 1LF.', collectedData: {} };
      },
      turn: async (input) => {
        for (const word of streamText?.match(/\S+\s*/g) ?? []) input.onTextDelta?.(word);
        return {
          replies: [`answer to ${input.text}`],
          agentId: 'outage',
          events: [],
          actions,
          conversationId: 'conv',
          turnId: input.turnId ?? 't',
        } satisfies TurnResult;
      },
    },
    store: {
      resolveCustomer: async () => ({ customer: customer(), created: false, conflicts: [] }),
      getCustomer: async () => customer(),
      openHandoffs: async () => handoffs.filter((h) => !closed.includes(h.id)),
      closeHandoff: async (_customerId: string, handoffId: string) => {
        closed.push(handoffId);
      },
      // At most once per key, as customer-context's runOnce.
      runOnce: async <T>(key: string, fn: (claim: { firstClaimedAt: number }) => Promise<T>) => {
        if (ran.has(key)) return undefined as T;
        ran.add(key);
        try {
          return await fn({ firstClaimedAt: 0 });
        } catch (error) {
          // A failed run releases its claim, as the ledger does.
          ran.delete(key);
          throw error;
        }
      },
    },
    replies: {
      send: async (replyTo, userId, message) => {
        sent.push({ replyTo, userId, message });
        return `reply-${sent.length}`;
      },
      stream: async (_replyTo, _userId, produce) => {
        const deltas: string[] = [];
        const outcome = await produce({
          inform: () => {},
          delta: (text) => deltas.push(text),
          started: () => deltas.length > 0,
        });
        if (deltas.length > 0) streams.push({ deltas, final: outcome.final });
        return outcome.result;
      },
    },
    dispatched,
    clock: () => NOW,
  });
}

function customer(): Customer {
  return {
    customerId: CUSTOMER_ID,
    displayName: 'Ada',
    identities: ['phone:+14255550123', 'webchat:dl_user1'],
    summary: 'Power outage at LS6 1LF.',
    collectedData: { postcode: 'LS6 1LF', '_engine.holder': 'outage' },
  } as unknown as Customer;
}

function message(text: string | undefined, id = 'conv-1|0000001') {
  return createEvent(
    'message.received',
    {
      channel: 'webchat',
      providerMessageId: id,
      sender: { webchatUserId: 'dl_user1' },
      senderKey: 'webchat:dl_user1',
      kind: text === undefined ? 'interactive' : 'text',
      ...(text === undefined ? { payload: { choice: 'x' } } : { text }),
      receivedAt: '2026-11-23T12:00:00.000Z',
      replyTo: { serviceUrl: 'http://127.0.0.1:1/', conversationId: 'conv-1', activityId: id, botId: 'bot' },
    },
    { source: '/apps/webchat-adapter', correlationId: id },
  );
}

beforeEach(() => {
  published = [];
  sent = [];
  ran = new Set();
  streamText = undefined;
  streams = [];
  actions = [];
  handoffs = [];
  closed = [];
  dispatched = new DispatchedHandoffs();
});

describe('InboundMessageHandler', () => {
  it('given a text message, when handled, then the reply goes to its conversation and both turns are published', async () => {
    await handler().handle(message('my power is out'), CONTEXT);
    expect(sent).toEqual([
      {
        replyTo: expect.objectContaining({ conversationId: 'conv-1', activityId: 'conv-1|0000001' }),
        userId: 'dl_user1',
        message: { type: 'message', text: 'answer to my power is out', textFormat: 'markdown' },
      },
    ]);
    expect(published.map((e) => e.type)).toEqual([
      'conversation.turn.recorded',
      'conversation.turn.recorded',
    ]);
    expect(published.map((e) => (e.type === 'conversation.turn.recorded' ? e.data.role : ''))).toEqual([
      'user',
      'assistant',
    ]);
  });

  it('given a replica that lost the session (another one took the customer over), when its reply is due, then it sends nothing and the message is not completed here', async () => {
    const lost: MessageContext = {
      ...CONTEXT,
      assertLockHeld: () => {
        throw new LockLostError(new Date(0));
      },
    };
    await expect(handler().handle(message('hi'), lost)).rejects.toBeInstanceOf(LockLostError);
    expect(sent).toEqual([]);
    // The replica holding the session now answers it.
    await handler().handle(message('hi'), CONTEXT);
    expect(sent).toHaveLength(1);
  });

  it('given the same message delivered twice, when handled, then it is answered once', async () => {
    const h = handler();
    await h.handle(message('hello'), CONTEXT);
    await h.handle(message('hello'), CONTEXT);
    expect(sent).toHaveLength(1);
  });

  it('given a driver that streams, when handled, then the reply streams and ends with the turn replies (what the transcript keeps), sent once even when redelivered', async () => {
    streamText = 'Let me check the outage map for you.';
    const h = handler();
    await h.handle(message('my power is out'), CONTEXT);
    await h.handle(message('my power is out'), CONTEXT);
    expect(streams[0]?.deltas.join('')).toBe(streamText);
    expect(streams[0]?.final).toBe('answer to my power is out');
    // The redelivery streamed again (the engine replays) but nothing was sent besides the streams.
    expect(sent).toEqual([]);
    const assistant = published.find(
      (e) => e.type === 'conversation.turn.recorded' && e.data.role === 'assistant',
    );
    expect(assistant?.type === 'conversation.turn.recorded' && assistant.data.text).toBe(streams[0]?.final);
  });

  it('given a card submit without text, when handled, then it gets the text-only answer and no turn runs', async () => {
    await handler().handle(message(undefined), CONTEXT);
    expect(sent.map((s) => s.message.text)).toEqual([UNSUPPORTED_REPLY]);
    expect(published).toEqual([]);
  });

  it('given the agent escalates, when handled, then escalation.requested carries the summary without engine keys', async () => {
    actions = [{ action: 'escalate_to_human', reason: 'customer asked for a person', priority: 5 }];
    await handler().handle(message('I want a human'), CONTEXT);
    const escalation = published.find((e) => e.type === 'escalation.requested');
    expect(escalation?.data).toMatchObject({
      customerId: CUSTOMER_ID,
      channel: 'webchat',
      summary: 'Power outage at LS6 1LF.',
      collectedData: { postcode: 'LS6 1LF' },
      priority: 5,
    });
    expect(JSON.stringify(escalation?.data)).not.toContain('_engine');
    expect(summaries.count).toBeGreaterThan(0);
  });

  it('given the same activity handled twice, when the customer switches channel, then handoff.requested has the same ids', async () => {
    actions = [{ action: 'execute_channel_handoff', toChannel: 'whatsapp' }];
    const activity = message('continue on whatsapp please');
    await handler().handle(activity, CONTEXT);
    await handler().handle(activity, CONTEXT);
    const requested = published.filter((e) => e.type === 'handoff.requested');
    expect(requested).toHaveLength(2);
    expect(requested[0]?.id).toBe(requested[1]?.id);
    expect(requested[0]?.type === 'handoff.requested' && requested[0].data.handoffId).toBe(
      requested[1]?.type === 'handoff.requested' && requested[1].data.handoffId,
    );
  });

  it('given the customer switches to WhatsApp, when handled, then handoff.requested is addressed to their phone', async () => {
    actions = [{ action: 'execute_channel_handoff', toChannel: 'whatsapp' }];
    await handler().handle(message('continue on whatsapp please'), CONTEXT);
    const requested = published.find((e) => e.type === 'handoff.requested');
    expect(requested?.data).toMatchObject({
      fromChannel: 'webchat',
      toChannel: 'whatsapp',
      address: { phone: '+14255550123', webchatUserId: 'dl_user1' },
      customerName: 'Ada',
    });
  });

  it('given a handoff link this user redeemed, when the first message arrives, then handoff.completed is published once with the latency', async () => {
    handoffs = [
      {
        id: 'ho_1',
        fromChannel: 'voice',
        toChannel: 'webchat',
        status: 'redeemed',
        offeredAt: '2026-11-23T12:00:00.000Z',
        expiresAt: '2026-11-23T12:15:00.000Z',
        redeemedAt: '2026-11-23T12:00:05.000Z',
        redeemedBy: 'webchat:dl_user1',
      },
      {
        id: 'ho_other',
        fromChannel: 'voice',
        toChannel: 'webchat',
        status: 'redeemed',
        offeredAt: '2026-11-23T12:00:00.000Z',
        expiresAt: '2026-11-23T12:15:00.000Z',
        redeemedAt: '2026-11-23T12:00:05.000Z',
        redeemedBy: 'webchat:dl_someone_else',
      },
    ];
    dispatched.add({ handoffId: 'ho_1', customerId: CUSTOMER_ID, dispatchedAt: '', correlationId: 'saga-1' });
    const h = handler();
    await h.handle(message('hi', 'conv-1|0000001'), CONTEXT);
    await h.handle(message('again', 'conv-1|0000002'), CONTEXT);
    const completed = published.filter((e) => e.type === 'handoff.completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]?.correlationId).toBe('saga-1');
    expect(completed[0]?.data).toMatchObject({
      handoffId: 'ho_1',
      toChannel: 'webchat',
      switchLatencyMs: 10_000,
    });
    // Completed: closed (off the customer's open handoffs); the other user's stays open.
    expect(closed).toEqual(['ho_1']);
  });
});
