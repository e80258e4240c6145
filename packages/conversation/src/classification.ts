import { z } from 'zod';
import type { TokenUsage } from './budget.js';

/**
 * What a classifier says about a user message: the agent that should handle it, how sure it is, whether
 * two agents are about equally likely, a one-line intent summary and the entities it found.
 * The Foundry driver asks for exactly this shape with structured output ({@link CLASSIFICATION_JSON_SCHEMA}).
 */
export const ClassificationResultSchema = z
  .object({
    agent_id: z.string().min(1),
    confidence: z.number().min(0).max(1),
    ambiguous: z.boolean(),
    intent_summary: z.string(),
    entities: z.record(z.string(), z.string()),
  })
  .strict();

/** A classifier's answer (see {@link ClassificationResultSchema}). */
export type ClassificationResult = z.infer<typeof ClassificationResultSchema>;

/** One agent and its score, for clarifying questions that name the top candidates. */
export interface CandidateScore {
  readonly agentId: string;
  readonly score: number;
}

/** A classification with, when the classifier knows them, the ranked candidates (best first). */
export type Classification = ClassificationResult & {
  readonly candidates?: readonly CandidateScore[];
  /** The tokens the classifying model call used (every model call counts against the budget). */
  readonly usage?: TokenUsage;
  /** The model that classified. */
  readonly model?: string;
};

/** Why a classification produced no usable result. */
export type ClassificationFailureReason = 'error' | 'timeout' | 'malformed' | 'no-match';

/** A classification that failed; the confidence gate clarifies or escalates, never guesses. */
export interface ClassificationFailure {
  readonly kind: 'failure';
  readonly reason: ClassificationFailureReason;
  readonly detail: string;
  readonly usage?: TokenUsage;
  readonly model?: string;
}

/** Whether a classifier answer is a failure. */
export function isClassificationFailure(
  value: Classification | ClassificationFailure,
): value is ClassificationFailure {
  return 'kind' in value && value.kind === 'failure';
}

/**
 * The JSON schema of {@link ClassificationResultSchema} for structured output (`text.format` of the
 * Responses API with `strict: true`): every property required, no additional properties.
 */
export const CLASSIFICATION_JSON_SCHEMA: Record<string, unknown> = (() => {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(ClassificationResultSchema) as Record<
    string,
    unknown
  >;
  return schema;
})();

/**
 * Parses a classifier's raw output (a JSON string or an object) into a {@link Classification}, or a
 * `malformed` failure naming what was wrong.
 */
export function parseClassification(raw: unknown): Classification | ClassificationFailure {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return { kind: 'failure', reason: 'malformed', detail: 'classifier output is not JSON' };
    }
  }
  const parsed = ClassificationResultSchema.safeParse(value);
  if (!parsed.success) {
    return {
      kind: 'failure',
      reason: 'malformed',
      detail: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    };
  }
  return parsed.data;
}

/** Classifies user messages for a scenario (offline by example similarity, or a model in the Foundry driver). */
export interface Classifier {
  classify(text: string): Promise<Classification | ClassificationFailure>;
}
