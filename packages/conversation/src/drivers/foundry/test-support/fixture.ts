import { AIProjectClient } from '@azure/ai-projects';
import {
  type FoundryEmulator,
  startFoundryEmulator,
  staticTokenCredential,
  trustFoundryEmulator,
} from '@omni/emulators/foundry';
import type { Scenario } from '../../../scenario.js';
import { loadScenario } from '../../../scenario.js';
import { createBuiltInToolRegistry } from '../../../tools/built-in-tools.js';
import type { ToolRegistry } from '../../../tools/tool-registry.js';
import { FoundryDriver } from '../foundry-driver.js';

/** A started, trusted Foundry emulator with the real SDK clients and a driver pointed at it. */
export interface FoundryDriverFixture {
  readonly foundry: FoundryEmulator;
  readonly project: AIProjectClient;
  readonly driver: FoundryDriver;
  readonly scenario: Scenario;
  readonly tools: ToolRegistry;
  stop(): Promise<void>;
}

/** Starts the emulator on a free port, trusts its certificate in this process and builds the clients. */
export async function startFoundryDriverFixture(): Promise<FoundryDriverFixture> {
  const foundry = await startFoundryEmulator({ port: 0 });
  const untrust = trustFoundryEmulator(foundry);
  const project = new AIProjectClient(foundry.endpoint, staticTokenCredential(), {
    retryOptions: { maxRetries: 0 },
  });
  const driver = new FoundryDriver({
    project,
    agentModel: 'gpt-4.1-mini',
    classifierModel: 'gpt-4.1-mini',
    openAIClientOptions: { maxRetries: 0 },
  });
  return {
    foundry,
    project,
    driver,
    scenario: await loadScenario('utilities'),
    tools: createBuiltInToolRegistry(),
    async stop() {
      untrust();
      await foundry.stop();
    },
  };
}
