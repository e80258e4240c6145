import { describe, expect, it } from 'vitest';
import { engineHarness } from './test-support/engine-fixtures.js';

describe('ConversationEngine — onTextDelta (streamed model text)', () => {
  it('given the offline driver, when a turn has onTextDelta, then the model text arrives word by word before the turn resolves and the replies are unchanged', async () => {
    const streamed = await engineHarness('utilities');
    const plain = await engineHarness('utilities');
    const deltas: string[] = [];
    let resolved = false;
    const input = {
      customerId: 'cust-utilities-1',
      channel: 'webchat' as const,
      sessionId: 's',
      text: 'Why is my bill so high this month?',
      turnId: 'turn-1',
    };
    const result = await streamed.engine.turn({
      ...input,
      onTextDelta: (delta) => {
        expect(resolved).toBe(false);
        deltas.push(delta);
      },
    });
    resolved = true;
    const without = await plain.engine.turn(input);
    expect(result.replies).toEqual(without.replies);
    expect(deltas.length).toBeGreaterThan(3);
    // The agent's own text (the second reply, after the handoff announcement) is what was streamed.
    expect(deltas.join('').trim()).toContain(result.replies[1]?.slice(0, 40));
  });
});
