import { describe, expect, it } from 'vitest';
import {
  exceedsThresholds,
  interpretOfferAnswer,
  queueForAgent,
  spoken,
  spokenWait,
  tonesToDigits,
  toSsml,
} from './voice.js';

const thresholds = { waitSeconds: 120, queueDepth: 50 };

describe('voice decisions', () => {
  it('given a queue above either threshold, then a switch is worth offering and the agent sees high', () => {
    const long = { queue: 'support', depth: 3, estimatedWaitSeconds: 121, level: 'normal' as const };
    const deep = { queue: 'support', depth: 51, estimatedWaitSeconds: 10, level: 'normal' as const };
    expect(exceedsThresholds(long, thresholds)).toBe(true);
    expect(exceedsThresholds(deep, thresholds)).toBe(true);
    expect(queueForAgent(long, thresholds).level).toBe('high');
    expect(queueForAgent({ ...deep, level: 'critical' }, thresholds).level).toBe('critical');
  });

  it('given a queue at the thresholds, then the agent sees normal even if the monitor said high', () => {
    const atLimit = { queue: 'support', depth: 50, estimatedWaitSeconds: 120, level: 'high' as const };
    expect(exceedsThresholds(atLimit, thresholds)).toBe(false);
    expect(queueForAgent(atLimit, thresholds).level).toBe('normal');
  });

  it('given answers to the offer, then yes/no come from DTMF 1/2 or speech', () => {
    expect(interpretOfferAnswer({ digits: '1' })).toBe('yes');
    expect(interpretOfferAnswer({ digits: '2' })).toBe('no');
    expect(interpretOfferAnswer({ digits: '5' })).toBe('unclear');
    expect(interpretOfferAnswer({ digits: '3' })).toBe('webchat');
    expect(interpretOfferAnswer({ speech: 'Web chat please' })).toBe('webchat');
    expect(interpretOfferAnswer({ speech: 'can you send me a link instead' })).toBe('webchat');
    expect(interpretOfferAnswer({ speech: 'no, no web chat, I will wait' })).toBe('no');
    expect(interpretOfferAnswer({ speech: 'Yes please.' })).toBe('yes');
    expect(interpretOfferAnswer({ speech: 'um, no thanks, I will wait' })).toBe('no');
    expect(interpretOfferAnswer({ speech: 'what is the weather' })).toBe('unclear');
  });

  it('given tones, waits and markdown, then they are made speakable', () => {
    expect(tonesToDigits(['four', 'four', 'seven', 'pound'])).toBe('447#');
    expect(spokenWait(30)).toBe('less than a minute');
    expect(spokenWait(65)).toBe('about 1 minute');
    expect(spokenWait(400)).toBe('about 7 minutes');
    expect(spoken('**Your bill** is ready: https://example.com/b')).toBe('Your bill is ready: a link.');
  });

  it('given a date, a year and an account number, then only the account number is spelled out', () => {
    const ssml = toSsml('By 13:00 UTC on 2025-06-10, in 2025, for account 40012345.', 'en-US-JennyNeural');
    expect(ssml).toContain('<say-as interpret-as="date" format="ymd">2025-06-10</say-as>');
    expect(ssml).toContain('in 2025,');
    expect(ssml).toContain('<say-as interpret-as="characters">40012345</say-as>');
  });

  it('given digits and a pause, then the SSML spells the digits and adds breaks of at most 5 s', () => {
    const ssml = toSsml('Account 12345678 & more', 'en-US-JennyNeural', 12);
    expect(ssml).toContain('<say-as interpret-as="characters">12345678</say-as>');
    expect(ssml).toContain('&amp;');
    expect(ssml.match(/<break time="(\d)s"\/>/g)).toEqual([
      '<break time="5s"/>',
      '<break time="5s"/>',
      '<break time="2s"/>',
    ]);
  });
});
