import { describe, expect, it } from 'vitest';
import { customerFacts, internalTextsOf, withholdInternalText } from './tool-result-text.js';

describe('tool result text (for the agent only)', () => {
  it('keeps the facts of a rejection reason and drops the instruction to the agent', () => {
    expect(customerFacts('Only delivered orders can be returned; offer a cancellation instead.')).toBe(
      'Only delivered orders can be returned.',
    );
    expect(customerFacts('The 30-day return window has closed.')).toBe(
      'The 30-day return window has closed.',
    );
  });

  it('treats the whole message of an error result as internal, and instruction clauses of any result', () => {
    const error = internalTextsOf(
      JSON.stringify({
        error: 'account_not_found',
        message: 'No account matches; ask the customer for their account number.',
      }),
    );
    expect(error).toEqual(
      expect.arrayContaining(['no account matches', 'ask the customer for their account number']),
    );
    const ok = internalTextsOf(
      JSON.stringify({
        status: 'rejected',
        reason: 'The order has shipped; offer a return once it is delivered.',
      }),
    );
    expect(ok).toEqual(['offer a return once it is delivered']);
    expect(internalTextsOf('not json')).toEqual([]);
  });

  it('withholds reply sentences that repeat internal text or speak of "the customer", keeping the rest in order', () => {
    const internal = internalTextsOf(
      JSON.stringify({
        error: 'account_not_found',
        message: 'No account matches; ask the customer for their account number.',
      }),
    );
    expect(withholdInternalText('No account matches. What is your account number?', internal)).toEqual({
      text: 'What is your account number?',
      withheld: 1,
    });
    expect(withholdInternalText('Please ask the customer to hold. Thanks for waiting!', [])).toEqual({
      text: 'Thanks for waiting!',
      withheld: 1,
    });
    expect(withholdInternalText('Your bill is £86.40.', internal)).toEqual({
      text: 'Your bill is £86.40.',
      withheld: 0,
    });
  });
});
