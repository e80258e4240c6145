import { describe, expect, it } from 'vitest';
import { loadScenario } from './scenario.js';
import { ConversationSettingsError, conversationSettingsFromEnv, effectiveRouting } from './settings.js';

describe('conversationSettingsFromEnv', () => {
  it('given an empty environment, when read, then the utilities scenario and the default budget apply with no overrides', () => {
    expect(conversationSettingsFromEnv({})).toEqual({
      scenario: 'utilities',
      budgetLimitUsd: 0.5,
      budgetScope: 'session',
      tokensPerMinute: 400_000,
    });
  });

  it('given every variable, when read, then each is parsed', () => {
    expect(
      conversationSettingsFromEnv({
        SCENARIO: 'ecommerce',
        HANDOFF_LAZY_CLASSIFICATION: 'false',
        HANDOFF_DEFAULT_DOMAIN: 'Returns',
        HANDOFF_CONTEXT_TRANSFER_TURNS: '-1',
        BUDGET_LIMIT_PER_CONVERSATION: '0.25',
        BUDGET_SCOPE: 'day',
        MODEL_TOKENS_PER_MINUTE: '90000',
      }),
    ).toEqual({
      scenario: 'ecommerce',
      lazyClassification: false,
      defaultDomain: 'Returns',
      contextTransferTurns: -1,
      budgetLimitUsd: 0.25,
      budgetScope: 'day',
      tokensPerMinute: 90_000,
    });
  });

  it('given invalid values, when read, then the error names each variable', () => {
    const read = () =>
      conversationSettingsFromEnv({
        HANDOFF_LAZY_CLASSIFICATION: 'maybe',
        HANDOFF_CONTEXT_TRANSFER_TURNS: '-2',
        BUDGET_LIMIT_PER_CONVERSATION: 'lots',
      });
    expect(read).toThrow(ConversationSettingsError);
    expect(read).toThrow(
      /HANDOFF_LAZY_CLASSIFICATION[\s\S]*HANDOFF_CONTEXT_TRANSFER_TURNS[\s\S]*BUDGET_LIMIT_PER_CONVERSATION/,
    );
  });
});

describe('effectiveRouting', () => {
  it('given overrides, when merged with the utilities scenario, then the overrides win and the rest comes from the file', async () => {
    const scenario = await loadScenario('utilities');
    expect(effectiveRouting(scenario, { lazyClassification: true, contextTransferTurns: 2 })).toMatchObject({
      mode: 'lazy',
      contextTransferTurns: 2,
      defaultDomain: undefined,
      clarifyBelow: 0.5,
    });
    expect(effectiveRouting(scenario).mode).toBe('tools');
  });
});
