import type { AssuranceLevel } from '@omni/contracts';
import { describe, expect, it } from 'vitest';
import type { ConversationChannel } from '../scenario.js';
import type { TurnResult } from './conversation-engine.js';
import { type EngineHarness, engineHarness } from './test-support/engine-fixtures.js';

/**
 * Issue #16, findings 2 and 3: account data by a number typed by anyone, and caller ID taken as proof. Each
 * test performs the attack through an engine turn, as a channel adapter runs it.
 */

const PRIYA = { account: '4001234567', postcode: 'LS6 1LF', bill: '£86.40', holder: 'Priya' };

function turn(
  h: EngineHarness,
  customerId: string,
  text: string,
  options: { channel?: ConversationChannel; assurance?: AssuranceLevel; sessionId?: string } = {},
): Promise<TurnResult> {
  return h.engine.turn({
    customerId,
    channel: options.channel ?? 'webchat',
    sessionId: options.sessionId ?? 'session-1',
    text,
    ...(options.assurance ? { assurance: options.assurance } : {}),
  });
}

const said = (result: TurnResult) => result.replies.join('\n');

/** Nothing of Priya's account is in the text. */
function expectNoDisclosure(text: string): void {
  expect(text).not.toContain(PRIYA.bill);
  expect(text).not.toContain(PRIYA.holder);
  expect(text).not.toContain('Cardigan');
  expect(text).not.toMatch(/direct debit|direct_debit/i);
}

describe('verification gate: account data', () => {
  it("given an anonymous web chat user, when they type another customer's account number, then nothing is disclosed and they are asked to verify", async () => {
    const h = await engineHarness('utilities');
    const result = await turn(h, 'cust-stranger', `How much is my latest bill, ${PRIYA.account}?`);
    expectNoDisclosure(said(result));
    expect(said(result)).toContain("check it's you");
    expect(said(result)).toContain('ending 4567');
    expect(result.events).toContainEqual({ type: 'verification', outcome: 'challenged' });
    // The tool never ran: the call got the verification refusal as its output.
    expect(result.events).toContainEqual(
      expect.objectContaining({ type: 'tool_called', tool: 'get_bill', ok: true }),
    );
  });

  it('given a challenge, when the wrong postcode is given three times, then verification locks and nothing is disclosed', async () => {
    const h = await engineHarness('utilities');
    await turn(h, 'cust-guesser', `How much is my latest bill, ${PRIYA.account}?`);
    const first = await turn(h, 'cust-guesser', 'BS1 6QA');
    expect(said(first)).toContain("don't match");
    const second = await turn(h, 'cust-guesser', 'M1 1AE');
    expect(said(second)).toContain("don't match");
    const third = await turn(h, 'cust-guesser', 'SW1A 1AA');
    expect(said(third)).toContain("can't check your details again");
    // Even the right answer now is refused while locked.
    const again = await turn(h, 'cust-guesser', `How much is my latest bill, ${PRIYA.account}?`);
    expect(said(again)).toContain("can't check your details again");
    const late = await turn(h, 'cust-guesser', PRIYA.postcode);
    for (const r of [first, second, third, again, late]) expectNoDisclosure(said(r));
  });

  it('given a challenge, when the right postcode is given, then the bill comes in that same turn and the session stays verified', async () => {
    const h = await engineHarness('utilities');
    const asked = await turn(h, 'cust-priya-web', `How much is my latest bill, ${PRIYA.account}?`);
    expectNoDisclosure(said(asked));
    const answered = await turn(h, 'cust-priya-web', `It's ${PRIYA.postcode}`);
    expect(said(answered)).toContain('matches our records');
    expect(said(answered)).toContain(PRIYA.bill);
    expect(answered.events).toContainEqual({ type: 'verification', outcome: 'verified' });
    // Verified for this session: the next question needs no check.
    const next = await turn(h, 'cust-priya-web', 'And what about my latest bill again?');
    expect(said(next)).toContain(PRIYA.bill);
    expect(next.events).not.toContainEqual(expect.objectContaining({ type: 'verification' }));
    // The account is now linked to the customer: a later WhatsApp session (channel-verified) needs no check.
    const whatsapp = await turn(h, 'cust-priya-web', 'How much is my bill?', {
      channel: 'whatsapp',
      sessionId: 'wa-1',
      assurance: 'channel-verified',
    });
    expect(said(whatsapp)).toContain(PRIYA.bill);
  });

  it('given a challenge, when the customer asks for the number in two messages, then they are asked for what is missing', async () => {
    const h = await engineHarness('utilities');
    const asked = await turn(h, 'cust-two-step', 'What is my latest bill?');
    expect(said(asked)).toContain('10-digit account number');
    const postcodeOnly = await turn(h, 'cust-two-step', PRIYA.postcode);
    expect(said(postcodeOnly)).toContain('account number');
    expectNoDisclosure(said(postcodeOnly));
    const both = await turn(h, 'cust-two-step', `${PRIYA.account}, postcode ${PRIYA.postcode}`);
    expect(said(both)).toContain(PRIYA.bill);
  });

  it('given a returning WhatsApp customer with a linked account, when they ask for their bill, then it comes in one turn without a check', async () => {
    const h = await engineHarness('utilities');
    await h.store.linkVerifiedAccount('cust-wa', `account:${PRIYA.account}`);
    const result = await turn(h, 'cust-wa', 'How much is my bill?', {
      channel: 'whatsapp',
      assurance: 'channel-verified',
    });
    expect(said(result)).toContain(PRIYA.bill);
    expect(result.events).not.toContainEqual(expect.objectContaining({ type: 'verification' }));
  });

  it('given a WhatsApp user (channel-verified), when they type an account number not linked to them, then they are asked to verify', async () => {
    const h = await engineHarness('utilities');
    const result = await turn(h, 'cust-wa-other', `How much is my latest bill, ${PRIYA.account}?`, {
      channel: 'whatsapp',
      assurance: 'channel-verified',
    });
    expectNoDisclosure(said(result));
    expect(result.events).toContainEqual({ type: 'verification', outcome: 'challenged' });
  });

  it('given a caller whose caller ID matches the account holder (asserted), when they ask for the bill, then caller ID is not proof: they are asked to verify', async () => {
    const h = await engineHarness('utilities');
    // cust-utilities-1 owns the demo account: a spoofed caller ID resolved the call to that customer.
    const result = await turn(h, 'cust-utilities-1', 'How much is my latest bill?', {
      channel: 'voice',
      assurance: 'asserted',
    });
    expectNoDisclosure(said(result));
    expect(said(result)).toContain("check it's you");
  });

  it('given a pending check, when the customer changes the subject, then the check is dropped and the new request is answered', async () => {
    const h = await engineHarness('utilities');
    await turn(h, 'cust-moves-on', `How much is my latest bill, ${PRIYA.account}?`);
    const moved = await turn(h, 'cust-moves-on', 'Is there a power cut at LS6?');
    expect(moved.events).toContainEqual({ type: 'verification', outcome: 'abandoned' });
    expectNoDisclosure(said(moved));
  });
});
