import { describe, expect, it } from 'vitest';
import { formatIsoDuration, parseIsoDuration } from './durations.js';

describe('ISO 8601 durations', () => {
  it.each([
    ['PT1M', 60_000],
    ['PT10M', 600_000],
    ['PT20S', 20_000],
    ['PT1H', 3_600_000],
    ['P14D', 14 * 86_400_000],
    ['P1DT2H3M4S', 86_400_000 + 2 * 3_600_000 + 3 * 60_000 + 4_000],
    ['PT0S', 0],
  ])('given %s, then it parses to %d ms', (text, ms) => {
    expect(parseIsoDuration(text)).toBe(ms);
  });

  it.each(['', 'P', 'PT', 'P1DT', '1M', 'PT1.5S', 'P1Y', 'P1M', 'P2W', 'pt1m'])(
    'given %j, then it is not a supported duration',
    (text) => {
      expect(parseIsoDuration(text)).toBeUndefined();
    },
  );

  it.each([
    [0, 'PT0S'],
    [60_000, 'PT1M'],
    [300_000, 'PT5M'],
    [3_600_000, 'PT1H'],
    [14 * 86_400_000, 'P14D'],
    [90_061_999, 'P1DT1H1M1S'],
  ])('given %d ms, then it formats as %s', (ms, text) => {
    expect(formatIsoDuration(ms)).toBe(text);
  });

  it('given a negative duration, then formatting refuses it', () => {
    expect(() => formatIsoDuration(-1)).toThrow(RangeError);
  });
});
