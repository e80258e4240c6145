import type { AssuranceLevel } from '@omni/contracts';
import { describe, expect, it } from 'vitest';
import type { EngineAction } from '../actions.js';
import type { ConversationChannel } from '../scenario.js';
import type { TurnResult } from './conversation-engine.js';
import { ENGINE_STATE_KEYS } from './conversation-store.js';
import { callTool, type EngineHarness, engineHarness, queueAt, say } from './test-support/engine-fixtures.js';

function turn(
  h: EngineHarness,
  customerId: string,
  text: string,
  extra: { channel?: ConversationChannel; turnId?: string; assurance?: AssuranceLevel } = {},
) {
  return h.engine.turn({
    customerId,
    channel: extra.channel ?? 'webchat',
    sessionId: 'session-1',
    text,
    // A customer the channel vouches for (as WhatsApp does); the verification tests set their own level.
    assurance: extra.assurance ?? 'channel-verified',
    ...(extra.turnId ? { turnId: extra.turnId } : {}),
  });
}

function actionNames(result: TurnResult): EngineAction['action'][] {
  return result.actions.map((a) => a.action);
}

/** Gives the conversation to `agentId` after one earlier exchange (so lazy routing does not classify again). */
async function holdWith(h: EngineHarness, customerId: string, agentId: string): Promise<void> {
  const at = new Date('2025-06-10T11:00:00Z');
  await h.store.recordTurn(customerId, {
    channel: 'webchat',
    sessionId: 'earlier',
    role: 'customer',
    text: 'hi',
    at,
  });
  await h.store.recordTurn(customerId, {
    channel: 'webchat',
    sessionId: 'earlier',
    role: 'assistant',
    text: 'How can I help?',
    agentId,
    at,
  });
  await h.store.updateSummary(customerId, undefined, { [ENGINE_STATE_KEYS.agentId]: agentId });
}

