import { describe, expect, it } from 'vitest';
import { engineHarness, queueAt } from '../../engine/test-support/engine-fixtures.js';

/** Finding 5 of issue #18: misroutes of the offline driver (what every local user and the demo meet first). */
describe('offline routing — the misroutes of issue #18', () => {
  for (const scenario of ['utilities', 'ecommerce'] as const) {
    for (const text of ['I need to speak to someone', 'can I talk to somebody please', 'I want a human']) {
      it(`given ${scenario}, when the customer writes "${text}", then it is a request for a person (queue checked, escalation or switch offer)`, async () => {
        const h = await engineHarness(scenario);
        const result = await h.engine.turn({
          customerId: 'c-person',
          channel: 'whatsapp',
          sessionId: 's',
          text,
        });
        expect(result.events).toContainEqual(
          expect.objectContaining({ type: 'tool_called', tool: 'check_queue_status', ok: true }),
        );
        expect(result.actions.map((a) => a.action)).toContain('escalate_to_human');
      });
    }
  }

  it('given a busy queue, when a caller asks for someone, then the switch is offered', async () => {
    const h = await engineHarness('utilities');
    h.queue = queueAt('critical');
    const result = await h.engine.turn({
      customerId: 'c-busy',
      channel: 'voice',
      sessionId: 'call',
      text: 'I need to speak to someone',
    });
    expect(result.actions.map((a) => a.action)).toContain('offer_channel_switch');
  });

  it('given an outage reported on the phone, when the customer asks "When will it be fixed?" on WhatsApp, then the outage agent answers with the restoration time (no transfer to field service)', async () => {
    const h = await engineHarness('utilities');
    const customerId = 'c-outage';
    await h.engine.turn({
      customerId,
      channel: 'voice',
      sessionId: 'call',
      text: 'My power is out at 14 Cardigan Road, LS6 1LF',
    });
    const result = await h.engine.turn({
      customerId,
      channel: 'whatsapp',
      sessionId: 'wa',
      text: 'When will it be fixed?',
    });
    expect(result.agentId).toBe('Outage');
    expect(result.events).not.toContainEqual(expect.objectContaining({ type: 'handoff' }));
    expect(result.replies.join(' ')).toMatch(/power outage/);
    expect(result.replies.join(' ')).toMatch(/OUT-7781/);
  });

  for (const text of ['store hours', 'What are your store opening hours?']) {
    it(`given utilities, when the customer asks "${text}", then it does not go to the outage agent`, async () => {
      const h = await engineHarness('utilities');
      const result = await h.engine.turn({ customerId: 'c-hours', channel: 'webchat', sessionId: 's', text });
      expect(result.agentId).toBe('UtilitiesConcierge');
      expect(result.events).not.toContainEqual(expect.objectContaining({ type: 'handoff' }));
    });
  }
});

describe('lazy routing after a handoff (found by the continuity eval)', () => {
  it("given a specialist took over with an announcement, when the customer follows up on another channel, then the announcement of the specialist's own name is not read as a handoff away (no clarifying question)", async () => {
    const h = await engineHarness('ecommerce');
    await h.engine.turn({
      customerId: 'cust-shop-1',
      channel: 'whatsapp',
      sessionId: 'wa',
      text: 'Where is my order ORD-10057? It has not arrived yet',
    });
    const result = await h.engine.turn({
      customerId: 'cust-shop-1',
      channel: 'voice',
      sessionId: 'call',
      text: "Hi, I'm calling back about this",
    });
    expect(result.events).not.toContainEqual(expect.objectContaining({ type: 'clarified' }));
    expect(result.agentId).toBe('OrderTracking');
    expect(result.replies.join(' ')).toContain('ORD-10057');
  });
});

describe('returning customers, typos and channel requests (found by the continuity eval)', () => {
  it('given a conversation the customer closed, when they come back with a new issue in a typo, then the coordinator routes it and the reply names the new issue, not the old one', async () => {
    const h = await engineHarness('utilities');
    const customerId = 'c-returning';
    const t = (channel: 'whatsapp' | 'voice', text: string) =>
      h.engine.turn({ customerId, channel, sessionId: channel, text });
    await t('whatsapp', 'How much electricity did I use last month?');
    await t('whatsapp', "That's all, thanks, bye");
    const result = await t('whatsapp', 'my powr is out at 14 cardigan road LS6 1LF');
    expect(result.agentId).toBe('Outage');
    expect(result.replies.join(' ')).toMatch(/outage/i);
    expect(result.replies.join(' ')).not.toMatch(/usage/i);
    const summary = await h.engine.summarize(customerId);
    expect(summary.summary).toMatch(/power outage/);
  });

  it('given a specialist holds a web chat, when the customer asks to continue on WhatsApp (lazy routing), then the specialist hands the conversation over without a clarifying question', async () => {
    const h = await engineHarness('ecommerce');
    await h.engine.turn({
      customerId: 'cust-shop-1',
      channel: 'webchat',
      sessionId: 'chat',
      text: 'I want to return order ORD-10042, the headphones do not fit',
    });
    const result = await h.engine.turn({
      customerId: 'cust-shop-1',
      channel: 'webchat',
      sessionId: 'chat',
      text: 'can we continue on whatsap insted',
    });
    expect(result.events).not.toContainEqual(expect.objectContaining({ type: 'clarified' }));
    expect(result.actions).toEqual([{ action: 'execute_channel_handoff', toChannel: 'whatsapp' }]);
  });
});

describe('one wait figure (issue #18 finding 4)', () => {
  it('given an estimate of 545 s, when the agent offers a switch, then it quotes "about 9 minutes" — rounded as the phone and the router quote it, not rounded up', async () => {
    const h = await engineHarness('utilities');
    h.queue = { queue: 'general', depth: 90, estimatedWaitSeconds: 545, level: 'critical' };
    const result = await h.engine.turn({
      customerId: 'c-wait',
      channel: 'whatsapp',
      sessionId: 's',
      text: 'I need to speak to someone',
    });
    expect(result.replies.join(' ')).toContain('about 9 minutes');
  });

  it('given an estimate under a minute, when quoted, then it is "less than a minute"', async () => {
    const h = await engineHarness('utilities');
    h.queue = { queue: 'general', depth: 90, estimatedWaitSeconds: 40, level: 'critical' };
    const result = await h.engine.turn({
      customerId: 'c-wait-short',
      channel: 'whatsapp',
      sessionId: 's',
      text: 'I need to speak to someone',
    });
    expect(result.replies.join(' ')).toContain('less than a minute');
  });
});
