import { AIProjectClient } from '@azure/ai-projects';
import type OpenAI from 'openai';
import { type StaticTokenCredential, staticTokenCredential } from '../credential.js';
import {
  type FoundryEmulator,
  type FoundryEmulatorOptions,
  startFoundryEmulator,
  trustFoundryEmulator,
} from '../emulator.js';

/** A started emulator whose certificate this process trusts, with the real clients pointed at it. */
export interface FoundryFixture {
  readonly foundry: FoundryEmulator;
  readonly credential: StaticTokenCredential;
  /** `new AIProjectClient(foundry.endpoint, credential)`, as product code builds it. */
  readonly project: AIProjectClient;
  /** `project.getOpenAIClient()` (no retries, so scripted failures surface at once). */
  readonly openai: OpenAI;
  stop(): Promise<void>;
}

/** Starts an emulator, trusts it and builds the clients. */
export async function startFoundryFixture(options: FoundryEmulatorOptions = {}): Promise<FoundryFixture> {
  const foundry = await startFoundryEmulator(options);
  const untrust = trustFoundryEmulator(foundry);
  const credential = staticTokenCredential();
  const project = new AIProjectClient(foundry.endpoint, credential, { retryOptions: { maxRetries: 0 } });
  const openai = project.getOpenAIClient({ maxRetries: 0 });
  return {
    foundry,
    credential,
    project,
    openai,
    async stop() {
      untrust();
      await foundry.stop();
    },
  };
}

/** The agent reference a Foundry `responses.create` takes through the request options' `body`. */
export function agentReference(
  name: string,
  version?: string,
): {
  body: { agent: { type: 'agent_reference'; name: string; version?: string } };
} {
  return { body: { agent: { type: 'agent_reference', name, ...(version ? { version } : {}) } } };
}

/** A flat Responses function tool. */
export function functionTool(name: string, description: string, properties: Record<string, unknown> = {}) {
  return {
    type: 'function' as const,
    name,
    description,
    strict: true,
    parameters: {
      type: 'object',
      properties,
      required: Object.keys(properties),
      additionalProperties: false,
    },
  };
}
