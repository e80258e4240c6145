import { seededRandom } from '../support/prng.js';

/** One fuzzed request: a body (raw bytes or text), extra headers, and whether it carries valid credentials. */
export interface FuzzCase {
  readonly name: string;
  readonly body: string | Uint8Array;
  readonly headers?: Record<string, string>;
  /** Send the target's valid credentials (query secret); false for the forged-credential cases. */
  readonly authenticated: boolean;
  /** The answer must be a 4xx (malformed or unauthenticated); otherwise any non-5xx. */
  readonly expect4xx: boolean;
}

/** Edge-case strings: unicode corners, control characters, injection shapes. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  '\u0000',
  '\ud800',
  '\udfff',
  'a\ud83d',
  '\u202eevil\u202c',
  '\u200b\u200c\u200d\ufeff',
  '👩‍👩‍👧‍👦',
  '🏳️‍🌈'.repeat(50),
  'e\u0301\u0301\u0301\u0301',
  '\uffff\ufffe',
  '𝕳𝖊𝖑𝖑𝖔',
  '%00%ff',
  '../../etc/passwd',
  "'; DROP TABLE c; --",
  `{{7*7}}\${7*7}`,
  '+1 (425) 555-0123 ext. 9',
  '+99999999999999999999',
  'null',
  'x'.repeat(5000),
];

/** Wrong-typed values for any field. */
const WRONG_VALUES: readonly unknown[] = [
  null,
  0,
  -1,
  1e308,
  true,
  [],
  {},
  [null],
  { $ne: 1 },
  '',
  'x'.repeat(300),
];

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)] as T;
}

/** Every path of the JSON value's leaves and objects, e.g. `['0', 'data', 'from']`. */
function paths(value: unknown, prefix: string[] = []): string[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, child]) => paths(child, [...prefix, key]))];
}

function setAt(root: unknown, path: readonly string[], replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(root) as Record<string, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  node[path.at(-1) as string] = replacement;
  return copy;
}

/**
 * Deterministic fuzz cases derived from a valid body (seeded: the same seed, the same cases): malformed JSON,
 * wrong types at every depth, unicode edge cases in every string, huge bodies, forged credentials.
 */
export function fuzzCases(
  valid: unknown,
  options: { seed: number; bodyLimitBytes: number; count?: number; hasCredentials: boolean },
): FuzzCase[] {
  const random = seededRandom(options.seed);
  const text = JSON.stringify(valid);
  const cases: FuzzCase[] = [];
  const malformed = [
    text.slice(0, Math.floor(text.length / 2)),
    `${text},`,
    text.replace(/"/, "'"),
    '{',
    '[',
    ']',
    'undefined',
    'NaN',
    '[1,]',
    '{"a":1,"a":',
    '\ufeff[',
    '['.repeat(10_000),
    `${text}\u0000garbage`,
  ];
  for (const [i, body] of malformed.entries())
    cases.push({ name: `malformed JSON #${i}`, body, authenticated: true, expect4xx: true });
  cases.push({
    name: 'invalid UTF-8 bytes',
    body: new Uint8Array([0x5b, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x5d]),
    authenticated: true,
    expect4xx: false,
  });
  cases.push({
    name: 'wrong content type',
    body: text,
    headers: { 'content-type': 'text/plain' },
    authenticated: true,
    expect4xx: true,
  });
  for (const shape of [{}, null, 42, 'text', [[]], [null], [42], [{}]]) {
    cases.push({
      name: `wrong shape ${JSON.stringify(shape)}`,
      body: JSON.stringify(shape),
      authenticated: true,
      expect4xx: false,
    });
  }
  const allPaths = paths(valid).filter((path) => path.length > 0);
  const count = options.count ?? 150;
  for (let i = 0; i < count; i++) {
    const path = pick(allPaths, random);
    const useString = random() < 0.5;
    const replacement = useString ? pick(NASTY_STRINGS, random) : pick(WRONG_VALUES, random);
    cases.push({
      name: `${path.join('.')} = ${JSON.stringify(replacement).slice(0, 40)}`,
      body: JSON.stringify(setAt(valid, path, replacement)),
      authenticated: true,
      expect4xx: false,
    });
  }
  cases.push({
    name: 'body over the limit',
    body: JSON.stringify([{ padding: 'x'.repeat(options.bodyLimitBytes) }]),
    authenticated: true,
    expect4xx: true,
  });
  if (options.hasCredentials) {
    cases.push({ name: 'valid body without credentials', body: text, authenticated: false, expect4xx: true });
  }
  return cases;
}
