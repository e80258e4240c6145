import { createEvent, type OmniEvent } from '@omni/contracts';
import { SAMPLE_CUSTOMER_ID } from '@omni/contracts/testing';
import type { EngineAction, TurnResult } from '@omni/conversation';
import type { OpenHandoff } from '@omni/customer-context';
import { LockLostError, type MessageContext } from '@omni/messaging';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { NotificationBody } from './acs.js';
import { RATE_LIMITED_REPLY } from './domain/index.js';
import { DispatchedHandoffs } from './handoff-messages.js';
import { type AdapterStore, InboundMessageHandler } from './inbound-handler.js';

const BSUID = 'US.13491208655302741918';
const PHONE = '+14255550123';

interface Fixture {
  readonly handler: InboundMessageHandler;
  readonly published: OmniEvent[];
  readonly sent: NotificationBody[];
  readonly resolved: { identity: unknown; hints: unknown }[];
  readonly turns: string[];
  readonly dispatched: DispatchedHandoffs;
  /** The handoffs the handler closed. */
  readonly closed: string[];
  /** How often the engine was asked for a handover summary. */
  readonly summaries: () => number;
}

/** In-memory ports: the store runs each key once, the engine answers with the given replies and actions. */
function fixture(
  options: { actions?: EngineAction[]; burst?: number; handoffs?: OpenHandoff[]; now?: number } = {},
): Fixture {
  const published: OmniEvent[] = [];
  const sent: NotificationBody[] = [];
  const resolved: { identity: unknown; hints: unknown }[] = [];
  const turns: string[] = [];
  const done = new Map<string, unknown>();
  const closed: string[] = [];
  let summaries = 0;
  const customer = {
    customerId: SAMPLE_CUSTOMER_ID,
    displayName: 'Ada Lovelace',
    summary: 'Power cut at LS6 1LF since 9am.',
    collectedData: { postcode: 'LS6 1LF' },
  };
  const store = {
    resolveCustomer: async (identity: unknown, hints: unknown) => {
      resolved.push({ identity, hints });
      return { customer, created: false, conflicts: [] };
    },
    openHandoffs: async () => (options.handoffs ?? []).filter((h) => !closed.includes(h.id)),
    closeHandoff: async (_customerId: string, handoffId: string) => void closed.push(handoffId),
    runOnce: async (key: string, fn: (claim: { firstClaimedAt: number }) => Promise<unknown>) => {
      if (!done.has(key)) done.set(key, await fn({ firstClaimedAt: 0 }));
      return done.get(key);
    },
    lastInbound: async () => undefined,
    getCustomer: async () => customer,
  } as unknown as AdapterStore;
  const dispatched = new DispatchedHandoffs();
  const handler = new InboundMessageHandler({
    publisher: {
      publish: async (event) => void published.push(event),
      publishAll: async (events) => void published.push(...events),
    },
    engine: {
      summarize: async () => {
        summaries += 1;
        return { summary: customer.summary, collectedData: customer.collectedData };
      },
      turn: async (input) => {
        turns.push(input.text);
        return {
          replies: [`reply to ${input.text}`],
          agentId: 'outage',
          events: [],
          actions: options.actions ?? [],
          conversationId: 'conv_1',
          turnId: input.turnId,
        } as unknown as TurnResult;
      },
    },
    store,
    sender: {
      send: async (body) => {
        sent.push(body);
        return `msg-${sent.length}`;
      },
    },
    channelRegistrationId: 'channel-1',
    rateLimit: { burst: options.burst ?? 100, perMinute: 600 },
    dispatched,
    clock: () => options.now ?? Date.parse('2026-01-01T10:00:00Z'),
  });
  return { handler, published, sent, resolved, turns, dispatched, closed, summaries: () => summaries };
}

let counter = 0;

