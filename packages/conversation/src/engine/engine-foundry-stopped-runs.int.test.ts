import type { ModelStep } from '@omni/emulators/foundry';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { syncAgents } from '../drivers/foundry/sync-agents.js';
import {
  type FoundryDriverFixture,
  startFoundryDriverFixture,
} from '../drivers/foundry/test-support/fixture.js';
import { ConversationEngine } from './conversation-engine.js';
import { ENGINE_STATE_KEYS, InMemoryConversationStore } from './conversation-store.js';

/** The model the agent versions are synced with (steps then use the agent reference). */
const AGENT_MODEL = 'gpt-4.1-mini';

/**
 * Finding 6 of issue #18: a run the engine stops (step limit, budget, a refused handoff that escalates) must
 * still answer every function call the model made, or the customer's one Foundry conversation keeps an
 * unanswered call and every later turn, on every channel, fails with `400 No tool output found ...`.
 * The Foundry emulator enforces the pairing rule, so the second turn of each test is the proof.
 */
describe('ConversationEngine on Foundry: a stopped run leaves no function call without an output', () => {
  let fx: FoundryDriverFixture;
  let store: InMemoryConversationStore;

  const engineWith = (options: { prices?: Record<string, { inputPer1K: number; outputPer1K: number }> }) =>
    new ConversationEngine({
      scenario: fx.scenario,
      settings: { budgetLimitUsd: 0.5 },
      driver: fx.driver,
      store,
      tools: fx.tools,
      queueStatus: async () => ({ queue: 'general', depth: 2, estimatedWaitSeconds: 30, level: 'normal' }),
      model: AGENT_MODEL,
      ...(options.prices ? { prices: options.prices } : {}),
    });

  /** Function calls of the conversation that have no `function_call_output`. */
  const unanswered = (conversationId: string) => {
    const items = fx.foundry.inspect.conversationItems(conversationId);
    const answered = new Set(items.flatMap((i) => (i.type === 'function_call_output' ? [i.call_id] : [])));
    return items.flatMap((i) => (i.type === 'function_call' && !answered.has(i.call_id) ? [i.call_id] : []));
  };

  beforeAll(async () => {
    fx = await startFoundryDriverFixture();
  });

  beforeEach(async () => {
    fx.foundry.reset();
    await syncAgents({ project: fx.project, scenario: fx.scenario, tools: fx.tools, model: AGENT_MODEL });
    store = new InMemoryConversationStore();
  });

  afterAll(async () => {
    await fx?.stop();
  });

  it('given a model that keeps calling tools, when the run stops at maxTurnsPerRun, then the last calls are answered and the next turn works', async () => {
    const customerId = 'cust-step-limit';
    const engine = engineWith({});
    const looping: ModelStep[] = Array.from({ length: fx.scenario.maxTurnsPerRun }, (_, i) => ({
      functionCalls: [
        { name: 'get_account', arguments: {}, callId: `call_loop_${i}_a` },
        { name: 'check_queue_status', arguments: {}, callId: `call_loop_${i}_b` },
      ],
    }));
    fx.foundry.model.script(...looping, { text: 'Hello again, how can I help?' });

    const first = await engine.turn({ customerId, channel: 'voice', sessionId: 'call-1', text: 'hello' });
    expect(first.events).toContainEqual(expect.objectContaining({ type: 'escalated' }));
    expect(unanswered(first.conversationId)).toEqual([]);

    const second = await engine.turn({
      customerId,
      channel: 'whatsapp',
      sessionId: 'wa-1',
      text: 'hi again',
    });
    expect(second.replies).toEqual(['Hello again, how can I help?']);
    expect(fx.foundry.model.pending).toBe(0);
  });

  it('given a step that spends the whole budget while calling a tool, when the engine stops for the budget, then the call is answered in the conversation', async () => {
    const customerId = 'cust-budget';
    const engine = engineWith({ prices: { [AGENT_MODEL]: { inputPer1K: 1000, outputPer1K: 1000 } } });
    fx.foundry.model.script({
      functionCall: { name: 'get_account', arguments: {}, callId: 'call_budget_1' },
      usage: { input_tokens: 100, output_tokens: 100 },
    });

    const first = await engine.turn({
      customerId,
      channel: 'webchat',
      sessionId: 'chat-1',
      text: 'my account',
    });
    expect(first.events).toContainEqual({ type: 'escalated', reason: 'conversation budget exhausted' });
    expect(unanswered(first.conversationId)).toEqual([]);

    // The same conversation serves the customer later (e.g. after the budget is raised): the model is reachable.
    fx.foundry.model.script({ text: 'Back again.' });
    const answer = await fx.driver.openai.responses.create({
      conversation: first.conversationId,
      input: [{ type: 'message', role: 'user', content: 'hello?' }],
      model: AGENT_MODEL,
    });
    expect(answer.output_text).toBe('Back again.');
  });

  it('given a handoff back to an agent that already held the turn, when the refused handoff escalates, then the transfer and every other call of the step are answered and the next turn works', async () => {
    const customerId = 'cust-ping-pong';
    const engine = engineWith({});
    await store.updateSummary(customerId, undefined, { [ENGINE_STATE_KEYS.agentId]: 'Billing' });
    fx.foundry.model.script(
      { functionCall: { name: 'transfer_to_Outage', arguments: { reason: 'outage' }, callId: 'call_pp_1' } },
      {
        functionCalls: [
          { name: 'transfer_to_Billing', arguments: { reason: 'bill' }, callId: 'call_pp_2' },
          { name: 'check_outage', arguments: { postcode: 'LS6 1LF' }, callId: 'call_pp_3' },
        ],
      },
      { text: 'Outage team here, how can I help?' },
    );

    const first = await engine.turn({ customerId, channel: 'voice', sessionId: 'call-2', text: 'power cut' });
    expect(first.events).toContainEqual(
      expect.objectContaining({ type: 'handoff_refused', reason: 'ping-pong' }),
    );
    expect(first.events).toContainEqual(expect.objectContaining({ type: 'escalated' }));
    expect(unanswered(first.conversationId)).toEqual([]);

    const second = await engine.turn({
      customerId,
      channel: 'webchat',
      sessionId: 'chat-2',
      text: 'still there?',
    });
    expect(second.replies).toEqual(['Outage team here, how can I help?']);
    expect(fx.foundry.model.pending).toBe(0);
  });
});
