import type { AIProjectClient } from '@azure/ai-projects';
import type OpenAI from 'openai';
import type {
  Response,
  ResponseCreateParamsNonStreaming,
  ResponseInputItem,
} from 'openai/resources/responses/responses';
import { z } from 'zod';
import type { TokenUsage } from '../../budget.js';
import {
  CLASSIFICATION_JSON_SCHEMA,
  type Classification,
  type ClassificationFailure,
  parseClassification,
} from '../../classification.js';
import type { TransferMessage } from '../../context-transfer.js';
import type {
  AgentStepRequest,
  AgentStepResult,
  ClassifyRequest,
  ConversationDriver,
  ConversationSummary,
  SummarizeRequest,
  ToolCall,
  ToolOutput,
} from '../../driver.js';
import type { ConversationChannel } from '../../scenario.js';
import {
  assertFoundryAgentName,
  defaultFoundryAgentName,
  type FoundryAgentNames,
  foundryAgentInstructions,
  foundryChannelMarker,
} from './agent-definitions.js';
import { type FoundryProjectInput, foundryProjectClient } from './project.js';
import { type ResponseRequestOptions, streamResponse } from './response-stream.js';

/** The logging the driver does (a pino logger fits). */
export interface FoundryDriverLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

const silentLogger: FoundryDriverLogger = { debug() {}, warn() {} };

/** Options of {@link FoundryDriver}. */
export interface FoundryDriverOptions {
  /** The Foundry project: a client, or `{ endpoint, credential }`. */
  readonly project: FoundryProjectInput;
  /** The Foundry agent name of a scenario agent; must match what `agents:sync` used. Default `<scenario>-<agent>` kebab. */
  readonly agentNames?: FoundryAgentNames;
  /**
   * The model the agent versions were synced with (`FOUNDRY_MODEL`). A step asking for another model (the budget
   * degraded it) runs without the agent reference, with model + instructions + tools in the request.
   * Default `gpt-4.1-mini`.
   */
  readonly agentModel?: string;
  /** The model deployment for `classify` and `summarize`. Default `gpt-4.1-mini`. */
  readonly classifierModel?: string;
  /** `max_output_tokens` of every agent step and summary (a runaway answer cannot run up the bill). Default 1024. */
  readonly maxOutputTokens?: number;
  /** Options for `project.getOpenAIClient()` (e.g. `{ maxRetries: 0 }` in tests). */
  readonly openAIClientOptions?: Parameters<AIProjectClient['getOpenAIClient']>[0];
  readonly logger?: FoundryDriverLogger;
}

/** The default model deployment of the agents, the classifier and the summarizer. */
export const DEFAULT_FOUNDRY_MODEL = 'gpt-4.1-mini';

/** The default `max_output_tokens` of agent steps and summaries. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 1024;

/** `max_output_tokens` of a classification (a small JSON object). */
const CLASSIFY_MAX_OUTPUT_TOKENS = 256;

const SummarySchema = z.object({
  summary: z.string(),
  collectedData: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
});

/** The JSON schema of a summary (`text.format` of `summarize`). */
export const FOUNDRY_SUMMARY_JSON_SCHEMA: Record<string, unknown> = {
  type: 'object',
  properties: {
    summary: {
      type: 'string',
      description: 'What the customer needs and what happened so far, in 1-3 sentences.',
    },
    collectedData: {
      type: 'object',
      description:
        'Facts the customer gave (account number, address, order id, postcode...), by short snake_case key.',
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'] },
    },
  },
  required: ['summary', 'collectedData'],
  additionalProperties: false,
};

function errorDetail(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && /timeout|timed out/i.test(`${error.name} ${error.message}`);
}

/** The user-visible text of a response: its assistant message items' text parts. */
function responseText(response: Response): string | undefined {
  const parts: string[] = [];
  for (const item of response.output) {
    if (item.type !== 'message') continue;
    for (const part of item.content) if (part.type === 'output_text') parts.push(part.text);
  }
  const text = parts.join('');
  return text === '' ? undefined : text;
}

function responseUsage(response: Response): TokenUsage {
  return {
    inputTokens: response.usage?.input_tokens ?? 0,
    outputTokens: response.usage?.output_tokens ?? 0,
  };
}

function messageItem(message: Pick<TransferMessage, 'role' | 'text'>): ResponseInputItem {
  return { type: 'message', role: message.role, content: message.text };
}

const messageKey = (role: string, text: string): string => `${role}\u0000${text.trim()}`;

/**
 * The Foundry driver: one Foundry conversation per customer (`conv_...`, shared by every channel), each agent
 * step a Responses call in that conversation with the agent's Foundry version (`agent_reference`, tools baked in
 * by `agents:sync`); tool calls come back for the engine to run, their outputs go back as
 * `function_call_output` items. Classification and summaries use structured output without an agent.
 */
