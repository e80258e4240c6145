import { z } from 'zod';
import type { ConversationDriver } from './driver.js';
import { FoundryDriver, foundryCredentialFor } from './drivers/foundry/index.js';
import { OfflineDriver } from './drivers/offline/offline-driver.js';
import { ConversationEngine } from './engine/conversation-engine.js';
import type { ConversationStore } from './engine/conversation-store.js';
import { RedisClassificationCache, type RedisCommands } from './redis-classification-cache.js';
import { loadScenario } from './scenario.js';
import { conversationSettingsFromEnv, DEFAULT_TOKENS_PER_MINUTE } from './settings.js';
import { RedisSpendBreaker, type SpendCounterCommands } from './spend-breaker.js';
import { createBuiltInToolRegistry } from './tools/built-in-tools.js';
import type { QueueSnapshot } from './tools/tool-registry.js';

/**
 * The agent-engine settings every channel adapter reads (spread into its config schema; check
 * {@link checkConversationConfig} in its `superRefine`).
 */
export const conversationConfig = {
  CONVERSATION_DRIVER: z.enum(['offline', 'foundry']).default('offline'),
  FOUNDRY_PROJECT_ENDPOINT: z.url().optional(),
  FOUNDRY_MODEL: z.string().min(1).optional(),
  SCENARIO: z.string().min(1).default('utilities'),
} as const;

/** The values of {@link conversationConfig}. */
export interface ConversationConfig {
  readonly CONVERSATION_DRIVER: 'offline' | 'foundry';
  readonly FOUNDRY_PROJECT_ENDPOINT?: string | undefined;
  readonly FOUNDRY_MODEL?: string | undefined;
  readonly SCENARIO: string;
}

/** The cross-field rule of {@link conversationConfig}: the Foundry driver needs its project endpoint. */
export function checkConversationConfig(config: ConversationConfig, ctx: z.RefinementCtx): void {
  if (config.CONVERSATION_DRIVER === 'foundry' && config.FOUNDRY_PROJECT_ENDPOINT === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['FOUNDRY_PROJECT_ENDPOINT'],
      message: 'is required when CONVERSATION_DRIVER is foundry',
    });
  }
}

/** The driver the configuration names: Foundry (managed identity in Azure, the emulator's token locally) or offline. */
export function conversationDriverFor(config: ConversationConfig): ConversationDriver {
  if (config.CONVERSATION_DRIVER !== 'foundry' || config.FOUNDRY_PROJECT_ENDPOINT === undefined) {
    return new OfflineDriver();
  }
  return new FoundryDriver({
    project: {
      endpoint: config.FOUNDRY_PROJECT_ENDPOINT,
      credential: foundryCredentialFor(config.FOUNDRY_PROJECT_ENDPOINT),
    },
    ...(config.FOUNDRY_MODEL
      ? { agentModel: config.FOUNDRY_MODEL, classifierModel: config.FOUNDRY_MODEL }
      : {}),
  });
}

/** What {@link createConversationEngine} needs. */
export interface ConversationEngineRuntime {
  readonly config: ConversationConfig;
  readonly store: ConversationStore;
  /** The human queue as the channel sees it (the engine's `check_queue_status`). */
  readonly queueStatus: () => Promise<QueueSnapshot>;
  /** Replaces the configured driver (tests). */
  readonly driver?: ConversationDriver | undefined;
  /** Where the engine settings (HANDOFF_*, BUDGET_*) are read; default `process.env`. */
  readonly env?: Record<string, string | undefined> | undefined;
  readonly clock?: (() => number) | undefined;
  /**
   * The Redis the replicas share (`REDIS_URL`): the spend breaker and the classification cache then hold for
   * the deployment, not per replica. Absent: both in process memory (the single-process sandbox).
   */
  readonly redis?: (SpendCounterCommands & RedisCommands) | undefined;
}

/**
 * The conversation engine a channel adapter runs: the configured scenario, its settings from the environment,
 * the configured driver, the built-in tools, and the channel's view of the human queue. One place, so every channel
 * runs the same agents the same way.
 */
export async function createConversationEngine(
  runtime: ConversationEngineRuntime,
): Promise<ConversationEngine> {
  const { config } = runtime;
  const scenario = await loadScenario(config.SCENARIO);
  const settings = conversationSettingsFromEnv({
    ...(runtime.env ?? process.env),
    SCENARIO: config.SCENARIO,
  });
  return new ConversationEngine({
    scenario,
    settings,
    driver: runtime.driver ?? conversationDriverFor(config),
    store: runtime.store,
    tools: createBuiltInToolRegistry(
      settings.refundApprovalThresholdUsd === undefined
        ? {}
        : { refundApprovalThresholdUsd: settings.refundApprovalThresholdUsd },
    ),
    queueStatus: runtime.queueStatus,
    ...(runtime.clock ? { clock: runtime.clock } : {}),
    ...(runtime.redis
      ? {
          spendBreaker: new RedisSpendBreaker(
            runtime.redis,
            settings.tokensPerMinute ?? DEFAULT_TOKENS_PER_MINUTE,
          ),
          classificationCache: new RedisClassificationCache(runtime.redis),
        }
      : {}),
  });
}
