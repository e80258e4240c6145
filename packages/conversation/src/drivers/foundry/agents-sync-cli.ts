import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../../scenario.js';
import { createBuiltInToolRegistry } from '../../tools/built-in-tools.js';
import { DEFAULT_FOUNDRY_MODEL } from './foundry-driver.js';
import { foundryCredentialFor } from './project.js';
import { type AgentSyncResult, syncAgents } from './sync-agents.js';

/** The message `agents:sync` fails with when no Foundry project is configured. */
export const FOUNDRY_ENDPOINT_MISSING =
  'FOUNDRY_PROJECT_ENDPOINT is not set: run `azd env get-values` or `pnpm start` for the local emulator';

/** Options of {@link runAgentsSync}. */
export interface AgentsSyncCliOptions {
  /** Where progress goes (default `process.stdout`). */
  readonly write?: (line: string) => void;
}

/**
 * `pnpm agents:sync`: reads FOUNDRY_PROJECT_ENDPOINT (required), SCENARIO (default `utilities`) and FOUNDRY_MODEL
 * (default `gpt-4.1-mini`), authenticates with `DefaultAzureCredential` (a fixed local token for 127.0.0.1 /
 * localhost, the emulator) and syncs the scenario's agents, printing one line per agent.
 *
 * @throws {Error} with {@link FOUNDRY_ENDPOINT_MISSING} before any network call when the endpoint is unset.
 */
export async function runAgentsSync(
  env: Readonly<Record<string, string | undefined>>,
  options: AgentsSyncCliOptions = {},
): Promise<AgentSyncResult[]> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const endpoint = env.FOUNDRY_PROJECT_ENDPOINT?.trim();
  if (!endpoint) throw new Error(FOUNDRY_ENDPOINT_MISSING);
  const scenarioName = env.SCENARIO?.trim() || 'utilities';
  const model = env.FOUNDRY_MODEL?.trim() || DEFAULT_FOUNDRY_MODEL;
  const scenario = await loadScenario(scenarioName);
  write(`agents:sync ${scenario.id} (${scenario.agents.length} agents, model ${model}) -> ${endpoint}`);
  return syncAgents({
    project: { endpoint, credential: foundryCredentialFor(endpoint) },
    scenario,
    tools: createBuiltInToolRegistry(),
    model,
    onAgent: (r) =>
      write(
        `  ${r.agentId.padEnd(20)} ${r.name} ${r.status} (version ${r.version}; tools: ${r.tools.join(', ')})`,
      ),
  });
}

function isMain(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  runAgentsSync(process.env).then(
    () => {
      process.exitCode = 0;
    },
    (error: unknown) => {
      process.stderr.write(`agents:sync failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
