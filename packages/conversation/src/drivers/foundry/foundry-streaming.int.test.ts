import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AgentStepRequest } from '../../driver.js';
import { foundryAgentTools } from './agent-definitions.js';
import { syncAgents } from './sync-agents.js';
import { type FoundryDriverFixture, startFoundryDriverFixture } from './test-support/fixture.js';

describe('FoundryDriver with onTextDelta: Responses streaming through the real SDK and the emulator', () => {
  let fx: FoundryDriverFixture;

  function request(
    conversationId: string,
    model: string,
    onTextDelta: (delta: string) => void,
  ): AgentStepRequest {
    const agent = fx.scenario.agents.find((a) => a.id === 'UtilitiesConcierge');
    if (!agent) throw new Error('no agent');
    return {
      customerId: 'cust-stream',
      conversationId,
      scenario: fx.scenario,
      agent,
      channel: 'webchat',
      model,
      input: { kind: 'text', text: 'My power is out' },
      context: [],
      tools: foundryAgentTools(fx.tools, fx.scenario, agent),
      onTextDelta,
    };
  }

  beforeAll(async () => {
    fx = await startFoundryDriverFixture();
  });
  beforeEach(async () => {
    fx.foundry.reset();
    await syncAgents({ project: fx.project, scenario: fx.scenario, tools: fx.tools, model: 'gpt-4.1-mini' });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it.each([
    ['the agent reference', 'gpt-4.1-mini'],
    ['a degraded model', 'gpt-4.1-nano'],
  ])(
    'given %s, when a step streams, then the text arrives in several deltas that join to the step text, and the step is the same as without streaming',
    async (_name, model) => {
      const conv = await fx.driver.createConversation('cust-stream');
      const text = 'Sorry to hear that. Could you tell me your postcode, please?';
      fx.foundry.model.script({ text, usage: { input_tokens: 50, output_tokens: 12 } });
      const deltas: string[] = [];
      const step = await fx.driver.step(request(conv, model, (delta) => deltas.push(delta)));
      expect(deltas.length).toBeGreaterThan(3);
      expect(deltas.join('')).toBe(text);
      expect(step).toMatchObject({ text, toolCalls: [], usage: { inputTokens: 50, outputTokens: 12 } });
      expect(step.stepId).toMatch(/^resp_/);
      expect(fx.foundry.model.lastRequest?.conversationId).toBe(conv);
    },
  );
});
