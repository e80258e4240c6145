import { beforeAll, describe, expect, it } from 'vitest';
import { detectHandoffPhrase, shouldClassify } from './handoff-phrases.js';
import { loadScenario, type Scenario } from './scenario.js';

let utilities: Scenario;
let ecommerce: Scenario;
beforeAll(async () => {
  utilities = await loadScenario('utilities');
  ecommerce = await loadScenario('ecommerce');
});

describe('detectHandoffPhrase', () => {
  it('given the exact template with an agent name, when detected, then it matches by template and targets that agent', () => {
    expect(
      detectHandoffPhrase('Thanks! I’ll transfer you to our Billing team now.', utilities, {
        currentAgentId: 'Outage',
      }),
    ).toEqual({
      detected: true,
      matchedBy: 'template',
      targetAgentId: 'Billing',
      matchedText: "i'll transfer you to our billing team",
    });
  });

  it('given the template naming an agent by its split id, when detected, then the target is that agent', () => {
    const detection = detectHandoffPhrase("I'll connect you with our order tracking specialist.", ecommerce, {
      currentAgentId: 'Returns',
    });
    expect(detection).toMatchObject({
      detected: true,
      matchedBy: 'template',
      targetAgentId: 'OrderTracking',
    });
  });

  it('given a boundary phrase, when detected, then it matches by boundary', () => {
    const detection = detectHandoffPhrase("I'm sorry, that's outside what I can help with.", utilities, {
      currentAgentId: 'Billing',
    });
    expect(detection).toMatchObject({ detected: true, matchedBy: 'boundary' });
    expect(detection).not.toHaveProperty('targetAgentId');
  });

  it('given explicit handoff language naming a team, when detected, then it matches as explicit with the target', () => {
    const detection = detectHandoffPhrase(
      'Let me hand you over to the people who look after outages.',
      utilities,
      {
        currentAgentId: 'Billing',
      },
    );
    expect(detection).toMatchObject({ detected: true, matchedBy: 'explicit', targetAgentId: 'Outage' });
  });

  it('given a handoff verb within 100 characters of another agent’s keyword, when detected, then it matches by proximity', () => {
    const reply =
      'Your bill is paid in full. For the meter display, I can transfer this over so an engineer can have a look.';
    expect(detectHandoffPhrase(reply, utilities, { currentAgentId: 'Billing' })).toMatchObject({
      detected: true,
      matchedBy: 'keyword-proximity',
      targetAgentId: 'Service',
    });
  });

  it('given a handoff verb 150 characters away from the nearest keyword, when detected, then nothing is detected', () => {
    const filler = 'x'.repeat(150);
    const reply = `I can transfer the credit today. ${filler} About that engineer.`;
    const gap = reply.indexOf('engineer') - (reply.indexOf('transfer') + 'transfer'.length);
    expect(gap).toBeGreaterThanOrEqual(150);
    expect(detectHandoffPhrase(reply, utilities, { currentAgentId: 'Billing' })).toEqual({ detected: false });
    const near = `I can transfer the credit today. ${'x'.repeat(50)} About that engineer.`;
    expect(detectHandoffPhrase(near, utilities, { currentAgentId: 'Billing' })).toMatchObject({
      matchedBy: 'keyword-proximity',
      targetAgentId: 'Service',
    });
  });

  it('given a specialist mentioning only its own keywords near a handoff verb, when detected, then it is not a handoff', () => {
    expect(
      detectHandoffPhrase('I can transfer the payment onto your next bill.', utilities, {
        currentAgentId: 'Billing',
      }),
    ).toEqual({ detected: false });
  });

  it('given an ordinary answer, when detected, then nothing is detected', () => {
    expect(
      detectHandoffPhrase('Your bill for May is £86.40, due on 17 June.', utilities, {
        currentAgentId: 'Billing',
      }),
    ).toEqual({
      detected: false,
    });
  });
});

describe('shouldClassify', () => {
  it('given lazy mode and the first message, when asked, then it classifies', () => {
    expect(shouldClassify({ userTurns: 0 }, 'where is my parcel', undefined, {}, ecommerce)).toEqual({
      classify: true,
      reason: 'first-message',
    });
  });

  it('given lazy mode, a specialist holding the chat and a plain reply, when asked, then it does not classify', () => {
    expect(
      shouldClassify(
        { currentAgentId: 'OrderTracking', userTurns: 2 },
        'and when will it arrive?',
        'It shipped yesterday with FedEx.',
        {},
        ecommerce,
      ),
    ).toEqual({ classify: false, reason: 'same-specialist' });
  });

  it('given lazy mode and a specialist reply with a handoff phrase, when asked, then it classifies the next message', () => {
    const decision = shouldClassify(
      { currentAgentId: 'OrderTracking', userTurns: 2 },
      'yes please',
      'This is outside my area. Let me connect you with the right specialist.',
      {},
      ecommerce,
    );
    expect(decision).toMatchObject({
      classify: true,
      reason: 'handoff-phrase',
      handoff: { matchedBy: 'template' },
    });
  });

  it('given tools mode, when asked on the first message, then it never classifies', () => {
    expect(shouldClassify({ userTurns: 0 }, 'my power is out', undefined, {}, utilities)).toEqual({
      classify: false,
      reason: 'tools-mode',
    });
  });

  it('given HANDOFF_LAZY_CLASSIFICATION=true over a tools scenario, when asked on the first message, then it classifies', () => {
    expect(
      shouldClassify({ userTurns: 0 }, 'my power is out', undefined, { lazyClassification: true }, utilities)
        .classify,
    ).toBe(true);
  });

  it('given HANDOFF_LAZY_CLASSIFICATION=false over a lazy scenario, when asked, then it does not classify', () => {
    expect(
      shouldClassify({ userTurns: 0 }, 'hi', undefined, { lazyClassification: false }, ecommerce).classify,
    ).toBe(false);
  });
});