describe('ConversationEngine — utilities (tools routing)', () => {
  it('given a clear billing question, when the coordinator routes, then Billing answers after an announcement', async () => {
    const h = await engineHarness('utilities');
    const result = await turn(h, 'cust-utilities-1', 'Why is my bill so high this month?');
    expect(result.agentId).toBe('Billing');
    expect(result.replies[0]).toBe("I'll connect you with our Billing Specialist now.");
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'handoff', from: 'UtilitiesConcierge', to: 'Billing' }),
    );
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'tool_called', tool: 'get_bill', ok: true }),
    );
    expect(result.replies[1]).toContain('£86.40');
    const again = await turn(h, 'cust-utilities-1', 'When is my next payment due for this bill?');
    expect(again.agentId).toBe('Billing');
    expect(again.events.some((e) => e.type === 'handoff')).toBe(false);
  });

  it('given an ambiguous message, when the coordinator is unsure, then it asks a question and keeps the conversation', async () => {
    const h = await engineHarness('utilities');
    const result = await turn(h, 'c-ambiguous', 'I have a problem with my bill and meter');
    expect(result.agentId).toBe('UtilitiesConcierge');
    expect(result.replies).toHaveLength(1);
    expect(result.replies[0]).toMatch(/bill.*meter.*\?$/);
    expect(result.events.some((e) => e.type === 'handoff')).toBe(false);
    expect(result.actions).toEqual([]);
  });

  it('given "I want a human" and a normal queue, when the coordinator checks the queue, then it escalates to a human', async () => {
    const h = await engineHarness('utilities');
    const result = await turn(h, 'c-human', 'I want to speak to a human');
    expect(actionNames(result)).toEqual(['escalate_to_human']);
    const tools = result.events.flatMap((e) => (e.type === 'tool_called' ? [e.tool] : []));
    expect(tools).toEqual(['check_queue_status', 'escalate_to_human']);
  });

  it('given "I want a human" and a busy queue, when the coordinator checks the queue, then it offers a channel switch instead', async () => {
    const h = await engineHarness('utilities');
    h.queue = queueAt('high');
    const result = await turn(h, 'c-busy', 'I want to speak to a human', { channel: 'voice' });
    expect(actionNames(result)).toEqual(['offer_channel_switch']);
    expect(result.replies.join(' ')).toMatch(/WhatsApp/);
  });

  it('given Billing holds the chat, when the customer reports an outage, then Billing hands to Outage (allowed)', async () => {
    const h = await engineHarness('utilities');
    await holdWith(h, 'cust-utilities-1', 'Billing');
    const result = await turn(h, 'cust-utilities-1', 'also my power is out, postcode LS6 1LF');
    expect(result.agentId).toBe('Outage');
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'handoff', from: 'Billing', to: 'Outage' }),
    );
    expect(result.replies[0]).toBe("I'll connect you with our Outage Specialist now.");
    expect(result.replies[1]).toContain('OUT-7781');
  });

  it('given Outage holds the chat, when its model asks for a transfer it is not allowed, then the guard refuses and the model hears why', async () => {
    const h = await engineHarness('utilities');
    await holdWith(h, 'c-refused', 'Outage');
    h.driver.script = (r) =>
      r.input.kind === 'text' && r.agent.id === 'Outage' ? callTool('transfer_to_Usage') : undefined;
    const result = await turn(h, 'c-refused', 'how much gas did I use?');
    expect(result.agentId).toBe('Outage');
    expect(result.events).toContainEqual(
      expect.objectContaining({
        type: 'handoff_refused',
        from: 'Outage',
        to: 'Usage',
        reason: 'not-allowed',
      }),
    );
    const followUp = h.driver.requests[1];
    expect(followUp?.input.kind).toBe('tool_outputs');
    expect(JSON.stringify(followUp?.input)).toContain('handoff_refused');
    expect(h.driver.requests[0]?.tools.map((t) => t.name)).not.toContain('transfer_to_Usage');
  });

  it('given Billing holds the chat, when Billing and Outage hand back and forth, then the ping-pong is stopped with an escalation', async () => {
    const h = await engineHarness('utilities');
    await holdWith(h, 'c-pingpong', 'Billing');
    h.driver.script = (r) =>
      r.agent.id === 'Billing'
        ? callTool('transfer_to_Outage')
        : r.agent.id === 'Outage'
          ? callTool('transfer_to_Billing')
          : undefined;
    const result = await turn(h, 'c-pingpong', 'my bill and my power');
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'handoff_refused', to: 'Billing', reason: 'ping-pong' }),
    );
    expect(actionNames(result)).toEqual(['escalate_to_human']);
    expect(h.driver.calls.step).toBe(2);
  });

  it('given Billing holds the chat, when its model calls an Outage tool, then the registry refuses and the model gets the refusal', async () => {
    const h = await engineHarness('utilities');
    await holdWith(h, 'cust-utilities-1', 'Billing');
    h.driver.script = (r) =>
      r.input.kind === 'text'
        ? callTool('report_outage', { postcode: 'LS6 1LF', service: 'electricity', description: 'x' })
        : undefined;
    const result = await turn(h, 'cust-utilities-1', 'report an outage please');
    expect(result.events).toContainEqual(
      expect.objectContaining({
        type: 'tool_called',
        tool: 'report_outage',
        ok: false,
        error: expect.stringMatching(/^not_allowed/),
      }),
    );
    expect(h.store.runs).toBe(0);
    const output = h.driver.requests[1]?.input;
    expect(output?.kind === 'tool_outputs' ? output.outputs[0]?.output : '').toContain(
      '"code":"not_allowed"',
    );
    expect(result.replies.join(' ')).toContain("I'm not able to do that myself.");
  });

  it('given a stopped budget, when a message arrives, then it escalates with an apology and calls no model', async () => {
    const h = await engineHarness('utilities');
    await h.store.updateSummary('c-broke', undefined, {
      [ENGINE_STATE_KEYS.spentUsd]: 0.5,
      [ENGINE_STATE_KEYS.budgetScope]: 'session:webchat:session-1',
    });
    const result = await turn(h, 'c-broke', 'Why is my bill so high this month?');
    expect(actionNames(result)).toEqual(['escalate_to_human']);
    expect(result.replies[0]).toMatch(/sorry/i);
    expect(h.driver.calls.step).toBe(0);
    expect(h.driver.calls.classify).toBe(0);
  });

  it('given a degraded budget, when the agent runs, then the cheaper model is used', async () => {
    const h = await engineHarness('utilities');
    await h.store.updateSummary('c-degraded', undefined, {
      [ENGINE_STATE_KEYS.spentUsd]: 0.46,
      [ENGINE_STATE_KEYS.budgetScope]: 'session:webchat:session-1',
    });
    await turn(h, 'c-degraded', 'Why is my bill so high this month?');
    expect(h.driver.requests.map((r) => r.model)).toEqual(['gpt-4.1-mini', 'gpt-4.1-mini', 'gpt-4.1-mini']);
    const fresh = await engineHarness('utilities');
    await turn(fresh, 'c-active', 'Why is my bill so high this month?');
    expect(fresh.driver.requests[0]?.model).toBe('gpt-4.1');
  });

  it('given usage pushes the spend over the limit mid-turn, when the next step would run, then it escalates instead', async () => {
    const h = await engineHarness('utilities');
    h.driver.script = (r) =>
      r.agent.id === 'UtilitiesConcierge'
        ? { ...callTool('transfer_to_Billing'), usage: { inputTokens: 1_000_000, outputTokens: 0 } }
        : undefined;
    const result = await turn(h, 'c-spender', 'Why is my bill so high this month?');
    expect(h.driver.calls.step).toBe(1);
    expect(actionNames(result)).toEqual(['escalate_to_human']);
    expect((await h.store.getCustomer('c-spender')).collectedData[ENGINE_STATE_KEYS.spentUsd]).toBe(2);
  });

  it('given the customer says goodbye, then the turn ends the session with an end_session action and a farewell', async () => {
    const h = await engineHarness('utilities');
    const result = await turn(h, 'c-bye', "that's all, thanks, bye");
    expect(result.actions).toEqual([{ action: 'end_session', reason: 'The customer said goodbye.' }]);
    expect(result.replies.join(' ')).toContain('Goodbye');
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'tool_called', tool: 'end_session', ok: true }),
    );
  });

  it('given a voice channel, when the agent answers in markdown, then the reply has no markdown', async () => {
    const h = await engineHarness('utilities');
    h.driver.script = () =>
      say(
        '## Your bill\n**Total:** £86.40 — due *17 June*.\n- Electricity `£58.10`\n- See [your account](https://x.example)',
      );
    const result = await turn(h, 'c-voice', 'hello', { channel: 'voice' });
    const reply = result.replies.join(' ');
    expect(reply).not.toMatch(/[*#`[\]()]|^- /m);
    expect(reply).toContain('Total: £86.40. Due 17 June.');
    expect(reply).toContain('See your account.');
    const stored = h.store.allTurns('c-voice').find((t) => t.role === 'assistant');
    expect(stored?.text).toBe(reply);
  });

  it('given web chat, when streaming a routed turn, then events come as agent_start → handoff_announcement → tool_called → token… → final', async () => {
    const h = await engineHarness('utilities');
    const types: string[] = [];
    let final: TurnResult | undefined;
    let text = '';
    for await (const event of h.engine.stream({
      customerId: 'cust-utilities-1',
      channel: 'webchat',
      sessionId: 's',
      text: 'Why is my bill so high this month?',
    })) {
      types.push(event.type);
      if (event.type === 'token') text += event.text;
      if (event.type === 'final') final = event.result;
    }
    const collapsed = types.filter((t, i) => t !== types[i - 1]);
    expect(collapsed).toEqual([
      'agent_start',
      'handoff_announcement',
      'agent_start',
      'tool_called',
      'token',
      'final',
    ]);
    expect(types.filter((t) => t === 'token').length).toBeGreaterThan(3);
    expect(final?.agentId).toBe('Billing');
    expect(text).toBe(final?.replies[1]);
  });
});

