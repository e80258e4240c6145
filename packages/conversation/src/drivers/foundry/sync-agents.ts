import type { AgentVersion } from '@azure/ai-projects';
import type { Scenario } from '../../scenario.js';
import type { ToolRegistry } from '../../tools/tool-registry.js';
import {
  assertFoundryAgentName,
  defaultFoundryAgentName,
  FOUNDRY_DEFINITION_HASH_METADATA_KEY,
  type FoundryAgentNames,
  foundryAgentDefinition,
  foundryDefinitionHash,
} from './agent-definitions.js';
import { DEFAULT_FOUNDRY_MODEL } from './foundry-driver.js';
import { type FoundryProjectInput, foundryProjectClient } from './project.js';

/** Input of {@link syncAgents}. */
export interface SyncAgentsOptions {
  readonly project: FoundryProjectInput;
  readonly scenario: Scenario;
  /** The tools that exist; each agent gets the definitions of its own. */
  readonly tools: ToolRegistry;
  /** The model deployment of every agent version. Default `gpt-4.1-mini`. */
  readonly model?: string;
  readonly agentNames?: FoundryAgentNames;
  /** Called after each agent (the CLI prints progress). */
  readonly onAgent?: (result: AgentSyncResult) => void;
}

/** What `syncAgents` did for one scenario agent. */
export interface AgentSyncResult {
  readonly agentId: string;
  /** The Foundry agent name. */
  readonly name: string;
  /** `created`: the agent did not exist; `updated`: a new version; `unchanged`: the latest version already matches. */
  readonly status: 'created' | 'updated' | 'unchanged';
  /** The latest version after the sync. */
  readonly version: string;
  /** The tools baked into that version. */
  readonly tools: readonly string[];
  /** The canonical hash of the definition (also in the version's metadata). */
  readonly hash: string;
}

function statusCodeOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const code = (error as { statusCode?: unknown }).statusCode;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}

async function latestVersion(
  project: ReturnType<typeof foundryProjectClient>,
  name: string,
): Promise<AgentVersion | undefined> {
  try {
    return (await project.agents.get(name)).versions.latest;
  } catch (error) {
    if (statusCodeOf(error) === 404) return undefined;
    throw error;
  }
}

/**
 * Creates or updates one Foundry agent version per scenario agent: its instructions (with the channel styles and
 * the no-repeat rule), its own tools and a `transfer_to_<target>` tool per allowed handoff, baked in (Foundry takes
 * tools at agent creation, not per request). Idempotent: when the latest version's definition has the same
 * canonical hash (kept in its metadata, or computed from the stored definition), no version is added.
 */
export async function syncAgents(options: SyncAgentsOptions): Promise<AgentSyncResult[]> {
  const project = foundryProjectClient(options.project);
  const names = options.agentNames ?? defaultFoundryAgentName;
  const model = options.model ?? DEFAULT_FOUNDRY_MODEL;
  const results: AgentSyncResult[] = [];
  for (const agent of options.scenario.agents) {
    const name = assertFoundryAgentName(names(options.scenario, agent));
    const definition = foundryAgentDefinition(options.tools, options.scenario, agent, model);
    const hash = foundryDefinitionHash(definition);
    const tools = definition.tools.map((t) => t.name);
    const latest = await latestVersion(project, name);
    let result: AgentSyncResult;
    if (
      latest !== undefined &&
      (latest.metadata?.[FOUNDRY_DEFINITION_HASH_METADATA_KEY] === hash ||
        foundryDefinitionHash(latest.definition) === hash)
    ) {
      result = { agentId: agent.id, name, status: 'unchanged', version: latest.version, tools, hash };
    } else {
      const created = await project.agents.createVersion(name, definition, {
        description: `${options.scenario.displayName}: ${agent.displayName}`.slice(0, 512),
        metadata: {
          [FOUNDRY_DEFINITION_HASH_METADATA_KEY]: hash,
          scenario: options.scenario.id,
          agent_id: agent.id,
        },
      });
      result = {
        agentId: agent.id,
        name,
        status: latest === undefined ? 'created' : 'updated',
        version: created.version,
        tools,
        hash,
      };
    }
    options.onAgent?.(result);
    results.push(result);
  }
  return results;
}
