import type { CandidateScore, Classification, ClassificationFailure, Classifier } from './classification.js';
import { extractEntities } from './entity-extraction.js';
import type { Agent, Scenario } from './scenario.js';
import { contentTokens } from './text-normalisation.js';

type Vector = Map<string, number>;

/** Tuning of the {@link OfflineClassifier}. */
export interface OfflineClassifierOptions {
  /** A top score at or above this counts as full-strength evidence. */
  readonly strongScore?: number;
  /** Below this relative margin ((top − runner-up) / top) the result is ambiguous. */
  readonly ambiguousMargin?: number;
  /** How much a keyword token weighs against an example token. */
  readonly keywordWeight?: number;
}

function norm(v: Vector): number {
  let sum = 0;
  for (const x of v.values()) sum += x * x;
  return Math.sqrt(sum);
}

function cosine(a: Vector, b: Vector): number {
  const na = norm(a);
  const nb = norm(b);
  if (na === 0 || nb === 0) return 0;
  let dot = 0;
  for (const [k, x] of a) dot += x * (b.get(k) ?? 0);
  return dot / (na * nb);
}

function termCounts(tokens: readonly string[], weight = 1, into: Vector = new Map()): Vector {
  for (const t of tokens) into.set(t, (into.get(t) ?? 0) + weight);
  return into;
}

/** Whether two words differ by one insertion, deletion, substitution or swap of neighbouring letters. */
export function oneTypoApart(a: string, b: string): boolean {
  if (a === b) return false;
  if (a.length === b.length) {
    const diffs: number[] = [];
    for (let i = 0; i < a.length && diffs.length <= 2; i++) if (a[i] !== b[i]) diffs.push(i);
    if (diffs.length === 1) return true;
    const [i, j] = diffs;
    return diffs.length === 2 && i !== undefined && j === i + 1 && a[i] === b[j] && a[j] === b[i];
  }
  const [short, long] = a.length < b.length ? [a, b] : [b, a];
  if (long.length - short.length !== 1) return false;
  let i = 0;
  while (i < short.length && short[i] === long[i]) i++;
  return short.slice(i) === long.slice(i + 1);
}

interface AgentModel {
  readonly agent: Agent;
  readonly centroid: Vector;
  readonly examples: readonly Vector[];
}

/**
 * A deterministic, network-free classifier: TF-IDF vectors over normalised, stemmed tokens of each agent's
 * examples and keywords; an agent's score blends its best-matching example with its centroid (cosine).
 * Confidence grows with the top score and with the margin to the runner-up; a small margin is `ambiguous`.
 * A message sharing no content word with any agent is a `no-match` failure, not a guess.
 */
export class OfflineClassifier implements Classifier {
  readonly #models: readonly AgentModel[];
  readonly #idf: ReadonlyMap<string, number>;
  readonly #strongScore: number;
  readonly #ambiguousMargin: number;

  constructor(scenario: Scenario, options: OfflineClassifierOptions = {}) {
    this.#strongScore = options.strongScore ?? 0.35;
    this.#ambiguousMargin = options.ambiguousMargin ?? 0.2;
    const keywordWeight = options.keywordWeight ?? 2;
    const agents = scenario.agents.filter((a) => a.examples.length > 0);
    const docs = agents.map((agent) => {
      const examples = agent.examples.map((e) => contentTokens(e));
      const keywords = agent.keywords.flatMap((k) => contentTokens(k));
      return { agent, examples, keywords };
    });
    const df = new Map<string, number>();
    for (const d of docs) {
      for (const t of new Set([...d.examples.flat(), ...d.keywords])) df.set(t, (df.get(t) ?? 0) + 1);
    }
    const n = docs.length;
    const idf = new Map<string, number>();
    for (const [t, count] of df) idf.set(t, Math.log((n + 1) / (count + 1)) + 1);
    this.#idf = idf;
    this.#models = docs.map((d) => {
      const centroid = this.#weigh(termCounts(d.keywords, keywordWeight, termCounts(d.examples.flat())));
      return { agent: d.agent, centroid, examples: d.examples.map((e) => this.#weigh(termCounts(e))) };
    });
  }

  #weigh(counts: Vector): Vector {
    const out: Vector = new Map();
    for (const [t, c] of counts) {
      const idf = this.#idf.get(t);
      if (idf !== undefined) out.set(t, c * idf);
    }
    return out;
  }

  /**
   * A word the examples do not know, read as the known word one typo away ("retrun" → "return", "speek" →
   * "speak"): one edit or one swap of neighbours, for words of 4 letters or more; the first known word in
   * alphabetical order wins a tie, so the result is deterministic.
   */
  #corrected(token: string): string {
    if (this.#idf.has(token) || token.length < 4) return token;
    let best: string | undefined;
    for (const known of this.#idf.keys()) {
      if (known.length < 4 || Math.abs(known.length - token.length) > 1) continue;
      if (oneTypoApart(token, known) && (best === undefined || known < best)) best = known;
    }
    return best ?? token;
  }

  /** Every agent with examples and its score for this text, best first (ties keep scenario order). */
  rank(text: string): CandidateScore[] {
    const query = this.#weigh(termCounts(contentTokens(text).map((t) => this.#corrected(t))));
    return this.#models
      .map((m) => {
        const best = Math.max(0, ...m.examples.map((e) => cosine(query, e)));
        return { agentId: m.agent.id, score: 0.6 * best + 0.4 * cosine(query, m.centroid) };
      })
      .sort((a, b) => b.score - a.score);
  }

  /** Classifies synchronously (see {@link OfflineClassifier.classify}). */
  classifySync(text: string): Classification | ClassificationFailure {
    const candidates = this.rank(text);
    const [top, second] = candidates;
    if (!top || top.score <= 0) {
      return {
        kind: 'failure',
        reason: 'no-match',
        detail: 'the message shares no words with any agent’s examples',
      };
    }
    const runnerUp = second?.score ?? 0;
    const margin = (top.score - runnerUp) / top.score;
    const strength = Math.min(1, top.score / this.#strongScore);
    const confidence = Math.round(strength * (0.4 + 0.6 * margin) * 1000) / 1000;
    const agent = this.#models.find((m) => m.agent.id === top.agentId)?.agent;
    return {
      agent_id: top.agentId,
      confidence,
      ambiguous: runnerUp > 0 && margin < this.#ambiguousMargin,
      intent_summary: agent ? `${agent.topic} (${agent.displayName})` : top.agentId,
      entities: extractEntities(text),
      candidates: candidates.filter((c) => c.score > 0).slice(0, 3),
    };
  }

  /** Classifies a user message against the scenario's agents. */
  async classify(text: string): Promise<Classification | ClassificationFailure> {
    return this.classifySync(text);
  }
}