describe('ConversationEngine — ecommerce (lazy routing)', () => {
  it('given a clear refund request, when classified, then CancellationsRefunds takes over with an announcement', async () => {
    const h = await engineHarness('ecommerce');
    const result = await turn(h, 'cust-shop-1', 'Can I get my money back for order ORD-10042?');
    expect(result.agentId).toBe('CancellationsRefunds');
    expect(result.events[0]).toMatchObject({ type: 'classified', agentId: 'CancellationsRefunds' });
    expect(result.replies[0]).toBe("I'll connect you with our Cancellations and Refunds Specialist.");
    // The whole order (148 USD) is above the approval threshold (100 USD): a person approves it.
    expect(h.ledger.refunds).toHaveLength(0);
    expect(result.actions).toContainEqual(expect.objectContaining({ action: 'escalate_to_human' }));
  });

  it('given "hello", when the gate cannot classify it, then it asks a question and routes nowhere', async () => {
    const h = await engineHarness('ecommerce');
    const result = await turn(h, 'c-hello', 'hello');
    expect(result.agentId).toBe('ShopConcierge');
    expect(result.events.map((e) => e.type)).toEqual(['classified', 'clarified']);
    expect(result.replies[0]).toMatch(/\?$/);
    expect(h.driver.calls.step).toBe(0);
  });

  it('given a very low confidence classification, when the gate decides, then it escalates to a human without an agent step', async () => {
    const h = await engineHarness('ecommerce');
    h.driver.classify = async () => ({
      agent_id: 'Returns',
      confidence: 0.05,
      ambiguous: false,
      intent_summary: '?',
      entities: {},
    });
    const result = await turn(h, 'c-low', 'blorp the thing');
    expect(actionNames(result)).toEqual(['escalate_to_human']);
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'escalated', reason: expect.stringMatching(/below 0.15/) }),
    );
    expect(h.driver.calls.step).toBe(0);
  });

  it('given Returns holds the chat, when the customer wants a refund, then Returns hands to CancellationsRefunds (allowed)', async () => {
    const h = await engineHarness('ecommerce');
    await turn(h, 'cust-shop-1', 'I want to return my headphones from ORD-10042');
    const result = await turn(h, 'cust-shop-1', 'actually I want a refund for ORD-10042');
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'handoff', from: 'Returns', to: 'CancellationsRefunds' }),
    );
    expect(result.agentId).toBe('CancellationsRefunds');
  });

  it('given Returns holds the chat, when its model calls issue_refund, then the registry refuses and nothing is refunded', async () => {
    const h = await engineHarness('ecommerce');
    await holdWith(h, 'cust-shop-1', 'Returns');
    h.driver.script = (r) =>
      r.input.kind === 'text'
        ? callTool('issue_refund', { orderId: 'ORD-10042', amount: 10, reason: 'x' })
        : undefined;
    const result = await turn(h, 'cust-shop-1', 'refund me');
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'tool_called', tool: 'issue_refund', ok: false }),
    );
    expect(h.ledger.refunds).toHaveLength(0);
    expect(JSON.stringify(h.driver.requests[1]?.input)).toContain('may not call tool');
  });

  it('given a refund turn, when it is replayed with the same turnId, then the refund is issued once and the turn recorded once', async () => {
    const h = await engineHarness('ecommerce');
    const first = await turn(h, 'cust-shop-1', 'Please refund $20 on order ORD-10042', {
      turnId: 'wa-msg-1',
    });
    const replay = await turn(h, 'cust-shop-1', 'Please refund $20 on order ORD-10042', {
      turnId: 'wa-msg-1',
    });
    expect(h.ledger.refunds).toHaveLength(1);
    expect(replay.replies).toEqual(first.replies);
    expect(replay.events.at(-1)).toEqual({ type: 'replayed', turnId: 'wa-msg-1' });
    expect(h.store.allTurns('cust-shop-1').map((t) => t.role)).toEqual(['customer', 'assistant']);
  });

  it('given a refund turn that crashed after refunding, when it is replayed, then the idempotency key stops a second refund', async () => {
    const h = await engineHarness('ecommerce');
    const original = h.store.updateSummary.bind(h.store);
    let failOnce = true;
    h.store.updateSummary = async (...args) => {
      if (failOnce && args[2] && ENGINE_STATE_KEYS.lastTurn in args[2]) {
        failOnce = false;
        throw new Error('crash before the turn was saved');
      }
      return original(...args);
    };
    const text = 'Please refund $20 on order ORD-10042';
    await expect(turn(h, 'cust-shop-1', text, { turnId: 'call-7' })).rejects.toThrow(/crash/);
    expect(h.ledger.refunds).toHaveLength(1);
    const replay = await turn(h, 'cust-shop-1', text, { turnId: 'call-7' });
    expect(h.ledger.refunds).toHaveLength(1);
    expect(replay.replies.join(' ')).toContain('RF-6001');
    // The same refund asked for again in a later turn is the same business action: still paid once.
    const another = await turn(h, 'cust-shop-1', 'Please refund $20 on order ORD-10042 again', {
      turnId: 'call-8',
    });
    expect(another.replies.join(' ')).toContain('RF-6001');
    expect(h.ledger.refunds).toHaveLength(1);
  });
});

describe('ConversationEngine.summarize', () => {
  it('given an outage conversation, when summarised, then the summary and data are stored and noted in the conversation', async () => {
    const h = await engineHarness('utilities');
    const first = await turn(h, 'c-sum', 'My power is out at 14 Cardigan Road, postcode LS6 1LF', {
      channel: 'voice',
    });
    const summary = await h.engine.summarize('c-sum');
    expect(summary.collectedData).toMatchObject({
      intent: 'a power outage',
      postcode: 'LS6 1LF',
      address: '14 Cardigan Road',
    });
    expect(Object.keys(summary.collectedData).some((k) => k.startsWith('_engine'))).toBe(false);
    const stored = await h.store.getCustomer('c-sum');
    expect(stored.summary).toBe(summary.summary);
    expect(stored.collectedData.postcode).toBe('LS6 1LF');
    const notes = h.driver.notes(first.conversationId);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/Do not ask the customer again/);
    expect(notes[0]).toContain('postcode=LS6 1LF');
  });
});
