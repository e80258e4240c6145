import { describe, expect, it } from 'vitest';

// The ops console's own module (plain browser JavaScript in public/), loaded as the page loads it.
const estimateModule = new URL('../public/estimate.js', import.meta.url).href;
const { ageText, estimateWithAge, waitText } = (await import(estimateModule)) as {
  ageText(at: string, now: number): string;
  estimateWithAge(seconds: number, at: string, now: number): { text: string; stale: boolean };
  waitText(seconds: number): string;
};

const AT = '2026-12-02T10:00:00.000Z';
const after = (seconds: number) => Date.parse(AT) + seconds * 1000;

describe('the ops console estimate', () => {
  it('given an estimate computed 12 s ago, then it is quoted with its age, as callers hear it', () => {
    expect(estimateWithAge(600, AT, after(12))).toEqual({
      text: 'about 10 min, as of 12 s ago',
      stale: false,
    });
  });

  it.each([
    [0, 'less than a minute'],
    [59, 'less than a minute'],
    [89, 'about 1 min'],
    [90, 'about 2 min'],
    [3300, 'about 55 min'],
  ])('given %i s, then the wait reads "%s" (nearest minute, like the phone)', (seconds, text) => {
    expect(waitText(seconds)).toBe(text);
  });

  it.each([
    [0, 'as of 0 s ago'],
    [89, 'as of 89 s ago'],
    [300, 'as of 5 min ago'],
  ])('given an age of %i s, then it reads "%s"', (seconds, text) => {
    expect(ageText(AT, after(seconds))).toBe(text);
  });

  it('given an estimate older than the phone would quote (120 s), then it is marked stale', () => {
    expect(estimateWithAge(600, AT, after(120)).stale).toBe(false);
    expect(estimateWithAge(600, AT, after(121))).toEqual({
      text: 'about 10 min, as of 2 min ago',
      stale: true,
    });
  });
});
