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
    // Word by word. What the model wrote is a preview: the engine may answer otherwise (e.g. ask for
    // verification first), and the channel keeps the replies.
    expect(deltas.length).toBeGreaterThan(3);
    for (const delta of deltas) expect(delta).toMatch(/^\S+\s*$/);
  });
});
