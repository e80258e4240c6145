import { describe, expect, it } from 'vitest';
import { WELCOME, welcomeMessages } from './welcome.js';

describe('welcomeMessages', () => {
  it('given a new user, when greeted, then they get the plain welcome', () => {
    expect(welcomeMessages({ isNew: true, recentTurns: [] })).toEqual([WELCOME]);
  });

  it('given a known customer without history, when greeted, then they get the plain welcome', () => {
    expect(welcomeMessages({ isNew: false, summary: '  ', recentTurns: [] })).toEqual([WELCOME]);
  });

  it('given a customer coming from a call, when greeted, then welcome back names the call, the summary and the turns', () => {
    const messages = welcomeMessages({
      isNew: false,
      displayName: 'Ada',
      summary: 'Power outage at LS6 1LF.',
      previousChannel: 'voice',
      recentTurns: [
        { role: 'customer', text: 'My power is out', channel: 'voice' },
        { role: 'assistant', text: 'I can see an outage in LS6.', channel: 'voice' },
        { role: 'system', text: 'internal note', channel: 'voice' },
        { role: 'agent', text: 'Hi, this is Sam from the outage team.', channel: 'voice' },
      ],
    });
    expect(messages[0]).toBe("Welcome back, Ada! Let's carry on where we left off from our phone call.");
    expect(messages[1]).toContain('Power outage at LS6 1LF.');
    expect(messages[2]).toContain('*You* (voice): My power is out');
    expect(messages[2]).toContain('*Assistant* (voice): I can see an outage in LS6.');
    expect(messages[2]).toContain('*Agent* (voice): Hi, this is Sam from the outage team.');
    expect(messages[2]).not.toContain('internal note');
  });

  it('given a very long earlier turn, when listed, then it is shortened', () => {
    const [, list] = welcomeMessages({
      isNew: false,
      recentTurns: [{ role: 'customer', text: 'x'.repeat(1000), channel: 'webchat' }],
    });
    expect(list?.length).toBeLessThan(400);
    expect(list).toContain('…');
  });
});
