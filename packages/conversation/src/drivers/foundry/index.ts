/**
 * The Foundry driver: `FoundryDriver` (a `ConversationDriver` on Azure AI Foundry conversations and Responses with
 * agent references) and `syncAgents` / `pnpm agents:sync` (one Foundry agent version per scenario agent, tools
 * baked in).
 *
 * @packageDocumentation
 */
export * from './agent-definitions.js';
export { type AgentsSyncCliOptions, FOUNDRY_ENDPOINT_MISSING, runAgentsSync } from './agents-sync-cli.js';
export * from './conversation-records.js';
export * from './foundry-driver.js';
export * from './project.js';
export * from './sync-agents.js';
