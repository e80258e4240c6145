import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEMO_ACCOUNTS, DEMO_BILLS } from '../demo-data/utilities-data.js';
import { syncAgents } from '../drivers/foundry/sync-agents.js';
import {
  type FoundryDriverFixture,
  startFoundryDriverFixture,
} from '../drivers/foundry/test-support/fixture.js';
import { ConversationEngine } from './conversation-engine.js';
import { ENGINE_STATE_KEYS, InMemoryConversationStore } from './conversation-store.js';

/** The model the agent versions are synced with; the engine must ask for it so steps use the agent reference. */
const AGENT_MODEL = 'gpt-4.1-mini';
const COORDINATOR_REF = 'utilities-utilities-concierge';
const BILLING_REF = 'utilities-billing';

/** Priya Sharma's account and latest bill (the demo customer `cust-utilities-1`). */
const PRIYA = DEMO_ACCOUNTS.find((a) => a.customerId === 'cust-utilities-1');
const PRIYA_BILL = DEMO_BILLS.find((b) => b.accountNumber === PRIYA?.accountNumber);

describe('ConversationEngine on the FoundryDriver against the Foundry emulator, through the real SDK', () => {
  let fx: FoundryDriverFixture;
  let store: InMemoryConversationStore;
  let engine: ConversationEngine;

  const turn = (customerId: string, text: string, turnId?: string) =>
    engine.turn({
      customerId,
      channel: 'webchat',
      sessionId: 'chat-1',
      text,
      assurance: 'channel-verified',
      ...(turnId ? { turnId } : {}),
    });

  /** The agent name and conversation of every `responses.create` the emulator answered, in order. */
  const steps = () =>
    fx.foundry.model.requests.map((r) => ({ agent: r.agent?.name, conversationId: r.conversationId }));

  beforeAll(async () => {
    fx = await startFoundryDriverFixture();
  });

  beforeEach(async () => {
    fx.foundry.reset();
    await syncAgents({ project: fx.project, scenario: fx.scenario, tools: fx.tools, model: AGENT_MODEL });
    store = new InMemoryConversationStore();
    engine = new ConversationEngine({
      scenario: fx.scenario,
      settings: { budgetLimitUsd: 0.5 },
      driver: fx.driver,
      store,
      tools: fx.tools,
      queueStatus: async () => ({ queue: 'general', depth: 2, estimatedWaitSeconds: 30, level: 'normal' }),
      model: AGENT_MODEL,
    });
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('given synced agents, when the coordinator calls transfer_to_Billing and Billing answers, then the turn ends with Billing after the announcement, both steps in one conv_ conversation', async () => {
    fx.foundry.model.script(
      {
        functionCall: {
          name: 'transfer_to_Billing',
          arguments: { reason: 'question about the bill' },
          callId: 'call_transfer_1',
        },
      },
      { text: 'Your latest bill is £86.40, due on 17 June.' },
    );

    const result = await turn('cust-handoff', 'Why is my bill so high this month?');

    expect(result.agentId).toBe('Billing');
    expect(result.replies).toEqual([
      "I'll connect you with our Billing Specialist now.",
      'Your latest bill is £86.40, due on 17 June.',
    ]);
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'handoff', from: 'UtilitiesConcierge', to: 'Billing' }),
    );
    expect(result.conversationId).toMatch(/^conv_/);
    expect(steps()).toEqual([
      { agent: COORDINATOR_REF, conversationId: result.conversationId },
      { agent: BILLING_REF, conversationId: result.conversationId },
    ]);
    // The coordinator's transfer call is answered in the conversation (the Responses API refuses a conversation
    // holding a function_call without its output), and Billing sees the customer's question.
    const items = fx.foundry.inspect.conversationItems(result.conversationId);
    expect(items).toContainEqual(
      expect.objectContaining({ type: 'function_call_output', call_id: 'call_transfer_1' }),
    );
    expect(fx.foundry.model.requests[1]?.lastUserText).toBe('Why is my bill so high this month?');
    expect(fx.foundry.model.pending).toBe(0);
    // Every model call is capped: a runaway answer cannot run up the bill.
    expect(fx.foundry.model.requests.map((r) => r.maxOutputTokens)).toEqual([1024, 1024]);
  });

  it("given Billing holds the conversation, when the model calls get_bill, then the next request carries the call's function_call_output with the demo bill and the final text is returned", async () => {
    expect(PRIYA).toBeDefined();
    expect(PRIYA_BILL).toBeDefined();
    const customerId = 'cust-utilities-1';
    await store.updateSummary(customerId, undefined, { [ENGINE_STATE_KEYS.agentId]: 'Billing' });
    fx.foundry.model.script(
      {
        text: 'Let me look that up.',
        functionCall: {
          name: 'get_bill',
          arguments: { accountNumber: PRIYA?.accountNumber },
          callId: 'call_bill_1',
        },
      },
      (req) => ({ text: `Your bill: ${req.functionOutputs[0]?.output ?? 'none'}` }),
    );

    const result = await turn(customerId, 'How much is my latest bill?');

    expect(result.agentId).toBe('Billing');
    expect(result.events).toContainEqual({
      type: 'tool_called',
      agentId: 'Billing',
      tool: 'get_bill',
      ok: true,
    });
    expect(steps()).toEqual([
      { agent: BILLING_REF, conversationId: result.conversationId },
      { agent: BILLING_REF, conversationId: result.conversationId },
    ]);
    const second = fx.foundry.model.requests[1];
    expect(second?.functionOutputs).toHaveLength(1);
    expect(second?.functionOutputs[0]).toMatchObject({ callId: 'call_bill_1', name: 'get_bill' });
    const output = JSON.parse(second?.functionOutputs[0]?.output ?? '{}') as Record<string, unknown>;
    expect(output).toMatchObject({
      billId: PRIYA_BILL?.billId,
      accountNumber: PRIYA?.accountNumber,
      amount: PRIYA_BILL?.amount,
    });
    const final = result.replies.at(-1) ?? '';
    expect(final).toContain('Your bill:');
    expect(final).toContain(PRIYA_BILL?.billId ?? '<no bill>');
    expect(result.replies[0]).toBe('Let me look that up.');
    expect(fx.foundry.model.pending).toBe(0);
  });

  it('given a customer with one finished turn, when a second turn runs, then it reuses the same Foundry conversation', async () => {
    const customerId = 'cust-two-turns';
    fx.foundry.model.script(
      { text: 'Hello! Is this about a bill, an outage, a visit or your usage?' },
      { text: 'Thanks, anything else?' },
    );

    const first = await turn(customerId, 'Hello there', 'turn-1');
    const second = await turn(customerId, 'Just checking in', 'turn-2');

    expect(first.conversationId).toMatch(/^conv_/);
    expect(second.conversationId).toBe(first.conversationId);
    expect(second.replies).toEqual(['Thanks, anything else?']);
    expect(steps()).toEqual([
      { agent: COORDINATOR_REF, conversationId: first.conversationId },
      { agent: COORDINATOR_REF, conversationId: first.conversationId },
    ]);
    const mine = fx.foundry.inspect.conversations().filter((c) => c.metadata.customerId === customerId);
    expect(mine.map((c) => c.id)).toEqual([first.conversationId]);
    // The second step sees the first exchange from the conversation itself.
    const context = fx.foundry.model.requests[1]?.context ?? [];
    const texts = context.flatMap((i) =>
      i.type === 'message' ? [`${i.role}: ${i.content.map((c) => c.text).join('')}`] : [],
    );
    expect(texts.filter((t) => t === 'user: Hello there')).toHaveLength(1);
    expect(texts).toContain('assistant: Hello! Is this about a bill, an outage, a visit or your usage?');
    expect(texts.at(-1)).toBe('user: Just checking in');
  });
});
