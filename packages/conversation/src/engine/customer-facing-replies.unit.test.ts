import { describe, expect, it } from 'vitest';
import type { ConversationChannel } from '../scenario.js';
import { callTool, type EngineHarness, engineHarness, say } from './test-support/engine-fixtures.js';

/**
 * Finding 1 of issue #18: tool results are for the agent. "No account matches; ask the customer for their
 * account number." was spoken on the phone, written on WhatsApp and web chat and saved into the summary the
 * human agents read. The customer only ever sees replies written for them.
 */
const INTERNAL =
  /no account matches|ask (?:the|them|the customer)\b|\bthe customer\b|this customer|offer a (?:cancellation|return)/i;

const turn = (h: EngineHarness, customerId: string, text: string, channel: ConversationChannel) =>
  h.engine.turn({ customerId, channel, sessionId: `s-${channel}`, text });

describe('customer-facing replies never carry what a tool told the agent', () => {
  for (const channel of ['voice', 'whatsapp', 'webchat'] as const) {
    it(`given a caller with no account on file, when Billing looks up the bill on ${channel}, then the reply asks for the account number in the customer's terms and no tool instruction is shown`, async () => {
      const h = await engineHarness('utilities');
      const result = await turn(h, 'cust-no-account', 'How much is my latest bill?', channel);
      expect(result.events).toContainEqual(
        expect.objectContaining({ type: 'tool_called', tool: 'get_bill' }),
      );
      const text = result.replies.join(' ');
      expect(text).not.toMatch(INTERNAL);
      expect(text).toMatch(/account number/i);
    });
  }

  it('given the failed lookup, when the conversation is summarised for a human agent, then the summary holds no tool instruction', async () => {
    const h = await engineHarness('utilities');
    const result = await turn(h, 'cust-no-account', 'How much is my latest bill?', 'voice');
    const summary = await h.engine.summarize('cust-no-account');
    expect(summary.summary).not.toMatch(/no account matches|ask the customer/i);
    // The note is for the next agent (it may speak of "the customer"), but it carries no tool instruction either.
    for (const note of h.driver.notes(result.conversationId))
      expect(note).not.toMatch(/no account matches|for their account number/i);
  });

  it("given an order id that is not the customer's, when the order tools refuse it, then the reply asks to check the number without the tool's instruction", async () => {
    const h = await engineHarness('ecommerce');
    const result = await turn(
      h,
      'cust-shop-2',
      'Can you track my parcel for order ORD-99999? Where is my delivery?',
      'whatsapp',
    );
    const text = result.replies.join(' ');
    expect(text).not.toMatch(INTERNAL);
    expect(text).toMatch(/ORD-99999/);
  });

  it('given a model that reads a tool result out word for word, when the engine finishes the turn, then the instruction is not in the reply or the transcript', async () => {
    const h = await engineHarness('utilities');
    let step = 0;
    h.driver.script = (request) => {
      if (request.agent.id !== 'UtilitiesConcierge') return undefined;
      step += 1;
      if (step === 1) return callTool('get_account');
      return say('No account matches; ask the customer for their account number. Anything else I can do?');
    };
    const result = await turn(h, 'cust-no-account', 'what is on my account', 'voice');
    expect(result.replies.join(' ')).not.toMatch(INTERNAL);
    const turns = await h.store.recentTurns('cust-no-account', 10);
    for (const t of turns) expect(t.text).not.toMatch(/no account matches|ask the customer/i);
    // Kept from the customer either by the withholding step or, since #16, by the verification gate (an unverified
    // caller's account lookup is refused and the engine asks for the check itself, dropping the model's text).
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: expect.stringMatching(/^(internal_text_withheld|verification)$/) }),
    );
  });
});

describe('the transcript holds what the customer really got', () => {
  it('given recordReply false, when the turn runs, then the customer turn is recorded and the reply is left to the channel', async () => {
    const h = await engineHarness('utilities');
    const result = await h.engine.turn({
      customerId: 'c-voice',
      channel: 'voice',
      sessionId: 'call-1',
      text: 'Why is my bill so high?',
      turnId: 'call-1:t1',
      recordReply: false,
    });
    expect(result.replies.length).toBeGreaterThan(0);
    const turns = await h.store.recentTurns('c-voice', 10);
    expect(turns.map((t) => t.turnId)).toEqual(['call-1:t1:customer']);
  });
});
