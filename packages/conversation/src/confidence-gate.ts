import {
  type Classification,
  type ClassificationFailure,
  ClassificationResultSchema,
  isClassificationFailure,
} from './classification.js';
import type { Agent, Scenario } from './scenario.js';
import { effectiveRouting, type RoutingOverrides } from './settings.js';

/** What the confidence gate decided. */
export type RouteDecision =
  | {
      readonly kind: 'route';
      readonly agentId: string;
      /** `classified`: the classifier was sure enough; `default-domain`: a failure fell back to the configured default. */
      readonly reason: 'classified' | 'default-domain';
      readonly confidence: number;
    }
  | { readonly kind: 'clarify'; readonly question: string; readonly candidates: readonly string[] }
  | { readonly kind: 'escalate'; readonly reason: string };

/** Conversation facts the gate needs besides the classification. */
export interface GateContext {
  /** Clarifying questions asked in a row just before this message; at the scenario's maximum the gate escalates. */
  readonly clarificationsInARow?: number;
}

function listTopics(agents: readonly Agent[]): string {
  const topics = agents.map((a) => a.topic);
  if (topics.length <= 1) return topics[0] ?? '';
  return `${topics.slice(0, -1).join(', ')} or ${topics[topics.length - 1]}`;
}

/**
 * The confidence gate: routes to the classified agent when it is sure enough, asks a clarifying question
 * that names the top candidates when it is not (or two agents tie), and escalates to a human when the
 * confidence is below `escalateBelow` or clarifying has not helped. A failed classification (error,
 * malformed output, unknown agent id, no match) never routes to a guessed agent: it routes to the default
 * domain only when one is configured, and otherwise clarifies (or escalates after too many clarifications).
 * Pure: the same inputs always give the same decision.
 */
export function decideRoute(
  input: Classification | ClassificationFailure,
  scenario: Scenario,
  settings: RoutingOverrides = {},
  context: GateContext = {},
): RouteDecision {
  const routing = effectiveRouting(scenario, settings);
  const clarifications = context.clarificationsInARow ?? 0;
  const specialistsByTopic = scenario.agents.filter((a) => a.id !== scenario.coordinator);

  const onFailure = (detail: string): RouteDecision => {
    if (routing.defaultDomain !== undefined) {
      return { kind: 'route', agentId: routing.defaultDomain, reason: 'default-domain', confidence: 0 };
    }
    if (clarifications >= routing.maxClarifications) {
      return {
        kind: 'escalate',
        reason: `classification failed after ${clarifications} clarifications: ${detail}`,
      };
    }
    return {
      kind: 'clarify',
      question: `Sorry, I want to get you to the right person. Is this about ${listTopics(specialistsByTopic)}?`,
      candidates: specialistsByTopic.map((a) => a.id),
    };
  };

  if (isClassificationFailure(input)) return onFailure(`${input.reason}: ${input.detail}`);
  const checked = ClassificationResultSchema.safeParse({
    agent_id: input.agent_id,
    confidence: input.confidence,
    ambiguous: input.ambiguous,
    intent_summary: input.intent_summary,
    entities: input.entities,
  });
  if (!checked.success) return onFailure('malformed classification');
  const result = checked.data;
  const agent = scenario.agents.find((a) => a.id === result.agent_id);
  if (!agent) return onFailure(`unknown agent id "${result.agent_id}"`);

  if (result.confidence < routing.escalateBelow) {
    return {
      kind: 'escalate',
      reason: `classification confidence ${result.confidence.toFixed(2)} is below ${routing.escalateBelow}`,
    };
  }
  if (result.ambiguous || result.confidence < agent.confidenceThreshold) {
    if (clarifications >= routing.maxClarifications) {
      return {
        kind: 'escalate',
        reason: `still unsure after ${clarifications} clarifications (best guess ${agent.id}, ${result.confidence.toFixed(2)})`,
      };
    }
    const ids = [agent.id];
    for (const c of input.candidates ?? []) {
      if (ids.length >= 2) break;
      if (!ids.includes(c.agentId) && scenario.agents.some((a) => a.id === c.agentId)) ids.push(c.agentId);
    }
    const candidates = ids.flatMap((id) => scenario.agents.filter((a) => a.id === id));
    const question =
      candidates.length > 1
        ? `Just to be sure I get you to the right place: is this about ${listTopics(candidates)}?`
        : `Just to check: is this about ${agent.topic}?`;
    return { kind: 'clarify', question, candidates: ids };
  }
  return { kind: 'route', agentId: agent.id, reason: 'classified', confidence: result.confidence };
}
