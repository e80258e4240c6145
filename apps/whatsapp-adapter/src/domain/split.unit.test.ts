import { describe, expect, it } from 'vitest';
import { splitForWhatsApp, WHATSAPP_TEXT_LIMIT } from './split.js';

function hasLoneSurrogate(text: string): boolean {
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

describe('splitForWhatsApp', () => {
  it('given a short reply, when split, then it is one unchanged part', () => {
    expect(splitForWhatsApp('Hello, how can I help?')).toEqual(['Hello, how can I help?']);
  });

  it('given blank text, when split, then there are no (empty) parts', () => {
    expect(splitForWhatsApp('  \n\n ')).toEqual([]);
  });

  it('given a 10 000-character reply, when split, then parts fit 4096, are in order, and lose only whitespace', () => {
    const sentence = 'Your order number 12345 was shipped on Monday and should arrive within three days. ';
    let text = '';
    let paragraph = 0;
    while (text.length < 10_000) {
      paragraph += 1;
      text += `Paragraph ${paragraph}. ${sentence.repeat(6)}\n\n`;
    }
    text = text.slice(0, 10_000);
    const parts = splitForWhatsApp(text);
    expect(parts.length).toBe(3);
    for (const part of parts) {
      expect(part.length).toBeGreaterThan(0);
      expect(part.length).toBeLessThanOrEqual(WHATSAPP_TEXT_LIMIT);
    }
    // In order and nothing lost but the whitespace at the cuts.
    expect(parts.join('').replace(/\s/g, '')).toBe(text.replace(/\s/g, ''));
    // Cut at paragraph breaks: every part but the last ends a paragraph and the next starts one.
    for (const part of parts.slice(1)) expect(part).toMatch(/^Paragraph \d+\./);
  });

  it('given one long paragraph, when split, then it is cut at a sentence end', () => {
    const text = 'This is a sentence. '.repeat(20).trim(); // 399 chars
    const parts = splitForWhatsApp(text, 100);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(100);
      expect(part.endsWith('.')).toBe(true);
    }
  });

  it('given one long sentence, when split, then it is cut between words', () => {
    const words = 'alpha beta gamma delta epsilon '.repeat(10).trim();
    const parts = splitForWhatsApp(words, 40);
    const vocabulary = new Set(['alpha', 'beta', 'gamma', 'delta', 'epsilon']);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(40);
      for (const word of part.split(' ')) expect(vocabulary.has(word)).toBe(true);
    }
    expect(parts.join(' ')).toBe(words);
  });

  it('given an emoji straddling the limit, when split, then no surrogate pair is broken', () => {
    // 4095 letters then an emoji (2 UTF-16 units): cutting at 4096 would split the pair.
    const text = `${'a'.repeat(4095)}😀${'b'.repeat(10)}`;
    const parts = splitForWhatsApp(text);
    expect(parts).toEqual(['a'.repeat(4095), `😀${'b'.repeat(10)}`]);
    for (const part of parts) expect(hasLoneSurrogate(part)).toBe(false);
  });

  it('given a ZWJ family emoji and flag at the boundary, when split, then no grapheme is broken', () => {
    const family = '👨‍👩‍👧‍👦'; // 11 UTF-16 units, one grapheme
    const flag = '🇬🇧';
    const text = `${'x'.repeat(15)}${family}${flag}${family}`;
    const parts = splitForWhatsApp(text, 20);
    expect(parts.join('')).toBe(text);
    const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    const whole = [...segmenter.segment(text)].map((s) => s.segment);
    const pieces = parts.flatMap((part) => [...segmenter.segment(part)].map((s) => s.segment));
    expect(pieces).toEqual(whole);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(20);
  });

  it('given a word longer than the limit, when split, then it is hard-cut and nothing is lost', () => {
    const text = 'z'.repeat(25);
    const parts = splitForWhatsApp(text, 10);
    expect(parts).toEqual(['z'.repeat(10), 'z'.repeat(10), 'z'.repeat(5)]);
  });

  it('given a limit below 8, when split, then it throws a RangeError', () => {
    expect(() => splitForWhatsApp('text', 1)).toThrow(RangeError);
  });
});