export class FoundryDriver implements ConversationDriver {
  readonly kind = 'foundry';
  /** The project client. */
  readonly project: AIProjectClient;
  /** The OpenAI client of the project (`/openai/v1`, Entra ID token for `https://ai.azure.com/.default`). */
  readonly openai: OpenAI;
  readonly #agentNames: FoundryAgentNames;
  readonly #agentModel: string;
  readonly #classifierModel: string;
  readonly #maxOutputTokens: number;
  readonly #logger: FoundryDriverLogger;
  /** The channel last announced per conversation (a `[channel: x]` developer item is added when it changes). */
  readonly #channels = new Map<string, ConversationChannel>();

  constructor(options: FoundryDriverOptions) {
    this.project = foundryProjectClient(options.project);
    this.openai = this.project.getOpenAIClient(options.openAIClientOptions);
    this.#agentNames = options.agentNames ?? defaultFoundryAgentName;
    this.#agentModel = options.agentModel ?? DEFAULT_FOUNDRY_MODEL;
    this.#classifierModel = options.classifierModel ?? DEFAULT_FOUNDRY_MODEL;
    this.#maxOutputTokens = options.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
    this.#logger = options.logger ?? silentLogger;
  }

  async createConversation(customerId: string): Promise<string> {
    const conversation = await this.openai.conversations.create({ metadata: { customerId } });
    this.#logger.debug({ customerId, conversationId: conversation.id }, 'foundry conversation created');
    return conversation.id;
  }

  async step(request: AgentStepRequest): Promise<AgentStepResult> {
    const agentName = assertFoundryAgentName(this.#agentNames(request.scenario, request.agent));
    const context = await this.#contextNotHeld(request.conversationId, request.context);
    const preamble: ResponseInputItem[] = [];
    if (this.#channels.get(request.conversationId) !== request.channel) {
      preamble.push({ type: 'message', role: 'developer', content: foundryChannelMarker(request.channel) });
    }
    preamble.push(...context.map(messageItem));

    let input: ResponseInputItem[];
    if (request.input.kind === 'text') {
      input = [...preamble, { type: 'message', role: 'user', content: request.input.text }];
    } else {
      // Outputs first: they must directly answer the calls of the previous step. After a handoff the
      // conversation already holds the user's message, so the new agent answers it without a repeat.
      input = [
        ...request.input.outputs.map(
          (o): ResponseInputItem => ({ type: 'function_call_output', call_id: o.callId, output: o.output }),
        ),
        ...preamble,
      ];
    }

    const viaAgent = request.model === this.#agentModel;
    // Responses streaming when the caller shows text as it comes; the same response either way.
    const onTextDelta = request.onTextDelta;
    const create = (params: ResponseCreateParamsNonStreaming, options?: ResponseRequestOptions) =>
      onTextDelta
        ? streamResponse(this.openai, params, options, onTextDelta)
        : this.openai.responses.create(params, options);
    const response = viaAgent
      ? await create(
          { conversation: request.conversationId, input, max_output_tokens: this.#maxOutputTokens },
          {
            body: {
              agent: { type: 'agent_reference', name: agentName },
              conversation: request.conversationId,
              input,
              max_output_tokens: this.#maxOutputTokens,
            },
          },
        )
      : await create({
          conversation: request.conversationId,
          input,
          model: request.model,
          max_output_tokens: this.#maxOutputTokens,
          instructions: foundryAgentInstructions(request.scenario, request.agent),
          tools: request.tools.map((t) => ({ ...t, parameters: { ...t.parameters } })),
        });
    this.#channels.set(request.conversationId, request.channel);

    const toolCalls: ToolCall[] = response.output.flatMap((item) =>
      item.type === 'function_call'
        ? [{ callId: item.call_id, name: item.name, arguments: item.arguments }]
        : [],
    );
    const text = responseText(response);
    this.#logger.debug(
      {
        conversationId: request.conversationId,
        agent: agentName,
        viaAgent,
        responseId: response.id,
        toolCalls: toolCalls.map((c) => c.name),
      },
      'foundry step',
    );
    return {
      ...(text !== undefined ? { text } : {}),
      toolCalls,
      usage: responseUsage(response),
      model: response.model || request.model,
      stepId: response.id,
    };
  }

  async classify(request: ClassifyRequest): Promise<Classification | ClassificationFailure> {
    const agents = request.scenario.agents
      .map((a) => {
        const examples = a.examples
          .slice(0, 5)
          .map((e) => `"${e}"`)
          .join('; ');
        return `- ${a.id}: ${a.description}${examples ? ` Examples: ${examples}` : ''}`;
      })
      .join('\n');
    const instructions = [
      `You route customer messages of ${request.scenario.displayName} to the agent that should handle them.`,
      'Agents (agent_id: what it handles):',
      agents,
      'Answer with JSON only: agent_id (one of the ids above), confidence (0 to 1), ambiguous (true when two agents',
      'are about equally likely), intent_summary (one short sentence) and entities (name -> value, strings).',
    ].join('\n');
    try {
      const response = await this.openai.responses.create({
        model: this.#classifierModel,
        max_output_tokens: CLASSIFY_MAX_OUTPUT_TOKENS,
        instructions,
        input: [
          ...request.context.map(messageItem),
          { type: 'message', role: 'user', content: request.text },
        ],
        text: {
          format: {
            type: 'json_schema',
            name: 'classification',
            schema: CLASSIFICATION_JSON_SCHEMA,
            strict: false,
          },
        },
      });
      const text = responseText(response);
      const spent = { usage: responseUsage(response), model: response.model || this.#classifierModel };
      if (text === undefined)
        return { kind: 'failure', reason: 'malformed', detail: 'classifier returned no text', ...spent };
      return { ...parseClassification(text), ...spent };
    } catch (error) {
      this.#logger.warn({ err: errorDetail(error) }, 'foundry classification failed');
      return { kind: 'failure', reason: isTimeout(error) ? 'timeout' : 'error', detail: errorDetail(error) };
    }
  }

  async summarize(request: SummarizeRequest): Promise<ConversationSummary> {
    const transcript = request.turns.map((t) => `[${t.channel}] ${t.role}: ${t.text}`).join('\n');
    const known = Object.entries(request.collectedData)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ');
    const input = [
      request.previousSummary ? `Previous summary: ${request.previousSummary}` : '',
      known ? `Already collected: ${known}` : '',
      `Transcript (oldest first):\n${transcript}`,
    ]
      .filter(Boolean)
      .join('\n\n');
    const fallback: ConversationSummary = {
      summary: request.previousSummary ?? '',
      collectedData: { ...request.collectedData },
    };
    let response: Response;
    try {
      response = await this.openai.responses.create({
        model: this.#classifierModel,
        max_output_tokens: this.#maxOutputTokens,
        instructions: [
          'Summarise this customer conversation for the next agent, who must not ask again for anything already given.',
          'summary: what the customer needs and what has been done, in 1-3 sentences.',
          'collectedData: every fact the customer gave (keep the keys already collected), by short snake_case key.',
        ].join('\n'),
        input,
        text: {
          format: {
            type: 'json_schema',
            name: 'conversation_summary',
            schema: FOUNDRY_SUMMARY_JSON_SCHEMA,
            strict: false,
          },
        },
      });
    } catch (error) {
      this.#logger.warn(
        { err: errorDetail(error), conversationId: request.conversationId },
        'foundry summary failed',
      );
      return fallback;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(responseText(response) ?? '');
    } catch {
      raw = undefined;
    }
    const parsed = SummarySchema.safeParse(raw);
    if (!parsed.success) {
      this.#logger.warn(
        { conversationId: request.conversationId },
        'foundry summary malformed; keeping the previous one',
      );
      return fallback;
    }
    return {
      summary: parsed.data.summary,
      collectedData: { ...request.collectedData, ...parsed.data.collectedData },
      usage: responseUsage(response),
      model: response.model || this.#classifierModel,
    };
  }

