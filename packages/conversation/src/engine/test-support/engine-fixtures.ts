import type { AgentStepRequest, AgentStepResult, ConversationDriver } from '../../driver.js';
import { OfflineDriver } from '../../drivers/offline/offline-driver.js';
import { loadScenario, type Scenario } from '../../scenario.js';
import { createBuiltInToolRegistry } from '../../tools/built-in-tools.js';
import { createEcommerceLedger, type EcommerceLedger } from '../../tools/ecommerce-tools.js';
import type { QueueSnapshot } from '../../tools/tool-registry.js';
import { ConversationEngine, type ConversationEngineOptions } from '../conversation-engine.js';
import { type ConversationStore, InMemoryConversationStore } from '../conversation-store.js';

/** A fixed test clock: 2025-06-10 12:00 UTC. */
export const TEST_NOW = Date.parse('2025-06-10T12:00:00Z');

/** A queue snapshot at a load level. */
export function queueAt(level: QueueSnapshot['level']): QueueSnapshot {
  const depth = level === 'normal' ? 2 : level === 'high' ? 40 : 90;
  return { queue: 'general', depth, estimatedWaitSeconds: depth * 15, level };
}

/**
 * The offline driver with scripted steps: `script(request)` answers a step instead of the rules when it
 * returns a result. Counts every step it is asked for.
 */
export class ScriptedDriver extends OfflineDriver {
  readonly requests: AgentStepRequest[] = [];
  script: (request: AgentStepRequest) => AgentStepResult | undefined = () => undefined;

  override async step(request: AgentStepRequest): Promise<AgentStepResult> {
    this.requests.push(request);
    const scripted = this.script(request);
    if (scripted) {
      this.calls.step += 1;
      return scripted;
    }
    return super.step(request);
  }
}

/** A scripted step result that calls one tool. */
export function callTool(
  name: string,
  args: Record<string, unknown> = {},
  model = 'gpt-4.1',
): AgentStepResult {
  return {
    toolCalls: [{ callId: `call_${name}`, name, arguments: JSON.stringify(args) }],
    usage: { inputTokens: 10, outputTokens: 5 },
    model,
  };
}

/** A scripted step result with text. */
export function say(text: string, model = 'gpt-4.1'): AgentStepResult {
  return { text, toolCalls: [], usage: { inputTokens: 10, outputTokens: 5 }, model };
}

/** Everything an engine test needs. */
export interface EngineHarness {
  readonly scenario: Scenario;
  readonly engine: ConversationEngine;
  readonly driver: ScriptedDriver;
  readonly store: InMemoryConversationStore;
  readonly ledger: EcommerceLedger;
  queue: QueueSnapshot;
}

/** An engine over the in-memory store and the (scriptable) offline driver. */
export async function engineHarness(
  scenarioName: 'utilities' | 'ecommerce',
  overrides: Partial<ConversationEngineOptions> & {
    store?: ConversationStore;
    driver?: ConversationDriver;
  } = {},
): Promise<EngineHarness> {
  const scenario = await loadScenario(scenarioName);
  const ledger = createEcommerceLedger();
  const driver = new ScriptedDriver();
  const store = new InMemoryConversationStore();
  const harness = { scenario, driver, store, ledger, queue: queueAt('normal') } as EngineHarness;
  const engine = new ConversationEngine({
    scenario,
    settings: { budgetLimitUsd: 0.5 },
    driver,
    store,
    tools: createBuiltInToolRegistry({ ecommerceLedger: ledger }),
    queueStatus: async () => harness.queue,
    clock: () => TEST_NOW,
    ...overrides,
  });
  return Object.assign(harness, { engine });
}
