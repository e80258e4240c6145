import { describe, expect, it } from 'vitest';
import { type HistoryItem, transferContext } from './context-transfer.js';

const history: HistoryItem[] = [
  { type: 'message', role: 'user', text: 'My power is out, postcode LS6 1LF' },
  { type: 'tool_call', callId: 'c1', name: 'check_outage', arguments: '{"postcode":"LS6 1LF"}' },
  { type: 'tool_output', callId: 'c1', output: '{"knownOutage":true}' },
  {
    type: 'message',
    role: 'assistant',
    text: 'There is a cable fault; power is due back by 1 pm.',
    agentId: 'Outage',
  },
  { type: 'message', role: 'user', text: 'Will I get money off my bill?' },
  { type: 'message', role: 'assistant', text: 'Let me connect you with Billing.', agentId: 'Outage' },
  { type: 'note', text: 'handoff Outage → Billing' },
  { type: 'message', role: 'user', text: 'Thanks' },
];

describe('transferContext', () => {
  it('given -1 turns, when transferred, then every user/assistant message is kept and tool items are stripped', () => {
    const out = transferContext({ history, turns: -1 });
    expect(out.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user']);
    expect(JSON.stringify(out)).not.toMatch(/check_outage|knownOutage|handoff Outage/);
  });

  it('given 0 turns, when transferred, then no history is kept but the summary note still is', () => {
    const out = transferContext({ history, turns: 0, summary: 'Power cut at LS6 1LF.' });
    expect(out).toEqual([
      { role: 'system', text: '[Context from the previous agent]\nSummary so far: Power cut at LS6 1LF.' },
    ]);
  });

  it('given 2 turns, when transferred, then only the last two user turns and their replies are kept', () => {
    const out = transferContext({ history, turns: 2 });
    expect(out.map((m) => m.text)).toEqual([
      'Will I get money off my bill?',
      'Let me connect you with Billing.',
      'Thanks',
    ]);
  });

  it('given more turns than exist, when transferred, then all messages are kept', () => {
    expect(transferContext({ history, turns: 10 })).toHaveLength(5);
  });

  it('given a summary and collected data, when transferred, then a leading note lists them and says not to ask again', () => {
    const [note, first] = transferContext({
      history,
      turns: 1,
      summary: 'Power cut, asks about a bill credit.',
      collectedData: { postcode: 'LS6 1LF', accountNumber: '4001234567', unknown: null },
      fromAgent: 'Outage Specialist',
    });
    expect(note?.role).toBe('system');
    expect(note?.text).toContain('The customer was speaking with Outage Specialist.');
    expect(note?.text).toContain('Already collected: postcode=LS6 1LF, accountNumber=4001234567.');
    expect(note?.text).toContain('Do not ask the customer again for: postcode, accountNumber.');
    expect(first).toEqual({ role: 'user', text: 'Thanks' });
  });

  it('given assistant messages with agent ids, when transferred, then the ids are kept', () => {
    expect(transferContext({ history, turns: 1 + 1 })[1]).toEqual({
      role: 'assistant',
      text: 'Let me connect you with Billing.',
      agentId: 'Outage',
    });
  });
});
