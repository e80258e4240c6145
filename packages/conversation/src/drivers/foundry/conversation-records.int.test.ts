import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FoundryConversationRecords } from './conversation-records.js';
import { type FoundryDriverFixture, startFoundryDriverFixture } from './test-support/fixture.js';

describe('FoundryConversationRecords against the Foundry emulator, through the real SDK', () => {
  let fx: FoundryDriverFixture;
  let records: FoundryConversationRecords;

  beforeAll(async () => {
    fx = await startFoundryDriverFixture();
    records = new FoundryConversationRecords({ project: fx.project, openAIClientOptions: { maxRetries: 0 } });
  });
  afterAll(async () => {
    await fx?.stop();
  });

  it('given a conversation with items, then export lists them and erasure deletes the conversation', async () => {
    const openai = fx.project.getOpenAIClient({ maxRetries: 0 });
    const erased = await openai.conversations.create({});
    const kept = await openai.conversations.create({});
    for (const text of ['my power is out', 'at 14 Cardigan Road']) {
      await openai.conversations.items.create(erased.id, {
        items: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text }] }],
      });
    }
    await openai.conversations.items.create(kept.id, {
      items: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hello' }] }],
    });

    expect(JSON.stringify(await records.items(erased.id))).toContain('14 Cardigan Road');
    expect(await records.items(erased.id)).toHaveLength(2);

    expect(await records.delete(erased.id)).toBe(true);
    expect(await records.delete(erased.id)).toBe(false);
    expect(await records.items(erased.id)).toEqual([]);
    expect(await records.items(kept.id)).toHaveLength(1);
  });
});
