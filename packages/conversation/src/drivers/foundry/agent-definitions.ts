import { createHash } from 'node:crypto';
import { TRANSFER_TOOL_PREFIX } from '../../driver.js';
import type { Agent, ConversationChannel, Scenario } from '../../scenario.js';
import { canonicalJson, type FunctionToolDefinition, type ToolRegistry } from '../../tools/tool-registry.js';

/** Maps a scenario agent to its Foundry agent name. */
export type FoundryAgentNames = (scenario: Pick<Scenario, 'id'>, agent: Pick<Agent, 'id'>) => string;

/** Foundry agent names: letters, digits and inner hyphens, at most 63 characters. */
export const FOUNDRY_AGENT_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** The metadata key holding the canonical hash of an agent version's definition (see {@link syncAgents}). */
export const FOUNDRY_DEFINITION_HASH_METADATA_KEY = 'omni_definition_hash';

function kebab(value: string): string {
  return value
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The default Foundry agent name of a scenario agent: `<scenario>-<agent>` in lower kebab case
 * (`utilities` + `UtilitiesConcierge` → `utilities-utilities-concierge`). Names longer than 63 characters are
 * cut and given a short hash suffix so two long names stay distinct.
 */
export const defaultFoundryAgentName: FoundryAgentNames = (scenario, agent) => {
  const name = kebab(`${scenario.id}-${agent.id}`) || 'agent';
  if (name.length <= 63) return name;
  const suffix = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, 54).replace(/-+$/, '')}-${suffix}`;
};

/**
 * Checks a Foundry agent name.
 *
 * @throws {Error} naming the rule when the name is not valid.
 */
export function assertFoundryAgentName(name: string): string {
  if (!FOUNDRY_AGENT_NAME_PATTERN.test(name)) {
    throw new Error(
      `Invalid Foundry agent name "${name}": use letters, digits and hyphens (not first or last), at most 63 characters`,
    );
  }
  return name;
}

/** The name of the handoff tool to an agent: `transfer_to_<agentId>`. */
export function foundryTransferToolName(agentId: string): string {
  return `${TRANSFER_TOOL_PREFIX}${agentId}`;
}

/** The `transfer_to_<target>` function tool (parameters `{ reason: string }`). */
export function foundryTransferTool(
  target: Pick<Agent, 'id' | 'displayName' | 'description'>,
): FunctionToolDefinition {
  return {
    type: 'function',
    name: foundryTransferToolName(target.id),
    description: `Hand the customer to ${target.displayName}: ${target.description}`,
    parameters: {
      type: 'object',
      properties: {
        reason: { type: 'string', description: 'Why the customer needs this agent, in one sentence.' },
      },
      required: ['reason'],
      additionalProperties: false,
    },
    strict: false,
  };
}

/** The tools baked into an agent's Foundry version: its own tools, then a transfer tool per allowed handoff. */
export function foundryAgentTools(
  registry: ToolRegistry,
  scenario: Pick<Scenario, 'agents'>,
  agent: Agent,
): FunctionToolDefinition[] {
  const transfers = agent.handoffs.flatMap((id) => {
    const target = scenario.agents.find((a) => a.id === id);
    return target ? [foundryTransferTool(target)] : [];
  });
  return [...registry.definitionsFor(agent), ...transfers];
}

const CHANNELS: readonly ConversationChannel[] = ['voice', 'whatsapp', 'webchat'];

/** The developer message telling the agent which channel the conversation is on now. */
export function foundryChannelMarker(channel: ConversationChannel): string {
  return `[channel: ${channel}]`;
}

/**
 * The instructions of an agent's Foundry version: the scenario instructions, the channel styles (the driver
 * sends a `[channel: <name>]` developer message whenever the channel changes), the allowed handoffs and the
 * no-repeat rule.
 */
export function foundryAgentInstructions(scenario: Scenario, agent: Agent): string {
  const lines: string[] = [agent.instructions.trim(), ''];
  lines.push(
    `You are ${agent.displayName} of ${scenario.displayName}. ${agent.description}`,
    '',
    'Channel style. The same conversation continues across voice, WhatsApp and web chat. A developer message',
    '"[channel: voice]", "[channel: whatsapp]" or "[channel: webchat]" tells you the channel from that point on;',
    "write every reply in that channel's style:",
  );
  for (const channel of CHANNELS) {
    const style = agent.style[channel];
    const limits = [
      style.markdown ? 'markdown allowed' : 'no markdown',
      ...(style.maxSentences !== undefined ? [`at most ${style.maxSentences} sentences`] : []),
    ].join(', ');
    lines.push(`- ${channel}: ${style.guidance.trim()} (${limits})`);
  }
  const targets = agent.handoffs.flatMap((id) => scenario.agents.filter((a) => a.id === id));
  if (targets.length > 0) {
    lines.push(
      '',
      'Handoffs. When the customer needs another specialist, call the transfer tool with a short reason instead of answering:',
      ...targets.map((t) => `- ${foundryTransferToolName(t.id)}: ${t.displayName} — ${t.description}`),
    );
  }
  lines.push(
    '',
    'Never ask the customer again for anything they already gave in this conversation, on any channel, or that',
    'a context note (summary, collected data) lists: use it and say so briefly.',
    'Tool results are for you only: never read them out or quote their messages; tell the customer what it',
    'means for them in your own words, written for them.',
  );
  return lines.join('\n');
}

/** The `prompt` definition of an agent's Foundry version. */
export interface FoundryPromptDefinition {
  readonly kind: 'prompt';
  readonly model: string;
  readonly instructions: string;
  readonly tools: FunctionToolDefinition[];
}

/** The Foundry `prompt` definition of a scenario agent: model, instructions and tools baked in. */
export function foundryAgentDefinition(
  registry: ToolRegistry,
  scenario: Scenario,
  agent: Agent,
  model: string,
): FoundryPromptDefinition {
  return {
    kind: 'prompt',
    model,
    instructions: foundryAgentInstructions(scenario, agent),
    tools: foundryAgentTools(registry, scenario, agent),
  };
}

/** The canonical hash of a definition (sha256 of {@link canonicalJson}, hex). */
export function foundryDefinitionHash(definition: unknown): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex');
}