function received(
  data: { text?: string; kind?: 'text' | 'media'; sender?: { phone?: string; whatsappBsuid?: string } } = {},
) {
  counter += 1;
  const sender = data.sender ?? { phone: PHONE };
  const senderKey =
    sender.whatsappBsuid !== undefined ? `whatsapp-bsuid:${sender.whatsappBsuid}` : `phone:${sender.phone}`;
  const kind = data.kind ?? 'text';
  return createEvent(
    'message.received',
    {
      channel: 'whatsapp',
      providerMessageId: `wamid-${counter}`,
      sender,
      senderKey,
      kind,
      ...(kind === 'text' ? { text: data.text ?? 'hello' } : { media: { mimeType: 'image/jpeg', id: 'm1' } }),
      receivedAt: '2026-01-01T09:59:59.000Z',
    },
    { source: '/apps/whatsapp-adapter', correlationId: `eg-${counter}`, id: `whatsapp:wamid-${counter}` },
  );
}

const context = {
  messageId: 'm',
  attempt: 1,
  sessionId: undefined,
  log: pino({ level: 'silent' }),
  assertLockHeld: () => {},
} as MessageContext;

function recipients(sent: NotificationBody[]): string[] {
  return sent.flatMap((body) => body.to);
}

describe('InboundMessageHandler', () => {
  it('given a sender with only a BSUID, when handled, then the customer is resolved and answered by BSUID', async () => {
    const f = fixture();
    await f.handler.handle(received({ sender: { whatsappBsuid: BSUID } }), context);
    expect(f.resolved[0]?.identity).toEqual({ kind: 'whatsapp-bsuid', value: BSUID });
    expect(recipients(f.sent)).toEqual([BSUID]);
  });

  it('given a sender with a number and a BSUID, when handled, then the number resolves and the BSUID is linked', async () => {
    const f = fixture();
    await f.handler.handle(received({ sender: { phone: PHONE, whatsappBsuid: BSUID } }), context);
    expect(f.resolved[0]).toMatchObject({
      identity: { kind: 'phone', value: PHONE },
      hints: { alsoKnownAs: [{ kind: 'whatsapp-bsuid', value: BSUID }] },
    });
    expect(recipients(f.sent)).toEqual([PHONE]);
  });

  it('given a burst over the limit, when handled, then one polite reply, turns recorded, the agent skipped', async () => {
    const f = fixture({ burst: 2 });
    for (let i = 0; i < 5; i += 1) await f.handler.handle(received({ text: `m${i}` }), context);
    expect(f.turns).toEqual(['m0', 'm1']);
    const texts = f.sent.map((body) => (body.kind === 'text' ? body.content : body.kind));
    expect(texts.filter((t) => t === RATE_LIMITED_REPLY)).toHaveLength(1);
    const userTurns = f.published.filter(
      (e) => e.type === 'conversation.turn.recorded' && e.data.role === 'user',
    );
    expect(userTurns).toHaveLength(5);
  });

  it('given a photo, when handled, then the attachment reply goes out and the agent is not called', async () => {
    const f = fixture();
    await f.handler.handle(received({ kind: 'media' }), context);
    expect(f.turns).toEqual([]);
    expect(f.sent).toHaveLength(1);
    expect(f.sent[0]?.kind === 'text' ? f.sent[0].content : '').toMatch(/attachment|can't open|cannot open/i);
  });

  it('given the session lock lost before the reply (another replica has the customer now), when handled, then nothing is sent and the redelivery still answers once', async () => {
    const f = fixture();
    const event = received({ text: 'late' });
    const lost = {
      ...context,
      assertLockHeld: () => {
        throw new LockLostError(new Date(0));
      },
    };
    await expect(f.handler.handle(event, lost)).rejects.toBeInstanceOf(LockLostError);
    expect(f.sent).toEqual([]);
    await f.handler.handle(event, context);
    expect(f.sent).toHaveLength(1);
  });

  it('given the same message twice, when handled, then one reply and the same event ids both times', async () => {
    const f = fixture();
    const event = received({ text: 'twice' });
    await f.handler.handle(event, context);
    const first = f.published.map((e) => e.id);
    await f.handler.handle(event, context);
    expect(f.sent).toHaveLength(1);
    expect(f.published.slice(first.length).map((e) => e.id)).toEqual(first);
  });

  it('given an escalate action, when handled, then the conversation is summarised and escalation.requested carries it', async () => {
    const f = fixture({
      actions: [{ action: 'escalate_to_human', reason: 'asked for a person', priority: 5 }],
    });
    await f.handler.handle(received({ text: 'a human please' }), context);
    expect(f.summaries()).toBe(1);
    const escalation = f.published.find((e) => e.type === 'escalation.requested');
    expect(escalation?.data).toMatchObject({
      customerId: SAMPLE_CUSTOMER_ID,
      channel: 'whatsapp',
      summary: 'Power cut at LS6 1LF since 9am.',
      collectedData: { postcode: 'LS6 1LF' },
      priority: 5,
    });
  });

  it('given a switch to web chat, when handled twice, then handoff.requested has a stable id and the address', async () => {
    const f = fixture({ actions: [{ action: 'execute_channel_handoff', toChannel: 'webchat' }] });
    const event = received({ sender: { phone: PHONE, whatsappBsuid: BSUID } });
    await f.handler.handle(event, context);
    await f.handler.handle(event, context);
    const requested = f.published.filter((e) => e.type === 'handoff.requested');
    expect(requested).toHaveLength(2);
    expect(requested[0]?.id).toBe(requested[1]?.id);
    expect(requested[0]?.data).toMatchObject({
      handoffId: requested[1]?.type === 'handoff.requested' ? requested[1].data.handoffId : 'x',
      fromChannel: 'whatsapp',
      toChannel: 'webchat',
      address: { phone: PHONE, whatsappBsuid: BSUID },
      customerName: 'Ada Lovelace',
    });
  });

  it('given a handoff dispatched to this customer, when they write, then handoff.completed once with the latency', async () => {
    const now = Date.parse('2026-01-01T10:00:00Z');
    const f = fixture({ now });
    f.dispatched.add({
      handoffId: 'ho_1',
      customerId: SAMPLE_CUSTOMER_ID,
      dispatchedAt: new Date(now - 42_000).toISOString(),
      correlationId: 'corr-1',
    });
    await f.handler.handle(received(), context);
    await f.handler.handle(received(), context);
    const completed = f.published.filter((e) => e.type === 'handoff.completed');
    expect(completed).toHaveLength(1);
    expect(completed[0]).toMatchObject({
      correlationId: 'corr-1',
      data: { handoffId: 'ho_1', toChannel: 'whatsapp', switchLatencyMs: 42_000 },
    });
  });

  it('given a handoff to WhatsApp open on the customer (another replica dispatched it), when they write, then handoff.completed once and the handoff is closed', async () => {
    const now = Date.parse('2026-01-01T10:00:00Z');
    const open = (id: string, toChannel: 'whatsapp' | 'webchat', expiresIn: number): OpenHandoff => ({
      id,
      fromChannel: 'voice',
      toChannel,
      status: 'offered',
      offeredAt: new Date(now - 30_000).toISOString(),
      expiresAt: new Date(now + expiresIn).toISOString(),
      redeemedAt: null,
      redeemedBy: null,
    });
    const f = fixture({
      now,
      handoffs: [
        open('ho_wa', 'whatsapp', 60_000),
        open('ho_web', 'webchat', 60_000),
        open('ho_old', 'whatsapp', -1),
      ],
    });
    await f.handler.handle(received(), context);
    await f.handler.handle(received(), context);
    const completed = f.published.filter((e) => e.type === 'handoff.completed');
    expect(completed.map((e) => e.data)).toEqual([
      expect.objectContaining({ handoffId: 'ho_wa', toChannel: 'whatsapp', switchLatencyMs: 30_000 }),
    ]);
    expect(f.closed).toEqual(['ho_wa']);
  });
});
