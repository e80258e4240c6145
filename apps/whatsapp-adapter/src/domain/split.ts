/** Longest text body WhatsApp accepts in one message, in characters. */
export const WHATSAPP_TEXT_LIMIT = 4096;

/** Smallest `limit` {@link splitForWhatsApp} accepts (a part must hold any single character). */
export const MIN_SPLIT_LIMIT = 8;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** How far past the window the segmenter looks, so the grapheme straddling the window edge is seen whole. */
const LOOKAHEAD = 64;

/** Grapheme boundaries (UTF-16 offsets) of `text` in `1..limit`, ascending. */
function graphemeBoundaries(text: string, limit: number): number[] {
  const boundaries: number[] = [];
  for (const { index, segment } of graphemes.segment(text.slice(0, limit + LOOKAHEAD))) {
    const end = index + segment.length;
    if (end > limit) break;
    boundaries.push(end);
  }
  return boundaries;
}

/** The last offset in `window` where `pattern` (global) matches, taking the end of group 1 when given. */
function lastCut(window: string, pattern: RegExp, boundaries: ReadonlySet<number>): number {
  let cut = 0;
  for (const match of window.matchAll(pattern)) {
    const at = match.index + (match[1]?.length ?? 0);
    if (at > 0 && boundaries.has(at)) cut = at;
  }
  return cut;
}

/** A blank line (paragraph break); cut before it. */
const PARAGRAPH = /\n[^\S\n]*\n/g;
/** End of a sentence: terminal punctuation, optional closing quotes/brackets, then whitespace; cut after the punctuation. */
const SENTENCE = /([.!?\u2026\u3002\uff01\uff1f]+["'\u2019\u201d)\]]*)\s/g;
/** Any whitespace; cut before it. */
const WORD = /\s/g;

/** Where to cut `text` (longer than `limit`): at a paragraph, else a sentence, else a word, else a grapheme boundary. */
function cutPoint(text: string, limit: number): number {
  const boundaries = graphemeBoundaries(text, limit);
  // The whitespace right after the window still marks a boundary of the window's last word or sentence.
  const window = text.slice(0, limit + 1);
  const boundarySet = new Set(boundaries);
  for (const pattern of [PARAGRAPH, SENTENCE, WORD]) {
    const cut = lastCut(window, pattern, boundarySet);
    if (cut > 0 && text.slice(0, cut).trim().length > 0) return cut;
  }
  const byGrapheme = boundaries.at(-1);
  if (byGrapheme !== undefined) return byGrapheme;
  // A single grapheme longer than the limit (a huge combining sequence): cut between code points instead.
  const last = text.charCodeAt(limit - 1);
  return last >= 0xd800 && last <= 0xdbff ? limit - 1 : limit;
}

/**
 * Splits a reply into WhatsApp messages of at most `limit` UTF-16 code units each (so also at most `limit`
 * characters however WhatsApp counts them), in order. Cuts at the last paragraph break that fits, else the
 * last sentence end, else the last word boundary, else the last grapheme boundary: never inside a surrogate
 * pair or an emoji / combining sequence. Whitespace at the cut is dropped; parts are never empty and a
 * blank text gives no parts.
 *
 * @throws {RangeError} when `limit` is not an integer of at least {@link MIN_SPLIT_LIMIT}.
 */
export function splitForWhatsApp(text: string, limit: number = WHATSAPP_TEXT_LIMIT): string[] {
  if (!Number.isInteger(limit) || limit < MIN_SPLIT_LIMIT) {
    throw new RangeError(`splitForWhatsApp: limit must be an integer of at least ${MIN_SPLIT_LIMIT}`);
  }
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const cut = cutPoint(rest, limit);
    const part = rest.slice(0, cut).trimEnd();
    if (part.length > 0) parts.push(part);
    rest = rest.slice(cut).trimStart();
  }
  if (rest.length > 0) parts.push(rest);
  return parts;
}