  async addNote(conversationId: string, text: string): Promise<void> {
    await this.openai.conversations.items.create(conversationId, {
      items: [{ type: 'message', role: 'assistant', content: text }],
    });
  }

  async closeToolCalls(conversationId: string, outputs: readonly ToolOutput[]): Promise<void> {
    if (outputs.length === 0) return;
    await this.openai.conversations.items.create(conversationId, {
      items: outputs.map((o) => ({ type: 'function_call_output', call_id: o.callId, output: o.output })),
    });
    this.#logger.debug(
      { conversationId, calls: outputs.map((o) => o.callId) },
      'foundry tool calls closed after a stopped run',
    );
  }

  /** The context messages the conversation does not hold yet (compared by role and text). */
  async #contextNotHeld(
    conversationId: string,
    context: readonly TransferMessage[],
  ): Promise<readonly TransferMessage[]> {
    if (context.length === 0) return [];
    const held = new Set<string>();
    let seen = 0;
    for await (const item of this.openai.conversations.items.list(conversationId, {
      order: 'desc',
      limit: 100,
    })) {
      if (item.type === 'message') {
        const text = item.content
          .map((part) => ('text' in part && typeof part.text === 'string' ? part.text : ''))
          .join('');
        held.add(messageKey(item.role, text));
      }
      if (++seen >= 500) break;
    }
    return context.filter(
      (m) =>
        !held.has(messageKey(m.role === 'system' ? 'developer' : m.role, m.text)) &&
        !held.has(messageKey(m.role, m.text)),
    );
  }
}
