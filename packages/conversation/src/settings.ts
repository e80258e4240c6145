import { z } from 'zod';
import type { Scenario } from './scenario.js';

/** The default per-conversation budget in USD when BUDGET_LIMIT_PER_CONVERSATION is unset. */
export const DEFAULT_BUDGET_LIMIT_USD = 0.5;

/** The default spend breaker limit: model tokens per minute across all conversations (of the deployment with Redis, else of one process). */
export const DEFAULT_TOKENS_PER_MINUTE = 400_000;

/**
 * Conversation settings from the environment. Routing fields are overrides: when absent, the
 * scenario's own value applies (see {@link effectiveRouting}).
 */
export interface ConversationSettings {
  /** The scenario name or path (SCENARIO, default `utilities`). */
  readonly scenario: string;
  /** HANDOFF_LAZY_CLASSIFICATION: `true` forces lazy routing, `false` tool routing; unset keeps the scenario's. */
  readonly lazyClassification?: boolean;
  /**
   * HANDOFF_DEFAULT_DOMAIN: the agent a failed classification routes to. Only when this (or the scenario's
   * `routing.defaultDomain`) is set does a failure route anywhere; otherwise it clarifies or escalates.
   */
  readonly defaultDomain?: string;
  /** HANDOFF_CONTEXT_TRANSFER_TURNS: -1 all, 0 none, N the last N turns. */
  readonly contextTransferTurns?: number;
  /** BUDGET_LIMIT_PER_CONVERSATION in USD. */
  readonly budgetLimitUsd: number;
  /**
   * BUDGET_SCOPE: what one budget covers: `session` (one call, one chat; default) or `day` (a customer's UTC
   * day across channels). Never a customer's whole life: a returning customer gets a fresh budget.
   */
  readonly budgetScope?: 'session' | 'day';
  /** MODEL_TOKENS_PER_MINUTE: the spend breaker's limit on model tokens per minute across every conversation. */
  readonly tokensPerMinute?: number;
  /** REFUND_APPROVAL_THRESHOLD_USD: refunds above it go to a person for approval. */
  readonly refundApprovalThresholdUsd?: number;
}

/** Thrown when the environment holds invalid conversation settings; the message names each variable. */
export class ConversationSettingsError extends Error {
  override readonly name = 'ConversationSettingsError';
}

const emptyAsUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const envSchema = z.object({
  SCENARIO: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .trim()
      .regex(/^([a-z][a-z0-9-]*|.+\.ya?ml)$/i, 'must be a scenario name (e.g. utilities) or a .yaml path')
      .default('utilities'),
  ),
  HANDOFF_LAZY_CLASSIFICATION: z.preprocess(
    emptyAsUndefined,
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .optional(),
  ),
  HANDOFF_DEFAULT_DOMAIN: z.preprocess(
    emptyAsUndefined,
    z
      .string()
      .trim()
      .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, 'must be an agent id')
      .optional(),
  ),
  HANDOFF_CONTEXT_TRANSFER_TURNS: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ message: 'must be a whole number' })
      .int('must be a whole number')
      .min(-1, 'must be -1 (all), 0 (none) or a positive number of turns')
      .optional(),
  ),
  BUDGET_LIMIT_PER_CONVERSATION: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ message: 'must be a number of USD' })
      .positive('must be more than 0 (USD)')
      .default(DEFAULT_BUDGET_LIMIT_USD),
  ),
  REFUND_APPROVAL_THRESHOLD_USD: z.preprocess(
    emptyAsUndefined,
    z.coerce.number({ message: 'must be a number of USD' }).nonnegative().optional(),
  ),
  BUDGET_SCOPE: z.preprocess(emptyAsUndefined, z.enum(['session', 'day']).default('session')),
  MODEL_TOKENS_PER_MINUTE: z.preprocess(
    emptyAsUndefined,
    z.coerce
      .number({ message: 'must be a number of tokens' })
      .int()
      .positive()
      .default(DEFAULT_TOKENS_PER_MINUTE),
  ),
});

/**
 * Reads the conversation settings from an environment (pass `process.env`).
 *
 * @throws {ConversationSettingsError} naming every invalid variable.
 */
export function conversationSettingsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): ConversationSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConversationSettingsError(
      `Invalid conversation settings:\n${parsed.error.issues.map((i) => `  - ${i.path.join('.')}: ${i.message}`).join('\n')}`,
    );
  }
  const e = parsed.data;
  return {
    scenario: e.SCENARIO,
    budgetLimitUsd: e.BUDGET_LIMIT_PER_CONVERSATION,
    budgetScope: e.BUDGET_SCOPE,
    tokensPerMinute: e.MODEL_TOKENS_PER_MINUTE,
    ...(e.REFUND_APPROVAL_THRESHOLD_USD === undefined
      ? {}
      : { refundApprovalThresholdUsd: e.REFUND_APPROVAL_THRESHOLD_USD }),
    ...(e.HANDOFF_LAZY_CLASSIFICATION === undefined
      ? {}
      : { lazyClassification: e.HANDOFF_LAZY_CLASSIFICATION }),
    ...(e.HANDOFF_DEFAULT_DOMAIN === undefined ? {} : { defaultDomain: e.HANDOFF_DEFAULT_DOMAIN }),
    ...(e.HANDOFF_CONTEXT_TRANSFER_TURNS === undefined
      ? {}
      : { contextTransferTurns: e.HANDOFF_CONTEXT_TRANSFER_TURNS }),
  };
}

/** The routing a conversation runs with: the scenario's, overridden by the settings. */
export interface EffectiveRouting {
  readonly mode: 'tools' | 'lazy';
  readonly defaultDomain: string | undefined;
  readonly contextTransferTurns: number;
  readonly clarifyBelow: number;
  readonly escalateBelow: number;
  readonly maxClarifications: number;
}

/** Partial settings: only the routing overrides matter here. */
export type RoutingOverrides = Pick<
  ConversationSettings,
  'lazyClassification' | 'defaultDomain' | 'contextTransferTurns'
>;

/**
 * Merges the scenario's routing with the settings' overrides.
 *
 * @throws {ConversationSettingsError} when HANDOFF_DEFAULT_DOMAIN names no agent of the scenario (fail fast at start).
 */
export function effectiveRouting(scenario: Scenario, settings: RoutingOverrides = {}): EffectiveRouting {
  const defaultDomain = settings.defaultDomain ?? scenario.routing.defaultDomain;
  if (defaultDomain !== undefined && !scenario.agents.some((a) => a.id === defaultDomain)) {
    throw new ConversationSettingsError(
      `HANDOFF_DEFAULT_DOMAIN: unknown agent "${defaultDomain}" in scenario ${scenario.id} (agents: ${scenario.agents.map((a) => a.id).join(', ')})`,
    );
  }
  return {
    mode:
      settings.lazyClassification === undefined
        ? scenario.routing.mode
        : settings.lazyClassification
          ? 'lazy'
          : 'tools',
    defaultDomain,
    contextTransferTurns: settings.contextTransferTurns ?? scenario.routing.contextTransferTurns,
    clarifyBelow: scenario.routing.clarifyBelow,
    escalateBelow: scenario.routing.escalateBelow,
    maxClarifications: scenario.routing.maxClarifications,
  };
}
