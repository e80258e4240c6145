import { describe, expect, it } from 'vitest';
import { ssmlBreakMs } from './calls.js';

describe('ssmlBreakMs', () => {
  it('given breaks in seconds and milliseconds, when measured, then their durations add up', () => {
    const ssml =
      '<speak><voice name="en-US-JennyNeural">Thanks for holding.<break time="5s"/><break time="250ms"/><break time=\'1.5s\'/></voice></speak>';
    expect(ssmlBreakMs(ssml)).toBe(6_750);
  });

  it('given no break, or a break by strength only, when measured, then no pause is added', () => {
    expect(ssmlBreakMs('<speak>Hello</speak>')).toBe(0);
    expect(ssmlBreakMs('<speak>Hello<break strength="strong"/></speak>')).toBe(0);
  });
});
