import { describe, expect, it } from 'vitest';
import type { Classification, ClassificationFailure } from '../classification.js';
import type { ClassifyRequest } from '../driver.js';
import { BUSY_REPLY, MemorySpendBreaker } from '../spend-breaker.js';
import { ENGINE_STATE_KEYS } from './conversation-store.js';
import { engineHarness, ScriptedDriver } from './test-support/engine-fixtures.js';

/**
 * Issue #16, anonymous abuse and cost: budgets per session (not per customer for life), every model call
 * counted (classifications and summaries too), and one breaker on everyone's spend.
 */

const turn = (
  h: Awaited<ReturnType<typeof engineHarness>>,
  customerId: string,
  sessionId: string,
  text = 'Is there a power cut at LS6 1LF?',
) => h.engine.turn({ customerId, channel: 'webchat', sessionId, text, assurance: 'channel-verified' });

describe('per-conversation budget scope', () => {
  it('given a customer who spent their whole budget in an earlier chat, when they start a new chat, then it has a fresh budget', async () => {
    const h = await engineHarness('utilities');
    await h.store.updateSummary('cust-returning', undefined, {
      [ENGINE_STATE_KEYS.spentUsd]: 0.75,
      [ENGINE_STATE_KEYS.budgetScope]: 'session:webchat:chat-old',
    });
    const sameChat = await turn(h, 'cust-returning', 'chat-old');
    expect(sameChat.events).toContainEqual({ type: 'escalated', reason: 'conversation budget exhausted' });
    const newChat = await turn(h, 'cust-returning', 'chat-new');
    expect(newChat.events).not.toContainEqual(expect.objectContaining({ type: 'escalated' }));
    expect(newChat.events).toContainEqual(expect.objectContaining({ type: 'agent_step' }));
  });

  it('given BUDGET_SCOPE day, when the same customer opens another chat on the same day, then the spend carries over', async () => {
    const h = await engineHarness('utilities', {
      settings: { budgetLimitUsd: 0.5, budgetScope: 'day' },
    });
    await h.store.updateSummary('cust-daily', undefined, {
      [ENGINE_STATE_KEYS.spentUsd]: 0.75,
      [ENGINE_STATE_KEYS.budgetScope]: 'day:2025-06-10',
    });
    const result = await turn(h, 'cust-daily', 'another-chat');
    expect(result.events).toContainEqual({ type: 'escalated', reason: 'conversation budget exhausted' });
  });
});

/** The offline driver, with classifications that report a huge model call. */
class ExpensiveClassifier extends ScriptedDriver {
  override async classify(request: ClassifyRequest): Promise<Classification | ClassificationFailure> {
    const result = await super.classify(request);
    return { ...result, usage: { inputTokens: 400_000, outputTokens: 100_000 }, model: 'gpt-4.1' };
  }
}

describe('every model call counts', () => {
  it('given a classification that costs more than the budget, when a turn is classified, then the budget stops the agent in that turn', async () => {
    const h = await engineHarness('ecommerce', { driver: new ExpensiveClassifier() });
    const result = await turn(h, 'cust-classified', 'cs1', 'I want a refund for order ORD-10042');
    expect(result.events).toContainEqual(expect.objectContaining({ type: 'classified' }));
    expect(result.events).toContainEqual({ type: 'escalated', reason: 'conversation budget exhausted' });
    expect(result.events).not.toContainEqual(expect.objectContaining({ type: 'agent_step' }));
  });

  it('given a summary for a handoff, when it is made, then its model call is added to the spend', async () => {
    const h = await engineHarness('utilities');
    await turn(h, 'cust-summary', 'chat-1');
    const before = (await h.store.getCustomer('cust-summary')).collectedData[ENGINE_STATE_KEYS.spentUsd];
    await h.engine.summarize('cust-summary');
    const after = (await h.store.getCustomer('cust-summary')).collectedData[ENGINE_STATE_KEYS.spentUsd];
    expect(typeof before).toBe('number');
    expect(after as number).toBeGreaterThan(before as number);
  });
});

describe('global spend breaker', () => {
  it('given the tokens per minute are spent across conversations, when another customer writes, then they are told it is busy and no model is called', async () => {
    const h = await engineHarness('utilities', { spendBreaker: new MemorySpendBreaker(40) });
    await turn(h, 'cust-first', 'a');
    const stepsBefore = h.driver.calls.step;
    const busy = await turn(h, 'cust-second', 'b');
    expect(busy.replies).toEqual([BUSY_REPLY]);
    expect(h.driver.calls.step).toBe(stepsBefore);
    expect(busy.actions).toEqual([]);
  });
});
