/**
 * `@omni/emulators/foundry`: an in-process Azure AI Foundry emulator over https (a certificate generated per
 * run) that the unmodified `@azure/ai-projects` 2.x client and the OpenAI client from its `getOpenAIClient()`
 * talk to: agents and their versions, conversations and their items, and the Responses API answered by a
 * {@link ScriptedModel} that tests program. See the package README for what it does not emulate.
 *
 * @packageDocumentation
 */
export type { AgentRecord, AgentVersionRecord, ListPage } from './agents.js';
export type { ConversationRecord } from './conversations.js';
export { type StaticAccessToken, type StaticTokenCredential, staticTokenCredential } from './credential.js';
export {
  FOUNDRY_API_VERSIONS,
  FOUNDRY_EMULATOR_DEFAULT_PROJECT,
  type FoundryEmulator,
  type FoundryEmulatorOptions,
  type FoundryInspection,
  startFoundryEmulator,
  trustFoundryEmulator,
} from './emulator.js';
export type {
  ConversationItem,
  FunctionCallItem,
  FunctionCallOutputItem,
  MessageItem,
  TextContent,
} from './items.js';
export {
  defaultStep,
  type FunctionToolDefinition,
  type ModelRequest,
  type ModelResponder,
  type ModelStep,
  type ScriptedFunctionCall,
  ScriptedModel,
  type ScriptedUsage,
  type TextFormat,
} from './model.js';
