import type { Agent, Scenario } from './scenario.js';
import { effectiveRouting, type RoutingOverrides } from './settings.js';
import { normaliseText } from './text-normalisation.js';

/** How a handoff phrase was recognised, strongest first. */
export type HandoffMatchKind = 'template' | 'boundary' | 'explicit' | 'keyword-proximity';

/** The result of {@link detectHandoffPhrase}. */
export type HandoffPhraseDetection =
  | { readonly detected: false }
  | {
      readonly detected: true;
      readonly matchedBy: HandoffMatchKind;
      /** The agent the reply points at, when it names one (never the replying agent itself). */
      readonly targetAgentId?: string;
      /** The matched span of the (normalised) reply. */
      readonly matchedText: string;
    };

/** Options of {@link detectHandoffPhrase}. */
export interface HandoffPhraseOptions {
  /** The agent that wrote the reply: its own keywords and name never count as a target. */
  readonly currentAgentId?: string;
  /** How close (in characters) a handoff verb and an agent keyword must be. Default 100. */
  readonly proximityChars?: number;
}

const BOUNDARY_PATTERNS: readonly RegExp[] = [
  /\boutside (?:of )?(?:my|our) (?:area|domain|expertise|remit|scope|specialty|speciality)\b/,
  /\b(?:outside|beyond) (?:the scope of )?what i (?:can|am able to) (?:help|assist|do)\b/,
  /\bnot (?:in )?my (?:area|domain|expertise|remit|specialty|speciality)\b/,
  /\bi(?:'m| am) not the right (?:person|agent|specialist|team) (?:for|to help with)\b/,
];

const EXPLICIT_PATTERNS: readonly RegExp[] = [
  /\blet me (?:connect|transfer|put|pass|hand|route|refer|redirect)(?: you)?(?: (?:over|through|back))? (?:to|with)\b/,
  /\b(?:i'll|i will|i'm going to|i am going to) (?:now )?(?:connect|transfer|pass|hand|route|refer|put) you\b/,
  /\bhand(?:ing)? you (?:over|off|back) to\b/,
  /\b(?:connect|transfer)(?:ing)? you (?:with|to)\b/,
  /\bbetter (?:suited|placed|able) to help\b/,
];

const HANDOFF_VERB =
  /\b(?:transfer\w*|connect\w*|hand(?:ing)? (?:you )?(?:over|off)|pass(?:ing)? you|put(?:ting)? you through|rout(?:e|ing) you|redirect\w*|refer(?:ring)? you)\b/g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The names a reply may call an agent by: its display name, its id split into words, both without a role suffix. */
function agentNames(agent: Agent): string[] {
  const idWords = agent.id.replace(/([a-z])([A-Z])/g, '$1 $2');
  const names = [agent.displayName, agent.id, idWords].map(normaliseText);
  const bare = names.map((n) => n.replace(/\s+(?:specialist|advisor|adviser|team|agent|assistant)$/, ''));
  return [...new Set([...names, ...bare])].filter((n) => n.length > 2);
}

function findTargetAfter(
  text: string,
  from: number,
  agents: readonly Agent[],
  window: number,
): string | undefined {
  const tail = text.slice(from, from + window + 40);
  let best: { id: string; at: number } | undefined;
  for (const agent of agents) {
    for (const term of [...agentNames(agent), ...agent.keywords.map(normaliseText)]) {
      const m = new RegExp(`\\b${escapeRegExp(term)}`).exec(tail);
      if (m && m.index <= window && (!best || m.index < best.at)) best = { id: agent.id, at: m.index };
    }
  }
  return best?.id;
}

/**
 * Detects whether an agent's reply hands the conversation off, trying in order: the scenario's templates
 * (`{agent}` stands for an agent's name), boundary phrases ("that's outside my area"), explicit handoff
 * language ("let me connect you with"), and a handoff verb within `proximityChars` (100) of another agent's
 * keyword. Used by lazy classification and as a fallback when a model hands off in words instead of with a
 * transfer tool. Pure.
 */
export function detectHandoffPhrase(
  reply: string,
  scenario: Scenario,
  options: HandoffPhraseOptions = {},
): HandoffPhraseDetection {
  const text = normaliseText(reply);
  const window = options.proximityChars ?? 100;
  const others = scenario.agents.filter((a) => a.id !== options.currentAgentId);
  const withTarget = (
    matchedBy: HandoffMatchKind,
    matchedText: string,
    end: number,
    explicitTarget?: string,
  ) => {
    const targetAgentId = explicitTarget ?? findTargetAfter(text, end, others, window);
    return targetAgentId === undefined
      ? { detected: true as const, matchedBy, matchedText }
      : { detected: true as const, matchedBy, matchedText, targetAgentId };
  };

  const names = others.flatMap((a) => agentNames(a).map((name) => ({ name, id: a.id })));
  names.sort((a, b) => b.name.length - a.name.length);
  const nameAlternation = names.map((n) => escapeRegExp(n.name)).join('|');
  for (const template of scenario.handoffPhrases) {
    const body = normaliseText(template)
      .replace(/[.!]+$/, '')
      .split('{agent}')
      .map((part) => escapeRegExp(part).replace(/\s+/g, '\\s+'))
      .join(nameAlternation ? `(?<agent>${nameAlternation})` : '(?<agent>\\S+)');
    const m = new RegExp(body).exec(text);
    if (m) {
      const named = m.groups?.agent;
      const target = named === undefined ? undefined : names.find((n) => n.name === named)?.id;
      return withTarget('template', m[0], m.index + m[0].length, target);
    }
  }
  for (const [kind, patterns] of [
    ['boundary', BOUNDARY_PATTERNS],
    ['explicit', EXPLICIT_PATTERNS],
  ] as const) {
    for (const pattern of patterns) {
      const m = pattern.exec(text);
      if (m) return withTarget(kind, m[0], m.index + m[0].length);
    }
  }

  let best: { id: string; gap: number; span: string } | undefined;
  for (const verb of text.matchAll(HANDOFF_VERB)) {
    const vStart = verb.index;
    const vEnd = vStart + verb[0].length;
    for (const agent of others) {
      for (const term of [...agent.keywords.map(normaliseText), ...agentNames(agent)]) {
        for (const k of text.matchAll(new RegExp(`\\b${escapeRegExp(term)}`, 'g'))) {
          const kStart = k.index;
          const kEnd = kStart + k[0].length;
          const gap = kStart >= vEnd ? kStart - vEnd : vStart >= kEnd ? vStart - kEnd : 0;
          if (gap <= window && (!best || gap < best.gap)) {
            best = { id: agent.id, gap, span: text.slice(Math.min(vStart, kStart), Math.max(vEnd, kEnd)) };
          }
        }
      }
    }
  }
  if (best)
    return { detected: true, matchedBy: 'keyword-proximity', matchedText: best.span, targetAgentId: best.id };
  return { detected: false };
}

/** Where a conversation stands, for {@link shouldClassify}. */
export interface ClassificationState {
  /** The agent handling the conversation; `undefined` before the first message was routed. */
  readonly currentAgentId?: string;
  /** User messages handled so far in this conversation. */
  readonly userTurns: number;
}

/** Whether to classify this user message, and why. */
export type ClassifyDecision =
  | { readonly classify: true; readonly reason: 'first-message' | 'no-specialist' }
  | { readonly classify: true; readonly reason: 'handoff-phrase'; readonly handoff: HandoffPhraseDetection }
  | { readonly classify: false; readonly reason: 'tools-mode' | 'empty-message' | 'same-specialist' };

/**
 * Lazy classification: in `lazy` mode, classify the first message of a conversation (or while no specialist
 * holds it), and any message after a specialist reply that matched a handoff phrase; otherwise the message
 * goes straight to the current specialist. In `tools` mode never: the coordinator routes with transfer tools.
 * Pure.
 */
export function shouldClassify(
  state: ClassificationState,
  userText: string,
  lastSpecialistReply: string | undefined,
  settings: RoutingOverrides,
  scenario: Scenario,
): ClassifyDecision {
  if (effectiveRouting(scenario, settings).mode === 'tools') return { classify: false, reason: 'tools-mode' };
  if (userText.trim() === '') return { classify: false, reason: 'empty-message' };
  if (state.currentAgentId === undefined || state.userTurns === 0)
    return { classify: true, reason: 'first-message' };
  if (state.currentAgentId === scenario.coordinator) return { classify: true, reason: 'no-specialist' };
  if (lastSpecialistReply !== undefined) {
    const handoff = detectHandoffPhrase(lastSpecialistReply, scenario, {
      currentAgentId: state.currentAgentId,
    });
    if (handoff.detected) return { classify: true, reason: 'handoff-phrase', handoff };
  }
  return { classify: false, reason: 'same-specialist' };
}
