const STOPWORDS = new Set(
  (
    'a an the and or but if of at by for with about to from in on into over under up down out off again is are was ' +
    'were be been being am do does did doing have has had having i me my mine myself we our ours you your yours he ' +
    'him his she her it its they them their what which who whom this that these those there here can could would ' +
    'should will shall may might must just so than too very not no yes please thanks thank hi hello hey need want ' +
    'like get got some any all also still now then when where why how much many one im ive id dont cant wont isnt ' +
    'didnt doesnt help someone something anything'
  ).split(' '),
);

/** Lowercases, folds accents and curly quotes, and collapses whitespace; keeps digits (cache keys, entities). */
export function normaliseText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[\u2018\u2019\u2032]/g, "'")
    .replace(/[\u201c\u201d]/g, '"')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** A light suffix-stripping stemmer: `bills`, `billing`, `billed` → `bill`; `outages` → `outag`. */
export function stem(word: string): string {
  let w = word;
  if (w.length > 4 && w.endsWith('ies')) w = `${w.slice(0, -3)}y`;
  else if (w.length > 5 && w.endsWith('ing')) w = w.slice(0, -3);
  else if (w.length > 4 && w.endsWith('ed')) w = w.slice(0, -2);
  else if (w.length > 4 && w.endsWith('es') && !w.endsWith('ses')) w = w.slice(0, -2);
  else if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1);
  if (w.length > 4 && w.endsWith('ly')) w = w.slice(0, -2);
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  if (w.length > 3 && /([bcdfgklmnprt])\1$/.test(w)) w = w.slice(0, -1);
  return w;
}

/** The content tokens of a text: normalised, without stopwords and number-bearing tokens, stemmed. */
export function contentTokens(text: string): string[] {
  return normaliseText(text)
    .replace(/'/g, '')
    .split(/[^a-z0-9]+/)
    .filter((t) => t.length > 1 && !/\d/.test(t) && !STOPWORDS.has(t))
    .map(stem);
}
