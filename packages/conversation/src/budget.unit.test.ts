import { describe, expect, it } from 'vitest';
import { BudgetTracker, costOf, createBudget, evaluateBudget, recordUsage } from './budget.js';

describe('evaluateBudget', () => {
  it.each([
    [0.79, 'active'],
    [0.8, 'warned'],
    [0.9, 'degraded'],
    [1.0, 'stopped'],
    [1.2, 'stopped'],
  ] as const)('given %s of a 1 USD limit spent, when evaluated, then the status is %s', (spent, status) => {
    expect(evaluateBudget(spent, 1)).toBe(status);
  });

  it('given 79/80/90/100 % of an awkward limit (0.3 USD), when evaluated, then floating point does not shift the thresholds', () => {
    expect([0.237, 0.24, 0.27, 0.3].map((s) => evaluateBudget(s, 0.3))).toEqual([
      'active',
      'warned',
      'degraded',
      'stopped',
    ]);
  });

  it('given a zero limit, when evaluated, then no model calls are allowed', () => {
    expect(evaluateBudget(0, 0)).toBe('stopped');
  });
});

describe('recordUsage', () => {
  it('given gpt-4.1 usage, when recorded, then spend follows the price table per 1K tokens', () => {
    const state = recordUsage(createBudget(1), 'gpt-4.1', { inputTokens: 1000, outputTokens: 500 });
    expect(state.spentUsd).toBeCloseTo(0.002 + 0.004, 10);
    expect(state).toMatchObject({ inputTokens: 1000, outputTokens: 500, status: 'active' });
  });

  it('given an unknown model, when costed, then it is charged at the most expensive known price, never free', () => {
    expect(costOf('mystery-model', { inputTokens: 1000, outputTokens: 1000 })).toBeCloseTo(0.0025 + 0.01, 10);
  });

  it('given usage that crosses 90 %, when recorded, then the tracker degrades to the cheaper model', () => {
    const tracker = new BudgetTracker(0.01);
    const state = tracker.record(tracker.start(), 'gpt-4.1', { inputTokens: 1000, outputTokens: 900 });
    expect(state.status).toBe('degraded');
    expect(tracker.modelFor(state, 'gpt-4.1')).toBe('gpt-4.1-mini');
    expect(tracker.canCallModel(state)).toBe(true);
  });

  it('given usage that reaches the limit, when recorded, then no more model calls are allowed', () => {
    const tracker = new BudgetTracker(0.01);
    const state = tracker.record(tracker.start(), 'gpt-4.1', { inputTokens: 1000, outputTokens: 1000 });
    expect(state.status).toBe('stopped');
    expect(tracker.canCallModel(state)).toBe(false);
  });
});
