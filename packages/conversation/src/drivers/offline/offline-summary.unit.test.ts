import { describe, expect, it } from 'vitest';
import { summarizeExtractively } from './offline-summary.js';

const base = { customerId: 'cust_1', conversationId: 'conv_1', collectedData: {} };

describe('summarizeExtractively', () => {
  it('given a summary written elsewhere, when summarised again, then it is kept and its issue is the topic', () => {
    const { summary, collectedData } = summarizeExtractively({
      ...base,
      previousSummary: 'Billing dispute about invoice 4411.',
      turns: [
        { role: 'user', text: 'I want to speak to a human', channel: 'whatsapp' },
        { role: 'assistant', text: "I'm passing you to a member of our team now.", channel: 'whatsapp' },
      ],
    });
    expect(summary).toContain('a billing question');
    expect(summary).toContain('Earlier: Billing dispute about invoice 4411.');
    expect(summary).toContain('Latest from the customer: "I want to speak to a human"');
    expect(collectedData.intent).toBe('a billing question');
  });

  it('given its own earlier summary, when summarised again, then it is not nested inside the new one', () => {
    const first = summarizeExtractively({
      ...base,
      turns: [{ role: 'user', text: 'my power is out at LS6 1LF', channel: 'voice' }],
    });
    const second = summarizeExtractively({
      ...base,
      previousSummary: first.summary,
      collectedData: first.collectedData,
      turns: [{ role: 'user', text: 'any news?', channel: 'whatsapp' }],
    });
    expect(second.summary).not.toContain('Earlier:');
    expect(second.summary).toContain('a power outage at LS6 1LF');
    expect(second.summary.match(/The customer contacted us/g)).toHaveLength(1);
  });
});
